// `npm run eval:sampling`: do the identities hold when detect_track samples the video another way?
// The same code and clips give other faces to embed at another analysis size (profiles), another
// frame rate (--stride) or other frames (--sampling decodable); a rule that only works at one
// setting is tuned to that setting's luck, not true of the footage. Runs `npm run eval` (bench/eval.ts)
// on the labelled clips and the crowd once per setting, each in its own folder
// (bench/.work/eval-sampling/<setting>/), and prints one table: F1, precision, people found / real,
// mean screen-time error per clip and setting; writes bench/.work/eval-sampling/results.json.
//
//   node dist/bench/eval-sampling.js [--from cluster] [--only a,b] [--settings balanced,low_power,...]
//
// --from cluster re-runs only the identity half on each setting's previous outputs (seconds each).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import type { ClipResult } from './eval.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = path.join(REPO, 'bench', '.work', 'eval-sampling');
const EVAL = path.join(REPO, 'dist', 'bench', 'eval.js');

/** The detect_track settings compared; `balanced` is the default a user gets. */
export const SETTINGS: ReadonlyArray<{ name: string; args: string[]; about: string }> = [
  { name: 'balanced', args: ['--profile', 'balanced'], about: 'default: 640 wide, about 6 frames/s, 4 faces per track' },
  { name: 'low_power', args: ['--profile', 'low_power'], about: '480 wide, about 3 frames/s, 3 faces' },
  { name: 'performance', args: ['--profile', 'performance'], about: '960 wide, about 10 frames/s, 8 faces' },
  { name: 'balanced_stride2', args: ['--profile', 'balanced', '--stride', '2'], about: 'balanced at every 2nd frame' },
  { name: 'balanced_decodable', args: ['--profile', 'balanced', '--sampling', 'decodable'], about: 'balanced on the frames other frames reference (I, P, reference B)' },
];

const DEFAULT_CLIPS = 'episode_gt,fotb,covent_garden';

function row(setting: string, r: ClipResult): string[] {
  const f = (v: number | undefined, d = 3) => (v === undefined ? '-' : v.toFixed(d));
  return [setting, r.clip, r.status, f(r.f1), f(r.precision), r.people_found === undefined ? '-' : `${r.people_found}/${r.people_real ?? '?'}`, f(r.mean_abs_error_s, 2), String(r.unsure_tracks ?? '-')];
}

function table(rows: string[][]): string {
  const head = ['setting', 'clip', 'status', 'F1', 'P', 'found/real', 'mean|err| s', 'unsure'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: 'string' }, only: { type: 'string' }, settings: { type: 'string' } } });
  const wanted = values.settings ? new Set(values.settings.split(',')) : null;
  const settings = SETTINGS.filter((s) => !wanted || wanted.has(s.name));
  mkdirSync(WORK, { recursive: true });
  const all: Record<string, ClipResult[]> = {};
  const rows: string[][] = [];
  for (const s of settings) {
    const work = path.join(WORK, s.name);
    const out = path.join(work, 'results.json');
    const from = values.from && existsSync(work) ? ['--from', values.from] : [];
    process.stderr.write(`[eval:sampling] ${s.name}: ${s.about}\n`);
    const r = await execa(process.execPath, [EVAL, ...s.args, ...from, '--only', values.only ?? DEFAULT_CLIPS, '--work', work, '--out', out], { reject: false, stdin: 'ignore', all: true });
    if (r.exitCode !== 0 && !existsSync(out)) {
      rows.push([s.name, '-', 'failed', '-', '-', '-', '-', '-']);
      process.stderr.write(`${r.all ?? ''}\n`);
      continue;
    }
    const clips = (JSON.parse(readFileSync(out, 'utf8')) as { clips: ClipResult[] }).clips;
    all[s.name] = clips;
    for (const c of clips) rows.push(row(s.name, c));
  }
  writeFileSync(path.join(WORK, 'results.json'), `${JSON.stringify({ settings: settings.map((s) => ({ name: s.name, args: s.args })), results: all }, null, 2)}\n`);
  process.stdout.write(`${table(rows)}\nresults: ${path.join(WORK, 'results.json')}\n`);
}

await main();
