// Screen time from tracks: pure functions shared by the screentime stage and by review edits.
//
// A track is a run of SAMPLED detections (every `stride`-th frame), so each detection stands for
// the time around it: a track covers [first_ts - h, last_ts + h] with h = half the sampling
// interval (stride / fps / 2), clipped to its shot (a face cannot be seen across a cut). An
// identity's time is the union of its tracks' spans; gaps up to `gapToleranceS` inside one shot
// are bridged (a missed detection or a track broken by a turned head), gaps across a cut never
// are (what is between is another shot).
// Shot edges: a track seen in the FIRST analysed frame of its shot starts at the cut, and one
// seen in the LAST analysed frame runs to the next cut. Between a cut and the nearest analysed
// frame (fewer than `stride` frames) nothing was observed, and a face present on both sides of
// that stretch inside one shot is far likelier to stay than to vanish; without this, every shot
// loses up to (stride - 1) / fps / 2 seconds at each end (measured: docs/pipeline-identities.md).

import type { IdentityRow, ScreentimeFile, ScreentimeIdentity, ShotRow, TrackRow } from '../../shared/artifacts.js';

/** Default gap bridged inside a shot, seconds (measured: docs/pipeline-identities.md). */
export const DEFAULT_GAP_TOLERANCE_S = 0.5;

/**
 * Gap tolerance for a sampling rate: at least DEFAULT_GAP_TOLERANCE_S, and at least two sampling
 * intervals, so two missed analysed frames in a row never cut a person's time at a coarse stride.
 */
export function gapToleranceFor(stride: number, fps: number): number {
  const step = fps > 0 && stride >= 1 ? stride / fps : 0;
  return Math.round(Math.max(DEFAULT_GAP_TOLERANCE_S, 2 * step) * 1000) / 1000;
}

export interface Span {
  start: number;
  end: number;
  /** Shot index, or -1 when unknown. */
  shot: number;
}

export type TrackTimes = Pick<TrackRow, 'first_ts' | 'last_ts' | 'shot'> & Partial<Pick<TrackRow, 'first_frame' | 'last_frame'>>;
export type ShotTimes = Pick<ShotRow, 'start_ts' | 'end_ts'> & Partial<Pick<ShotRow, 'start_frame' | 'end_frame'>>;

export interface ScreentimeParams {
  /** Half the sampling interval, seconds (stride / fps / 2). */
  halfStepS: number;
  /** detect_track's stride in frames; enables snapping to shot edges (0 or absent: off). */
  strideFrames?: number;
  gapToleranceS: number;
  durationS: number;
}

