// Edits name tracks by id, and a detect_track run numbers its tracks itself: run again with the
// same settings it gives the same ids (the stage is deterministic), run with other settings (a
// profile, a stride, a sampling) it numbers them anew and the old edits would name nothing.
// So every review save keeps, beside the edits, where each edited track was (its frames and its
// mean box, in source pixels, comparable across analysis sizes) and which detect_track run that
// was (its config hash). When cluster finds another run, each edited track is carried over to the
// new track that covers the same frames at the same place; a track with no such match is dropped
// from the edits (it was not found again).
// Pure: the caller reads tracks.jsonl / detections.jsonl and writes edits.json.

import type { Box, DetectionRow, EditsFile, TrackRow } from '../../shared/artifacts.js';

/** Where a track was: its first and last source frame and its mean box. */
export interface TrackSpan {
  first_frame: number;
  last_frame: number;
  box: Box;
}

/** The edited tracks of edits.json and the detect_track run they come from. */
export interface EditedTracks {
  /** detect_track's config hash when the edits were saved. */
  run: string;
  /** By track id (as a string: a JSON object key). */
  spans: Record<string, TrackSpan>;
}

/** Two tracks are the same when their frames overlap this much (of their union) ... */
export const MIN_FRAME_OVERLAP = 0.5;
/** ... and their mean boxes this much (intersection over union). */
export const MIN_BOX_OVERLAP = 0.3;

/** Every track id the edits name. */
export function editedTrackIds(state: EditsFile): Set<number> {
  const ids = new Set<number>([...state.splits, ...state.ignored, ...state.merges.flat(), ...state.labels.flatMap((l) => l.track_ids)]);
  for (const p of state.people ?? []) for (const t of p.track_ids) ids.add(t);
  return ids;
}

/** The spans of the given tracks (all tracks when `only` is absent), mean box from their detections. */
export function trackSpans(tracks: readonly TrackRow[], detections: readonly DetectionRow[], only?: ReadonlySet<number>): Record<string, TrackSpan> {
  const sums = new Map<number, { n: number; x: number; y: number; w: number; h: number }>();
  for (const d of detections) {
    if (only && !only.has(d.track_id)) continue;
    const s = sums.get(d.track_id) ?? { n: 0, x: 0, y: 0, w: 0, h: 0 };
    s.n++;
    s.x += d.bbox[0];
    s.y += d.bbox[1];
    s.w += d.bbox[2];
    s.h += d.bbox[3];
    sums.set(d.track_id, s);
  }
  const out: Record<string, TrackSpan> = {};
  for (const t of tracks) {
    const s = sums.get(t.track_id);
    if (!s || (only && !only.has(t.track_id))) continue;
    out[String(t.track_id)] = { first_frame: t.first_frame, last_frame: t.last_frame, box: [s.x / s.n, s.y / s.n, s.w / s.n, s.h / s.n] };
  }
  return out;
}

function frameOverlap(a: TrackSpan, b: TrackSpan): number {
  const inter = Math.min(a.last_frame, b.last_frame) - Math.max(a.first_frame, b.first_frame) + 1;
  const union = Math.max(a.last_frame, b.last_frame) - Math.min(a.first_frame, b.first_frame) + 1;
  return inter > 0 ? inter / union : 0;
}

function boxOverlap(a: Box, b: Box): number {
  const iw = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

/**
 * Old track id -> new track id: pairs over both overlaps, best first (frame overlap x box
 * overlap), each track used once. An old track without a match is left out.
 */
export function matchTracks(old: Record<string, TrackSpan>, fresh: Record<string, TrackSpan>): Map<number, number> {
  const pairs: Array<{ o: number; n: number; score: number }> = [];
  for (const [oid, o] of Object.entries(old)) {
    for (const [nid, n] of Object.entries(fresh)) {
      const f = frameOverlap(o, n);
      if (f < MIN_FRAME_OVERLAP) continue;
      const b = boxOverlap(o.box, n.box);
      if (b < MIN_BOX_OVERLAP) continue;
      pairs.push({ o: Number(oid), n: Number(nid), score: f * b });
    }
  }
  pairs.sort((a, b) => b.score - a.score || a.o - b.o || a.n - b.n);
  const map = new Map<number, number>();
  const taken = new Set<number>();
  for (const p of pairs) {
    if (map.has(p.o) || taken.has(p.n)) continue;
    map.set(p.o, p.n);
    taken.add(p.n);
  }
  return map;
}

/** The edits with every track id carried over by `map`; ids without a new track are dropped. */
export function carryEdits(state: EditsFile, map: ReadonlyMap<number, number>): EditsFile {
  const ids = (ts: readonly number[]) => [...new Set(ts.flatMap((t) => (map.has(t) ? [map.get(t)!] : [])))].sort((a, b) => a - b);
  const people = (state.people ?? []).map((p) => ({ ...p, track_ids: ids(p.track_ids) })).filter((p) => p.track_ids.length > 0);
  return {
    labels: state.labels.map((l) => ({ ...l, track_ids: ids(l.track_ids) })).filter((l) => l.track_ids.length > 0),
    merges: state.merges.map(ids).filter((g) => g.length >= 2),
    splits: ids(state.splits),
    ignored: ids(state.ignored),
    ...(people.length ? { people } : {}),
  };
}
