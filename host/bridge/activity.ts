// What the tray and the taskbar show about running stages, as a pure function of the runner's
// active runs (LocalRunner.onActivityChange). The Electron tray only renders this.

import type { ActiveRun } from '../runner/types.js';

export interface ActivityView {
  /** Tray tooltip. */
  tooltip: string;
  /** First (disabled) line of the tray menu. */
  status: string;
  /** Taskbar / dock progress, 0..1; -1 removes it (idle). */
  progress: number;
  /** Whether "Cancel" has anything to cancel. */
  canCancel: boolean;
}

export function percent(fraction: number): number {
  if (!Number.isFinite(fraction)) return 0;
  return Math.max(0, Math.min(100, Math.floor(fraction * 100)));
}

function runLine(run: ActiveRun, nameOf: (episodeId: string) => string): string {
  return `${run.stage} · ${nameOf(run.episodeId)} · ${percent(run.fraction)}%${run.paused ? ' (paused: too hot)' : ''}`;
}

export function describeActivity(active: readonly ActiveRun[], nameOf: (episodeId: string) => string): ActivityView {
  if (active.length === 0) return { tooltip: 'Screentime: idle', status: 'No stage running', progress: -1, canCancel: false };
  const first = active[0]!;
  const more = active.length > 1 ? ` (+${active.length - 1} more)` : '';
  const line = runLine(first, nameOf);
  // The taskbar has one bar: show the slowest run, so it only reaches 100% when all are done.
  const progress = Math.max(0, Math.min(1, Math.min(...active.map((r) => (Number.isFinite(r.fraction) ? r.fraction : 0)))));
  return { tooltip: `Screentime: ${line}${more}`, status: `${line}${more}`, progress, canCancel: true };
}
