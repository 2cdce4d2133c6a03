// Cannot-link constraints from co-occurrence: two tracks seen in the same frame at different
// places are two different people. Two boxes in the same frame that mostly overlap are one face
// found twice (a tracker hiccup), which says nothing, so they are not constrained.

import type { Box } from '../../shared/artifacts.js';

export interface TrackDetection {
  frame_idx: number;
  track_id: number;
  bbox: Box;
}

export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return ua > 0 ? inter / ua : 0;
}

/**
 * Pairs of track ids [lo, hi] that appear together in at least one frame with boxes overlapping
 * less than `maxIou`. Detections with track_id < 0 (unassigned) are ignored.
 */
export function coOccurringTracks(detections: Iterable<TrackDetection>, maxIou = 0.3): Array<[number, number]> {
  const byFrame = new Map<number, TrackDetection[]>();
  for (const d of detections) {
    if (d.track_id < 0) continue;
    let list = byFrame.get(d.frame_idx);
    if (!list) byFrame.set(d.frame_idx, (list = []));
    list.push(d);
  }
  const seen = new Set<string>();
  const out: Array<[number, number]> = [];
  for (const list of byFrame.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!, b = list[j]!;
        if (a.track_id === b.track_id) continue;
        if (boxIou(a.bbox, b.bbox) >= maxIou) continue;
        const lo = Math.min(a.track_id, b.track_id), hi = Math.max(a.track_id, b.track_id);
        const key = `${lo}:${hi}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push([lo, hi]);
      }
    }
  }
  return out;
}
