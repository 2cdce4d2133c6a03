import { describe, expect, it } from 'vitest';
import {
  alignFace, applySimilarity, chipTemplate, DLIB_CHIP_SIZE, fitSimilarity, invertSimilarity, similarityScale,
  round255, warpRgbBilinear, type Pt, type Similarity,
} from './align.js';
import { laplacianVariance, lumaContrast } from './quality.js';

const close = (a: number, b: number, eps = 1e-6) => expect(Math.abs(a - b)).toBeLessThan(eps);

describe('fitSimilarity', () => {
  it('recovers a known rotation, scale and translation exactly from clean points', () => {
    const truth: Similarity = { a: 1.7 * Math.cos(0.3), b: 1.7 * Math.sin(0.3), tx: -12.5, ty: 40 };
    const src: Pt[] = [[10, 20], [50, 22], [30, 45], [15, 70], [48, 69]];
    const dst = src.map((p) => applySimilarity(truth, p));
    const t = fitSimilarity(src, dst);
    close(t.a, truth.a); close(t.b, truth.b); close(t.tx, truth.tx, 1e-4); close(t.ty, truth.ty, 1e-4);
    close(similarityScale(t), 1.7);
  });

  it('is the least-squares fit: symmetric noise averages out', () => {
    const src: Pt[] = [[0, 0], [10, 0], [0, 10], [10, 10]];
    // each corner pushed outward by 1 along x only: a similarity scales both axes alike, so the
    // fit is a compromise scale between 1 and 1.2 with no rotation, and the centre stays put
    const dst: Pt[] = [[-1, 0], [11, 0], [-1, 10], [11, 10]];
    const t = fitSimilarity(src, dst);
    close(t.b, 0);
    close(applySimilarity(t, [5, 5])[0], 5);
    close(applySimilarity(t, [5, 5])[1], 5);
    expect(t.a).toBeGreaterThan(1);
    expect(t.a).toBeLessThan(1.2);
  });

  it('never reflects, and rejects degenerate input', () => {
    const src: Pt[] = [[0, 0], [10, 0], [2, 8]];
    const mirrored: Pt[] = src.map(([x, y]) => [-x, y]);
    const t = fitSimilarity(src, mirrored);
    // a similarity cannot mirror; the best proper fit leaves residuals instead
    const residual = src.reduce((s, p, i) => s + Math.hypot(applySimilarity(t, p)[0] - mirrored[i]![0], applySimilarity(t, p)[1] - mirrored[i]![1]), 0);
    expect(residual).toBeGreaterThan(3);
    expect(() => fitSimilarity([[1, 1], [1, 1]], [[0, 0], [2, 2]])).toThrow(/coincide/);
    expect(() => fitSimilarity([[1, 1]], [[0, 0]])).toThrow();
  });

  it('inverts', () => {
    const t: Similarity = { a: 0.8, b: -0.4, tx: 3, ty: -7 };
    const inv = invertSimilarity(t);
    const p = applySimilarity(inv, applySimilarity(t, [12.3, -4.5]));
    close(p[0], 12.3); close(p[1], -4.5);
  });
});

describe('warpRgbBilinear', () => {
  it('identity transform copies the image', () => {
    const w = 7, h = 5;
    const src = new Uint8Array(w * h * 3).map((_, i) => (i * 37) % 256);
    const out = warpRgbBilinear(src, w, h, { a: 1, b: 0, tx: 0, ty: 0 }, w, h);
    expect(Array.from(out)).toEqual(Array.from(src));
  });

  it('interpolates half-way between pixels and clamps outside', () => {
    // 2x1 image: black, white
    const src = new Uint8Array([0, 0, 0, 200, 100, 50]);
    const out = warpRgbBilinear(src, 2, 1, { a: 1, b: 0, tx: 0.5, ty: 0 }, 3, 1);
    expect(Array.from(out.subarray(0, 3))).toEqual([100, 50, 25]);
    expect(Array.from(out.subarray(6, 9))).toEqual([200, 100, 50]); // x = 2.5 clamps to the edge
  });
});

