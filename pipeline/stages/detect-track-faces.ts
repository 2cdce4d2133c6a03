// One analysed frame's faces as detect_track keeps them: the box and landmarks in source pixels,
// a quality score, and the 192x192 crop faces_embed will align. The crop is cut now because the
// frame is only in memory while the decoder sits on it; no later stage decodes the video again.

import { SAMPLE_BYTES, type Box, type Point } from '../../shared/artifacts.js';
import { cropBoxFor, cropRgb, faceQuality, laplacianVariance } from '../detect/crop.js';
import type { Face } from '../detect/yunet.js';
import type { DetectTrackPlan } from './detect-track-plan.js';

/** A face on one analysed frame, in source pixels. */
export interface Det {
  box: Box;
  conf: number;
  landmarks: Point[];
  /** Longer side of the box. */
  facePx: number;
  quality: number;
  /** The square the sample is cut from (may reach outside the frame). */
  crop: Box;
  /** The sample, SAMPLE_BYTES of RGB; null once written or given back to the pool. */
  pixels: Uint8Array | null;
  /** A track took this detection (its pixels belong to that track's selector now). */
  kept: boolean;
}

/** The detections of one analysed frame, waiting for the cut detector to rule on that frame. */
export interface FrameDets {
  frame: number;
  dets: Det[];
  /** The frame at a glance (pipeline/detect/frame-look.ts); null when it holds no face. */
  look: Uint8Array | null;
}

/** Faces narrower or shorter than this (source pixels) after clipping to the frame are dropped. */
const MIN_BOX_SIDE = 2;
/** Free crop buffers kept for reuse; more than a frame's faces plus a few tracks' worth is waste. */
const POOL_LIMIT = 256;

/**
 * Crop buffers, reused: a run allocates about (live tracks x 2K + a frame's faces) of them instead
 * of one per detection.
 */
export class CropPool {
  private readonly free: Uint8Array[] = [];

  take(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(SAMPLE_BYTES);
  }

  give(buffer: Uint8Array | null): void {
    if (buffer && this.free.length < POOL_LIMIT) this.free.push(buffer);
  }
}

/**
 * The detector's faces on one analysis frame (bgr24, plan.width x plan.height) as detections in
 * source pixels (`sourceW` x `sourceH`), each with its quality and its crop cut from the frame.
 */
export function detectionsOf(faces: Face[], frame: Uint8Array, plan: DetectTrackPlan, sourceW: number, sourceH: number, pool: CropPool): Det[] {
  const { width: aw, height: ah, scaleX: sx, scaleY: sy } = plan;
  const dets: Det[] = [];
  for (const f of faces) {
    const box: Box = [
      Math.max(0, f.box[0] * sx), Math.max(0, f.box[1] * sy),
      Math.min(sourceW, f.box[2] * sx), Math.min(sourceH, f.box[3] * sy),
    ];
    if (box[2] - box[0] < MIN_BOX_SIDE || box[3] - box[1] < MIN_BOX_SIDE) continue;
    const facePx = Math.max(box[2] - box[0], box[3] - box[1]);
    const sharpness = laplacianVariance(frame, aw, ah, f.box);
    const crop = cropBoxFor(box);
    const pixels = pool.take();
    cropRgb(frame, aw, ah, sx, sy, crop, pixels);
    dets.push({
      box,
      conf: f.score,
      landmarks: f.landmarks.map(([x, y]) => [x * sx, y * sy] as Point),
      facePx,
      quality: faceQuality(facePx, f.score, sharpness),
      crop,
      pixels,
      kept: false,
    });
  }
  return dets;
}
