// Which face samples of a track get embedded, and whether the track may vote on who it is.
// A track's identity is decided by the mean of its embeddings, so a few bad faces (tiny, blurred,
// in profile, cut off by the frame edge, half-detected) can drag it towards the wrong person;
// the gates below drop them. A track with no face passing the gates is WEAK: it keeps its single
// best sample (so it can still be attached to a person it is clearly close to), but it never
// causes a merge (pipeline/cluster/assign.ts).

import type { Point } from '../../shared/artifacts.js';
import { headPose } from './pose.js';

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
  /** The face box reaches the frame edge (pose.ts `cutByFrameEdge`). */
  edgeCut: boolean;
}

export interface FaceGates {
  minConf: number;
  minFacePx: number;
  /** Largest head turn (degrees, pose.ts) of a face that may vote: beyond it, near profile. */
  maxYawDeg: number;
  /** Largest nod up or down (degrees). */
  maxPitchDeg: number;
  /** Drop samples less sharp than this fraction of the track's sharpest sample. */
  minRelSharpness: number;
  /** Embed at most this many faces per track (the best by quality). */
  maxFaces: number;
}

/**
 * Why these values: docs/pipeline-identities.md ("Face quality"). 40 degrees of yaw is a
 * three-quarter view, where both eyes are still visible; the embedder's errors grow quickly past it.
 */
export const DEFAULT_GATES: FaceGates = { minConf: 0.7, minFacePx: 20, maxYawDeg: 40, maxPitchDeg: 35, minRelSharpness: 0.3, maxFaces: 8 };

export type RejectReason = 'conf' | 'size' | 'pose' | 'edge' | 'blur';

export interface Selection {
  /** Indices into the candidates, best quality first. */
  chosen: number[];
  /** How much each chosen face counts in the track's prototype (0..1, same order). */
  weights: number[];
  /** No candidate passed the gates; `chosen` holds the single best one anyway. */
  weak: boolean;
  /** Mean weight of the chosen faces: the track's quality, 0..1. */
  quality: number;
  rejected: Record<RejectReason, number>;
}

/** Why a face may not vote for its looks alone (sharpness is judged against the track), or null. */
export function shapeRejectReason(c: FaceCandidate, g: FaceGates): Exclude<RejectReason, 'blur'> | null {
  if (c.conf < g.minConf) return 'conf';
  if (c.facePx < g.minFacePx) return 'size';
  const pose = headPose(c.landmarks);
  if (!pose || Math.abs(pose.yaw) > g.maxYawDeg || Math.abs(pose.pitch) > g.maxPitchDeg) return 'pose';
  if (c.edgeCut) return 'edge';
  return null;
}

/**
 * How much a face counts in its track's prototype: frontal beats turned, big beats small (an
 * 80 px face fills the embedder's chip without upscaling), confident beats doubtful.
 */
export function faceWeight(c: FaceCandidate): number {
  const pose = headPose(c.landmarks);
  if (!pose) return 0;
  const rad = Math.PI / 180;
  const posef = Math.max(0, Math.cos(pose.yaw * rad) * Math.cos(pose.pitch * rad));
  const size = Math.min(1, c.facePx / 80);
  return Math.max(0, Math.min(1, posef * size * c.conf));
}

export function selectFaces(cands: readonly FaceCandidate[], g: FaceGates = DEFAULT_GATES): Selection {
  const rejected: Record<RejectReason, number> = { conf: 0, size: 0, pose: 0, edge: 0, blur: 0 };
  if (cands.length === 0) return { chosen: [], weights: [], weak: true, quality: 0, rejected };
  // Sharpness is compared among the faces that pass the other gates: a profile or a cut-off face
  // can be the sharpest of a track and would otherwise make its usable faces look blurred.
  const usable: number[] = [];
  cands.forEach((c, i) => {
    const why = shapeRejectReason(c, g);
    if (why) rejected[why]++;
    else usable.push(i);
  });
  const sharpest = Math.max(0, ...usable.map((i) => cands[i]!.sharpness));
  const pass = usable.filter((i) => {
    const sharp = cands[i]!.sharpness >= g.minRelSharpness * sharpest;
    if (!sharp) rejected.blur++;
    return sharp;
  });
  const byQuality = (a: number, b: number) => cands[b]!.quality - cands[a]!.quality || a - b;
  const weak = pass.length === 0;
  const chosen = weak ? [cands.map((_, i) => i).sort(byQuality)[0]!] : pass.sort(byQuality).slice(0, Math.max(1, g.maxFaces));
  const weights = chosen.map((i) => faceWeight(cands[i]!));
  const quality = weights.reduce((s, w) => s + w, 0) / weights.length;
  return { chosen, weights, weak, quality: Math.round(quality * 1e4) / 1e4, rejected };
}
