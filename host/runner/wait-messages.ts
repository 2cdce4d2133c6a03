// Log lines of a run that waits for the app's CPU budget. Pure; tested in cpu-budget.test.ts.

import { formatDuration } from '../../shared/progress.js';
import { PREFIX } from './messages.js';

/** "1st", "2nd", "3rd", "4th", "11th", "21st": a place in the line. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function waitingLine(stage: string, p: { place: number; cpuThreads: number; threadsInUse: number; budgetThreads: number }): string {
  return (
    `${PREFIX} ${stage} waits for the CPU budget, ${ordinal(p.place)} in line: it needs ${p.cpuThreads} ` +
    `thread${p.cpuThreads === 1 ? '' : 's'} and running stages hold ${p.threadsInUse} of ${p.budgetThreads}. ` +
    'It starts by itself when they end.'
  );
}

export function budgetFreeLine(waitedS: number): string {
  return `${PREFIX} CPU budget free after waiting ${formatDuration(waitedS)}`;
}

export function cancelledWaitingLine(stage: string, reason: string, waitedS: number): string {
  return `${PREFIX} ${stage} cancelled while waiting for the CPU budget (after ${formatDuration(waitedS)}), never started: ${reason}`;
}
