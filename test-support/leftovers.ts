// What a stopped stage may have left in its artifact folder: temp names, its lock, a manifest
// record still at `running`. Tests of every stop path assert all three are clean.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Temp names (`*.tmp-<pid>`, `*.old-<pid>`) in the artifact folder and one level down. */
export function tempNames(outDir: string): string[] {
  const found: string[] = [];
  const visit = (d: string, depth: number) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (/\.(tmp|old)-\d+$/.test(e.name)) found.push(path.relative(outDir, path.join(d, e.name)));
      else if (e.isDirectory() && depth > 0) visit(path.join(d, e.name), depth - 1);
    }
  };
  visit(outDir, 1);
  return found;
}

export interface AfterStop {
  temp: string[];
  lock: boolean;
  status: string | null;
}

/** The state of an episode's artifact folder after `stage` was stopped. */
export function afterStop(episodeDir: string, stage = 'detect_track'): AfterStop {
  const outDir = path.join(episodeDir, 'screentime');
  let status: string | null = null;
  try {
    status = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')).stages[stage]?.status ?? null;
  } catch {
    /* no manifest */
  }
  return { temp: tempNames(outDir), lock: existsSync(path.join(outDir, 'locks', `${stage}.lock`)), status };
}
