// `npm run eval`: the pipeline's answers on every clip of the development set
// (pipeline/eval/dev-set.ts), scored the way results are judged (pipeline/eval/score.ts). Runs the
// real CLI on a copy of each clip (bench/.work/eval/<clip>/), prints one table on stdout and
// writes bench/.work/eval/results.json, plus a contact sheet per clip (one row per identity) to
// look at what each identity holds.
//
//   node dist/bench/eval.js [--profile balanced] [--threads 2] [--stride N] [--sampling stride|decodable] [--from STAGE] [--only a,b] [--out FILE] [--work DIR]
//
// --from reuses the earlier stages' outputs of a previous run (e.g. `--from cluster` to measure
// a clustering change in seconds). --work keeps the run's outputs in another folder
// (bench/eval-sampling.ts runs one folder per detect_track setting).

import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import sharp, { type OverlayOptions } from 'sharp';
import type { IdentitiesFile, ScreentimeFile } from '../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../shared/stages.js';
import { DEV_CLIPS, DEV_PHOTO, type DevClip } from '../pipeline/eval/dev-set.js';
import { scoreScreentime, PERSON_MIN_S, type GroundTruth, type Score } from '../pipeline/eval/score.js';
import { scoreNamedTime, type NamedTimeScore } from '../pipeline/eval/named-time.js';
import { matchDetections, readCornerBoxes } from '../pipeline/eval/photo-recall.js';
import { YunetDetector } from '../pipeline/detect/yunet.js';
import { DETECTOR_MODEL } from '../pipeline/stages/detect-track.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the clips' copies and outputs go (`--work`). */
let WORK = path.join(REPO, 'bench', '.work', 'eval');
const CLI = path.join(REPO, 'dist', 'pipeline', 'cli', 'main.js');
const SHARED = process.env.SCREENTIME_SHARED_DIR ?? path.resolve(REPO, '..', 'shared');
const MEDIA = process.env.SCREENTIME_MEDIA_DIR ?? path.join(SHARED, 'media');
const MODELS = process.env.SCREENTIME_MODELS_DIR ?? path.join(SHARED, 'models');

