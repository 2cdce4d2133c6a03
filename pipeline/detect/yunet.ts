// YuNet face detector (libfacedetection.train, `yunet_*_dynamic.onnx`) through ONNX Runtime.
// OpenCV 4.6's FaceDetectorYN cannot load these files, so the output decoding lives here:
// per stride 8/16/32 the model emits cls, obj (scores), bbox (centre offset + log size, in
// stride units) and kps (5 landmark offsets, in stride units) for every cell of the padded input.
// The decoding and the NMS are pure functions, tested on their own.

import type { Box, Point } from '../../shared/artifacts.js';

export const YUNET_STRIDES = [8, 16, 32] as const;

export interface Face {
  /** [x1, y1, x2, y2] */
  box: Box;
  score: number;
  /** right eye, left eye, nose tip, right mouth corner, left mouth corner */
  landmarks: [Point, Point, Point, Point, Point];
}

export interface YunetOutputs {
  /** keyed by `cls_8`, `obj_8`, `bbox_8`, `kps_8`, ... (flat Float32Arrays, batch 1) */
  [name: string]: Float32Array;
}

/** Pads a size up to the next multiple of 32 (the model's largest stride). */
export function padTo32(n: number): number {
  return Math.ceil(n / 32) * 32;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Turns raw YuNet outputs for a `padW` x `padH` input into faces (input pixels) scoring at least
 * `scoreThreshold`. Score = sqrt(cls * obj), as the model was trained.
 */
export function decodeYunet(out: YunetOutputs, padW: number, padH: number, scoreThreshold: number): Face[] {
  const faces: Face[] = [];
  for (const s of YUNET_STRIDES) {
    const cls = out[`cls_${s}`];
    const obj = out[`obj_${s}`];
    const bbox = out[`bbox_${s}`];
    const kps = out[`kps_${s}`];
    if (!cls || !obj || !bbox || !kps) throw new Error(`YuNet output for stride ${s} is missing`);
    const cols = padW / s;
    const rows = padH / s;
    const n = cols * rows;
    if (cls.length !== n) throw new Error(`YuNet cls_${s} has ${cls.length} cells, expected ${n}`);
    const thr2 = scoreThreshold * scoreThreshold;
    for (let i = 0; i < n; i++) {
      // Compare squared score first: avoids a sqrt for the ~all cells that are background.
      const prod = clamp01(cls[i]!) * clamp01(obj[i]!);
      if (prod < thr2) continue;
      const r = Math.floor(i / cols);
      const c = i - r * cols;
      const cx = (c + bbox[i * 4]!) * s;
      const cy = (r + bbox[i * 4 + 1]!) * s;
      const w = Math.exp(bbox[i * 4 + 2]!) * s;
      const h = Math.exp(bbox[i * 4 + 3]!) * s;
      const lm: Point[] = [];
      for (let k = 0; k < 5; k++) lm.push([(kps[i * 10 + 2 * k]! + c) * s, (kps[i * 10 + 2 * k + 1]! + r) * s]);
      faces.push({
        box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
        score: Math.sqrt(prod),
        landmarks: lm as Face['landmarks'],
      });
    }
  }
  return faces;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const iy = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return ua > 0 ? inter / ua : 0;
}

/** Greedy NMS: highest score first, drops any face overlapping a kept one by more than `iouThreshold`. */
export function nms<T extends { box: Box; score: number }>(items: T[], iouThreshold: number, maxKeep = 1000): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const keep: T[] = [];
  for (const f of sorted) {
    if (keep.length >= maxKeep) break;
    if (keep.every((k) => iou(k.box, f.box) <= iouThreshold)) keep.push(f);
  }
  return keep;
}

