// One run at a time per (episode, stage): `<outDir>/locks/<stage>.lock`, created with O_EXCL.
// The desktop host calls readActiveLock() before spawning, and the stage process takes the lock
// itself, so two windows, a CLI and a queue worker cannot run the same stage on one episode.
//
// The lock is a LEASE. Its owner (host, pid, queue job) rewrites `renewed_at` every
// LEASE_RENEW_MS from a thread of its own, so a long synchronous computation on the stage's main
// thread cannot starve it. On the owner's host a lock lives as long as its process (pid and
// start time). Another host cannot see that process: for it the lock lives while its lease is
// renewed, and once `lease_ms` passed without a renewal (the owner's machine died, lost power or
// its process was SIGKILLed) the next stage to start takes it over. Host clocks must agree to
// within a few seconds (NTP): that is what `renewed_at` is compared with. Should a live owner ever
// find its lock taken over or removed, it is told (`onLost`) and stops instead of writing on.

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ARTIFACT_FILES } from '../../shared/artifacts.js';
import { EXIT, type StageName } from '../../shared/stages.js';
import { StageError } from './stage.js';
import { isDeadState, readProcState, readStartTime } from './proc.js';

export interface LockInfo {
  pid: number;
  host: string;
  started_at: string;
  stage: string;
  /** Linux: process start time (clock ticks since boot) to tell a reused pid from ours. */
  proc_start?: number | null;
  /** The queue job this run belongs to (null: a local or CLI run). */
  job_id?: string | null;
  /** Last heartbeat of the owner (ISO time); absent in locks written before leases existed. */
  renewed_at?: string;
  /** The lease ends this long after `renewed_at` unless renewed again. */
  lease_ms?: number;
}

/** How often a held lock's heartbeat is written. */
export const LEASE_RENEW_MS = 2_000;
/**
 * How long a lease outlives its last heartbeat: seven missed renewals, so a slow network share or
 * a loaded machine never loses a live lease, yet a dead host's stage is taken over soon after the
 * queue hands its job to another worker (10-15 s, docs/queue.md).
 */
export const LEASE_MS = 15_000;

export function lockPath(outDir: string, stage: string): string {
  return path.join(outDir, ARTIFACT_FILES.locks, `${stage}.lock`);
}

/** Is the pid a live process on this machine (zombies count as gone)? */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // No /proc (macOS, Windows): null, and kill(0) said it is alive.
  return !isDeadState(readProcState(pid));
}

/**
 * Has the lease run out (no heartbeat for `lease_ms`)? A lock without a lease (written by an older
 * version) or with a heartbeat from the future (the owner's clock is ahead) never counts as run
 * out: taking over a live lock is the one mistake a lock must not make.
 */
export function leaseExpired(info: LockInfo, now = Date.now()): boolean {
  if (typeof info.renewed_at !== 'string' || typeof info.lease_ms !== 'number' || !(info.lease_ms > 0)) return false;
  const renewed = Date.parse(info.renewed_at);
  return Number.isFinite(renewed) && now - renewed > info.lease_ms;
}

/**
 * Does the lock's owner still run? On its own host the process decides: a pid that is gone, a
 * zombie, or alive but started at a different time than recorded (reused by another process)
 * means stale. A lock from another machine (a shared network folder) lives while its lease does.
 */
export function lockOwnerAlive(info: LockInfo, host = os.hostname()): boolean {
  if (info.host !== host) return !leaseExpired(info);
  if (!pidAlive(info.pid)) return false;
  if (info.proc_start != null) {
    const now = readStartTime(info.pid);
    if (now != null && now !== info.proc_start) return false;
  }
  return true;
}

function readLockFile(file: string): LockInfo | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unreadable';
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (typeof v.pid === 'number' && typeof v.host === 'string') return v;
  } catch {
    /* fall through */
  }
  return 'unreadable';
}

/** The live lock of (outDir, stage), or null when there is none or its owner is gone. */
export function readActiveLock(outDir: string, stage: StageName | string): LockInfo | null {
  const v = readLockFile(lockPath(outDir, stage));
  if (v === null || v === 'unreadable') return null;
  return lockOwnerAlive(v) ? v : null;
}

