// Face crops and face quality, computed from the analysis frame (bgr24) while it is in memory.
// Pure functions on typed arrays; the output buffers are supplied by the caller (pooled).

import { SAMPLE_SIZE, type Box, type Point } from '../../shared/artifacts.js';

/** Crop side = CROP_SCALE x the longer side of the face box (loose: room for alignment). */
export const CROP_SCALE = 2.0;

/** The square crop (source pixels) centred on a face box. May reach outside the frame. */
export function cropBoxFor(box: Box, scale = CROP_SCALE): Box {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const side = scale * Math.max(box[2] - box[0], box[3] - box[1], 1);
  return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2];
}

/** Landmarks (source pixels) in the coordinates of a `size` x `size` sample made from `crop`. */
export function landmarksInCrop(lm: Point[], crop: Box, size = SAMPLE_SIZE): Point[] {
  const k = size / (crop[2] - crop[0]);
  return lm.map(([x, y]) => [(x - crop[0]) * k, (y - crop[1]) * k] as Point);
}

// Per-column sampling positions, reused between crops (a crop is 192 columns): the inner loop
// then only blends.
let colX0 = new Int32Array(0);
let colX1 = new Int32Array(0);
let colW = new Float32Array(0);
let colIn = new Uint8Array(0);

/**
 * Resamples the source-pixel square `crop` of a bgr24 analysis frame (aw x ah, which is the
 * source scaled by 1/sx, 1/sy) into `out` as RGB size x size, bilinear; outside the frame is black.
 */
export function cropRgb(
  frame: Uint8Array, aw: number, ah: number, sx: number, sy: number,
  crop: Box, out: Uint8Array, size = SAMPLE_SIZE,
): void {
  const step = (crop[2] - crop[0]) / size;
  const maxX = aw - 1;
  const maxY = ah - 1;
  if (colX0.length < size) {
    colX0 = new Int32Array(size);
    colX1 = new Int32Array(size);
    colW = new Float32Array(size);
    colIn = new Uint8Array(size);
  }
  for (let u = 0; u < size; u++) {
    // Pixel centres: source x of the sample's column, then analysis-frame x.
    const fx = (crop[0] + (u + 0.5) * step) / sx - 0.5;
    colIn[u] = fx >= -0.5 && fx <= maxX + 0.5 ? 1 : 0;
    const xc = fx < 0 ? 0 : fx > maxX ? maxX : fx;
    const x0 = Math.floor(xc);
    colX0[u] = x0 * 3;
    colX1[u] = (x0 < maxX ? x0 + 1 : x0) * 3;
    colW[u] = xc - x0;
  }
  let o = 0;
  for (let v = 0; v < size; v++) {
    const fy = (crop[1] + (v + 0.5) * step) / sy - 0.5;
    if (fy < -0.5 || fy > maxY + 0.5) {
      out.fill(0, o, o + size * 3);
      o += size * 3;
      continue;
    }
    const yc = fy < 0 ? 0 : fy > maxY ? maxY : fy;
    const y0 = Math.floor(yc);
    const y1 = y0 < maxY ? y0 + 1 : y0;
    const wy = yc - y0;
    const r0 = y0 * aw * 3;
    const r1 = y1 * aw * 3;
    for (let u = 0; u < size; u++, o += 3) {
      if (colIn[u] === 0) {
        out[o] = 0; out[o + 1] = 0; out[o + 2] = 0;
        continue;
      }
      const wx = colW[u]!;
      const a = r0 + colX0[u]!, b = r0 + colX1[u]!, c = r1 + colX0[u]!, d = r1 + colX1[u]!;
      // bgr -> rgb: channel ch lands at 2 - ch
      let top = frame[a]! + (frame[b]! - frame[a]!) * wx;
      let bot = frame[c]! + (frame[d]! - frame[c]!) * wx;
      out[o + 2] = (top + (bot - top) * wy + 0.5) | 0;
      top = frame[a + 1]! + (frame[b + 1]! - frame[a + 1]!) * wx;
      bot = frame[c + 1]! + (frame[d + 1]! - frame[c + 1]!) * wx;
      out[o + 1] = (top + (bot - top) * wy + 0.5) | 0;
      top = frame[a + 2]! + (frame[b + 2]! - frame[a + 2]!) * wx;
      bot = frame[c + 2]! + (frame[d + 2]! - frame[c + 2]!) * wx;
      out[o] = (top + (bot - top) * wy + 0.5) | 0;
    }
  }
}

/**
 * Sharpness: variance of the 4-neighbour Laplacian of the green channel inside a box (analysis
 * pixels), on a grid of at most ~48x48 points so a big face costs the same as a small one.
 */
export function laplacianVariance(frame: Uint8Array, aw: number, ah: number, box: Box): number {
  const x0 = Math.max(1, Math.floor(box[0]));
  const y0 = Math.max(1, Math.floor(box[1]));
  const x1 = Math.min(aw - 2, Math.ceil(box[2]));
  const y1 = Math.min(ah - 2, Math.ceil(box[3]));
  if (x1 <= x0 || y1 <= y0) return 0;
  const step = Math.max(1, Math.floor(Math.max(x1 - x0, y1 - y0) / 48));
  const row = aw * 3;
  let n = 0, s = 0, s2 = 0;
  for (let y = y0; y <= y1; y += step) {
    for (let x = x0; x <= x1; x += step) {
      const i = y * row + x * 3 + 1;
      const l = 4 * frame[i]! - frame[i - 3]! - frame[i + 3]! - frame[i - row]! - frame[i + row]!;
      s += l; s2 += l * l; n++;
    }
  }
  if (n === 0) return 0;
  const m = s / n;
  return s2 / n - m * m;
}

/**
 * Quality used to rank samples of a track: face size (source px) x detector confidence x a
 * bounded sharpness factor (Laplacian variance v -> v / (v + 100): blur drags a face down hard,
 * but past "sharp enough" noise cannot buy rank).
 */
export function faceQuality(facePx: number, conf: number, lapVar: number): number {
  return facePx * conf * (lapVar / (lapVar + 100));
}