export function halfStep(stride: number, fps: number): number {
  if (!(fps > 0) || !(stride >= 1)) return 0;
  return stride / fps / 2;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The time span a track covers, or null when it is empty after clipping. */
export function trackSpan(track: TrackTimes, shots: ReadonlyMap<number, ShotTimes>, p: ScreentimeParams): Span | null {
  let start = track.first_ts - p.halfStepS;
  let end = track.last_ts + p.halfStepS;
  const shot = shots.get(track.shot);
  if (shot) {
    start = Math.max(start, shot.start_ts);
    end = Math.min(end, shot.end_ts);
    const stride = p.strideFrames ?? 0;
    if (stride > 1 && track.first_frame !== undefined && track.last_frame !== undefined && shot.start_frame !== undefined && shot.end_frame !== undefined) {
      if (track.first_frame - shot.start_frame < stride) start = shot.start_ts;
      if (shot.end_frame - 1 - track.last_frame < stride) end = shot.end_ts;
    }
  }
  start = Math.max(0, start);
  if (p.durationS > 0) end = Math.min(end, p.durationS);
  if (!(end > start)) return null;
  return { start, end, shot: shot ? track.shot : -1 };
}

/**
 * Union of spans: overlapping or touching spans join; a gap of at most `gapToleranceS` is bridged
 * only between spans of the same (known) shot.
 */
export function mergeSpans(spans: readonly Span[], gapToleranceS: number): Array<[number, number]> {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Array<[number, number]> = [];
  let cur: { start: number; end: number; shot: number } | null = null;
  for (const s of sorted) {
    if (!cur) { cur = { ...s }; continue; }
    const gap = s.start - cur.end;
    if (gap <= 1e-9 || (gap <= gapToleranceS && s.shot >= 0 && s.shot === cur.shot)) {
      if (s.end > cur.end) { cur.end = s.end; cur.shot = s.shot; }
    } else {
      out.push([cur.start, cur.end]);
      cur = { ...s };
    }
  }
  if (cur) out.push([cur.start, cur.end]);
  return out;
}

export function totalLength(segments: ReadonlyArray<readonly [number, number]>): number {
  let t = 0;
  for (const [s, e] of segments) t += e - s;
  return t;
}

/** Screen time of every identity that is not ignored, longest first. */
export function computeScreentime(
  identities: readonly IdentityRow[],
  tracks: ReadonlyArray<TrackTimes & Pick<TrackRow, 'track_id'>>,
  shots: ReadonlyArray<ShotTimes & Pick<ShotRow, 'shot'>>,
  p: ScreentimeParams,
): ScreentimeFile {
  const byId = new Map(tracks.map((t) => [t.track_id, t]));
  const shotMap = new Map(shots.map((s) => [s.shot, s]));
  const rows: ScreentimeIdentity[] = [];
  for (const idn of identities) {
    if (idn.ignored) continue;
    const spans: Span[] = [];
    for (const tid of idn.track_ids) {
      const t = byId.get(tid);
      if (!t) continue;
      const s = trackSpan(t, shotMap, p);
      if (s) spans.push(s);
    }
    // milliseconds are plenty; rounding must not push an end past the video's end
    const maxT = p.durationS > 0 ? p.durationS : Infinity;
    const segs = mergeSpans(spans, p.gapToleranceS)
      .map(([s, e]) => [Math.max(0, r3(s)), Math.min(r3(e), maxT)] as [number, number])
      .filter(([s, e]) => e > s);
    rows.push({
      identity_id: idn.identity_id,
      label: idn.label,
      visible_s: Math.min(r3(totalLength(segs)), maxT),
      segments: segs,
      n_tracks: idn.track_ids.length,
      // the library's naming travels with the identity (only when cluster named it)
      ...(idn.match !== undefined ? { person_id: idn.person_id ?? null, match: idn.match, distance: idn.distance ?? null } : {}),
    });
  }
  rows.sort((a, b) => b.visible_s - a.visible_s || a.identity_id - b.identity_id);
  return { duration_s: p.durationS, gap_tolerance_s: p.gapToleranceS, identities: rows };
}

/** CSV cell: quoted when needed; a leading = + - @ is defused so spreadsheets never run it. */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const SCREENTIME_CSV_HEADER = ['identity_id', 'label', 'visible_s', 'n_tracks', 'n_segments', 'first_seen_s', 'last_seen_s', 'segments'] as const;

/**
 * screentime.csv: one row per identity (docs/pipeline-identities.md). `segments` is
 * "start-end" pairs in seconds joined by ";" (inside one cell).
 */
export function screentimeCsv(file: ScreentimeFile): string {
  const lines = [SCREENTIME_CSV_HEADER.join(',')];
  for (const r of file.identities) {
    const first = r.segments[0]?.[0] ?? null;
    const last = r.segments[r.segments.length - 1]?.[1] ?? null;
    lines.push([
      csvCell(r.identity_id), csvCell(r.label), csvCell(r.visible_s.toFixed(3)), csvCell(r.n_tracks), csvCell(r.segments.length),
      csvCell(first === null ? null : first.toFixed(3)), csvCell(last === null ? null : last.toFixed(3)),
      csvCell(r.segments.map(([s, e]) => `${s.toFixed(3)}-${e.toFixed(3)}`).join(';')),
    ].join(','));
  }
  return lines.join('\n') + '\n';
}
