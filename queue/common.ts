// Names, timings and small pure helpers shared by the queue worker, the desktop's QueueService and
// the queue benchmark. Everything here is plain data in, plain data out, so it is tested directly.

import type { JobInfo } from '../shared/ipc.js';
import path from 'node:path';
import { ARTIFACT_DIR_NAME, isProfile, isStageName, type Profile, type StageName } from '../shared/stages.js';

/** One BullMQ queue holds every stage job; the job name is the stage (or `ping`). */
export const QUEUE_NAME = 'screentime-stages';
/** Redis pub/sub channel every worker listens to: a message is the id of a job to cancel. */
export const CANCEL_CHANNEL = 'screentime:cancel';
/** Job name of the trivial health-check job a worker answers at once (benchmarks, diagnostics). */
export const PING_JOB = 'ping';

// A SIGKILLed worker's job must be running elsewhere within 30 s. The lock is renewed every
// lockDuration / 2; once it expires, the next stalled check (every stalledInterval on every live
// worker) moves the job back to waiting: worst case lockDuration + stalledInterval = 15 s.
export const LOCK_DURATION_MS = 10_000;
export const STALLED_INTERVAL_MS = 5_000;
/** A job may lose its worker twice (crash, power cut) before it is failed as stalled. */
export const MAX_STALLED_COUNT = 2;
/** Attempts for transient failures (internal error, out of memory); bad input fails at once. */
export const JOB_ATTEMPTS = 2;
export const RETRY_BACKOFF_MS = 5_000;
/**
 * A stage that must wait for the previous stage of its episode sits in `delayed`. The worker that
 * finishes the previous stage promotes it at once; this is only the safety net for when that
 * worker died between finishing and promoting (the waiting job then re-checks on its own).
 */
export const CHAIN_HOLD_MS = 30_000;
/** Finished jobs kept in Redis so a window reload or app restart still lists them. */
export const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 1000 } as const;
export const KEEP_FAILED = { age: 14 * 24 * 3600, count: 1000 } as const;
/** Redis answers within this or the queue counts as unreachable (status() must never hang). */
export const REACH_TIMEOUT_MS = 2_000;
/**
 * A job handed out again while its first run still holds the stage's lease (a Redis outage made
 * the queue lose track of it) waits for that run instead of failing "already running". The bound
 * is for a run that hangs while its heartbeat goes on: far longer than any stage takes.
 */
export const EARLIER_RUN_WAIT_MS = 4 * 3600_000;
/** How often a waiting job looks at the earlier run's lease. */
export const EARLIER_RUN_POLL_MS = 1_000;

/** What a stage job carries. `after` / `next` chain the stages of one episode submission. */
export interface StageJobData {
  v: 1;
  episodeId: string;
  /** The episode folder as the submitting machine sees it (workers may map the prefix). */
  episodeDir: string;
  /**
   * The artifact folder as the submitting machine sees it (mapped like episodeDir). Absent or
   * null: <episodeDir>/screentime. A custom folder is passed to the stage as --out, as in local mode.
   */
  outDir?: string | null;
  stage: StageName;
  profile: Profile;
  /** null: the stage's own default for the profile. */
  stride: number | null;
  /** Job id of the stage that must complete before this one runs. */
  after: string | null;
  /** Job id of the stage waiting for this one. */
  next: string | null;
  /** Set by a cancel request: a worker that takes the job fails it as cancelled at once. */
  cancelled?: boolean;
  submittedBy?: string;
  /**
   * A resubmission of a job Redis lost: that job's id. A run of the lost job that still holds the
   * stage's lease counts as this job's own run (the worker waits for it instead of failing).
   */
  replaces?: string | null;
}

/** Progress a worker reports with job.updateProgress (the stage's own progress event, renamed). */
export interface StageJobProgress {
  stage: StageName;
  fraction: number;
  framesDone: number;
  framesTotal: number;
  fps: number;
  etaS: number | null;
  worker: string;
}

/** What a completed stage job returns: the stage's summary event plus who ran it. */
export interface StageJobResult {
  stage: StageName;
  status: 'completed';
  elapsedS: number;
  stats: Record<string, number | string | boolean | null>;
  worker: string;
  episodeDir: string;
  threads: number;
  /** The stage had already completed with the same settings (config hash): it was not run again. */
  reused?: boolean;
}

/** The artifact folder of a job as the submitting machine sees it. Pure. */
export function jobOutDir(data: Pick<StageJobData, 'episodeDir' | 'outDir'>): string {
  return data.outDir ?? path.join(data.episodeDir, ARTIFACT_DIR_NAME);
}

export function isStageJobData(v: unknown): v is StageJobData {
  if (!v || typeof v !== 'object') return false;
  const d = v as Record<string, unknown>;
  return (
    typeof d.episodeId === 'string' &&
    typeof d.episodeDir === 'string' &&
    (d.outDir === undefined || d.outDir === null || (typeof d.outDir === 'string' && d.outDir.length > 0)) &&
    isStageName(d.stage) &&
    isProfile(d.profile) &&
    (d.stride === null || (typeof d.stride === 'number' && Number.isInteger(d.stride) && d.stride >= 1)) &&
    (d.after === null || typeof d.after === 'string') &&
    (d.next === null || typeof d.next === 'string')
  );
}

