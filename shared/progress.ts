// The machine-readable protocol a stage process writes on stdout: one JSON object per line.
// Human-readable log lines go to stderr. A parent (the desktop host, a queue worker) parses
// stdout with `parseStageLine` and never needs to poll.

import type { StageName } from './stages.js';

export interface StageStartEvent {
  type: 'start';
  stage: StageName;
  episode: string;
  video: string;
  profile: string;
  stride: number;
  threads: number;
  device: string;
  pid: number;
}

export interface StageProgressEvent {
  type: 'progress';
  stage: StageName;
  /** Units of work done; frames for detect_track, faces for faces_embed, tracks for cluster. */
  frames_done: number;
  frames_total: number;
  /** Units per second, averaged over the last few seconds. */
  fps: number;
  /** Seconds left, or null when unknown. */
  eta_s: number | null;
  /** 0..1 */
  fraction: number;
}

export interface StageSummaryEvent {
  type: 'summary';
  stage: StageName;
  status: 'completed';
  elapsed_s: number;
  stats: Record<string, number | string | boolean | null>;
  /** Nothing ran: the outputs on disk already came from these settings (queue jobs; elapsed_s and stats are that run's). */
  reused?: boolean;
}

export interface StageErrorEvent {
  type: 'error';
  stage: StageName;
  /** Process exit code that follows (see EXIT in stages.ts). */
  code: number;
  message: string;
}

export type StageEvent = StageStartEvent | StageProgressEvent | StageSummaryEvent | StageErrorEvent;

const TYPES = new Set(['start', 'progress', 'summary', 'error']);

/** Parses one stdout line of a stage process; returns null for anything that is not an event. */
export function parseStageLine(line: string): StageEvent | null {
  const s = line.trim();
  if (!s.startsWith('{')) return null;
  try {
    const v = JSON.parse(s) as { type?: unknown };
    if (v && typeof v === 'object' && typeof v.type === 'string' && TYPES.has(v.type)) return v as StageEvent;
  } catch {
    /* a partial or foreign line: not an event */
  }
  return null;
}

/** Splits a growing stream of text into whole lines; keeps the unfinished tail between chunks. */
export function createLineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let tail = '';
  return {
    push(chunk: string) {
      tail += chunk;
      let i: number;
      while ((i = tail.indexOf('\n')) >= 0) {
        const line = tail.slice(0, i).replace(/\r$/, '');
        tail = tail.slice(i + 1);
        onLine(line);
      }
    },
    end() {
      if (tail.length > 0) onLine(tail);
      tail = '';
    },
  };
}

/** "1m 12s", "2h 03m", "8.4s": how long a stage took, for logs and the window. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${r}s`;
}
