// `<outDir>/manifest.json`: the video facts and one record per stage (status, config, the hashes
// of the earlier outputs it used, timing, stats, error). Written atomically under a short mutex,
// because different stages of one episode may finish at the same moment in different processes.

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACT_FILES, MANIFEST_SCHEMA_VERSION, type Manifest, type StageRecord, type VideoFacts } from '../../shared/artifacts.js';
import type { StageState } from '../../shared/ipc.js';
import { STAGES, type StageName } from '../../shared/stages.js';
import { writeJsonAtomic } from './atomic.js';
import { pidAlive } from './lock.js';

export function manifestPath(outDir: string): string {
  return path.join(outDir, ARTIFACT_FILES.manifest);
}

/** The manifest, or null when absent or unreadable (a broken manifest means "nothing known"). */
export function readManifest(outDir: string): Manifest | null {
  let v: Manifest;
  try {
    v = JSON.parse(readFileSync(manifestPath(outDir), 'utf8')) as Manifest;
  } catch {
    return null; // absent or broken
  }
  // Damaged video facts: nothing recorded can be trusted to match the video (probe again).
  if (!v || typeof v !== 'object' || !usableVideo(v.video) || !v.stages || typeof v.stages !== 'object') return null;
  // A damaged stage record is as good as none: that stage counts as not run, the rest stay.
  const stages: Manifest['stages'] = {};
  for (const stage of STAGES) if (usableRecord(v.stages[stage])) stages[stage] = v.stages[stage];
  return { ...v, stages };
}

const STATUSES: ReadonlySet<string> = new Set(['running', 'completed', 'failed', 'cancelled', 'interrupted']);
const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

function usableVideo(v: unknown): v is VideoFacts {
  const o = v as Partial<VideoFacts> | null;
  return !!o && typeof o === 'object' && typeof o.file === 'string' && [o.width, o.height, o.fps, o.frame_count, o.duration_s].every(finite);
}

function usableRecord(r: unknown): r is StageRecord {
  const o = r as Partial<StageRecord> | null;
  return !!o && typeof o === 'object' && typeof o.status === 'string' && STATUSES.has(o.status) && typeof o.config_hash === 'string';
}

/** Identity of a video for staleness: name, size and frame count (not the mtime: copies change it). */
export function videoKey(v: VideoFacts): string {
  return `${path.basename(v.file)}|${v.size_bytes ?? '?'}|${v.frame_count}|${v.width}x${v.height}`;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs fn while holding `<outDir>/locks/manifest.lock` (O_EXCL). A mutex older than 10 s is stale. */
function withManifestMutex<T>(outDir: string, fn: () => T): T {
  const file = path.join(outDir, ARTIFACT_FILES.locks, 'manifest.lock');
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(file).mtimeMs > 10_000) rmSync(file, { force: true });
      } catch { /* removed meanwhile */ }
      if (Date.now() > deadline) { rmSync(file, { force: true }); continue; }
      sleepSync(20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(file, { force: true });
  }
}

export function emptyManifest(video: VideoFacts): Manifest {
  return { schema_version: MANIFEST_SCHEMA_VERSION, video, stages: {} };
}

/** Read-modify-write of the manifest under the mutex; `mutate` may edit in place or return a new one. */
export function updateManifest(outDir: string, mutate: (m: Manifest | null) => Manifest): Manifest {
  return withManifestMutex(outDir, () => {
    const next = mutate(readManifest(outDir));
    writeJsonAtomic(manifestPath(outDir), next);
    return next;
  });
}

export function setStageRecord(outDir: string, stage: StageName, record: StageRecord, video?: VideoFacts): Manifest {
  return updateManifest(outDir, (m) => {
    const base = m ?? (video ? emptyManifest(video) : null);
    if (!base) throw new Error('manifest has no video facts yet');
    if (video) base.video = video;
    base.stages[stage] = record;
    return base;
  });
}

/** Hash of the outputs of a stage that are on disk now (the last completed run), or null. */
export function outputHash(rec: StageRecord | undefined): string | null {
  if (!rec) return null;
  if (rec.completed_hash !== undefined) return rec.completed_hash;
  return rec.status === 'completed' ? rec.config_hash : null;
}

export type AliveFn = (pid: number, host: string | null) => boolean;

const localAlive: AliveFn = (pid, host) => (host !== null && host !== os.hostname() ? true : pidAlive(pid));

/**
 * State of every stage, for the host and the window:
 * - running whose process is gone (same host) -> interrupted (as the next stage to start there
 *   records it, leftovers.ts);
 * - completed, but an earlier stage's outputs are not the ones it used (their hash changed, they
 *   are gone, or they are themselves stale), or the video changed -> stale.
 */
export function stageStates(manifest: Manifest | null, alive: AliveFn = localAlive): Record<StageName, StageState> {
  return analyse(manifest, alive).states;
}

/**
 * Per stage: are the outputs on disk usable as input of a later stage (present, computed from the
 * current earlier outputs and the current video)? True even while a re-run is running or after it
 * failed, since outputs are replaced only on success.
 */
export function usableOutputs(manifest: Manifest | null): Record<StageName, boolean> {
  return Object.fromEntries(analyse(manifest, () => true).fresh) as Record<StageName, boolean>;
}

function analyse(manifest: Manifest | null, alive: AliveFn): { states: Record<StageName, StageState>; fresh: Map<StageName, boolean> } {
  const out = {} as Record<StageName, StageState>;
  const fresh = new Map<StageName, boolean>();
  const vk = manifest?.video ? videoKey(manifest.video) : null;
  for (const stage of STAGES) {
    const rec = manifest?.stages[stage];
    if (!rec) {
      out[stage] = 'not_run';
      fresh.set(stage, false);
      continue;
    }
    // Are the outputs on disk computed from the current earlier outputs and the current video?
    let consistent = outputHash(rec) !== null && (rec.video_key === undefined || vk === null || rec.video_key === vk);
    for (const earlier of STAGES.slice(0, STAGES.indexOf(stage))) {
      const used = rec.inputs[earlier];
      if (used === undefined) continue;
      if (!fresh.get(earlier) || outputHash(manifest?.stages[earlier]) !== used) consistent = false;
    }
    fresh.set(stage, consistent);
    switch (rec.status) {
      case 'running':
        out[stage] = rec.pid !== null && !alive(rec.pid, rec.host) ? 'interrupted' : 'running';
        break;
      case 'failed':
      case 'cancelled':
      case 'interrupted':
        out[stage] = rec.status;
        break;
      case 'completed':
        out[stage] = consistent ? 'completed' : 'stale';
        break;
      default:
        out[stage] = 'not_run';
    }
  }
  return { states: out, fresh };
}
