// Detection recall on a labelled group photo (../shared/media/solvay_1927.png): which true face
// boxes a detector found. Used by the detector's test and by `npm run eval`.

import { readFileSync } from 'node:fs';
import type { Box } from '../../shared/artifacts.js';
import { iou } from '../detect/yunet.js';

/** Reads solvay_1927_faces.txt: `detection_N` then four corners as `row col`. */
export function readCornerBoxes(file: string): Array<{ name: string; box: Box }> {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const out: Array<{ name: string; box: Box }> = [];
  for (let i = 0; i < lines.length; ) {
    const name = lines[i++]!;
    const pts = lines.slice(i, i + 4).map((l) => l.split(/\s+/).map(Number) as [number, number]);
    i += 4;
    const ys = pts.map((p) => p[0]);
    const xs = pts.map((p) => p[1]);
    out.push({ name, box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] });
  }
  return out;
}

export interface RecallResult {
  /** True boxes found. */
  found: number;
  /** Detections that matched no true box. */
  extra: number;
  /** For each true box, the index of the detection matched to it, or -1. */
  match: number[];
}

/**
 * A true face counts as found when a detection's centre lies in its box or their IoU is >= 0.3;
 * each detection is used once (in truth order).
 */
export function matchDetections(truth: ReadonlyArray<{ box: Box }>, detections: ReadonlyArray<{ box: Box }>): RecallResult {
  const used = new Set<number>();
  const match = truth.map((t) => {
    const k = detections.findIndex((f, i) => {
      if (used.has(i)) return false;
      const cx = (f.box[0] + f.box[2]) / 2;
      const cy = (f.box[1] + f.box[3]) / 2;
      const inside = cx >= t.box[0] && cx <= t.box[2] && cy >= t.box[1] && cy <= t.box[3];
      return inside || iou(f.box, t.box) >= 0.3;
    });
    if (k >= 0) used.add(k);
    return k;
  });
  return { found: used.size, extra: detections.length - used.size, match };
}
