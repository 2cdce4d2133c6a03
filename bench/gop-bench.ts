// `npm run bench:gop`: what `--sampling decodable` gains over the default stride sampling, and how
// the gain depends on the stream's GOP. Two encodes of the same 1080p content (the ground-truth
// episode looped to N minutes, default 2; cached in bench/.work/): x264 veryfast crf 20 with its
// default B-frames, and the same with `-bf 0`. On each, measured as separate processes:
//   decode_all  ffmpeg decode-only of every frame (640 wide, bgr24, -threads T): the baseline
//   decode_ref  the same with -skip_frame noref (the referenced frames only: I, P, reference B)
//   stride      the whole pipeline with the default sampling
//   decodable   the whole pipeline with --sampling decodable
// detect_track's figures are the first stage of each pipeline run (each stage is its own process,
// as in `npm run bench`). Every path runs once per round; the order mirrors from round to round
// (A B B A with 2 rounds), and ratios are taken against decode_all of the same round. Prints ONE
// JSON object on stdout and a table on stderr. Wall time is noisy on a shared machine: read the
// CPU seconds beside it.
//
// A file of its own rather than a mode of bench/run.ts: run.ts answers "how fast and how big on
// this machine" in one pass with one output shape; this one runs two encodes times four paths
// times the rounds (about 15 minutes for 2 minutes of video) and has its own output. The shared
// parts (inputs, stage runs, decode-only) live in bench/bench-common.ts.
//
//   node dist/bench/gop-bench.js [--minutes N] [--threads T] [--rounds R]

import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { probeVideo } from '../pipeline/video/probe.js';
import { STAGES } from '../shared/stages.js';
import { CLI, cpuFloorSeconds, decodeOnly, log, machineFacts, makeInput, MODELS, pipelineOn, r2, REPO, runBench, SOURCE, type BenchInput, type InputVariant, type StageRun } from './bench-common.js';

const VARIANTS: InputVariant[] = ['bframes', 'no-bframes'];
const PATHS = ['decode_all', 'decode_ref', 'stride', 'decodable'] as const;
type PathName = (typeof PATHS)[number];

/** The targets, as ratios to decode_all wall time. */
const TARGETS = { detect_track: 0.8, pipeline: 1.0 };

interface Measure {
  frames_decoded: number | null;
  frames_analysed: number | null;
  wall_s: number;
  cpu_s: number;
  peak_tree_rss_mb: number | null;
}