describe('alignFace', () => {
  it('puts the landmarks on the template: a bright dot at each landmark lands at the template point', () => {
    // draw a 192x192 crop with a rotated, scaled "face": bright 3x3 dots at 5 landmark positions
    const W = 192;
    const tpl = chipTemplate();
    const place: Similarity = { a: 0.9 * Math.cos(-0.25), b: 0.9 * Math.sin(-0.25), tx: 30, ty: 25 };
    const lms = tpl.map((p) => applySimilarity(place, p));
    const img = new Uint8Array(W * W * 3).fill(20);
    for (const [x, y] of lms) {
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const i = ((Math.round(y) + dy) * W + Math.round(x) + dx) * 3;
        img[i] = img[i + 1] = img[i + 2] = 250;
      }
    }
    const { chip, transform } = alignFace(img, W, W, lms);
    expect(chip.length).toBe(DLIB_CHIP_SIZE * DLIB_CHIP_SIZE * 3);
    close(similarityScale(transform), 1 / 0.9, 1e-6);
    for (const [x, y] of tpl) {
      const i = (Math.round(y) * DLIB_CHIP_SIZE + Math.round(x)) * 3;
      expect(chip[i]).toBeGreaterThan(150);
    }
    // and away from the dots the chip is the background
    expect(chip[(5 * DLIB_CHIP_SIZE + 5) * 3]).toBe(20);
  });

  it('template: eyes level, symmetric about the vertical centre line, mouth below nose below eyes', () => {
    const [re, le, nose, rm] = chipTemplate() as [Pt, Pt, Pt, Pt, Pt];
    close(re[1], le[1]);
    // dlib's mean face has its midline at 0.49 of the box, so the eyes centre 1 px left of 75
    close(re[0] + le[0], 2 * 75, 2.5);
    expect(nose[1]).toBeGreaterThan(re[1]);
    expect(rm[1]).toBeGreaterThan(nose[1]);
    expect(re[0]).toBeLessThan(le[0]);
  });
});

describe('quality measures', () => {
  it('a checkerboard is sharp and contrasty, a flat image is neither, a blur is in between', () => {
    const n = 40;
    const board = new Uint8Array(n * n * 3);
    const blur = new Uint8Array(n * n * 3);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      const v = (x + y) % 2 ? 255 : 0;
      const s = 128 + 100 * Math.sin(x / 6);
      board.fill(v, (y * n + x) * 3, (y * n + x) * 3 + 3);
      blur.fill(Math.round(s), (y * n + x) * 3, (y * n + x) * 3 + 3);
    }
    const flat = new Uint8Array(n * n * 3).fill(90);
    expect(laplacianVariance(flat, n, n)).toBe(0);
    expect(lumaContrast(flat, n, n)).toBe(0);
    expect(laplacianVariance(board, n, n)).toBeGreaterThan(laplacianVariance(blur, n, n));
    expect(laplacianVariance(blur, n, n)).toBeGreaterThan(0);
    expect(lumaContrast(board, n, n)).toBeGreaterThan(100);
  });
});

describe('round255', () => {
  it('is Math.round clamped to 0..255, at the halves and at the float just below them', () => {
    const ref = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
    const below = (x: number) => x - Math.max(Number.EPSILON * x, Number.MIN_VALUE);
    const cases = [-3, -0.5, 0, 0.49999999999999994, 0.5, 1.5, 2.5, 254.5, 255, 255.00000000000003, 300];
    for (let k = 0; k <= 255; k++) cases.push(k + 0.5, below(k + 0.5), k + 0.25, k + 0.75);
    for (const v of cases) expect(round255(v), String(v)).toBe(ref(v));
  });
});

describe('warpRgbBilinear against the plain warp', () => {
  /** The warp written plainly (Math.floor, Math.round, a loop over channels): the reference. */
  function plainWarp(src: Uint8Array, w: number, h: number, t: { a: number; b: number; tx: number; ty: number }, ow: number, oh: number): Uint8Array {
    const out = new Uint8Array(ow * oh * 3);
    let o = 0;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const sx = Math.min(w - 1, Math.max(0, t.a * x - t.b * y + t.tx));
        const sy = Math.min(h - 1, Math.max(0, t.b * x + t.a * y + t.ty));
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        const x1 = Math.min(w - 1, x0 + 1), y1 = Math.min(h - 1, y0 + 1);
        const fx = sx - x0, fy = sy - y0;
        for (let c = 0; c < 3; c++) {
          const v = (1 - fx) * (1 - fy) * src[(y0 * w + x0) * 3 + c]! + fx * (1 - fy) * src[(y0 * w + x1) * 3 + c]!
            + (1 - fx) * fy * src[(y1 * w + x0) * 3 + c]! + fx * fy * src[(y1 * w + x1) * 3 + c]!;
          out[o++] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
        }
      }
    }
    return out;
  }

  it('gives exactly the plain bilinear warp, edges and out-of-frame samples included', () => {
    const W = 64, H = 48;
    const src = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 2654435761) >>> 24);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let k = 0; k < 40; k++) {
      const s = 0.3 + rnd() * 1.5, th = (rnd() - 0.5) * 1.2;
      const t = { a: s * Math.cos(th), b: s * Math.sin(th), tx: (rnd() - 0.3) * 60, ty: (rnd() - 0.3) * 40 };
      const fast = warpRgbBilinear(src, W, H, t, 50, 50);
      expect(Buffer.from(fast).equals(Buffer.from(plainWarp(src, W, H, t, 50, 50))), `transform ${k}`).toBe(true);
    }
  });
});