/** Maps faces from detector-input pixels to source pixels (uniform scale), clipping boxes to the frame. */
export function scaleFaces(faces: Face[], sx: number, sy: number, srcW: number, srcH: number): Face[] {
  return faces.map((f) => ({
    box: [
      Math.max(0, Math.min(srcW, f.box[0] * sx)),
      Math.max(0, Math.min(srcH, f.box[1] * sy)),
      Math.max(0, Math.min(srcW, f.box[2] * sx)),
      Math.max(0, Math.min(srcH, f.box[3] * sy)),
    ] as Box,
    score: f.score,
    landmarks: f.landmarks.map(([x, y]) => [x * sx, y * sy] as Point) as Face['landmarks'],
  }));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Packed HWC uint8 (w x h, BGR, or RGB with `rgb`) into the model's planar input: channel planes
 * B, G, R as floats 0-255 (no scaling, as the model was trained), rows `pw` apart, the padding
 * left as it is (zeros). Where it can (a BGR frame on 4-byte boundaries, w a multiple of 4, a
 * little-endian machine) it reads 4 pixels as 3 32-bit words: 40 % faster, the same values.
 */
export function toPlanes(pixels: Uint8Array, w: number, h: number, pw: number, out: Float32Array, rgb = false): void {
  const plane = out.length / 3;
  if (!rgb && LITTLE_ENDIAN && w % 4 === 0 && pixels.byteOffset % 4 === 0) {
    const words = new Uint32Array(pixels.buffer, pixels.byteOffset, (w * h * 3) >> 2);
    for (let y = 0; y < h; y++) {
      let wi = (y * w * 3) >> 2;
      let d = y * pw;
      for (let x = 0; x < w; x += 4, wi += 3, d += 4) {
        const a = words[wi]!, b = words[wi + 1]!, c = words[wi + 2]!;
        out[d] = a & 255; out[d + plane] = (a >>> 8) & 255; out[d + 2 * plane] = (a >>> 16) & 255;
        out[d + 1] = a >>> 24; out[d + 1 + plane] = b & 255; out[d + 1 + 2 * plane] = (b >>> 8) & 255;
        out[d + 2] = (b >>> 16) & 255; out[d + 2 + plane] = b >>> 24; out[d + 2 + 2 * plane] = c & 255;
        out[d + 3] = (c >>> 8) & 255; out[d + 3 + plane] = (c >>> 16) & 255; out[d + 3 + 2 * plane] = c >>> 24;
      }
    }
    return;
  }
  const c0 = rgb ? 2 : 0;
  const c2 = rgb ? 0 : 2;
  for (let y = 0; y < h; y++) {
    let si = y * w * 3;
    let d = y * pw;
    for (let x = 0; x < w; x++, si += 3, d++) {
      out[d] = pixels[si + c0]!;
      out[d + plane] = pixels[si + 1]!;
      out[d + 2 * plane] = pixels[si + c2]!;
    }
  }
}

export interface YunetOptions {
  scoreThreshold?: number;
  nmsIou?: number;
}

/**
 * One ONNX Runtime session on ONE intra-op and ONE inter-op thread with spinning off: on a small
 * model a second thread barely helps and hurts next to the decoder (docs/pipeline-detect.md).
 * Reuses its input and output buffers between calls of the same size.
 */
export class YunetDetector {
  private input: Float32Array | null = null;
  private inputDims: [number, number] = [0, 0];
  /** Size of the last image: a different one may leave pixels of the old one in the padding. */
  private lastSize: [number, number] = [0, 0];
  /** Pre-allocated output tensors (ONNX Runtime writes into them): no allocation per frame. */
  private fetches: Record<string, import('onnxruntime-node').Tensor> = {};
  private outputs: YunetOutputs = {};
  /** Milliseconds spent in `session.run` (for the stage's stats). */
  inferMs = 0;
  inferCalls = 0;

  private constructor(
    private readonly ort: typeof import('onnxruntime-node'),
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly scoreThreshold: number,
    readonly nmsIou: number,
  ) {}

  static async create(modelPath: string, opts: YunetOptions = {}): Promise<YunetDetector> {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    return new YunetDetector(ort, session, opts.scoreThreshold ?? 0.6, opts.nmsIou ?? 0.3);
  }

  /**
   * Detects faces in a packed BGR (or RGB with `rgb`) HWC uint8 image of w x h. The image is
   * zero-padded right/bottom to multiples of 32. Returns faces in image pixels.
   */
  async detect(pixels: Uint8Array, w: number, h: number, rgb = false): Promise<Face[]> {
    const pw = padTo32(w);
    const ph = padTo32(h);
    const plane = pw * ph;
    if (!this.input || this.inputDims[0] !== pw || this.inputDims[1] !== ph) {
      this.input = new Float32Array(plane * 3);
      this.inputDims = [pw, ph];
      this.fetches = {};
      this.outputs = {};
      for (const st of YUNET_STRIDES) {
        const n = (pw / st) * (ph / st);
        for (const [name, c] of [['cls', 1], ['obj', 1], ['bbox', 4], ['kps', 10]] as const) {
          const data = new Float32Array(n * c);
          this.outputs[`${name}_${st}`] = data;
          this.fetches[`${name}_${st}`] = new this.ort.Tensor('float32', data, [1, n, c]);
        }
      }
    }
    if (this.lastSize[0] !== w || this.lastSize[1] !== h) {
      this.input.fill(0);
      this.lastSize = [w, h];
    }
    toPlanes(pixels, w, h, pw, this.input, rgb);
    const tensor = new this.ort.Tensor('float32', this.input, [1, 3, ph, pw]);
    const t0 = performance.now();
    await this.session.run({ input: tensor }, this.fetches);
    this.inferMs += performance.now() - t0;
    this.inferCalls++;
    const faces = nms(decodeYunet(this.outputs, pw, ph, this.scoreThreshold), this.nmsIou);
    return faces.filter((f) => f.box[0] < w && f.box[1] < h);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