interface PathRun {
  round: number;
  load1: number;
  /** decode_* paths: the ffmpeg run; pipeline paths: detect_track. */
  main: Measure;
  /** Pipeline paths: all stages summed (peak: the largest stage). */
  pipeline: (Measure & { completed: boolean; sampling: string | null; faces: number | null; identities: number | null }) | null;
  /** Pipeline paths: detect_track's manifest stats (the sampling stats, yunet_ms, ...). */
  detect_track_stats?: Record<string, unknown> | null;
  /** Pipeline paths: detect_track's CPU split (its process / the rest of its tree) and the wall time that CPU allows. */
  detect_track_floor?: ReturnType<typeof cpuFloorSeconds> | null;
  error: string | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function pipelineMeasure(runs: StageRun[], threads: number): Omit<PathRun, 'round' | 'load1'> {
  const dt = runs[0]!;
  const by = (stage: string) => runs.find((r) => r.stage === stage);
  const main: Measure = {
    frames_decoded: num(dt.stats?.frames_decoded),
    frames_analysed: num(dt.stats?.frames_analysed),
    wall_s: dt.wall_s,
    cpu_s: dt.cpu_s,
    peak_tree_rss_mb: dt.peak_tree_rss_mb,
  };
  const pipeline = {
    ...main,
    wall_s: r2(runs.reduce((a, r) => a + r.wall_s, 0)),
    cpu_s: r2(runs.reduce((a, r) => a + r.cpu_s, 0)),
    peak_tree_rss_mb: Math.max(...runs.map((r) => r.peak_tree_rss_mb)),
    completed: runs.length === STAGES.length && runs.every((r) => r.exit_code === 0),
    sampling: typeof dt.stats?.sampling === 'string' ? dt.stats.sampling : 'stride',
    faces: num(by('faces_embed')?.stats?.faces),
    identities: num(by('cluster')?.stats?.identities),
  };
  const own = num(dt.stats?.process_cpu_s);
  const floor = own === null ? null : cpuFloorSeconds(own, dt.cpu_s, threads);
  return { main, pipeline, detect_track_stats: dt.stats, detect_track_floor: floor, error: runs.find((r) => r.error)?.error ?? null };
}

async function runPath(input: BenchInput, variant: InputVariant, p: PathName, round: number, threads: number): Promise<PathRun> {
  const load1 = r2(os.loadavg()[0] ?? 0);
  if (p === 'decode_all' || p === 'decode_ref') {
    const d = await decodeOnly(input.file, threads, p === 'decode_ref');
    log(`${variant} ${p} round ${round}: ${d.frames} frames, ${d.wall_s}s wall, ${d.cpu_s}s CPU (load ${load1})`);
    return { round, load1, main: { frames_decoded: d.frames, frames_analysed: null, wall_s: d.wall_s, cpu_s: d.cpu_s, peak_tree_rss_mb: null }, pipeline: null, error: null };
  }
  const runs = await pipelineOn(input.dir, threads, `gop_${variant}_${p}`, p === 'decodable' ? ['--sampling', 'decodable'] : []);
  return { round, load1, ...pipelineMeasure(runs, threads) };
}

/** detect_track's floor as a Measure (wall: the least wall time its CPU allows), for the ratios. */
function floorMeasure(r: PathRun): Measure | null {
  const f = r.detect_track_floor;
  return f ? { frames_decoded: null, frames_analysed: null, wall_s: f.floor_s, cpu_s: r.main.cpu_s, peak_tree_rss_mb: null } : null;
}

/** Ratio of each run's figure to decode_all's in the same round. */
function ratios(runs: PathRun[], base: PathRun[], pick: (r: PathRun) => Measure | null) {
  const of = (key: 'wall_s' | 'cpu_s') => runs.map((r) => {
    const b = base.find((x) => x.round === r.round)?.main[key];
    const v = pick(r)?.[key];
    return b && v !== undefined ? r2(v / b) : null;
  });
  const wall = of('wall_s');
  const cpu = of('cpu_s');
  const mean = (xs: Array<number | null>) => (xs.every((x) => x !== null) && xs.length ? r2(xs.reduce((a, x) => a + x!, 0) / xs.length) : null);
  return { wall, cpu, wall_mean: mean(wall), cpu_mean: mean(cpu) };
}

function variantRatios(byPath: Record<PathName, PathRun[]>) {
  const base = byPath.decode_all;
  return {
    decode_ref: ratios(byPath.decode_ref, base, (r) => r.main),
    detect_track_stride: ratios(byPath.stride, base, (r) => r.main),
    detect_track_decodable: ratios(byPath.decodable, base, (r) => r.main),
    detect_track_decodable_floor: ratios(byPath.decodable, base, floorMeasure),
    pipeline_stride: ratios(byPath.stride, base, (r) => r.pipeline),
    pipeline_decodable: ratios(byPath.decodable, base, (r) => r.pipeline),
  };
}

type Results = Record<InputVariant, Record<PathName, PathRun[]>>;

/** Every (variant, path) once per round, the order mirrored from one round to the next. */
async function measureAll(inputs: Record<InputVariant, BenchInput>, rounds: number, threads: number): Promise<{ results: Results; order: string[] }> {
  const jobs = VARIANTS.flatMap((v) => PATHS.map((p) => ({ v, p })));
  const results = Object.fromEntries(VARIANTS.map((v) => [v, Object.fromEntries(PATHS.map((p) => [p, [] as PathRun[]]))])) as Results;
  const order: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const { v, p } of round % 2 ? jobs : [...jobs].reverse()) {
      order.push(`${v}/${p}`);
      results[v][p].push(await runPath(inputs[v], v, p, round, threads));
    }
  }
  return { results, order };
}

const cell = (xs: Array<number | null | undefined>) => xs.map((x) => (x === null || x === undefined ? '-' : String(x))).join(' / ');

