// Which episodes a `screentime report` command line names: episode folders or video files, or a
// show folder (no video of its own) whose sub-folders are the episodes, in natural name order.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../shared/stages.js';
import { readScreentime } from '../cluster/io.js';
import { isVideoName, resolveEpisode } from '../episode/resolve.js';
import { StageError } from '../runtime/stage.js';
import type { ReportEpisode } from './show-report.js';

const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function hasOwnVideo(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((d) => (d.isFile() || d.isSymbolicLink()) && isVideoName(d.name));
}

/** Episode folders (or video files) behind the paths given; a show folder expands to its episodes. */
export function expandShowPaths(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(input);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      throw new StageError(`episode not found: ${abs}`, EXIT.BAD_INPUT);
    }
    if (!isDir || hasOwnVideo(abs)) {
      out.push(abs);
      continue;
    }
    const subs = readdirSync(abs, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => path.join(abs, d.name))
      .filter((d) => hasOwnVideo(d))
      .sort((a, b) => natural.compare(path.basename(a), path.basename(b)));
    if (subs.length === 0) throw new StageError(`no video in ${abs} nor in its sub-folders`, EXIT.BAD_INPUT);
    out.push(...subs);
  }
  return out;
}

/** Each episode's name (its folder's name) and screentime.json; an episode without one is an error naming it. */
export function readReportEpisodes(inputs: readonly string[]): ReportEpisode[] {
  return expandShowPaths(inputs).map((p) => {
    const ep = resolveEpisode(p, { checkWritable: false });
    const name = path.basename(ep.episodeDir);
    const screentime = readScreentime(ep.outDir);
    if (!screentime) throw new StageError(`${name}: no screentime.json in ${ep.outDir} (run the pipeline on it first)`, EXIT.BAD_INPUT);
    return { name, screentime };
  });
}
