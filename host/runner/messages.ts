// Local mode's log lines. Pure functions: tested in units.test.ts. Why a run failed is worded in
// pipeline/runtime/stage-outcome.ts, the same for local mode and the queue worker.

import { formatDuration } from '../../shared/progress.js';

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
