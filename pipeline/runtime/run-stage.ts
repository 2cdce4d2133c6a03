// Runs pipeline stages in this process: resolves the episode, probes the video, takes the lock,
// keeps the manifest, turns signals and a closed stdin into cancellation, writes the JSON-lines
// protocol on stdout (shared/progress.ts) and human logs on stderr, and maps failures to EXIT codes.

import { fstatSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Manifest, StageRecord, VideoFacts } from '../../shared/artifacts.js';
import type { StageEvent } from '../../shared/progress.js';
import { formatDuration } from '../../shared/progress.js';
import { EXIT, STAGES, type Profile, type StageName } from '../../shared/stages.js';
import { profileDefaults } from '../detect/profiles.js';
import { resolveEpisode } from '../episode/resolve.js';
import { STAGE_MODELS, stageModelHashes } from '../models/registry.js';
import { ensureModelsDir } from '../models/ensure.js';
import { probeVideo } from '../video/probe.js';
import { removeOwnTempFiles } from './atomic.js';
import { configHash } from './config-hash.js';
import { acquireLock, type HeldLock } from './lock.js';
import { outputHash, readManifest, setStageRecord, usableOutputs, videoKey } from './manifest.js';
import { killDescendants } from './proc-tree.js';
import { createProgressReporter } from './progress.js';
import { loadStage } from './registry.js';
import { StageError, type StageConfig, type StageContext, type StageFn } from './stage.js';

export interface StageRunOptions {
  episode: string;
  profile: Profile;
  /** undefined: the profile's default for the video's frame rate. */
  stride?: number | undefined;
  threads: number;
  out?: string | undefined;
  models?: string | undefined;
  /** JSON lines on stdout (else a human progress line on stderr). */
  json: boolean;
}

export interface RunIO {
  /** One line on stdout (protocol events). */
  out(line: string): void;
  /** One line on stderr (human logs). */
  err(line: string): void;
}

export const processIO: RunIO = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** How long a stage gets to stop after cancellation before the runtime kills its children and exits. */
export const CANCEL_GRACE_MS = 1500;

/** The message of any error as one line, and the exit code it maps to. */
export function describeError(e: unknown): { code: number; message: string } {
  const oneLine = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').slice(0, 2000) || 'unknown error';
  if (e instanceof StageError) return { code: e.exitCode, message: oneLine(e.message) };
  const err = e as Error & { code?: string };
  if (err && err.name === 'ModelIntegrityError') return { code: EXIT.MODEL, message: oneLine(err.message) };
  if (err && (err.code === 'ENOSPC' || err.code === 'EROFS')) return { code: EXIT.OUTPUT, message: oneLine(err.message) };
  return { code: EXIT.INTERNAL, message: oneLine(err?.message ?? String(e)) };
}

/** Whether stdin is a pipe or socket from a parent: its closing means the parent is gone. */
export function stdinIsParentPipe(): boolean {
  if (process.stdin.isTTY) return false;
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/**
 * Aborts `controller` on SIGTERM, SIGINT, SIGHUP and (when stdin is a parent's pipe) stdin
 * closing. A second signal exits at once. Returns a function that removes the handlers.
 */
export function installCancelHandlers(controller: AbortController, io: RunIO, watchStdin = stdinIsParentPipe()): () => void {
  let count = 0;
  const onSignal = (why: string) => {
    count++;
    if (count > 1) {
      killDescendants('SIGKILL');
      process.exit(EXIT.CANCELLED);
    }
    if (!controller.signal.aborted) {
      io.err(`cancelling (${why})`);
      controller.abort(new StageError(`cancelled (${why})`, EXIT.CANCELLED));
    }
  };
  const sigterm = () => onSignal('SIGTERM');
  const sigint = () => onSignal('SIGINT');
  const sighup = () => onSignal('SIGHUP');
  process.on('SIGTERM', sigterm);
  process.on('SIGINT', sigint);
  process.on('SIGHUP', sighup);
  // 'end', 'close' and 'error' may all fire for one closing: count it once, as one signal.
  let stdinGone = false;
  const onStdinEnd = () => {
    if (stdinGone) return;
    stdinGone = true;
    onSignal('stdin closed: the parent process is gone');
  };
  // A reader that went away (EPIPE on stdout) is a parent that died: cancel instead of crashing
  // on an unhandled stream error.
  let stdoutGone = false;
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (stdoutGone) return;
    stdoutGone = true;
    onSignal(`stdout closed (${e.code ?? 'error'})`);
  };
  process.stdout.on('error', onStdoutError);
  if (watchStdin) {
    process.stdin.on('end', onStdinEnd);
    process.stdin.on('close', onStdinEnd);
    process.stdin.on('error', onStdinEnd);
    // Read and drop whatever arrives: only the end matters.
    process.stdin.on('data', () => {});
    process.stdin.resume();
  }
  return () => {
    process.stdout.off('error', onStdoutError);
    // Late writes to a closed stdout must not crash the exit path.
    process.stdout.on('error', () => {});
    process.off('SIGTERM', sigterm);
    process.off('SIGINT', sigint);
    process.off('SIGHUP', sighup);
    if (watchStdin) {
      process.stdin.off('end', onStdinEnd);
      process.stdin.off('close', onStdinEnd);
      process.stdin.pause();
      // Let the process exit: an open stdin handle would keep the event loop alive.
      process.stdin.unref?.();
    }
  };
}

