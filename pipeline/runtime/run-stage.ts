// Runs pipeline stages in this process: resolves the episode, probes the video, takes the lock,
// cleans what killed runs left behind, keeps the manifest, writes the JSON-lines protocol on
// stdout (shared/progress.ts) and human logs on stderr, and maps failures to EXIT codes. How
// signals and a vanished parent become cancellation is in stop.ts.

import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Manifest, StageRecord, VideoFacts } from '../../shared/artifacts.js';
import type { StageEvent } from '../../shared/progress.js';
import { formatDuration } from '../../shared/progress.js';
import { EXIT, STAGES, type Profile, type Sampling, type StageName } from '../../shared/stages.js';
import { profileDefaults } from '../detect/profiles.js';
import { resolveEpisode } from '../episode/resolve.js';
import { STAGE_MODELS, stageModelHashes } from '../models/registry.js';
import { ensureModelsDir } from '../models/ensure.js';
import { probeVideo } from '../video/probe.js';
import { removeOwnTempFiles } from './atomic.js';
import { configHash } from './config-hash.js';
import { atExit, removeTempFilesAtExit } from './exit-cleanup.js';
import { sweepLeftovers } from './leftovers.js';
import { acquireLock, takeoverMessage, type HeldLock } from './lock.js';
import { outputHash, readManifest, setStageRecord, usableOutputs, videoKey } from './manifest.js';
import { killDescendants } from './proc-tree.js';
import { STAGE_POOL_VARS, threadEnv } from './thread-env.js';
import { createProgressReporter } from './progress.js';
import { loadStage } from './registry.js';
import { StageError, type StageConfig, type StageContext, type StageFn } from './stage.js';
import { CANCEL_GRACE_MS } from './stop.js';

export { CANCEL_GRACE_MS, installCancelHandlers, stdinIsParentPipe } from './stop.js';