/** Every readable stage lock of the folder (the manifest mutex, which holds no JSON, is not one). */
export function listLocks(outDir: string): Array<{ file: string; info: LockInfo }> {
  const dir = path.join(outDir, ARTIFACT_FILES.locks);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Array<{ file: string; info: LockInfo }> = [];
  for (const name of names) {
    if (!name.endsWith('.lock')) continue;
    const file = path.join(dir, name);
    const info = readLockFile(file);
    if (info && info !== 'unreadable') out.push({ file, info });
  }
  return out;
}

/**
 * Removes a stale lock, but only if the file still says what `seen` says: between our read and
 * the removal, a starting stage may have replaced the stale lock with its own live one, or the
 * owner we took for dead may have renewed its lease after all.
 */
export function removeLockIfUnchanged(file: string, seen: LockInfo): boolean {
  const now = readLockFile(file);
  if (!now || now === 'unreadable') return false;
  if (!sameOwner(now, seen) || now.renewed_at !== seen.renewed_at) return false;
  rmSync(file, { force: true });
  return true;
}

/** Do two lock readings name the same run (renewals change only `renewed_at`)? */
export function sameOwner(a: LockInfo, b: LockInfo): boolean {
  return a.pid === b.pid && a.host === b.host && a.started_at === b.started_at;
}

export function alreadyRunningMessage(stage: string, info: LockInfo): string {
  const job = info.job_id ? `, queue job ${info.job_id}` : '';
  const noLease = info.host !== os.hostname() && info.renewed_at === undefined
    ? `; this lock has no lease (an older version wrote it): if that run is gone, remove ${path.join(ARTIFACT_FILES.locks, `${stage}.lock`)}`
    : '';
  return `${stage} is already running for this episode (pid ${info.pid} on ${info.host}, since ${info.started_at}${job})${noLease}`;
}

/** What a stage logs when it took over a lock whose owner was gone. */
export function takeoverMessage(gone: LockInfo, host = os.hostname()): string {
  const job = gone.job_id ? ` (queue job ${gone.job_id})` : '';
  const why = gone.host === host ? 'its process is gone' : `its lease expired (last renewed ${gone.renewed_at ?? '?'})`;
  return `took over the lock of pid ${gone.pid} on ${gone.host}${job}: ${why}`;
}

export interface HeldLock {
  path: string;
  info: LockInfo;
  /** The lock this one replaced because its owner was gone (its lease expired, or its pid died here), or null. */
  tookOver: LockInfo | null;
  /** True once another run took this lock over or it was removed: this run must not write on. */
  readonly lost: boolean;
  release(): void;
}

export interface AcquireOptions {
  /** The queue job this run belongs to; default: $SCREENTIME_JOB_ID (set by the queue worker). */
  jobId?: string | null;
  /** Called once if the lock is taken over or removed while held, with a one-line explanation. */
  onLost?: (message: string) => void;
  /** Heartbeat period (tests use a short one). */
  renewMs?: number;
  leaseMs?: number;
}

