// What the speed benchmarks share (`npm run bench`, bench/run.ts; `npm run bench:gop`,
// bench/gop-bench.ts): where things live, the 1080p inputs made from the ground-truth episode
// (cached in bench/.work/, gitignored), one CLI stage or the whole pipeline run as separate
// processes with wall time, CPU time and peak memory, and the ffmpeg decode-only baseline.
//
// CPU seconds are this process's reaped children (cutime + cstime of /proc/self/stat), read before
// and after each run: a stage process reaps its own ffmpeg and worker processes, so the figure
// covers the whole tree. The runs are sequential, so nothing else is counted.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createLineSplitter, parseStageLine, type StageSummaryEvent } from '../shared/progress.js';
import { STAGES, type StageName } from '../shared/stages.js';
import { ffmpegPath } from '../pipeline/video/ffmpeg-path.js';
import { syncOptionOf } from '../pipeline/video/decode.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WORK = path.join(REPO, 'bench', '.work');
export const CLI = path.join(REPO, 'dist', 'pipeline', 'cli', 'main.js');
const SHARED = process.env.SCREENTIME_SHARED_DIR ?? path.resolve(REPO, '..', 'shared');
export const SOURCE = path.join(process.env.SCREENTIME_MEDIA_DIR ?? path.join(SHARED, 'media'), 'episode_gt.mp4');
export const MODELS = process.env.SCREENTIME_MODELS_DIR ?? path.join(SHARED, 'models');

export const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
export const r2 = (v: number) => Math.round(v * 100) / 100;

/** The machine a bench ran on, for its JSON (`loadAtStart`: os.loadavg() when the bench began). */
export function machineFacts(loadAtStart: number[]) {
  return { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? null, total_mem_gb: r2(os.totalmem() / 2 ** 30), node: process.version, loadavg_at_start: loadAtStart };
}