/** The human table (stderr): one row per variant and path, figures per round separated by "/". */
function table(results: Results, all: Record<InputVariant, ReturnType<typeof variantRatios>>): string {
  const head = '| input | path | frames decoded | frames analysed | wall s | CPU s | wall / decode_all | CPU / decode_all | peak RSS MB |';
  const rows = [head, head.replace(/[^|]+/g, '---')];
  for (const v of VARIANTS) {
    const rs = all[v];
    const row = (name: string, runs: PathRun[], pick: (r: PathRun) => Measure | null, ratio: { wall: Array<number | null>; cpu: Array<number | null> } | null) => {
      const m = runs.map(pick);
      rows.push(`| ${v} | ${name} | ${cell(m.map((x) => x?.frames_decoded))} | ${cell(m.map((x) => x?.frames_analysed))} | ${cell(m.map((x) => x?.wall_s))} | ${cell(m.map((x) => x?.cpu_s))} | ${ratio ? cell(ratio.wall) : '1'} | ${ratio ? cell(ratio.cpu) : '1'} | ${cell(m.map((x) => x?.peak_tree_rss_mb))} |`);
    };
    const r = results[v];
    row('ffmpeg decode-only, every frame', r.decode_all, (x) => x.main, null);
    row('ffmpeg decode-only, referenced frames (-skip_frame noref)', r.decode_ref, (x) => x.main, rs.decode_ref);
    row('detect_track stride', r.stride, (x) => x.main, rs.detect_track_stride);
    row('detect_track decodable', r.decodable, (x) => x.main, rs.detect_track_decodable);
    // wall s: the floor; CPU s: the stage's process + the rest of its tree (ffmpeg, ffprobe, the process's start)
    const split = r.decodable.map((x) => x.detect_track_floor).map((f) => (f ? `${f.own_cpu_s} + ${f.rest_cpu_s}` : '-')).join(' / ');
    rows.push(`| ${v} | detect_track decodable, CPU-bound floor (CPU s: stage process + rest of tree, mostly ffmpeg) | - | - | ${cell(r.decodable.map((x) => x.detect_track_floor?.floor_s))} | ${split} | ${cell(rs.detect_track_decodable_floor.wall)} | - | - |`);
    row('pipeline stride', r.stride, (x) => x.pipeline, rs.pipeline_stride);
    row('pipeline decodable', r.decodable, (x) => x.pipeline, rs.pipeline_decodable);
  }
  return rows.join('\n');
}

async function describeInput(input: BenchInput) {
  const facts = await probeVideo(input.file);
  return { file: path.relative(REPO, input.file), width: facts.width, height: facts.height, fps: facts.fps, frames: facts.frame_count, bytes: statSync(input.file).size };
}

async function main() {
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, threads: { type: 'string' }, rounds: { type: 'string' } } });
  const minutes = Number(values.minutes ?? 2);
  const threads = Number(values.threads ?? 2);
  const rounds = Number(values.rounds ?? 2);
  if (!(minutes > 0 && threads >= 1 && Number.isInteger(rounds) && rounds >= 1)) throw new Error('--minutes, --threads and --rounds must be positive');
  for (const f of [SOURCE, path.join(MODELS, 'yunet_n_dynamic.onnx'), CLI]) {
    if (!existsSync(f)) throw new Error(`missing ${f} (build with npm run build:node; media and models live in ../shared)`);
  }
  const started = performance.now();
  const loadAtStart = os.loadavg().map(r2);
  const inputs = { bframes: await makeInput(minutes, 'bframes'), 'no-bframes': await makeInput(minutes, 'no-bframes') };
  const { results, order } = await measureAll(inputs, rounds, threads);
  const all = Object.fromEntries(VARIANTS.map((v) => [v, variantRatios(results[v])])) as Record<InputVariant, ReturnType<typeof variantRatios>>;
  process.stderr.write(`\n${table(results, all)}\n\n`);
  const variants = Object.fromEntries(await Promise.all(VARIANTS.map(async (v) => [v, { input: await describeInput(inputs[v]), ratios_to_decode_all: all[v], runs: results[v] }])));
  const result = {
    machine: machineFacts(loadAtStart),
    threads, minutes, rounds, order,
    targets: { ...TARGETS, note: 'wall time as a ratio to ffmpeg decode-only of every frame of the same file (640 wide, bgr24, same -threads)' },
    variants,
    loadavg_at_end: os.loadavg().map(r2),
    bench_wall_s: r2((performance.now() - started) / 1000),
  };
  return result;
}

runBench(main);
