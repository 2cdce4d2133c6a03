// What runs that ended without cleaning up left in an artifact folder, removed when the next stage
// starts there. A stage that gets SIGKILL (or loses power, or crashes in native code) leaves its
// temp files (`<file>.tmp-<pid>`, `thumbs.tmp-<pid>/`, `thumbs.old-<pid>/`, atomic.ts and
// faces-embed.ts), its lock (`locks/<stage>.lock`, lock.ts) and a manifest record still saying
// `running`. Only what belongs to a run known to be gone is touched: a live pid may be another
// stage of the episode writing right now. On this host a pid tells; another host's pids mean
// nothing here, so a run of another host counts as gone only on positive evidence: its lock's
// lease expired (lock.ts), or its stage's lock is now held by another run.

import { readdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StageRecord } from '../../shared/artifacts.js';
import { STAGES, type StageName } from '../../shared/stages.js';
import { listLocks, lockOwnerAlive, pidAlive, removeLockIfUnchanged, type LockInfo } from './lock.js';
import { readManifest, updateManifest } from './manifest.js';

export interface LeftoverSweep {
  /** Temp files and folders removed, relative to the artifact folder. */
  removed: string[];
  /** `<name>.old-<pid>` renamed back to `<name>`: its owner died in the middle of a swap. */
  restored: string[];
  /** Stage locks removed because their owner is gone. */
  locks: string[];
  /** Stages whose `running` record was closed as `interrupted`. */
  interrupted: StageName[];
  /** Why temp files were left alone, when they were. */
  tempSkipped: string | null;
}

/** `<name>.tmp-<pid>` (a write in progress) or `<name>.old-<pid>` (a swap's previous version). */
const LEFTOVER_NAME = /^(.+)\.(tmp|old)-(\d+)$/;

/** A run that is known to be gone: who it was, from its lock or its manifest record. */
interface GoneRun {
  pid: number;
  host: string;
}

/** Cleans what runs that are gone left in `outDir`. Call it while holding a stage lock. */
export function sweepLeftovers(outDir: string, host: string = os.hostname()): LeftoverSweep {
  const res: LeftoverSweep = { removed: [], restored: [], locks: [], interrupted: [], tempSkipped: null };
  const goneLocks: GoneRun[] = [];
  for (const { file, info } of listLocks(outDir)) {
    if (info.pid === process.pid && info.host === host) continue;
    if (!lockOwnerAlive(info, host) && removeLockIfUnchanged(file, info)) {
      res.locks.push(path.basename(file));
      goneLocks.push(info);
    }
  }
  const live = listLocks(outDir).map((l) => l.info);
  const goneElsewhere = [...goneLocks, ...foreignRunsGone(outDir, host, live)].filter((r) => r.host !== host);
  sweepTempNames(outDir, res, foreignPidsToSweep(goneElsewhere, live));
  // A temp name carries a pid but no host: while a stage of another machine works in this folder
  // (a shared network folder), a pid that is dead here may be alive there.
  const foreign = live.find((l) => l.host !== host);
  if (foreign) res.tempSkipped = `${foreign.stage} runs on ${foreign.host} (pid ${foreign.pid})`;
  else sweepTempNames(outDir, res, null);
  res.interrupted = closeInterruptedRecords(outDir, host, goneLocks);
  return res;
}

/**
 * Runs of other hosts that the manifest still records as `running` although their stage's lock is
 * now held by another run: a run holds its lock from before it records `running` until after it
 * records its end, so such a run is gone. A missing lock proves nothing (a network share may show
 * a new file late), so it is never taken as evidence.
 */
function foreignRunsGone(outDir: string, host: string, live: LockInfo[]): GoneRun[] {
  const m = readManifest(outDir);
  if (!m) return [];
  const out: GoneRun[] = [];
  for (const s of STAGES) {
    const rec = m.stages[s];
    if (rec?.status !== 'running' || rec.pid === null || rec.host === null || rec.host === host) continue;
    if (heldByAnotherRun(s, rec, live)) out.push({ pid: rec.pid, host: rec.host });
  }
  return out;
}

