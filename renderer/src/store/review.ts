// Pure rules of the review tools: which person the keyboard moves to, where the next or previous
// segment starts, where a face box is at a moment of the video, and where segments sit on the
// scrub bar. The review slice and the player only call these.

import type { TrackBoxes } from '../../../shared/ipc.js';

/** The id after (dir 1) or before (dir -1) `current` in `order`, wrapping; the first one when current is not in it. */
export function stepId(order: readonly number[], current: number | null, dir: 1 | -1): number | null {
  if (order.length === 0) return null;
  const i = current === null ? -1 : order.indexOf(current);
  if (i < 0) return dir === 1 ? order[0]! : order[order.length - 1]!;
  return order[(i + dir + order.length) % order.length]!;
}

/**
 * The start of the next segment after `t` (dir 1) or of the previous one (dir -1); null at the
 * ends. "Previous" skips the segment the playhead is just past the start of (within `slack`
 * seconds), as a player's "previous" does, so pressing it twice walks back.
 */
export function segmentStart(segments: ReadonlyArray<readonly [number, number]>, t: number, dir: 1 | -1, slack = 0.5): number | null {
  const starts = segments.map((s) => s[0]).sort((a, b) => a - b);
  if (dir === 1) return starts.find((s) => s > t + 1e-3) ?? null;
  for (let i = starts.length - 1; i >= 0; i--) if (starts[i]! < t - slack) return starts[i]!;
  return null;
}

/** The segment that holds `t`, or null. */
export function segmentAt(segments: ReadonlyArray<readonly [number, number]>, t: number): [number, number] | null {
  const s = segments.find(([a, b]) => t >= a && t <= b);
  return s ? [s[0], s[1]] : null;
}

/**
 * The face box of the given tracks at time `t` (seconds on the artifacts' clock): linear between
 * the two detections around `t` when they are at most `maxGap` apart (detect_track samples every
 * stride-th frame), the nearest one within maxGap / 2 at a track's ends, else null.
 */
export function boxAt(tracks: readonly TrackBoxes[], t: number, maxGap: number): [number, number, number, number] | null {
  for (const tr of tracks) {
    const b = tr.boxes;
    if (b.length === 0 || t < b[0]![0] - maxGap / 2 || t > b[b.length - 1]![0] + maxGap / 2) continue;
    let lo = 0, hi = b.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (b[mid]![0] <= t) lo = mid;
      else hi = mid;
    }
    const p = b[lo]!, q = b[hi]!;
    if (t <= p[0] || p === q) return Math.abs(t - p[0]) <= maxGap / 2 ? [p[1], p[2], p[3], p[4]] : null;
    if (t >= q[0]) return Math.abs(t - q[0]) <= maxGap / 2 ? [q[1], q[2], q[3], q[4]] : null;
    if (q[0] - p[0] > maxGap) {
      const near = t - p[0] < q[0] - t ? p : q;
      return Math.abs(t - near[0]) <= maxGap / 2 ? [near[1], near[2], near[3], near[4]] : null;
    }
    const f = (t - p[0]) / (q[0] - p[0]);
    return [p[1] + f * (q[1] - p[1]), p[2] + f * (q[2] - p[2]), p[3] + f * (q[3] - p[3]), p[4] + f * (q[4] - p[4])];
  }
  return null;
}

/** The usual time between two detections of a track (the median step), at least `frame`. */
export function sampleStep(tracks: readonly TrackBoxes[], frame: number): number {
  const steps: number[] = [];
  for (const t of tracks) for (let i = 1; i < t.boxes.length; i++) steps.push(t.boxes[i]![0] - t.boxes[i - 1]![0]);
  if (steps.length === 0) return frame;
  steps.sort((a, b) => a - b);
  return Math.max(frame, steps[steps.length >> 1]!);
}

/** Segments as percentages of the scrub bar (left, width), clipped to the episode; tiny ones stay visible. */
export function scrubMarks(segments: ReadonlyArray<readonly [number, number]>, duration: number, minPct = 0.3): Array<{ left: number; width: number; start: number }> {
  if (!(duration > 0)) return [];
  return segments
    .map(([a, b]) => {
      const s = Math.max(0, Math.min(a, duration));
      const e = Math.max(s, Math.min(b, duration));
      return { left: (s / duration) * 100, width: Math.max(minPct, ((e - s) / duration) * 100), start: a };
    })
    .filter((m) => m.left < 100);
}

/**
 * Where the player's rectangle goes over a video drawn with `object-fit: contain` in a box of
 * `boxW` x `boxH` CSS pixels: the face box in source pixels scaled and offset into it.
 */
export function placeBox(
  box: readonly [number, number, number, number],
  video: { width: number; height: number },
  boxW: number,
  boxH: number,
): { left: number; top: number; width: number; height: number } {
  const scale = Math.min(boxW / video.width, boxH / video.height);
  const ox = (boxW - video.width * scale) / 2;
  const oy = (boxH - video.height * scale) / 2;
  return { left: ox + box[0] * scale, top: oy + box[1] * scale, width: (box[2] - box[0]) * scale, height: (box[3] - box[1]) * scale };
}