export function acquireLock(outDir: string, stage: StageName | string, opts: AcquireOptions = {}): HeldLock {
  const file = lockPath(outDir, stage);
  mkdirSync(path.dirname(file), { recursive: true });
  const now = new Date().toISOString();
  const renewMs = opts.renewMs ?? LEASE_RENEW_MS;
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    started_at: now,
    stage,
    proc_start: readStartTime(process.pid),
    job_id: opts.jobId !== undefined ? opts.jobId : process.env.SCREENTIME_JOB_ID || null,
    renewed_at: now,
    lease_ms: opts.leaseMs ?? LEASE_MS,
  };
  let tookOver: LockInfo | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StageError(`cannot create lock ${file} (${(e as NodeJS.ErrnoException).code})`, EXIT.OUTPUT);
      }
      const other = readLockFile(file);
      if (other === 'unreadable') {
        // A lock whose writer died between open and write: empty or half-written. Give a live
        // writer a moment, then treat it as stale.
        if (attempt === 0) { sleepSync(200); continue; }
        rmSync(file, { force: true });
        continue;
      }
      if (other === null) continue; // released meanwhile: try again
      if (lockOwnerAlive(other)) throw new StageError(alreadyRunningMessage(String(stage), other), EXIT.ALREADY_RUNNING);
      // Gone: its process here, or its lease elsewhere. Removed only if nobody renewed or replaced it meanwhile.
      if (removeLockIfUnchanged(file, other)) tookOver = other;
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(info));
    } catch (e) {
      closeSync(fd);
      rmSync(file, { force: true });
      throw new StageError(`cannot write lock ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, EXIT.OUTPUT);
    }
    return holdLock(file, fd, info, tookOver, renewMs, opts.onLost);
  }
  throw new StageError(`cannot take lock ${file}`, EXIT.ALREADY_RUNNING);
}

/**
 * The held lock. Its descriptor stays open for as long as it is held: the heartbeat writes
 * through it, and an open file's inode cannot be reused, so "the file at the lock's path is no
 * longer this inode" reliably means another run replaced it.
 */
function holdLock(file: string, fd: number, info: LockInfo, tookOver: LockInfo | null, renewMs: number, onLost?: (m: string) => void): HeldLock {
  let released = false;
  let lost = false;
  const heartbeat = startHeartbeat(file, fd, info, renewMs, (why, by) => {
    if (released || lost) return;
    lost = true;
    const who = by ? `pid ${by.pid} on ${by.host}${by.job_id ? ` (queue job ${by.job_id})` : ''}` : null;
    onLost?.(`lost the ${info.stage} lock: ${why === 'replaced' && who ? `another run took it over (${who})` : 'its file was removed'}; stopping so that two runs never write the same outputs`);
  });
  return {
    path: file,
    info,
    tookOver,
    get lost() {
      return lost;
    },
    release() {
      if (released) return;
      released = true;
      heartbeat.stop();
      closeSync(fd);
      // Only remove a lock that is still ours.
      const cur = readLockFile(file);
      if (cur && cur !== 'unreadable' && sameOwner(cur, info)) rmSync(file, { force: true });
    },
  };
}

/**
 * The heartbeat runs in a thread of its own: the stage's main thread may be busy for many seconds
 * in synchronous work (clustering, WASM inference) and must not lose its lease for that. It
 * writes in place through the lock's own descriptor, at the same length (only the time changes),
 * so a renewal can never land in another run's lock file and a reader never sees half a file; it
 * fsyncs, so readers on other machines of a network share see each renewal.
 *
 * `flags` is shared memory: [0] = stop, set by release(); [1] = busy, set by the thread around
 * each use of the descriptor. release() sets stop, then waits while busy: after that the thread
 * never touches the descriptor again and it can be closed at once, synchronously (release() also
 * runs on the process's way out), without a late write hitting a reused descriptor number.
 */
const HEARTBEAT_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { file, fd, info, renewMs, flags } = workerData;
const f = new Int32Array(flags);
const own = fs.fstatSync(fd, { bigint: true });
let timer = setInterval(renew, renewMs);
function readNow() { try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return null; } }
function lost(why) { clearInterval(timer); parentPort.postMessage({ lost: why, by: readNow() }); }
function renew() {
  let st;
  try { st = fs.statSync(file, { bigint: true }); } catch (e) { if (e.code === 'ENOENT') lost('removed'); return; }
  if (st.ino !== own.ino || st.dev !== own.dev) return lost('replaced');
  const body = Buffer.from(JSON.stringify({ ...info, renewed_at: new Date().toISOString() }));
  Atomics.store(f, 1, 1);
  try {
    if (Atomics.load(f, 0) === 1) return clearInterval(timer);
    fs.writeSync(fd, body, 0, body.length, 0);
    fs.ftruncateSync(fd, body.length);
    fs.fsyncSync(fd);
  } catch { /* a network share's hiccup: the next renewal tries again */ }
  finally { Atomics.store(f, 1, 0); Atomics.notify(f, 1); }
}
`;

interface Heartbeat {
  /** Synchronous: once it returns, the thread no longer uses the descriptor. */
  stop(): void;
}

function startHeartbeat(file: string, fd: number, info: LockInfo, renewMs: number, onLost: (why: string, by: LockInfo | null) => void): Heartbeat {
  const flags = new SharedArrayBuffer(8);
  const f = new Int32Array(flags);
  const thread = new Worker(HEARTBEAT_THREAD, { eval: true, workerData: { file, fd, info, renewMs, flags } });
  thread.on('message', (m: { lost?: string; by?: LockInfo | null }) => {
    if (m.lost) onLost(m.lost, m.by ?? null);
  });
  thread.on('error', () => {}); // a heartbeat that cannot run leaves the lease to expire: never crash the stage for it
  // The heartbeat alone must not keep a finished process alive.
  thread.unref();
  return {
    stop() {
      Atomics.store(f, 0, 1);
      while (Atomics.load(f, 1) === 1) Atomics.wait(f, 1, 1, 50);
      void thread.terminate().catch(() => {});
    },
  };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
