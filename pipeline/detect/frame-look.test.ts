import { describe, expect, it } from 'vitest';
import { LOOK_BYTES, LOOK_H, LOOK_W, LookMean, decodeLook, encodeLook, frameLook, lookDistance } from './frame-look.js';

/** A bgr24 frame painted by a function of the pixel position. */
function frame(w: number, h: number, bgr: (x: number, y: number) => [number, number, number]): Uint8Array {
  const f = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f.set(bgr(x, y), (y * w + x) * 3);
  return f;
}

describe('frameLook', () => {
  it('averages each cell of the 16 x 9 grid and gives RGB', () => {
    // left half blue, right half red (bgr order in the frame)
    const f = frame(64, 36, (x) => (x < 32 ? [200, 0, 0] : [0, 0, 100]));
    const look = frameLook(f, 64, 36);
    expect(look).toHaveLength(LOOK_BYTES);
    expect([...look.subarray(0, 3)]).toEqual([0, 0, 200]);
    const lastCell = (LOOK_W * LOOK_H - 1) * 3;
    expect([...look.subarray(lastCell, lastCell + 3)]).toEqual([100, 0, 0]);
  });

  it('works for any frame size (cells of unequal width)', () => {
    const f = frame(50, 29, () => [10, 20, 30]);
    expect(new Set(frameLook(f, 50, 29))).toEqual(new Set([30, 20, 10]));
    // a gradient: the cell means increase left to right
    const g = frameLook(frame(50, 29, (x) => [0, 0, x * 5]), 50, 29);
    const reds = Array.from({ length: LOOK_W }, (_, c) => g[c * 3]!);
    expect(reds).toEqual([...reds].sort((a, b) => a - b));
    expect(reds[0]).toBeLessThan(reds[LOOK_W - 1]!);
  });
});

describe('looks compared and stored', () => {
  it('distance is the mean absolute difference, 0 for the same look', () => {
    const a = new Uint8Array(LOOK_BYTES).fill(100);
    const b = new Uint8Array(LOOK_BYTES).fill(110);
    expect(lookDistance(a, a)).toBe(0);
    expect(lookDistance(a, b)).toBe(10);
  });

  it('a running mean of looks, and base64 round trip; a damaged look reads as none', () => {
    const m = new LookMean();
    expect(m.mean()).toBeNull();
    m.add(new Uint8Array(LOOK_BYTES).fill(10));
    m.add(new Uint8Array(LOOK_BYTES).fill(21));
    const mean = m.mean()!;
    expect(mean[0]).toBe(16);
    expect(decodeLook(encodeLook(mean))).toEqual(mean);
    expect(decodeLook('AAAA')).toBeNull();
    expect(decodeLook(undefined)).toBeNull();
  });
});

describe('frameLook against the plain per-pixel mean', () => {
  /** Every sampled pixel added to its cell one by one: the reference. */
  function plainLook(bgr: Uint8Array, w: number, h: number): Uint8Array {
    const sums = new Float64Array(LOOK_BYTES);
    const counts = new Float64Array(LOOK_W * LOOK_H);
    for (let y = 0; y < h; y += 2) {
      for (let x = 0; x < w; x += 2) {
        const c = Math.min(LOOK_H - 1, Math.floor((y * LOOK_H) / h)) * LOOK_W + Math.min(LOOK_W - 1, Math.floor((x * LOOK_W) / w));
        const i = (y * w + x) * 3;
        sums[c * 3] = sums[c * 3]! + bgr[i + 2]!;
        sums[c * 3 + 1] = sums[c * 3 + 1]! + bgr[i + 1]!;
        sums[c * 3 + 2] = sums[c * 3 + 2]! + bgr[i]!;
        counts[c] = counts[c]! + 1;
      }
    }
    return Uint8Array.from(sums, (s, k) => Math.round(s / (counts[Math.floor(k / 3)] || 1)));
  }

  it('gives the same bytes at the analysis sizes and at sizes smaller than the grid', () => {
    for (const [w, h] of [[640, 360], [480, 270], [960, 540], [33, 20], [17, 9], [5, 3], [1, 1]] as const) {
      const frame = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 2654435761) >>> 24);
      expect(Buffer.from(frameLook(frame, w, h)).equals(Buffer.from(plainLook(frame, w, h))), `${w}x${h}`).toBe(true);
    }
  });
});
