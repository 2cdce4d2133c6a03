// Which face samples of a track get embedded. A track's identity is decided by the mean of its
// embeddings, so a few bad faces (tiny, blurred, in profile, half-detected) can drag it towards
// the wrong person; the gates below drop them, but every track keeps at least its best sample
// (a track without an embedding could not count towards anyone's screen time).

import type { Point } from '../../shared/artifacts.js';

export interface FaceCandidate {
  /** Detector confidence. */
  conf: number;
  /** Longer side of the face box as the detector SAW it (analysis pixels). */
  facePx: number;
  /** 5 landmarks: right eye, left eye, nose, right mouth corner, left mouth corner. */
  landmarks: readonly Point[];
  /** Variance of the Laplacian of the aligned chip. */
  sharpness: number;
  /** detect_track's sample quality (size x confidence x sharpness). */
  quality: number;
}

export interface FaceGates {
  minConf: number;
  minFacePx: number;
  /** |nose - eye midpoint| / eye distance, horizontally: 0 frontal, ~0.5+ near profile. */
  maxYaw: number;
  /** Drop samples less sharp than this fraction of the track's sharpest sample. */
  minRelSharpness: number;
  /** Embed at most this many faces per track (the best by quality). */
  maxFaces: number;
}

export const DEFAULT_GATES: FaceGates = { minConf: 0.7, minFacePx: 20, maxYaw: 0.45, minRelSharpness: 0.3, maxFaces: 8 };

/** Horizontal offset of the nose from the eye midpoint in eye distances (a cheap yaw estimate). */
export function yawProxy(lm: readonly Point[]): number {
  const [re, le, nose] = lm as [Point, Point, Point];
  const eyeDist = Math.hypot(le[0] - re[0], le[1] - re[1]);
  if (!(eyeDist > 0)) return Infinity;
  // project the nose offset onto the eye line so an in-plane tilt does not count as yaw
  const ux = (le[0] - re[0]) / eyeDist, uy = (le[1] - re[1]) / eyeDist;
  const mx = (re[0] + le[0]) / 2, my = (re[1] + le[1]) / 2;
  return Math.abs((nose[0] - mx) * ux + (nose[1] - my) * uy) / eyeDist;
}

export interface Selection {
  /** Indices into the candidates, best quality first. */
  chosen: number[];
  /** No candidate passed the gates; `chosen` holds the single best one anyway. */
  weak: boolean;
  rejected: { conf: number; size: number; yaw: number; blur: number };
}

export function selectFaces(cands: readonly FaceCandidate[], g: FaceGates = DEFAULT_GATES): Selection {
  const rejected = { conf: 0, size: 0, yaw: 0, blur: 0 };
  if (cands.length === 0) return { chosen: [], weak: true, rejected };
  const sharpest = Math.max(...cands.map((c) => c.sharpness));
  const pass: number[] = [];
  cands.forEach((c, i) => {
    if (c.conf < g.minConf) rejected.conf++;
    else if (c.facePx < g.minFacePx) rejected.size++;
    else if (yawProxy(c.landmarks) > g.maxYaw) rejected.yaw++;
    else if (c.sharpness < g.minRelSharpness * sharpest) rejected.blur++;
    else pass.push(i);
  });
  const byQuality = (a: number, b: number) => cands[b]!.quality - cands[a]!.quality || a - b;
  if (pass.length === 0) {
    const all = cands.map((_, i) => i).sort(byQuality);
    return { chosen: [all[0]!], weak: true, rejected };
  }
  return { chosen: pass.sort(byQuality).slice(0, Math.max(1, g.maxFaces)), weak: false, rejected };
}
