#!/usr/bin/env node
// Fails when top-level folders import each other in a circle (pipeline -> host -> pipeline, say).
// eslint.config.js says which layer may import which; this check holds for any folder, including
// ones the layer table does not name, and prints the cycle with one import for each step, so the
// import to move is plain. Reads the sources only (no build needed). Test files are left out:
// they may reach across layers and are never imported themselves.
//
//   node build/check-layers.mjs
//
// Exit 0 = no cycle (the folder graph is printed); 1 = a cycle (printed).

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { sourceFiles } from './source-files.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Top-level folders that hold no sources of ours. */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'release', 'out', 'test-results', 'docs', 'coverage']);
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

const topOf = (file) => path.relative(ROOT, file).split(path.sep)[0];

/** Folder -> folder -> one import that makes the edge ("host/x.ts imports ../../queue/y.js"). */
function folderGraph(folders, files) {
  const graph = new Map();
  for (const file of files) {
    const from = topOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    // Static and dynamic imports, re-exports and `import type`, from the TypeScript scanner (no
    // parse of the whole program, and no regex fooled by comments or strings).
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (!spec.startsWith('.')) continue; // a package, not ours
      const to = topOf(path.resolve(path.dirname(file), spec));
      if (to === from || !folders.includes(to)) continue; // bin/ starting dist/ is no source edge
      const edges = graph.get(from);
      if (!edges.has(to)) edges.set(to, `${path.relative(ROOT, file)} imports ${spec}`);
    }
  }
  return graph;
}

/** Strongly connected components (Tarjan): each with more than one folder holds a cycle. */
function components(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      found.push(comp);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The shortest cycle from start back to start inside one component, as a list of folders. */
function shortestCycle(graph, comp, start) {
  const inComp = new Set(comp);
  const prev = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const cycle = [v];
        for (let u = v; u !== start; u = prev.get(u)) cycle.unshift(prev.get(u));
        return [...cycle, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** One shortest cycle through each folder of each tangled component, each cycle once. */
function findCycles(graph) {
  const cycles = new Map();
  for (const comp of components(graph).filter((c) => c.length > 1)) {
    for (const start of [...comp].sort()) {
      const cycle = shortestCycle(graph, comp, start);
      // The same circle found from another of its folders: keyed by its smallest rotation.
      const ring = cycle.slice(0, -1);
      const key = ring.map((_, i) => [...ring.slice(i), ...ring.slice(0, i)].join('>')).sort()[0];
      if (!cycles.has(key)) cycles.set(key, cycle);
    }
  }
  return [...cycles.values()];
}

function main() {
  const folders = readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_SOURCE.has(e.name))
    .map((e) => e.name);
  const files = folders.flatMap((f) => sourceFiles(path.join(ROOT, f), SOURCE));
  const graph = folderGraph(folders, files);
  const cycles = findCycles(graph);
  if (cycles.length) {
    for (const cycle of cycles) {
      console.error(`check-layers: import cycle between top-level folders: ${cycle.join(' -> ')}`);
      for (let i = 0; i + 1 < cycle.length; i++) console.error(`  ${cycle[i]} -> ${cycle[i + 1]}: ${graph.get(cycle[i]).get(cycle[i + 1])}`);
    }
    console.error('Move the import that points up to the lower layer, or pass it in from above (README: Layers).');
    process.exitCode = 1;
    return;
  }
  console.log(`check-layers: no import cycle between top-level folders (${files.length} files, tests left out)`);
  for (const [from, edges] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    if (edges.size) console.log(`  ${from} -> ${[...edges.keys()].sort().join(', ')}`);
  }
}

main();
