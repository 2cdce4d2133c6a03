// Clean-up that must happen even when the process ends before the stage's own clean-up ran: a
// repeated Ctrl-C (stop.ts exits at once), an uncaught exception, or a stage that left a write
// in flight after the runtime stopped waiting for it. Process 'exit' listeners run on every way
// out except a fatal signal (SIGKILL), and synchronously, which is all these tasks need.
// Whatever SIGKILL leaves behind is removed by the next stage that starts (leftovers.ts).

import { removeOwnTempFiles } from './atomic.js';

const tasks = new Set<() => void>();
const tempDirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runExitTasks);
}

/** Runs `task` when the process exits, unless the returned function was called first. */
export function atExit(task: () => void): () => void {
  install();
  tasks.add(task);
  return () => void tasks.delete(task);
}

/**
 * Removes this process's temp files in `dir` when it exits. Kept for the life of the process on
 * purpose: a stage abandoned after its grace period may still open a temp file after the
 * runtime's own sweep, and this process's temp files are garbage once it is gone anyway.
 */
export function removeTempFilesAtExit(dir: string): void {
  install();
  tempDirs.add(dir);
}

/** Runs (and forgets) every pending task, then the temp-file sweeps. Synchronous; never throws. */
export function runExitTasks(): void {
  for (const task of [...tasks]) {
    tasks.delete(task);
    try {
      task();
    } catch {
      /* the process is ending: one failed task must not stop the others */
    }
  }
  for (const dir of tempDirs) {
    try {
      removeOwnTempFiles(dir);
    } catch {
      /* a folder we cannot clean now is swept by the next stage that starts */
    }
  }
}
