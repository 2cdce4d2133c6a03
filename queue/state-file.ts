// A worker's local record of the stage process groups it is running, one file per worker name.
// If the worker is killed hard (SIGKILL, OOM killer) its stages normally stop by themselves (their
// stdin pipe closes), but a stage that is stuck in native code or a child that ignores it could
// keep a CPU busy for hours. When a worker with the same name starts again it SWEEPS the groups
// recorded here: any that still exist are killed before the worker takes a job.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { groupAlive, killGroup, processStartTime } from './stage-process.js';

export interface RecordedStage {
  jobId: string;
  pgid: number;
  /** processStartTime of the group leader when it was recorded (null off Linux). */
  startTime: string | null;
}

export interface WorkerStateFile {
  workerPid: number;
  workerStartTime: string | null;
  stages: RecordedStage[];
}

export function defaultStateDir(): string {
  if (process.env.XDG_STATE_HOME) return path.join(process.env.XDG_STATE_HOME, 'screentime');
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return path.join(process.env.LOCALAPPDATA, 'screentime', 'state');
  return path.join(os.homedir(), '.local', 'state', 'screentime');
}

/** File name for a worker name; anything odd in the name becomes `_` (no path tricks). */
export function stateFilePath(stateDir: string, workerName: string): string {
  return path.join(stateDir, `worker-${workerName.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export function readState(file: string): WorkerStateFile | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as WorkerStateFile;
    if (!v || typeof v.workerPid !== 'number' || !Array.isArray(v.stages)) return null;
    return v;
  } catch {
    return null;
  }
}

export function writeState(file: string, state: WorkerStateFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file); // atomic: a crash leaves the old file or the new one, never half of one
}

/** Is the worker recorded in this file still running (and not us)? */
export function otherWorkerAlive(state: WorkerStateFile | null): boolean {
  if (!state || state.workerPid === process.pid) return false;
  try {
    process.kill(state.workerPid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = processStartTime(state.workerPid);
  // Same pid but another start time: the pid was reused by something else.
  return state.workerStartTime === null || now === null || now === state.workerStartTime;
}

/**
 * Decides whether a recorded group is still ours to kill:
 * - leader alive with the recorded start time: ours;
 * - leader alive with another start time: the pid was reused, leave it;
 * - leader gone but the group still exists: ours (the kernel does not hand out a pid while a
 *   process group with that id exists, so nobody else can have made this group since).
 */
export function sweepDecision(rec: RecordedStage, leaderStartTime: string | null, groupExists: boolean): 'kill' | 'skip' {
  if (!groupExists) return 'skip';
  if (leaderStartTime === null) return 'kill';
  if (rec.startTime === null) return 'kill';
  return leaderStartTime === rec.startTime ? 'kill' : 'skip';
}

/** Kills what is left of recorded stage groups; returns the pgids it signalled. */
export async function sweepRecordedStages(state: WorkerStateFile | null, graceMs = 2_000): Promise<number[]> {
  if (!state) return [];
  const targets = state.stages.filter((s) => sweepDecision(s, processStartTime(s.pgid), groupAlive(s.pgid)) === 'kill');
  for (const s of targets) killGroup(s.pgid, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (targets.some((s) => groupAlive(s.pgid)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  for (const s of targets) if (groupAlive(s.pgid)) killGroup(s.pgid, 'SIGKILL');
  return targets.map((s) => s.pgid);
}
