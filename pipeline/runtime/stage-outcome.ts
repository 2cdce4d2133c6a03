// How a stage run ended, in the words local mode and the queue worker both use. Pure functions,
// tested beside this file and in host/runner/units.test.ts.

import { EXIT } from '../../shared/stages.js';

const EXIT_WORDS: Record<number, string> = {
  [EXIT.INTERNAL]: 'the stage hit an internal error',
  [EXIT.USAGE]: 'the stage was started with arguments it does not accept',
  [EXIT.BAD_INPUT]: 'the episode video could not be read',
  [EXIT.MODEL]: 'a model file is missing or could not be loaded',
  [EXIT.OUTPUT]: 'the results could not be written to the artifact folder',
  [EXIT.ALREADY_RUNNING]: 'this stage is already running for this episode',
  [EXIT.CANCELLED]: 'the stage was stopped',
};

const SIGNAL_WORDS: Record<string, string> = {
  SIGKILL: 'the stage process was killed by the system (out of memory, or another program ended it)',
  SIGSEGV: 'the stage process crashed',
  SIGABRT: 'the stage process aborted',
  SIGBUS: 'the stage process crashed',
  SIGILL: 'the stage process crashed (this CPU may lack an instruction it needs)',
  SIGTERM: 'the stage process was stopped by another program',
};

/** Strips log decoration ("error:", timestamps, "[stage]") so the line reads as a sentence. */
export function cleanLogLine(line: string): string {
  return line
    .trim()
    .replace(/^\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?\s+/, '')
    .replace(/^\[[^\]]{1,40}\]\s*/, '')
    .replace(/^(error|fatal|Error)\s*:\s*/, '')
    .trim();
}

/**
 * Why a stage failed, in words a user understands: the stage's own `error` event first, then its
 * last stderr line, then what the exit code or signal means. The code is only ever an addition.
 */
export function describeFailure(f: { errorMessage: string | null; lastStderr: string | null; exitCode: number | null; signal: string | null }): string {
  if (f.errorMessage && f.errorMessage.trim()) return f.errorMessage.trim();
  const words = f.exitCode !== null ? EXIT_WORDS[f.exitCode] : f.signal ? SIGNAL_WORDS[f.signal] : undefined;
  const last = f.lastStderr ? cleanLogLine(f.lastStderr) : '';
  if (last && words) return `${words}: ${last}`;
  if (last) return last;
  if (words) return words;
  if (f.signal) return `the stage process ended unexpectedly (signal ${f.signal})`;
  if (f.exitCode !== null) return `the stage process ended unexpectedly without saying why (exit code ${f.exitCode})`;
  return 'the stage process ended unexpectedly';
}

/** How the stage process ended, and what it reported on the way. */
export interface StageEndFacts {
  stage: string;
  exitCode: number | null;
  signal: string | null;
  /** The process could not be started at all (spawn error). */
  spawnError: string | null;
  /** The stage sent its summary event. */
  summarized: boolean;
  /** Its `error` event's message, if it sent one. */
  errorMessage: string | null;
  lastStderr: string | null;
  /** Set when the parent stopped it: cancel, window closed, app quitting. */
  cancelReason: string | null;
  /** Set when the parent stopped it for running too long. */
  timedOutAfterS: number | null;
}

export type StageEnd = { status: 'completed'; error: null } | { status: 'cancelled' | 'error'; error: string };

/** The one reading of a stage's end: completed, cancelled (by us) or an error in words. Pure. */
export function classifyStageEnd(f: StageEndFacts): StageEnd {
  if (f.exitCode === EXIT.OK && f.summarized) return { status: 'completed', error: null };
  if (f.timedOutAfterS !== null) return { status: 'error', error: `${f.stage} timed out after ${f.timedOutAfterS} s and was stopped` };
  if (f.cancelReason !== null) return { status: 'cancelled', error: f.cancelReason };
  // Exit 0 without a summary is not a success anyone can trust.
  if (f.exitCode === EXIT.OK) return { status: 'error', error: 'the stage ended without reporting a result' };
  if (f.spawnError !== null) return { status: 'error', error: `could not start the stage: ${f.spawnError}` };
  return { status: 'error', error: describeFailure({ errorMessage: f.errorMessage, lastStderr: f.lastStderr, exitCode: f.exitCode, signal: f.signal }) };
}
