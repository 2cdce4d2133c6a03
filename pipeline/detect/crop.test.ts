import { describe, it, expect } from 'vitest';
import { cropBoxFor, cropRgb, faceQuality, landmarksInCrop, laplacianVariance } from './crop.js';

/** A bgr24 test frame whose pixel (x, y) is B = x, G = y, R = 100. */
function gradient(w: number, h: number): Uint8Array {
  const f = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f.set([x, y, 100], (y * w + x) * 3);
  return f;
}

describe('face crops', () => {
  it('builds a square twice the longer side, centred on the box', () => {
    expect(cropBoxFor([100, 100, 140, 180])).toEqual([40, 60, 200, 220]);
  });

  it('maps landmarks into sample pixels', () => {
    expect(landmarksInCrop([[40, 60], [200, 220], [120, 140]], [40, 60, 200, 220], 192)).toEqual([[0, 0], [192, 192], [96, 96]]);
  });

  it('resamples the right pixels, swaps BGR to RGB and pads outside the frame with black', () => {
    const w = 200, h = 150;
    const frame = gradient(w, h);
    const out = new Uint8Array(8 * 8 * 3);
    // source = 2x the analysis frame; crop source x 100..116, y 40..56 -> analysis 50..58, 20..28
    cropRgb(frame, w, h, 2, 2, [100, 40, 116, 56], out, 8);
    // sample (0,0): source centre (101, 41) -> analysis (50.5-0.5, 20.5-0.5) = (50, 20)
    expect([out[0], out[1], out[2]]).toEqual([100, 20, 50]);
    const last = (7 * 8 + 7) * 3;
    expect([out[last], out[last + 1], out[last + 2]]).toEqual([100, 27, 57]);
    // a crop hanging off the left edge: its left half is black
    cropRgb(frame, w, h, 2, 2, [-16, 40, 0, 56], out, 8);
    expect(out.subarray(0, 3)).toEqual(new Uint8Array([0, 0, 0]));
  });

  it('sharpness: a flat patch has zero Laplacian variance, a checkerboard a large one; quality ranks accordingly', () => {
    const w = 64, h = 64;
    const flat = new Uint8Array(w * h * 3).fill(128);
    const checker = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) checker.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    expect(laplacianVariance(flat, w, h, [8, 8, 56, 56])).toBe(0);
    const v = laplacianVariance(checker, w, h, [8, 8, 56, 56]);
    expect(v).toBeGreaterThan(1000);
    expect(faceQuality(100, 0.9, v)).toBeGreaterThan(faceQuality(100, 0.9, 5));
    expect(faceQuality(100, 0.9, v)).toBeLessThan(90.0001);
  });
});