function emitter(io: RunIO, json: boolean) {
  return (e: StageEvent) => {
    if (json) io.out(JSON.stringify(e));
  };
}

/** Reuses the manifest's video facts while the file's size and mtime are unchanged. */
async function videoFacts(videoPath: string, manifest: Manifest | null, signal: AbortSignal): Promise<VideoFacts> {
  const cached = manifest?.video;
  if (cached && path.resolve(cached.file) === path.resolve(videoPath) && cached.size_bytes !== undefined) {
    try {
      const st = statSync(videoPath);
      if (st.size === cached.size_bytes && Math.round(st.mtimeMs) === cached.mtime_ms) return cached;
    } catch {
      /* probe reports it */
    }
  }
  return probeVideo(videoPath, { signal });
}

/** The part of the config that changes a stage's outputs (threads and folders do not). */
export function hashedConfig(stage: StageName, cfg: StageConfig, modelHashes: Record<string, string>): Record<string, unknown> {
  const base: Record<string, unknown> = { stage, profile: cfg.profile, device: cfg.device, models: modelHashes };
  if (stage === 'detect_track') base.stride = cfg.stride;
  return base;
}

/**
 * Runs one stage; returns the exit code. Never throws: every failure becomes an `error` event,
 * a manifest record (when the artifact folder was reached) and a code from EXIT.
 */
