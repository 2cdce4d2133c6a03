import { describe, expect, it } from 'vitest';
import { DLIB_CHIP_SIZE } from './align.js';
import { decodeWeights, dlibInput, hwioToOihw, DLIB_MEAN_RGB } from './dlib-graph.js';

describe('decodeWeights', () => {
  it('dequantizes uint8 weights as q * scale + min and reads float32 ones as they are, in manifest order', () => {
    const bytes = new Uint8Array(3 + 8);
    bytes.set([0, 10, 255]);
    const view = new DataView(bytes.buffer);
    view.setFloat32(3, 1.5, true);
    view.setFloat32(7, -2.25, true);
    const w = decodeWeights(
      [
        { name: 'a', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        { name: 'b', shape: [1, 2], dtype: 'float32' },
      ],
      bytes,
    );
    expect(Array.from(w.get('a')!.data)).toEqual([-1, 4, 126.5]);
    expect(w.get('b')!.shape).toEqual([1, 2]);
    expect(Array.from(w.get('b')!.data)).toEqual([1.5, -2.25]);
  });

  it('a file shorter or longer than the manifest says is refused', () => {
    const spec = [{ name: 'a', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }];
    expect(() => decodeWeights(spec, new Uint8Array(3))).toThrow(/too short/);
    expect(() => decodeWeights(spec, new Uint8Array(5))).toThrow(/5 bytes, the manifest describes 4/);
  });
});

describe('hwioToOihw', () => {
  it('moves each filter value from [y][x][in][out] to [out][in][y][x]', () => {
    const [h, w, ci, co] = [2, 3, 2, 4];
    const data = Float32Array.from({ length: h * w * ci * co }, (_, i) => i);
    const out = hwioToOihw({ shape: [h, w, ci, co], data });
    expect(out.shape).toEqual([co, ci, h, w]);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) expect(out.data[((o * ci + i) * h + y) * w + x]).toBe(data[((y * w + x) * ci + i) * co + o]);
  });
});

describe('dlibInput', () => {
  it('packed RGB to planar R, G, B at the face\'s place in the batch, each (value - mean) / 255', () => {
    const S = DLIB_CHIP_SIZE;
    const chip = new Uint8Array(S * S * 3);
    chip.set([200, 100, 0], 0); // first pixel
    chip.set([10, 20, 30], (S * S - 1) * 3); // last pixel
    const out = new Float32Array(2 * 3 * S * S).fill(Number.NaN);
    dlibInput(chip, out, 1);
    expect(Number.isNaN(out[0]!)).toBe(true); // face 0 untouched
    const base = 3 * S * S;
    const v = (x: number, c: number) => Math.fround(Math.fround(x - Math.fround(DLIB_MEAN_RGB[c]!)) / 255);
    expect(out[base]).toBe(v(200, 0));
    expect(out[base + S * S]).toBe(v(100, 1));
    expect(out[base + 2 * S * S]).toBe(v(0, 2));
    expect(out[base + S * S - 1]).toBe(v(10, 0));
    expect(out[base + 3 * S * S - 1]).toBe(v(30, 2));
    expect(() => dlibInput(new Uint8Array(10), out, 0)).toThrow(/10 bytes/);
  });
});