const log = (m: string) => process.stderr.write(`[eval ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const r3 = (v: number) => Math.round(v * 1000) / 1000;

export interface ClipResult {
  clip: string;
  kind: DevClip['kind'];
  status: 'ok' | 'failed' | 'skipped';
  message?: string;
  seconds?: number;
  /** Identities with at least PERSON_MIN_S of time (scored time for labelled clips). */
  people_found?: number;
  people_real?: number;
  identities_total?: number;
  unsure_tracks?: number;
  f1?: number;
  precision?: number;
  recall?: number;
  mean_abs_error_s?: number;
  max_abs_error_s?: number;
  people?: Score['people'];
  sheet?: string;
  /** Clips with reference photos: named from a library of all of them, and of part of them. */
  named?: NamedRun[];
}

export interface NamedRun {
  library: 'all' | 'part';
  enrolled: string[];
  status: 'ok' | 'failed';
  message?: string;
  score?: NamedTimeScore;
  auto?: number;
  suggested?: number;
  /** Identities named after someone the truth says they are not (by most of their scored time). */
  wrong_names?: string[];
}

/**
 * Builds a people library from the clip's reference photos (the real CLI: people add, people
 * enrol), re-runs cluster and screentime with it on a copy of the clip's artifacts and scores the
 * names: once with everyone enrolled and once with only `refsPart` (the others must stay unnamed).
 */
async function namedRuns(clip: DevClip, dir: string, gt: GroundTruth): Promise<NamedRun[]> {
  const refsDir = path.join(MEDIA, clip.refs!);
  if (!existsSync(refsDir)) return [];
  const all = readdirSync(refsDir).filter((f) => f.endsWith('.png')).map((f) => path.basename(f, '.png')).sort();
  const runs: NamedRun[] = [];
  for (const [library, enrolled] of [['all', all], ['part', [...(clip.refsPart ?? [])]]] as const) {
    const lib = path.join(WORK, `${clip.name}.people-${library}`);
    const out = path.join(WORK, `${clip.name}.named-${library}`);
    rmSync(lib, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    cpSync(path.join(dir, ARTIFACT_DIR_NAME), out, { recursive: true });
    const steps: string[][] = [];
    for (const name of enrolled) steps.push(['people', 'add', name, '--people', lib], ['people', 'enrol', name, path.join(refsDir, `${name}.png`), '--people', lib, '--models', MODELS]);
    steps.push(['stage', 'cluster', dir, '--out', out, '--people', lib, '--models', MODELS], ['stage', 'screentime', dir, '--out', out, '--models', MODELS]);
    let failed: string | null = null;
    for (const args of steps) {
      const r = await execa(process.execPath, [CLI, ...args], { reject: false, stdin: 'ignore', all: true });
      if (r.exitCode !== 0) { failed = `${args.slice(0, 2).join(' ')}: exit ${r.exitCode}: ${(r.all ?? '').split('\n').filter((l) => l && !l.startsWith('{')).slice(-2).join(' / ')}`; break; }
    }
    if (failed) { runs.push({ library, enrolled: [...enrolled], status: 'failed', message: failed }); continue; }
    const st = JSON.parse(readFileSync(path.join(out, 'screentime.json'), 'utf8')) as ScreentimeFile;
    const score = scoreNamedTime(st.identities, gt, enrolled);
    // an identity is wrongly named when most of its scored time belongs to someone else
    const perIdentity = st.identities.filter((i) => i.match === 'auto' && i.label).map((i) => ({ label: i.label!, s: scoreNamedTime([i], gt, []) }));
    runs.push({
      library,
      enrolled: [...enrolled],
      status: 'ok',
      score: { ...score, precision: r3(score.precision), recall: r3(score.recall), named_s: r3(score.named_s), correct_s: r3(score.correct_s), enrolled_true_s: r3(score.enrolled_true_s), names: score.names.map((n) => ({ ...n, named_s: r3(n.named_s), correct_s: r3(n.correct_s) })) },
      auto: st.identities.filter((i) => i.match === 'auto').length,
      suggested: st.identities.filter((i) => i.match === 'suggested').length,
      wrong_names: perIdentity.filter((p) => p.s.correct_s * 2 < p.s.named_s).map((p) => `${p.label} (${r3(p.s.correct_s)}/${r3(p.s.named_s)} s right)`),
    });
  }
  return runs;
}

async function runClip(clip: DevClip, opts: { profile: string; threads: number; stride?: string; sampling?: string; from?: string }): Promise<ClipResult> {
  const video = path.join(MEDIA, clip.video);
  const truthFile = clip.truth ? path.join(MEDIA, clip.truth) : null;
  for (const f of [video, ...(truthFile ? [truthFile] : [])]) {
    if (!existsSync(f)) return { clip: clip.name, kind: clip.kind, status: 'skipped', message: `missing ${f}` };
  }
  const dir = path.join(WORK, clip.name);
  mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, path.basename(video));
  if (!existsSync(copy)) copyFileSync(video, copy);
  const args = [CLI, 'run', dir, '--models', MODELS, '--profile', opts.profile, '--threads', String(opts.threads)];
  if (opts.stride) args.push('--stride', opts.stride);
  if (opts.sampling) args.push('--sampling', opts.sampling);
  if (opts.from) args.push('--from', opts.from);
  const t0 = performance.now();
  const r = await execa(process.execPath, args, { reject: false, stdin: 'ignore', all: true });
  const seconds = r3((performance.now() - t0) / 1000);
  if (r.exitCode !== 0) {
    const last = (r.all ?? '').split('\n').filter((l) => l && !l.startsWith('{')).slice(-3).join(' / ');
    return { clip: clip.name, kind: clip.kind, status: 'failed', seconds, message: `exit ${r.exitCode}: ${last}` };
  }
  const out = path.join(dir, ARTIFACT_DIR_NAME);
  const st = JSON.parse(readFileSync(path.join(out, 'screentime.json'), 'utf8')) as ScreentimeFile;
  const ids = JSON.parse(readFileSync(path.join(out, 'identities.json'), 'utf8')) as IdentitiesFile;
  const unsure = ids.unsure?.length ?? 0;
  const base: ClipResult = {
    clip: clip.name,
    kind: clip.kind,
    status: 'ok',
    seconds,
    identities_total: ids.identities.length,
    unsure_tracks: unsure,
    people_found: st.identities.filter((i) => i.visible_s >= PERSON_MIN_S).length,
    ...(clip.facesVisible !== undefined ? { people_real: clip.facesVisible } : {}),
  };
  base.sheet = await contactSheet(out, ids, st, path.join(WORK, `${clip.name}.sheet.png`));
  if (!truthFile) return base;
  const gt = JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth;
  const s = scoreScreentime(st.identities, gt);
  return {
    ...base,
    ...(clip.refs ? { named: await namedRuns(clip, dir, gt) } : {}),
    people_found: s.people_found,
    people_real: s.people_real,
    f1: r3(s.f1),
    precision: r3(s.precision),
    recall: r3(s.recall),
    mean_abs_error_s: r3(s.mean_abs_error_s),
    max_abs_error_s: r3(s.max_abs_error_s),
    people: s.people.map((p) => ({ ...p, predicted_s: r3(p.predicted_s), overlap_s: r3(p.overlap_s), abs_error_s: r3(p.abs_error_s) })),
  };
}

/**
 * One row per identity (longest screen time first): its visible seconds and up to 12 of its
 * faces, so a person can check by eye that no identity holds two people.
 */
async function contactSheet(out: string, ids: IdentitiesFile, st: ScreentimeFile, file: string): Promise<string | undefined> {
  const T = 64, PER_ROW = 12, LABEL = 90;
  const secs = new Map(st.identities.map((i) => [i.identity_id, i.visible_s]));
  const rows = [...ids.identities].sort((a, b) => (secs.get(b.identity_id) ?? 0) - (secs.get(a.identity_id) ?? 0));
  if (rows.length === 0) return undefined;
  const composites: OverlayOptions[] = [];
  for (const [r, id] of rows.entries()) {
    const label = `#${id.identity_id} ${(secs.get(id.identity_id) ?? 0).toFixed(1)}s`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL}" height="${T}"><text x="4" y="${T / 2 + 5}" font-family="sans-serif" font-size="14" fill="#fff">${label}</text></svg>`;
    composites.push({ input: Buffer.from(svg), left: 0, top: r * T });
    const thumbs = [id.thumb, ...id.sample_thumbs].filter((t): t is string => !!t).slice(0, PER_ROW);
    for (const [c, t] of thumbs.entries()) {
      const f = path.join(out, t);
      if (!existsSync(f)) continue;
      composites.push({ input: await sharp(f).resize(T, T).toBuffer(), left: LABEL + c * T, top: r * T });
    }
  }
  await sharp({ create: { width: LABEL + PER_ROW * T, height: rows.length * T, channels: 3, background: '#222' } })
    .composite(composites)
    .png()
    .toFile(file);
  return file;
}