function heldByAnotherRun(stage: StageName, rec: StageRecord, live: LockInfo[]): boolean {
  const lock = live.find((l) => l.stage === stage);
  return lock !== undefined && !(lock.pid === rec.pid && lock.host === rec.host);
}

/**
 * Pids whose temp files belong to a gone run of another host. A pid that a live lock (of any host)
 * also carries is left out: its temp names cannot be told from those of that live run.
 */
function foreignPidsToSweep(gone: GoneRun[], live: LockInfo[]): Set<number> {
  const busy = new Set(live.map((l) => l.pid));
  return new Set(gone.map((g) => g.pid).filter((p) => !busy.has(p)));
}

/**
 * Temp files and folders, in the folder and one level down (where thumbs/ lives): with `pids`,
 * those of exactly these pids; with null, those of every pid that is dead on this host.
 */
function sweepTempNames(outDir: string, res: LeftoverSweep, pids: Set<number> | null): void {
  if (pids && pids.size === 0) return;
  const visit = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      const m = LEFTOVER_NAME.exec(e.name);
      if (!m) {
        if (e.isDirectory() && depth > 0) visit(p, depth - 1);
        continue;
      }
      const pid = Number(m[3]);
      if (pids ? !pids.has(pid) : pid === process.pid || pidAlive(pid)) continue;
      settleLeftover(p, path.join(dir, m[1]!), m[2] === 'old', path.relative(outDir, p), res);
    }
  };
  visit(outDir, 1);
}

/**
 * An `.old-` whose final name is missing is the previous output of a swap that died between its
 * two renames: it is what the manifest still describes, so it goes back in place. Everything
 * else of a dead pid is garbage.
 */
function settleLeftover(p: string, finalPath: string, isOld: boolean, rel: string, res: LeftoverSweep): void {
  try {
    if (isOld && !existsSync(finalPath)) {
      renameSync(p, finalPath);
      res.restored.push(rel);
      return;
    }
    rmSync(p, { recursive: true, force: true });
    res.removed.push(rel);
  } catch {
    /* in use or not ours to remove: left for the next start */
  }
}

/**
 * Is this a `running` record of a run that is gone? Of this host: its process is gone. Of another
 * host: its lock was just removed as expired, or its stage's lock belongs to another run now.
 */
function diedRunning(stage: StageName, rec: StageRecord | undefined, host: string, goneLocks: GoneRun[], live: LockInfo[]): rec is StageRecord {
  if (!rec || rec.status !== 'running' || rec.pid === null) return false;
  if (rec.host === null || rec.host === host) return rec.pid !== process.pid && !pidAlive(rec.pid);
  return goneLocks.some((g) => g.pid === rec.pid && g.host === rec.host) || heldByAnotherRun(stage, rec, live);
}

/** Records `interrupted` for every stage whose `running` record outlived its run. */
function closeInterruptedRecords(outDir: string, host: string, goneLocks: GoneRun[]): StageName[] {
  const live = listLocks(outDir).map((l) => l.info);
  const died = (s: StageName, rec: StageRecord | undefined): rec is StageRecord => diedRunning(s, rec, host, goneLocks, live);
  const before = readManifest(outDir);
  if (!before || !STAGES.some((s) => died(s, before.stages[s]))) return [];
  const closed: StageName[] = [];
  updateManifest(outDir, (m) => {
    if (!m) throw new Error('the manifest disappeared while it was being updated');
    for (const s of STAGES) {
      const rec = m.stages[s];
      if (!died(s, rec)) continue;
      // The outputs on disk (completed_hash) are untouched: a run replaces them only on success.
      m.stages[s] = { ...rec, status: 'interrupted', error: `the run (pid ${rec.pid}${rec.host && rec.host !== host ? ` on ${rec.host}` : ''}) ended without recording a result: killed, crashed or the machine stopped` };
      closed.push(s);
    }
    return m;
  });
  return closed;
}