export interface StageRunOptions {
  episode: string;
  profile: Profile;
  /** undefined: the profile's default for the video's frame rate. */
  stride?: number | undefined;
  /** detect_track's frame sampling; undefined: `stride`. */
  sampling?: Sampling | undefined;
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

/** The message of any error as one line, and the exit code it maps to. */
export function describeError(e: unknown): { code: number; message: string } {
  const oneLine = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').slice(0, 2000) || 'unknown error';
  if (e instanceof StageError) return { code: e.exitCode, message: oneLine(e.message) };
  const err = e as Error & { code?: string };
  if (err && err.name === 'ModelIntegrityError') return { code: EXIT.MODEL, message: oneLine(err.message) };
  if (err && (err.code === 'ENOSPC' || err.code === 'EROFS')) return { code: EXIT.OUTPUT, message: oneLine(err.message) };
  return { code: EXIT.INTERNAL, message: oneLine(err?.message ?? String(e)) };
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
  if (stage === 'detect_track') {
    base.stride = cfg.stride;
    // Absent for the default: a default run keeps the hash it had before the option existed.
    if (cfg.sampling) base.sampling = cfg.sampling;
  }
  return base;
}

/** The config a run records: the sampling only when it is not the default. Pure. */
export function stageConfig(o: Pick<StageRunOptions, 'profile' | 'threads' | 'sampling'>, stride: number, modelsDir: string): StageConfig {
  const config: StageConfig = { profile: o.profile, stride, threads: o.threads, device: 'cpu', modelsDir };
  if (o.sampling && o.sampling !== 'stride') config.sampling = o.sampling;
  return config;
}

/**
 * Runs one stage; returns the exit code. Never throws: every failure becomes an `error` event,
 * a manifest record (when the artifact folder was reached) and a code from EXIT.
 */
export async function runOneStage(stage: StageName, o: StageRunOptions, io: RunIO, outerSignal: AbortSignal, fnOverride?: StageFn): Promise<number> {
  // A lock lost to another run (lock.ts) stops this run the way a cancel does, with that reason.
  const lockLost = new AbortController();
  const signal = AbortSignal.any([outerSignal, lockLost.signal]);
  const emit = emitter(io, o.json);
  const t0 = performance.now();
  let lock: HeldLock | null = null;
  let outDir: string | null = null;
  let record: StageRecord | null = null;
  let recordClosed = false;
  /** Writes how this run ended into its manifest record, once (success writes its own record). */
  const closeRecord = (status: 'cancelled' | 'failed', message: string) => {
    // A lost lock's record belongs to the run that took it over now.
    if (!outDir || !record || !lock || recordClosed || lock.lost) return;
    recordClosed = true;
    const elapsed = (performance.now() - t0) / 1000;
    setStageRecord(outDir, stage, {
      ...record,
      status,
      finished_at: new Date().toISOString(),
      elapsed_s: Math.round(elapsed * 1000) / 1000,
      error: message,
    });
  };
  const fail = (e: unknown): number => {
    let { code, message } = describeError(e);
    if (signal.aborted && code !== EXIT.OK) {
      code = EXIT.CANCELLED;
      message = abortMessage(signal);
    }
    if (outDir) {
      removeOwnTempFiles(outDir);
      try {
        closeRecord(code === EXIT.CANCELLED ? 'cancelled' : 'failed', message);
      } catch (me) {
        io.err(`could not update the manifest: ${describeError(me).message}`);
      }
    }
    emit({ type: 'error', stage, code, message });
    io.err(code === EXIT.CANCELLED ? `${stage}: ${message}` : `${stage}: error: ${message}`);
    return code;
  };

  // Runs only if the process exits before this run ended by itself (a repeated Ctrl-C, an
  // uncaught exception): the record and the lock must not outlive the process.
  let untilExit: (() => void) | null = null;
  try {
    if (signal.aborted) throw signal.reason;
    const ep = resolveEpisode(o.episode, { out: o.out });
    outDir = ep.outDir;
    removeTempFilesAtExit(ep.outDir);
    lock = acquireLock(ep.outDir, stage, { onLost: (m) => lockLost.abort(new StageError(m, EXIT.CANCELLED)) });
    if (lock.tookOver) io.err(`${stage}: ${takeoverMessage(lock.tookOver)}`);
    const held = lock;
    untilExit = atExit(() => {
      try {
        closeRecord(signal.aborted ? 'cancelled' : 'failed', signal.aborted ? abortMessage(signal) : 'the stage process exited before the stage finished');
      } finally {
        held.release();
      }
    });
    cleanLeftovers(stage, ep.outDir, io);
    const manifest0 = readManifest(ep.outDir);
    const video = await videoFacts(ep.videoPath, manifest0, signal);

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
    const config = stageConfig(o, stride, modelsDir);
    const hash = configHash(hashedConfig(stage, config, modelHashes), inputs);
    const prev = manifest0?.stages[stage];
    if (reuseCompleted() && completedWithSameConfig(prev, hash, videoKey(video))) return reportReused(stage, prev, emit, io);
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
    io.err(`${stage}: ${path.basename(ep.videoPath)} (${formatDuration(video.duration_s)}, ${video.width}x${video.height} @ ${video.fps.toFixed(2)} fps), profile ${o.profile}, stride ${stride}${config.sampling ? `, sampling ${config.sampling}` : ''}, threads ${o.threads}`);

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
    recordClosed = true;
    emit({ type: 'summary', stage, status: 'completed', elapsed_s: Math.round(elapsed * 1000) / 1000, stats });
    io.err(`${stage}: completed in ${formatDuration(elapsed)}`);
    return EXIT.OK;
  } catch (e) {
    // Whatever a failed stage left running (a decoder it did not stop) must not outlive it, nor
    // compete with the next stage of `run`.
    killDescendants('SIGKILL');
    return fail(e);
  } finally {
    untilExit?.();
    lock?.release();
  }
}

/** Set by the queue worker: a job must not repeat a run that already completed with its settings. */
function reuseCompleted(): boolean {
  return process.env.SCREENTIME_REUSE_COMPLETED === '1';
}

/**
 * Did the last run of this stage complete with this very config hash (same settings, same earlier
 * outputs) on this video? Then its outputs are what this run would write.
 */
function completedWithSameConfig(prev: StageRecord | undefined, hash: string, vk: string): prev is StageRecord {
  return prev?.status === 'completed' && prev.config_hash === hash && outputHash(prev) === hash && (prev.video_key === undefined || prev.video_key === vk);
}

/** Reports the completed run instead of repeating it; the manifest and outputs stay untouched. */
function reportReused(stage: StageName, prev: StageRecord, emit: (e: StageEvent) => void, io: RunIO): number {
  const elapsed = prev.elapsed_s ?? 0;
  emit({ type: 'summary', stage, status: 'completed', elapsed_s: elapsed, stats: prev.stats, reused: true });
  io.err(`${stage}: already completed with these settings (config ${prev.config_hash}, pid ${prev.pid} on ${prev.host}, finished ${prev.finished_at}): outputs kept, not run again`);
  return EXIT.OK;
}

/** The cancel message the abort reason carries (stop.ts names the cause). */
function abortMessage(signal: AbortSignal): string {
  const reason = signal.reason as unknown;
  return reason instanceof StageError ? reason.message : 'cancelled';
}

/** At most a few names, then how many more. */
function someOf(names: string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/**
 * Removes what runs killed outright (SIGKILL, crash, power cut) left in the artifact folder and
 * says so. Called while holding this stage's lock; a failure here is reported, never fatal.
 */
function cleanLeftovers(stage: StageName, outDir: string, io: RunIO): void {
  try {
    const r = sweepLeftovers(outDir);
    if (r.removed.length) io.err(`${stage}: removed ${r.removed.length} temp file(s) left by runs that were killed: ${someOf(r.removed)}`);
    if (r.restored.length) io.err(`${stage}: put back ${someOf(r.restored)}: a run was killed while replacing it`);
    if (r.locks.length) io.err(`${stage}: removed stale lock(s) of runs that are gone: ${someOf(r.locks)}`);
    if (r.interrupted.length) io.err(`${stage}: recorded ${someOf(r.interrupted)} as interrupted: its process is gone`);
    if (r.tempSkipped) io.err(`${stage}: temp files left alone, ${r.tempSkipped}`);
  } catch (e) {
    io.err(`${stage}: could not clean up after earlier runs: ${describeError(e).message}`);
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
  Object.assign(env, threadEnv(threads, STAGE_POOL_VARS));
}