async function photoRecall(): Promise<{ clip: string; status: string; found?: number; people?: number; extra?: number; message?: string }> {
  const image = path.join(MEDIA, DEV_PHOTO.image);
  const truthFile = path.join(MEDIA, DEV_PHOTO.truth);
  const model = path.join(MODELS, DETECTOR_MODEL);
  const absent = [image, truthFile, model].filter((f) => !existsSync(f));
  if (absent.length) return { clip: DEV_PHOTO.name, status: 'skipped', message: `missing ${absent.join(', ')}` };
  const truth = readCornerBoxes(truthFile).filter((t) => t.name !== 'detection_0');
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const det = await YunetDetector.create(model);
  try {
    const faces = await det.detect(data, info.width, info.height, true);
    const m = matchDetections(truth, faces);
    return { clip: DEV_PHOTO.name, status: 'ok', found: m.found, people: truth.length, extra: m.extra };
  } finally {
    await det.close();
  }
}

function table(results: ClipResult[]): string {
  const head = ['clip', 'status', 'F1', 'P', 'R', 'found/real', 'unsure', 'mean|err| s', 'max|err| s', 'time s'];
  const f = (v: number | undefined, d = 3) => (v === undefined ? '-' : v.toFixed(d));
  const rows = results.map((r) => [
    r.clip,
    r.status,
    f(r.f1), f(r.precision), f(r.recall),
    r.people_found === undefined ? '-' : `${r.people_found}/${r.people_real ?? '?'}`,
    r.unsure_tracks === undefined ? '-' : String(r.unsure_tracks),
    f(r.mean_abs_error_s, 2), f(r.max_abs_error_s, 2), f(r.seconds, 1),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'balanced' },
      threads: { type: 'string', default: '2' },
      // detect_track's frame sampling (the quality gate of docs/pipeline-detect.md compares both)
      sampling: { type: 'string' },
      stride: { type: 'string' },
      from: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      work: { type: 'string' },
    },
  });
  if (values.work) WORK = path.resolve(values.work);
  const only = values.only ? new Set(values.only.split(',')) : null;
  const clips = DEV_CLIPS.filter((c) => !only || only.has(c.name));
  mkdirSync(WORK, { recursive: true });
  const results: ClipResult[] = [];
  for (const clip of clips) {
    log(`${clip.name}: ${clip.about}`);
    const r = await runClip(clip, { profile: values.profile!, threads: Number(values.threads), stride: values.stride, sampling: values.sampling, from: values.from });
    results.push(r);
    if (r.status !== 'ok') log(`${clip.name}: ${r.status} ${r.message ?? ''}`);
    for (const p of r.people ?? []) log(`  ${p.person}: true ${p.true_s.toFixed(2)} s, predicted ${p.predicted_s.toFixed(2)} s (identity ${p.identity_id ?? '-'}), error ${p.abs_error_s.toFixed(2)} s`);
  }
  const photo = !only || only.has(DEV_PHOTO.name) ? await photoRecall() : null;
  const outFile = values.out ?? path.join(WORK, 'results.json');
  writeFileSync(outFile, `${JSON.stringify({ profile: values.profile, threads: Number(values.threads), ...(values.stride ? { stride: Number(values.stride) } : {}), ...(values.sampling ? { sampling: values.sampling } : {}), clips: results, photo }, null, 2)}\n`);
  process.stdout.write(`${table(results)}\n`);
  for (const r of results) {
    for (const n of r.named ?? []) {
      process.stdout.write(n.status === 'ok'
        ? `${r.clip} named from the people library (${n.library}: ${n.enrolled.join(', ')}): named-time precision ${n.score!.precision.toFixed(3)}, recall ${n.score!.recall.toFixed(3)} (${n.score!.correct_s.toFixed(1)} of ${n.score!.enrolled_true_s.toFixed(1)} s), ${n.auto} named, ${n.suggested} suggested, wrong names: ${n.wrong_names!.length ? n.wrong_names!.join(', ') : 'none'}\n`
        : `${r.clip} named from the people library (${n.library}): failed ${n.message}\n`);
    }
  }
  if (photo) process.stdout.write(`${photo.clip}: ${photo.status === 'ok' ? `${photo.found}/${photo.people} faces detected, ${photo.extra} extra detections` : `${photo.status} ${photo.message ?? ''}`}\n`);
  process.stdout.write(`results: ${outFile}; contact sheets: ${WORK}/<clip>.sheet.png\n`);
  if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
}

await main();
