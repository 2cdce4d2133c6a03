#!/usr/bin/env node
// Lists functions longer than a limit (default 80 lines): a long function usually does several
// jobs, and its parts read better as functions of their own that each do one. Counts every
// function, method, constructor, accessor, arrow function and function expression with a body,
// from its first line to its last (a nested function counts inside its parent as well as on its
// own). Reads the sources with the TypeScript parser (no build, no type information); test files
// are left out.
//
//   node build/check-function-length.mjs [--max 80] [folder ...]   (default: host queue pipeline/stages)
//
// Exit 0 = none over the limit; 1 = some (printed as file:line name (N lines), longest first).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { sourceFiles } from './source-files.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_FOLDERS = ['host', 'queue', 'pipeline/stages'];
const SOURCE = /\.(ts|tsx|mts|cts)$/;
const SKIP = /\.(test|e2e\.test)\.[cm]?tsx?$|\.d\.ts$/;

function parseArgs(argv) {
  let max = 80;
  const folders = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max') max = Number(argv[++i]);
    else folders.push(argv[i]);
  }
  if (!Number.isInteger(max) || max < 1) throw new Error('--max takes a whole number of lines');
  return { max, folders: folders.length ? folders : DEFAULT_FOLDERS };
}

/** A readable name: the declaration's own, or what the function is assigned to. */
function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(sf);
  }
  if (parent && ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(sf).slice(0, 40)})`;
  return '(anonymous)';
}

function isFunctionWithBody(node) {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node)) &&
    node.body !== undefined
  );
}

/** Every function of one file with its length in lines. Pure apart from the parse. */
export function functionLengths(file, text) {
  const kind = file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const visit = (node) => {
    if (isFunctionWithBody(node)) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      found.push({ name: nameOf(node, sf), line: start, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function main() {
  const { max, folders } = parseArgs(process.argv.slice(2));
  const long = [];
  for (const folder of folders) {
    for (const file of sourceFiles(path.join(ROOT, folder), SOURCE, SKIP)) {
      const rel = path.relative(ROOT, file);
      for (const f of functionLengths(rel, readFileSync(file, 'utf8'))) if (f.lines > max) long.push({ ...f, file: rel });
    }
  }
  long.sort((a, b) => b.lines - a.lines);
  for (const f of long) console.log(`${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
  console.log(long.length ? `${long.length} function(s) over ${max} lines in ${folders.join(', ')}` : `no function over ${max} lines in ${folders.join(', ')}`);
  process.exitCode = long.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
