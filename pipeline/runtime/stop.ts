// How a stage process takes a stop request. One stop usually reaches it by several causes at
// once: the parent's SIGTERM to the process group, or, when the parent dies, stdin closing plus
// EPIPE on stdout and on stderr. All of them mean the same thing: cancel, clean up, exit 130.
// None of them is a second request, so none of them may cut the clean-up short; only a user who
// presses Ctrl-C again (a later, separate SIGINT) may make the process exit at once.

import { fstatSync } from 'node:fs';
import { EXIT } from '../../shared/stages.js';
import { killDescendants } from './proc-tree.js';
import { StageError } from './stage.js';

/** How long a cancelled stage gets to stop by itself before the runtime kills its children and cleans up anyway. */
export const CANCEL_GRACE_MS = 800;

/**
 * Room for the runtime's clean-up after that grace (temp files, manifest record, lock, flush).
 * Measured from SIGTERM to exit with the real detect_track: 20-50 ms idle, 75-160 ms with both
 * cores busy; the budget leaves a wide margin for a loaded machine.
 */
export const CLEANUP_BUDGET_MS = 400;

/**
 * The least a parent should wait between its SIGTERM and SIGKILL so that SIGKILL never lands in
 * the middle of the clean-up. process-tree.ts `killTree` uses it as its default grace.
 */
export const STOP_GRACE_MS = CANCEL_GRACE_MS + CLEANUP_BUDGET_MS;

/**
 * Two SIGINTs closer together than this are one interrupt delivered twice (a terminal's Ctrl-C
 * reaches the whole foreground group, and a wrapper such as npm forwards its own copy), not a
 * user asking again.
 */
export const REPEAT_INTERRUPT_GAP_MS = 500;

export type StopCause = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'parent-gone';
export type StopAction = 'cancel' | 'ignore' | 'exit-now';

/**
 * Decides what each arriving cause means. The first cause of any kind cancels; every later one is
 * part of the same stop and is ignored, except a SIGINT at least REPEAT_INTERRUPT_GAP_MS after an
 * earlier SIGINT: that is a user pressing Ctrl-C again, who may have the process exit at once.
 */
export function createStopPolicy(now: () => number = () => performance.now()): (cause: StopCause) => StopAction {
  let stopping = false;
  let firstInterruptAt: number | null = null;
  return (cause) => {
    const t = now();
    if (cause === 'SIGINT') {
      if (firstInterruptAt !== null && t - firstInterruptAt >= REPEAT_INTERRUPT_GAP_MS) return 'exit-now';
      firstInterruptAt ??= t;
    }
    if (stopping) return 'ignore';
    stopping = true;
    return 'cancel';
  };
}

/** Whether stdin is a pipe or socket from a parent: its closing means the parent is gone. */
export function stdinIsParentPipe(): boolean {
  if (process.stdin.isTTY) return false;
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

export interface CancelIO {
  err(line: string): void;
}

/**
 * Exits 130 without waiting for the stage. The process 'exit' listeners (exit-cleanup.ts) still
 * run, synchronously: they remove this process's temp files and close the manifest record.
 */
function exitNow(io: CancelIO): never {
  io.err('interrupted again: exiting now');
  killDescendants('SIGKILL');
  process.exit(EXIT.CANCELLED);
}

/**
 * Aborts `controller` on the first stop cause: SIGTERM, SIGINT, SIGHUP, stdin closing (when
 * stdin is a parent's pipe), or a write error on stdout or stderr (the reader is gone). Later
 * causes of the same stop are ignored; a repeated Ctrl-C exits at once. Returns a function that
 * removes the handlers.
 */
export function installCancelHandlers(controller: AbortController, io: CancelIO, watchStdin = stdinIsParentPipe()): () => void {
  const decide = createStopPolicy();
  const request = (cause: StopCause, why: string) => {
    const action = decide(cause);
    if (action === 'exit-now') exitNow(io);
    if (action === 'cancel' && !controller.signal.aborted) {
      io.err(`cancelling (${why})`);
      controller.abort(new StageError(`cancelled (${why})`, EXIT.CANCELLED));
    }
  };
  const sigterm = () => request('SIGTERM', 'SIGTERM');
  const sigint = () => request('SIGINT', 'SIGINT');
  const sighup = () => request('SIGHUP', 'SIGHUP');
  process.on('SIGTERM', sigterm);
  process.on('SIGINT', sigint);
  process.on('SIGHUP', sighup);
  const onStdinEnd = () => request('parent-gone', 'stdin closed: the parent process is gone');
  // A write error on stdout or stderr is a reader that went away: the parent died. Without a
  // listener Node would crash on it (exit 1) and skip every clean-up.
  const onOutputError = (e: NodeJS.ErrnoException) => request('parent-gone', `output closed (${e.code ?? 'error'}): the parent process is gone`);
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  if (watchStdin) {
    process.stdin.on('end', onStdinEnd);
    process.stdin.on('close', onStdinEnd);
    process.stdin.on('error', onStdinEnd);
    // Read and drop whatever arrives: only the end matters.
    process.stdin.on('data', () => {});
    process.stdin.resume();
  }
  return () => {
    process.stdout.off('error', onOutputError);
    process.stderr.off('error', onOutputError);
    // Late writes to a closed stdout or stderr must not crash the exit path.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    process.off('SIGTERM', sigterm);
    process.off('SIGINT', sigint);
    process.off('SIGHUP', sighup);
    if (watchStdin) {
      process.stdin.off('end', onStdinEnd);
      process.stdin.off('close', onStdinEnd);
      process.stdin.off('error', onStdinEnd);
      // Nor may a late stdin error.
      process.stdin.on('error', () => {});
      process.stdin.pause();
      // Let the process exit: an open stdin handle would keep the event loop alive.
      process.stdin.unref?.();
    }
  };
}
