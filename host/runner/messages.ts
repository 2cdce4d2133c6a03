// Words for the log and for a failed run. Pure functions: tested beside this file.

import { formatDuration } from '../../shared/progress.js';
import { EXIT } from '../../shared/stages.js';

export const PREFIX = '[LOCAL MODE]';

export function startingLine(stage: string): string {
  return `${PREFIX} Starting ${stage}`;
}

export function paramsLine(p: { device: string; profile: string; stride: number | null; cpuThreads: number }): string {
  return `${PREFIX} device=${p.device} profile=${p.profile} stride=${p.stride ?? 'default'} cpu_threads=${p.cpuThreads}`;
}

export function capLine(cap: number, requested: number | undefined): string {
  const asked = requested !== undefined && requested > cap ? ` (requested ${requested})` : '';
  return `${PREFIX} CPU threads capped at ${cap}${asked}`;
}

export function completedLine(stage: string, seconds: number): string {
  return `${PREFIX} ${stage} completed in ${formatDuration(seconds)}`;
}

export function failedLine(stage: string, error: string): string {
  return `${PREFIX} ${stage} failed: ${error}`;
}

export function cancelledLine(stage: string, reason: string, seconds: number): string {
  return `${PREFIX} ${stage} cancelled after ${formatDuration(seconds)}: ${reason}`;
}

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
export function describeFailure(f: {
  errorMessage: string | null;
  lastStderr: string | null;
  exitCode: number | null;
  signal: string | null;
}): string {
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