export async function runOneStage(stage: StageName, o: StageRunOptions, io: RunIO, signal: AbortSignal, fnOverride?: StageFn): Promise<number> {
  const emit = emitter(io, o.json);
  const t0 = performance.now();
  let lock: HeldLock | null = null;
  let outDir: string | null = null;
  let record: StageRecord | null = null;
  let video: VideoFacts | null = null;
  const fail = (e: unknown): number => {
    let { code, message } = describeError(e);
    if (signal.aborted && code !== EXIT.OK) {
      const reason = signal.reason as unknown;
      code = EXIT.CANCELLED;
      message = reason instanceof StageError ? reason.message : 'cancelled';
    }
    if (outDir) {
      removeOwnTempFiles(outDir);
      if (record && lock) {
        const elapsed = (performance.now() - t0) / 1000;
        try {
          setStageRecord(outDir, stage, {
            ...record,
            status: code === EXIT.CANCELLED ? 'cancelled' : 'failed',
            finished_at: new Date().toISOString(),
            elapsed_s: Math.round(elapsed * 1000) / 1000,
            error: message,
          });
        } catch (me) {
          io.err(`could not update the manifest: ${describeError(me).message}`);
        }
      }
    }
    emit({ type: 'error', stage, code, message });
    io.err(code === EXIT.CANCELLED ? `${stage}: ${message}` : `${stage}: error: ${message}`);
    return code;
  };

  try {
    if (signal.aborted) throw signal.reason;
    const ep = resolveEpisode(o.episode, { out: o.out });
    outDir = ep.outDir;
    lock = acquireLock(ep.outDir, stage);
    const manifest0 = readManifest(ep.outDir);
    video = await videoFacts(ep.videoPath, manifest0, signal);

    // Earlier stages must have usable outputs: a later stage on missing or stale inputs would
    // produce results that silently disagree with the rest.
    const usable = usableOutputs(manifest0 && videoKey(manifest0.video) === videoKey(video) ? manifest0 : null);
    const inputs: Partial<Record<StageName, string>> = {};
    for (const earlier of STAGES.slice(0, STAGES.indexOf(stage))) {
      const h = outputHash(manifest0?.stages[earlier]);
      if (h === null || !usable[earlier]) {
        const why = h === null ? 'has not completed' : 'is out of date';
        throw new StageError(`${earlier} ${why} for this episode; run it first (screentime stage ${earlier} ...) or use screentime run`, EXIT.BAD_INPUT);
      }
      inputs[earlier] = h;
    }

    const required = STAGE_MODELS[stage];
    const modelsDir = await ensureModelsDir(required, { modelsDir: o.models, signal, log: (m) => io.err(`${stage}: ${m}`) });
    const modelHashes = stageModelHashes(stage);
    const stride = o.stride ?? profileDefaults(o.profile, video.fps).stride;
    const config: StageConfig = { profile: o.profile, stride, threads: o.threads, device: 'cpu', modelsDir };
    const hash = configHash(hashedConfig(stage, config, modelHashes), inputs);
    const prev = manifest0?.stages[stage];
    const running: StageRecord = {
      status: 'running',
      config: { ...config },
      config_hash: hash,
      inputs,
      started_at: new Date().toISOString(),
      finished_at: null,
      elapsed_s: null,
      pid: process.pid,
      host: os.hostname(),
      stats: {},
      error: null,
      // The previous outputs stay on disk until this run succeeds.
      completed_hash: prev ? outputHash(prev) : null,
      video_key: videoKey(video),
    };
    // Load the code before marking the stage running: a build without it changes nothing on disk.
    const fn = fnOverride ?? (await loadStage(stage));
    const manifest = setStageRecord(ep.outDir, stage, running, video);
    record = running;

    emit({ type: 'start', stage, episode: ep.episodeDir, video: ep.videoPath, profile: o.profile, stride, threads: o.threads, device: 'cpu', pid: process.pid });
    io.err(`${stage}: ${path.basename(ep.videoPath)} (${formatDuration(video.duration_s)}, ${video.width}x${video.height} @ ${video.fps.toFixed(2)} fps), profile ${o.profile}, stride ${stride}, threads ${o.threads}`);

    let lastHuman = 0;
    const reporter = createProgressReporter(stage, (e) => {
      emit(e);
      const now = performance.now();
      if (!o.json && (now - lastHuman > 1000 || e.fraction >= 1)) {
        lastHuman = now;
        io.err(`${stage} ${(e.fraction * 100).toFixed(0)}% ${e.frames_done}/${e.frames_total} ${e.fps.toFixed(1)}/s eta ${e.eta_s === null ? '?' : formatDuration(e.eta_s)}`);
      }
    });
    const ctx: StageContext = {
      stage,
      episodeDir: ep.episodeDir,
      videoPath: ep.videoPath,
      outDir: ep.outDir,
      video,
      config,
      manifest,
      signal,
      progress: (done, total) => {
        if (!signal.aborted) reporter.report(done, total);
      },
      log: (m) => io.err(m.startsWith(`${stage}:`) ? m : `${stage}: ${m}`),
    };

    const stats = await settleWithin(fn(ctx), signal, CANCEL_GRACE_MS);
    reporter.flush();
    const elapsed = (performance.now() - t0) / 1000;
    setStageRecord(ep.outDir, stage, {
      ...running,
      status: 'completed',
      finished_at: new Date().toISOString(),
      elapsed_s: Math.round(elapsed * 1000) / 1000,
      stats,
      error: null,
      completed_hash: hash,
    });
    emit({ type: 'summary', stage, status: 'completed', elapsed_s: Math.round(elapsed * 1000) / 1000, stats });
    io.err(`${stage}: completed in ${formatDuration(elapsed)}`);
    return EXIT.OK;
  } catch (e) {
    // Whatever a failed stage left running (a decoder it did not stop) must not outlive it, nor
    // compete with the next stage of `run`.
    killDescendants('SIGKILL');
    return fail(e);
  } finally {
    lock?.release();
  }
}

/**
 * Waits for the stage; once the signal aborts, gives it `graceMs` to stop by itself, then kills
 * whatever it left running below this process and rejects with the abort reason.
 */
async function settleWithin<T>(p: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => {
        killDescendants('SIGKILL');
        reject(signal.reason ?? new StageError('cancelled', EXIT.CANCELLED));
      }, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // The stage promise may still reject later (after a kill): do not let it crash the process.
    p.catch(() => {});
  }
}

/** Runs stages in order, stopping at the first failure; returns the exit code. */
export async function runStages(stages: readonly StageName[], o: StageRunOptions, io: RunIO, signal: AbortSignal): Promise<number> {
  for (const s of stages) {
    const code = await runOneStage(s, o, io, signal);
    if (code !== EXIT.OK) return code;
  }
  return EXIT.OK;
}

/** Sets the thread caps that native libraries and child processes read from the environment. */
export function applyThreadEnv(threads: number, env: NodeJS.ProcessEnv = process.env): void {
  const n = String(Math.max(1, Math.floor(threads)));
  // libuv's pool runs async native work (ONNX Runtime's run(), zlib, crypto): cap it too.
  env.UV_THREADPOOL_SIZE = n;
  env.OMP_NUM_THREADS = n;
  env.OPENBLAS_NUM_THREADS = n;
  env.MKL_NUM_THREADS = n;
}
