import { describe, it, expect } from 'vitest';
import path from 'node:path';
import sharp from 'sharp';
import { decodeYunet, iou, nms, padTo32, scaleFaces, toPlanes, YunetDetector, type YunetOutputs } from './yunet.js';
import { MODELS_DIR, mediaPath, missing } from '../../test-support/shared-data.js';
import { matchDetections, readCornerBoxes } from '../eval/photo-recall.js';
import type { Box } from '../../shared/artifacts.js';

function emptyOutputs(w: number, h: number): YunetOutputs {
  const out: YunetOutputs = {};
  for (const s of [8, 16, 32]) {
    const n = (w / s) * (h / s);
    out[`cls_${s}`] = new Float32Array(n);
    out[`obj_${s}`] = new Float32Array(n);
    out[`bbox_${s}`] = new Float32Array(n * 4);
    out[`kps_${s}`] = new Float32Array(n * 10);
  }
  return out;
}

describe('decodeYunet', () => {
  it('decodes one cell into a box and landmarks in input pixels', () => {
    const out = emptyOutputs(64, 64);
    // stride 16, grid 4x4: cell row 1, col 2 -> index 6
    const i = 6;
    out.cls_16![i] = 0.9;
    out.obj_16![i] = 0.9;
    out.bbox_16!.set([0.5, 0.5, Math.log(2), Math.log(3)], i * 4);
    out.kps_16!.set([0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1], i * 10);
    const faces = decodeYunet(out, 64, 64, 0.6);
    expect(faces).toHaveLength(1);
    const f = faces[0]!;
    // centre (2.5*16, 1.5*16) = (40, 24), size 32 x 48
    expect(f.box[0]).toBeCloseTo(24);
    expect(f.box[1]).toBeCloseTo(0);
    expect(f.box[2]).toBeCloseTo(56);
    expect(f.box[3]).toBeCloseTo(48);
    expect(f.score).toBeCloseTo(0.9);
    expect(f.landmarks[0]).toEqual([32, 16]);
    expect(f.landmarks[2]).toEqual([40, 24]);
    expect(f.landmarks[4]).toEqual([48, 32]);
  });

  it('drops cells under the threshold and clamps scores', () => {
    const out = emptyOutputs(32, 32);
    out.cls_8![0] = 0.5;
    out.obj_8![0] = 0.5; // score 0.5
    out.cls_8![1] = 1.4;
    out.obj_8![1] = 0.49; // clamped 1 * 0.49 -> 0.7
    const faces = decodeYunet(out, 32, 32, 0.6);
    expect(faces).toHaveLength(1);
    expect(faces[0]!.score).toBeCloseTo(0.7);
  });

  it('rejects outputs that do not match the input size', () => {
    expect(() => decodeYunet(emptyOutputs(64, 64), 32, 32, 0.6)).toThrow(/cells/);
  });
});

describe('toPlanes', () => {
  /** The conversion written plainly: the reference. */
  function plain(px: Uint8Array, w: number, h: number, pw: number, ph: number, rgb: boolean): Float32Array {
    const out = new Float32Array(pw * ph * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) out[c * pw * ph + y * pw + x] = px[(y * w + x) * 3 + (rgb ? 2 - c : c)]!;
    return out;
  }

  it('puts B, G, R planes of the padded input in place, by words (w a multiple of 4) or byte by byte', () => {
    for (const [w, h, rgb] of [[64, 36, false], [62, 35, false], [64, 36, true], [8, 1, false]] as const) {
      const px = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 2654435761) >>> 24);
      const pw = padTo32(w), ph = padTo32(h);
      const out = new Float32Array(pw * ph * 3);
      toPlanes(px, w, h, pw, out, rgb);
      expect(Array.from(out), `${w}x${h}${rgb ? ' rgb' : ''}`).toEqual(Array.from(plain(px, w, h, pw, ph, rgb)));
    }
  });

  it('reads a frame that starts off a 4-byte boundary byte by byte, with the same values', () => {
    const w = 16, h = 4;
    const backing = new Uint8Array(w * h * 3 + 1).map((_, i) => (i * 37) & 255);
    const px = backing.subarray(1);
    const out = new Float32Array(32 * 32 * 3);
    toPlanes(px, w, h, 32, out);
    expect(Array.from(out)).toEqual(Array.from(plain(px, w, h, 32, 32, false)));
  });
});

describe('nms / iou / helpers', () => {
  it('iou of identical, disjoint and half-overlapping boxes', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150);
  });
  it('keeps the best of overlapping boxes and all disjoint ones', () => {
    const items = [
      { box: [0, 0, 10, 10] as Box, score: 0.7 },
      { box: [1, 1, 11, 11] as Box, score: 0.9 },
      { box: [50, 50, 60, 60] as Box, score: 0.65 },
    ];
    const kept = nms(items, 0.3);
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.65]);
  });
  it('pads to 32 and scales back to source pixels with clipping', () => {
    expect(padTo32(360)).toBe(384);
    expect(padTo32(640)).toBe(640);
    const [f] = scaleFaces([{ box: [-2, 10, 20, 400], score: 1, landmarks: [[1, 2], [1, 2], [1, 2], [1, 2], [1, 2]] }], 2, 2, 100, 500);
    expect(f!.box).toEqual([0, 20, 40, 500]);
    expect(f!.landmarks[0]).toEqual([2, 4]);
  });
});

const MODEL = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const PHOTO = mediaPath('solvay_1927.png');
const TRUTH = mediaPath('solvay_1927_faces.txt');

describe('YuNet on a real group photo', () => {
  const skip = missing(MODEL, PHOTO, TRUTH);
  it.skipIf(skip !== null)(`finds >= 25 of the 29 people of solvay_1927.png ${skip ?? ''}`, async () => {
    const truth = readCornerBoxes(TRUTH).filter((t) => t.name !== 'detection_0');
    expect(truth).toHaveLength(29);
    const { data, info } = await sharp(PHOTO).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const det = await YunetDetector.create(MODEL);
    const faces = await det.detect(data, info.width, info.height, true);
    await det.close();
    const { found, extra } = matchDetections(truth, faces);
    console.log(`solvay: ${faces.length} detections, ${found}/29 people matched, ${(det.inferMs / det.inferCalls).toFixed(1)} ms inference at ${info.width}x${info.height}`);
    expect(found).toBeGreaterThanOrEqual(25);
    // Nearly every detection should be a person (false positives would pollute tracks).
    expect(extra).toBeLessThanOrEqual(3);
  });
});
