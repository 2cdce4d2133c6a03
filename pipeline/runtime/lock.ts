// One run at a time per (episode, stage): `<outDir>/locks/<stage>.lock`, created with O_EXCL.
// The desktop host calls readActiveLock() before spawning, and the stage process takes the lock
// itself, so two windows, a CLI and a queue worker cannot run the same stage on one episode.

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACT_FILES } from '../../shared/artifacts.js';
import { EXIT, type StageName } from '../../shared/stages.js';
import { StageError } from './stage.js';

export interface LockInfo {
  pid: number;
  host: string;
  started_at: string;
  stage: string;
  /** Linux: process start time (clock ticks since boot) to tell a reused pid from ours. */
  proc_start?: number | null;
}

export function lockPath(outDir: string, stage: string): string {
  return path.join(outDir, ARTIFACT_FILES.locks, `${stage}.lock`);
}

/** Linux process start time from /proc/<pid>/stat (field 22), or null elsewhere / when gone. */
export function procStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** Is the pid a live process on this machine (zombies count as gone)? */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^State:\s+(\S)/m.exec(status);
    if (m && (m[1] === 'Z' || m[1] === 'X')) return false;
  } catch {
    /* no /proc (macOS, Windows): kill(0) said it is alive */
  }
  return true;
}

/**
 * Does the lock's owner still run? Only decidable on the same host: a lock from another machine
 * (a shared network folder) is taken as live. A pid that is alive but started at a different
 * time than recorded was reused by another process: the lock is stale.
 */
export function lockOwnerAlive(info: LockInfo, host = os.hostname()): boolean {
  if (info.host !== host) return true;
  if (!pidAlive(info.pid)) return false;
  if (info.proc_start != null) {
    const now = procStartTime(info.pid);
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
 * the removal, a starting stage may have replaced the stale lock with its own live one.
 */
export function removeLockIfUnchanged(file: string, seen: LockInfo): boolean {
  const now = readLockFile(file);
  if (!now || now === 'unreadable') return false;
  if (now.pid !== seen.pid || now.host !== seen.host || now.started_at !== seen.started_at) return false;
  rmSync(file, { force: true });
  return true;
}

export function alreadyRunningMessage(stage: string, info: LockInfo): string {
  return `${stage} is already running for this episode (pid ${info.pid} on ${info.host}, since ${info.started_at})`;
}

export interface HeldLock {
  path: string;
  info: LockInfo;
  release(): void;
}

export function acquireLock(outDir: string, stage: StageName | string): HeldLock {
  const file = lockPath(outDir, stage);
  mkdirSync(path.dirname(file), { recursive: true });
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    started_at: new Date().toISOString(),
    stage,
    proc_start: procStartTime(process.pid),
  };
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
      } else if (other && lockOwnerAlive(other)) {
        throw new StageError(alreadyRunningMessage(String(stage), other), EXIT.ALREADY_RUNNING);
      }
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(info));
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      path: file,
      info,
      release() {
        if (released) return;
        released = true;
        // Only remove a lock that is still ours.
        const cur = readLockFile(file);
        if (cur && cur !== 'unreadable' && cur.pid === info.pid && cur.host === info.host) rmSync(file, { force: true });
      },
    };
  }
  throw new StageError(`cannot take lock ${file}`, EXIT.ALREADY_RUNNING);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