/**
 * BullMQ stores job and deduplication ids inside `:`-separated Redis keys, and a custom job id
 * may not contain `:`. Episode ids come from the library; keep them readable but colon-free.
 */
export function dedupIdFor(episodeId: string, stage: StageName): string {
  return `${episodeId.replace(/[:%]/g, (c) => (c === ':' ? '%3A' : '%25'))}|${stage}`;
}

/** Connection fields both ioredis and BullMQ accept. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: { servername: string };
}

/** Turns `redis://user:pass@host:port/db` or `rediss://...` (TLS) into connection options. */
export function redisOptionsFromUrl(url: string): RedisConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`Not a Redis URL: ${redactRedisUrl(url)} (expected redis://host:port or rediss://host:port)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`Not a Redis URL: ${redactRedisUrl(url)} (expected redis://host:port or rediss://host:port)`);
  }
  if (!u.hostname) throw new Error(`Redis URL has no host: ${redactRedisUrl(url)}`);
  const port = u.port ? Number(u.port) : 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Redis URL has a bad port: ${redactRedisUrl(url)}`);
  const opts: RedisConnectionOptions = { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db) {
    if (!/^\d+$/.test(db)) throw new Error(`Redis URL database must be a number: ${redactRedisUrl(url)}`);
    opts.db = Number(db);
  }
  // rediss:// = TLS with the system's CA store and host name check (ioredis / Node defaults).
  if (u.protocol === 'rediss:') opts.tls = { servername: opts.host };
  return opts;
}

/** The URL as it may appear in messages and logs: never the password. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^@/]*)@/, '//***@');
  }
}

/** Map of BullMQ's job states (plus our cancel flag and failure reason) onto JobInfo.state. */
export function jobInfoState(
  bullState: string,
  opts: { failedReason?: string | null; cancelled?: boolean; attemptsMade?: number },
): JobInfo['state'] {
  switch (bullState) {
    case 'completed':
      return 'completed';
    case 'failed':
      return isCancelReason(opts.failedReason) ? 'cancelled' : 'failed';
    case 'active':
      return 'active';
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return opts.cancelled ? 'cancelled' : 'waiting';
    case 'delayed':
      // A chained stage waiting for its predecessor is `waiting` to the user; a retry after a
      // transient failure (attemptsMade > 0) is `delayed`.
      if (opts.cancelled) return 'cancelled';
      return (opts.attemptsMade ?? 0) > 0 ? 'delayed' : 'waiting';
    default:
      return 'unknown';
  }
}

/** Failure reasons that mean "cancelled" start with this word (the worker writes them). */
export function isCancelReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && /^cancelled\b/i.test(reason);
}

/** JobInfo.progress: the stage's fraction 0..1 from whatever updateProgress stored, or null. */
export function progressFraction(progress: unknown): number | null {
  if (typeof progress === 'number' && Number.isFinite(progress)) return clamp01(progress > 1 ? progress / 100 : progress);
  if (progress && typeof progress === 'object' && typeof (progress as { fraction?: unknown }).fraction === 'number') {
    const f = (progress as { fraction: number }).fraction;
    return Number.isFinite(f) ? clamp01(f) : null;
  }
  return null;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** p-th percentile (0..100) of a list of numbers, nearest-rank; NaN for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

/** What Redis says about keeping its data across a restart (CONFIG GET appendonly / save). */
export type RedisPersistence = { appendonly: string; save: string } | { unknown: string };

/** A warning when a Redis restart would lose queued and running jobs, else null. */
export function persistenceWarning(p: RedisPersistence, where: string): string | null {
  if ('unknown' in p) return `could not check whether Redis at ${where} keeps the queue across a restart (${p.unknown}); make sure it runs with appendonly yes`;
  if (p.appendonly === 'yes') return null;
  if (p.save.trim()) return `Redis at ${where} saves the queue only in snapshots (save ${p.save.trim()}, appendonly no): a restart loses the jobs added or changed since the last snapshot; turn on appendonly yes`;
  return `Redis at ${where} keeps the queue in memory only (appendonly no, no save points): a restart loses every queued and running job; turn on appendonly yes`;
}

/**
 * BullMQ's errors that mean "this worker's claim on the job is gone": its lock could not be
 * renewed, or the job's lock or the job itself is missing when the worker records the outcome.
 * They follow a Redis outage longer than the lock, or a restart that lost the data.
 */
export function lostClaim(message: string): { jobId: string; when: 'renewing' | 'finishing' } | null {
  const renew = /^could not renew lock for job (\S+)$/.exec(message);
  if (renew) return { jobId: renew[1]!, when: 'renewing' };
  const finish = /^(?:Missing lock for job|Missing key for job|Lock mismatch for job) ([^.\s]+)/.exec(message);
  return finish ? { jobId: finish[1]!, when: 'finishing' } : null;
}
