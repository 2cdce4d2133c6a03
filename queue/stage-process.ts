// The queue worker's stage process: the same stage child local mode runs
// (pipeline/runtime/stage-process.ts: arguments, thread-cap environment, own process group,
// parsed progress lines, tree kill), seen the way the worker uses it: a `done` that rejects when
// the process could not be started, the group id for the worker's state file, and the stage's
// stderr lines for the job's log. Its stdin is a pipe never written to, so a worker that dies
// (even by SIGKILL) takes its stages with it, and they still remove their temp files, lock and
// `running` record.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StageEvent } from '../shared/progress.js';
import { groupAlive } from '../pipeline/runtime/process-tree.js';
import { readStartTime } from '../pipeline/runtime/proc.js';
import { startStageProcess, type StageInvocation, type StageReport } from '../pipeline/runtime/stage-process.js';

export { groupAlive };

/** The compiled pipeline CLI, beside this file in dist/ (dist/queue -> dist/pipeline/cli/main.js). */
export const DEFAULT_STAGE_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pipeline', 'cli', 'main.js');

export interface StageRunRequest extends StageInvocation {
  cli: string;
  threads: number;
  /** The queue job: recorded in the stage's lock, and makes a stage already completed with these settings report that run. */
  jobId?: string;
  onEvent(ev: StageEvent): void;
  onStderrLine(line: string): void;
}

export interface StageRun {
  pid: number;
  /** Same as pid: the child leads its own process group (POSIX). */
  pgid: number;
  /** Resolves when the child has exited, its group is gone and its output is fully read; rejects when it could not start. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the stage reported on the way (summary, error event, last stderr line). */
  report: StageReport;
  /**
   * One SIGTERM to the whole tree, SIGKILL after graceMs (default: the stage's stop budget,
   * 1.2 s; at most 1.5 s) for what is left; resolves when all are gone. A grace shorter than the
   * default may cut the stage's clean-up short (the next stage to start there finishes it).
   */
  kill(graceMs?: number): Promise<void>;
}

export function startStage(r: StageRunRequest): StageRun {
  const proc = startStageProcess({
    ...r,
    onLog: (line, from) => {
      if (from === 'stderr') r.onStderrLine(line);
    },
  });
  const done = proc.finished.then(({ code, signal, spawnError }) => {
    if (spawnError !== null) throw new Error(spawnError);
    return { code, signal };
  });
  const pid = proc.pid ?? -1;
  return { pid, pgid: pid, done, report: proc.report, kill: (graceMs) => proc.kill(graceMs) };
}

/** Signals a process group (one signal per member); quietly does nothing when it is already gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 0) return;
  try {
    if (process.platform === 'win32') {
      // No process groups: taskkill /T walks the tree.
      spawn('taskkill', ['/pid', String(pgid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } else {
      process.kill(-pgid, signal);
    }
  } catch {
    /* ESRCH: already gone */
  }
}

/**
 * Start time of a process in clock ticks since boot, as text, or null where there is no /proc or
 * the process is gone. A pid + start time names one process for good, so a recorded pid that was
 * reused by an unrelated process is never killed.
 */
export function processStartTime(pid: number): string | null {
  const t = readStartTime(pid);
  return t === null ? null : String(t);
}