/** Prints a bench's JSON result on stdout; a failure goes to stderr with exit code 1. */
export function runBench(main: () => Promise<unknown>): void {
  main().then((result) => {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }).catch((e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}

const FFMPEG_QUIET = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'];

export async function ff(args: string[]): Promise<void> {
  await execa(ffmpegPath(), [...FFMPEG_QUIET, ...args], { stdin: 'ignore' });
}

/** CPU seconds (user + system) of this process's reaped children so far; Linux. */
export function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

/**
 * The least wall time of a stage made of two sides that each run on one thread at a time (the
 * stage's own process: inference and tracking; the rest of its tree: ffmpeg decoding), if they
 * overlapped perfectly on `cores` cores: the busier side, or the total spread over the cores.
 * `ownCpuS`: the process's CPU (its stats); `treeCpuS`: the whole tree's (so the rest is ffmpeg,
 * ffprobe and the process's start). An estimate: it is how close a stage is to what its CPU
 * allows, not a promise.
 */
export function cpuFloorSeconds(ownCpuS: number, treeCpuS: number, cores: number): { own_cpu_s: number; rest_cpu_s: number; floor_s: number } {
  const own = Math.min(Math.max(0, ownCpuS), treeCpuS);
  const rest = treeCpuS - own;
  return { own_cpu_s: r2(own), rest_cpu_s: r2(rest), floor_s: r2(Math.max(own, rest, treeCpuS / Math.max(1, cores))) };
}

/** The 1080p encodes: `bframes` is x264's default GOP (B-frames), `no-bframes` the same with `-bf 0`. */
export type InputVariant = 'bframes' | 'no-bframes';

const VARIANT_TAG: Record<InputVariant, string> = { bframes: '', 'no-bframes': '_bf0' };
const VARIANT_X264: Record<InputVariant, string[]> = { bframes: [], 'no-bframes': ['-bf', '0'] };

export interface BenchInput {
  /** The episode folder handed to the CLI. */
  dir: string;
  file: string;
}

/** 1080p H.264 copy of the source (x264 veryfast, crf 20), then looped (stream copy) to `minutes`. Cached by name. */
export async function makeInput(minutes: number, variant: InputVariant = 'bframes'): Promise<BenchInput> {
  mkdirSync(WORK, { recursive: true });
  const tag = VARIANT_TAG[variant];
  const base = path.join(WORK, `gt_1080p${tag}.mp4`);
  if (!existsSync(base)) {
    log(`re-encoding episode_gt.mp4 to 1080p H.264${tag ? ` (${VARIANT_X264[variant].join(' ')})` : ''} (once)`);
    const tmp = `${base}.tmp.mp4`;
    await ff(['-i', SOURCE, '-vf', 'scale=1920:1080:flags=bicubic', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', ...VARIANT_X264[variant], '-pix_fmt', 'yuv420p', '-an', '-threads', '2', tmp]);
    renameSync(tmp, base);
  }
  const name = `episode${tag}_${minutes}min`;
  const dir = path.join(WORK, name);
  const file = path.join(dir, `${name}.mp4`);
  if (!existsSync(file)) {
    log(`looping ${path.basename(base)} to ${minutes} min`);
    mkdirSync(dir, { recursive: true });
    const tmp = path.join(WORK, `loop${tag}_${minutes}.tmp.mp4`);
    await ff(['-stream_loop', '-1', '-i', base, '-t', String(minutes * 60), '-c', 'copy', '-an', tmp]);
    renameSync(tmp, file);
  }
  return { dir, file };
}

/** Sum of VmRSS over a process tree, from /proc (bytes). */
function treeRss(root: number): number {
  const kids = new Map<number, number[]>();
  for (const n of readdirSafe('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const st = readFileSync(`/proc/${n}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      (kids.get(ppid) ?? kids.set(ppid, []).get(ppid)!).push(Number(n));
    } catch { /* gone */ }
  }
  let total = 0;
  const q = [root];
  while (q.length) {
    const p = q.shift()!;
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch { /* gone */ }
    q.push(...(kids.get(p) ?? []));
  }
  return total;
}

function readdirSafe(d: string): string[] {
  try { return readdirSync(d); } catch { return []; }
}

function vmHwm(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface StageRun {
  stage: StageName;
  exit_code: number | null;
  wall_s: number;
  /** CPU seconds of the stage's process tree (user + system). */
  cpu_s: number;
  peak_tree_rss_mb: number;
  peak_main_hwm_mb: number | null;
  stats: Record<string, unknown> | null;
  error: string | null;
}

/** One `screentime stage` process; `extra` is added to its options (e.g. `--sampling decodable`). */
export async function runStage(stage: StageName, episodeDir: string, outDir: string, threads: number, extra: string[] = []): Promise<StageRun> {
  const c0 = childCpuSeconds();
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'stage', stage, episodeDir, '--json', '--threads', String(threads), '--out', outDir, '--models', MODELS, ...extra], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let summary: StageSummaryEvent | null = null;
  let error: string | null = null;
  let peakTree = 0;
  let peakHwm: number | null = null;
  const sample = () => {
    if (!child.pid) return;
    peakTree = Math.max(peakTree, treeRss(child.pid));
    const h = vmHwm(child.pid);
    if (h !== null) peakHwm = Math.max(peakHwm ?? 0, h);
  };
  const timer = setInterval(sample, 200);
  const split = createLineSplitter((line) => {
    const e = parseStageLine(line);
    if (e?.type === 'summary') summary = e;
    if (e?.type === 'error') error = e.message;
  });
  child.stdout.setEncoding('utf8').on('data', (c: string) => split.push(c));
  let lastErr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { lastErr = (lastErr + c).slice(-2000); });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearInterval(timer);
  split.end();
  const wall = (performance.now() - t0) / 1000;
  const cpu = childCpuSeconds() - c0;
  const s = summary as StageSummaryEvent | null;
  if (code !== 0 && !error) error = lastErr.trim().split('\n').at(-1) ?? `exit ${code}`;
  return {
    stage,
    exit_code: code,
    wall_s: r2(wall),
    cpu_s: r2(cpu),
    peak_tree_rss_mb: r2(peakTree / 2 ** 20),
    peak_main_hwm_mb: peakHwm === null ? null : r2(peakHwm / 2 ** 20),
    stats: s ? s.stats : null,
    error,
  };
}

/** Every stage in order, each a separate process, into a fresh `bench/.work/out_<label>`; stops at a failure. */
export async function pipelineOn(episodeDir: string, threads: number, label: string, extra: string[] = []): Promise<StageRun[]> {
  const outDir = path.join(WORK, `out_${label}`);
  rmSync(outDir, { recursive: true, force: true });
  const runs: StageRun[] = [];
  for (const stage of STAGES) {
    log(`${label}: ${stage}`);
    const r = await runStage(stage, episodeDir, outDir, threads, extra);
    runs.push(r);
    log(`${label}: ${stage} exit ${r.exit_code} in ${r.wall_s}s (CPU ${r.cpu_s}s), peak tree RSS ${r.peak_tree_rss_mb} MB${r.error ? `, error: ${r.error}` : ''}`);
    if (r.exit_code !== 0) break;
  }
  return runs;
}

export interface DecodeRun {
  /** Frames out of the decoder (ffmpeg's `frame=` at the end). */
  frames: number;
  wall_s: number;
  cpu_s: number;
  fps: number;
}

/**
 * ffmpeg decode-only: every frame (or, with `skipUnreferenced`, only the frames other frames
 * reference: `-skip_frame noref`, what decodable sampling decodes)
 * scaled to 640 wide bgr24 as the analysis chain does, `-threads` at the stage's cap, output
 * discarded. Frames pass through (`-fps_mode`/`-vsync passthrough`, as the stage's decoder):
 * rawvideo output is otherwise constant-rate, and ffmpeg would fill the gaps of skipped
 * B-frames with duplicates and count them.
 */
export async function decodeOnly(file: string, threads: number, skipUnreferenced = false): Promise<DecodeRun> {
  const sync = await syncOptionOf(ffmpegPath());
  const c0 = childCpuSeconds();
  const t0 = performance.now();
  const { stdout } = await execa(ffmpegPath(), [
    ...FFMPEG_QUIET, '-nostats', '-progress', 'pipe:1',
    '-threads', String(threads), ...(skipUnreferenced ? ['-skip_frame', 'noref'] : []), '-i', file,
    '-an', '-sn', '-dn', '-vf', 'scale=640:-2:flags=bilinear,format=bgr24', sync, 'passthrough', '-f', 'rawvideo', '/dev/null',
  ], { stdin: 'ignore' });
  const wall = (performance.now() - t0) / 1000;
  const cpu = childCpuSeconds() - c0;
  const frames = Number([...stdout.matchAll(/^frame=(\d+)$/gm)].at(-1)?.[1] ?? NaN);
  return { frames, wall_s: r2(wall), cpu_s: r2(cpu), fps: r2(frames / wall) };
}
