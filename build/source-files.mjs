// Source files of a folder, for the checks in build/: everything whose name matches `source` and
// not `skip`, recursively, leaving out hidden folders and node_modules.

import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Test files: they may reach across layers and are never imported themselves. */
export const TEST_FILE = /\.test\.[cm]?[jt]sx?$/;

export function sourceFiles(dir, source, skip = TEST_FILE) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p, source, skip));
    else if (source.test(e.name) && !skip.test(e.name)) out.push(p);
  }
  return out;
}
