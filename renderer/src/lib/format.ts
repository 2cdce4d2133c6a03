// Small, pure formatting helpers for what the window shows. Kept free of React so they are
// trivially testable and the same wording appears everywhere.

import type { StageState, StageWaiting } from '../../../shared/ipc.js';
import type { StageName } from '../../../shared/stages.js';

export const STAGE_LABELS: Record<StageName, string> = {
  detect_track: 'Detect & track',
  faces_embed: 'Face embeddings',
  cluster: 'Cluster',
  screentime: 'Screen time',
};

export const STATE_LABELS: Record<StageState, string> = {
  not_run: 'not run',
  running: 'running',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  stale: 'stale',
  interrupted: 'interrupted',
};

/** "1st", "2nd", "3rd", "4th", "11th", "21st": a place in line. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** Why a local stage has not started yet, and what happens next, in one sentence. */
export function waitingSentence(w: StageWaiting): string {
  const budget = `${w.budgetThreads} CPU thread${w.budgetThreads === 1 ? '' : 's'}`;
  const when = w.place === 1 ? 'when the running stage ends' : 'when the stages ahead of it have run';
  return `Waiting for the CPU, ${ordinal(w.place)} in line. Local stages share ${budget} in total to keep this computer cool; this one starts by itself ${when}.`;
}

/** "0:07", "12:05", "1:02:03": a position or length on the episode's clock. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

/** "12.4 s", "3 min 05 s", "1 h 02 min": a screen time, precise when short. */
export function formatScreenTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(r).padStart(2, '0')} s`;
}

/** Remaining time, rounded so it does not flicker: "about 40 s", "about 3 min". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return 'estimating…';
  if (seconds < 1) return 'almost done';
  if (seconds < 10) return `about ${Math.ceil(seconds)} s left`;
  // Round to 5 s so the label does not change on every progress line.
  if (seconds < 60) return `about ${Math.round(seconds / 5) * 5} s left`;
  const m = Math.round(seconds / 60);
  if (m < 60) return `about ${m} min left`;
  const h = Math.floor(m / 60);
  return `about ${h} h ${String(m % 60).padStart(2, '0')} min left`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatResolution(width: number, height: number): string {
  return `${width}×${height}`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** "fps" from the stage: whole numbers when large, one decimal when small. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '–';
  return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}

/** A stage summary's stats as short "key: value" pairs, readable names first. */
export function summaryPairs(summary: Record<string, unknown> | null | undefined): Array<[string, string]> {
  if (!summary) return [];
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(summary)) {
    if (v === null || v === undefined || typeof v === 'object') continue;
    const label = k.replace(/_/g, ' ');
    const value = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v);
    out.push([label, value]);
  }
  return out;
}

/** The identity's name as shown: its label, or a stable placeholder. */
export function identityName(identityId: number, label: string | null): string {
  return label && label.trim() ? label : `Person ${identityId + 1}`;
}
