// What runs that ended without cleaning up left in an artifact folder, removed when the next stage
// starts there. A stage that gets SIGKILL (or loses power, or crashes in native code) leaves its
// temp files (`<file>.tmp-<pid>`, `thumbs.tmp-<pid>/`, `thumbs.old-<pid>/`, atomic.ts and
// faces-embed.ts), its lock (`locks/<stage>.lock`, lock.ts) and a manifest record still saying
// `running`. Only what belongs to a process that is gone from THIS host is touched: a live pid may
// be another stage of the episode writing right now, and another host's pids cannot be checked.

import { readdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StageRecord } from '../../shared/artifacts.js';
import { STAGES, type StageName } from '../../shared/stages.js';
import { listLocks, lockOwnerAlive, pidAlive, removeLockIfUnchanged } from './lock.js';
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

/** Cleans what dead processes of this host left in `outDir`. Call it while holding a stage lock. */
export function sweepLeftovers(outDir: string, host: string = os.hostname()): LeftoverSweep {
  const res: LeftoverSweep = { removed: [], restored: [], locks: [], interrupted: [], tempSkipped: null };
  const locks = listLocks(outDir);
  for (const { file, info } of locks) {
    if (info.host === host && !lockOwnerAlive(info, host) && removeLockIfUnchanged(file, info)) res.locks.push(path.basename(file));
  }
  // A temp name carries a pid but no host: while a stage of another machine works in this folder
  // (a shared network folder), a pid that is dead here may be alive there.
  const foreign = locks.find((l) => l.info.host !== host);
  if (foreign) res.tempSkipped = `${foreign.info.stage} runs on ${foreign.info.host} (pid ${foreign.info.pid})`;
  else sweepTempNames(outDir, res);
  res.interrupted = closeInterruptedRecords(outDir, host);
  return res;
}

/** Temp files and folders of dead pids, in the folder and one level down (where thumbs/ lives). */
function sweepTempNames(outDir: string, res: LeftoverSweep): void {
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
      if (pid === process.pid || pidAlive(pid)) continue;
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

/** Is this record a run of this host whose process is gone? */
function diedRunning(rec: StageRecord | undefined, host: string): rec is StageRecord {
  if (!rec || rec.status !== 'running' || rec.pid === null || rec.pid === process.pid) return false;
  if (rec.host !== null && rec.host !== host) return false;
  return !pidAlive(rec.pid);
}

/** Records `interrupted` for every stage whose `running` record outlived its process. */
function closeInterruptedRecords(outDir: string, host: string): StageName[] {
  const before = readManifest(outDir);
  if (!before || !STAGES.some((s) => diedRunning(before.stages[s], host))) return [];
  const closed: StageName[] = [];
  updateManifest(outDir, (m) => {
    if (!m) throw new Error('the manifest disappeared while it was being updated');
    for (const s of STAGES) {
      const rec = m.stages[s];
      if (!diedRunning(rec, host)) continue;
      // The outputs on disk (completed_hash) are untouched: a run replaces them only on success.
      m.stages[s] = { ...rec, status: 'interrupted', error: `the run (pid ${rec.pid}) ended without recording a result: killed, crashed or the machine stopped` };
      closed.push(s);
    }
    return m;
  });
  return closed;
}
