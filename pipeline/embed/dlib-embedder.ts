// dlib's face recognition ResNet (128-d, the `face_recognition_model` weights shipped inside
// @vladmandic/face-api), run on TensorFlow.js' WebAssembly backend. tfjs-wasm is single-threaded
// under Node, which keeps this stage inside the desktop thread cap without any setting.
//
// The weights are read into memory, checked against pinned sha256 digests, and only then handed
// to the network (never by path, so what is checked is exactly what is loaded).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DLIB_CHIP_SIZE } from './align.js';
import type { Embedder } from './embedder.js';

/** sha256 of @vladmandic/face-api 1.7.15 `model/face_recognition_model.bin`. */
export const DLIB_WEIGHTS_SHA256 = 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589';
/** sha256 of the matching `face_recognition_model-weights_manifest.json`. */
export const DLIB_MANIFEST_SHA256 = 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b';

const WEIGHTS_FILE = 'face_recognition_model.bin';
const MANIFEST_FILE = 'face_recognition_model-weights_manifest.json';

/** Faces per forward pass: measured 20-22 ms/face at 8-16, ~30-40 ms/face one at a time. */
export const DEFAULT_BATCH = 16;

export class ModelIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

/* Minimal shapes of the parts of face-api / tfjs used here (the package's own typings pull in
   DOM and tfjs declarations that do not resolve cleanly under NodeNext). */
interface Tensor {
  readonly shape: number[];
  dispose(): void;
  dataSync(): Float32Array;
}
type Padding = 'valid' | 'same';
interface Tfjs {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  backend(): unknown;
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): Tensor;
  io: { decodeWeights(buffer: ArrayBuffer, specs: unknown[]): Record<string, Tensor> };
  memory(): { numTensors: number; numBytes: number };
  tidy<T extends Tensor>(fn: () => T): T;
  fill(shape: number[], value: number, dtype: 'float32'): Tensor;
  concat(xs: Tensor[], axis: number): Tensor;
  sub(a: Tensor, b: Tensor): Tensor;
  div(a: Tensor, b: number): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  mul(a: Tensor, b: Tensor): Tensor;
  relu(x: Tensor): Tensor;
  conv2d(x: Tensor, filters: Tensor, strides: [number, number], pad: Padding): Tensor;
  maxPool(x: Tensor, size: number, strides: number, pad: Padding): Tensor;
  avgPool(x: Tensor, size: number, strides: number, pad: Padding): Tensor;
  zeros(shape: number[]): Tensor;
  mean(x: Tensor, axes: number[]): Tensor;
  matMul(a: Tensor, b: Tensor): Tensor;
}
interface ConvLayerParams {
  conv: { filters: Tensor; bias: Tensor };
  scale: { weights: Tensor; biases: Tensor };
}
interface ResidualLayerParams {
  conv1: ConvLayerParams;
  conv2: ConvLayerParams;
}
/** face-api's FaceRecognitionNet parameters (src/faceRecognitionNet/types.ts). */
interface DlibNetParams {
  conv32_down: ConvLayerParams;
  conv32_1: ResidualLayerParams;
  conv32_2: ResidualLayerParams;
  conv32_3: ResidualLayerParams;
  conv64_down: ResidualLayerParams;
  conv64_1: ResidualLayerParams;
  conv64_2: ResidualLayerParams;
  conv64_3: ResidualLayerParams;
  conv128_down: ResidualLayerParams;
  conv128_1: ResidualLayerParams;
  conv128_2: ResidualLayerParams;
  conv256_down: ResidualLayerParams;
  conv256_1: ResidualLayerParams;
  conv256_2: ResidualLayerParams;
  conv256_down_out: ResidualLayerParams;
  fc: Tensor;
}
interface FaceApi {
  tf: Tfjs;
  nets: {
    faceRecognitionNet: {
      loadFromWeightMap(map: Record<string, Tensor>): void;
      computeFaceDescriptor(input: Tensor | Tensor[]): Promise<Float32Array | Float32Array[]>;
      dispose(throwOnRedispose?: boolean): void;
      readonly params: DlibNetParams | undefined;
      isLoaded: boolean;
    };
  };
}

const require = createRequire(import.meta.url);

/** Folder holding the face-api model files (inside node_modules). */
export function faceApiModelDir(): string {
  const main = require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js');
  return path.resolve(path.dirname(main), '..', 'model');
}

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

let faceApi: FaceApi | null = null;

async function loadFaceApi(): Promise<FaceApi> {
  if (!faceApi) {
    const api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    await api.tf.setBackend('wasm');
    await api.tf.ready();
    if (api.tf.getBackend() !== 'wasm') throw new Error(`tfjs backend is ${api.tf.getBackend()}, expected wasm`);
    faceApi = api;
  }
  return faceApi;
}

/**
 * tfjs state of this thread: live tensors, and the size of tfjs-wasm's heap (it grows to the
 * largest working set of a forward pass and never shrinks, so it is most of an embedder's memory);
 * null before an embedder was created here.
 */
export function tfjsMemory(): { numTensors: number; wasmHeapBytes: number } | null {
  if (!faceApi) return null;
  const backend = faceApi.tf.backend() as { wasm?: { HEAPU8?: Uint8Array } };
  return { numTensors: faceApi.tf.memory().numTensors, wasmHeapBytes: backend.wasm?.HEAPU8?.buffer.byteLength ?? 0 };
}

/** Frees `x` once `f` has made the next tensor from it. */
function step(x: Tensor, f: (x: Tensor) => Tensor): Tensor {
  const y = f(x);
  x.dispose();
  return y;
}

/**
 * dlib's ResNet forward pass: the same tfjs ops with the same operands as face-api 1.7.15's
 * `FaceRecognitionNet.forwardInput` (src/faceRecognitionNet/*.ts), so the descriptors are
 * bit-identical, but every intermediate tensor is freed as soon as the next op has read it.
 * face-api runs the whole pass inside one `tf.tidy`, which keeps every activation of the batch
 * alive until the end (~15 MB per face); tfjs-wasm's heap grows to that peak and never shrinks,
 * so with batches of 8 each embedder held ~210 MB of wasm memory for ~20 MB of weights.
 * Input: [n, 150, 150, 3] float32 RGB 0-255 (not consumed). Returns [n, 128]; the caller frees it.
 */
function dlibForward(tf: Tfjs, p: DlibNetParams, input: Tensor): Tensor {
  const convLayer = (x: Tensor, l: ConvLayerParams, strides: [number, number], relu: boolean, pad: Padding = 'same'): Tensor => {
    let out = tf.conv2d(x, l.conv.filters, strides, pad);
    out = step(out, (o) => tf.add(o, l.conv.bias));
    out = step(out, (o) => tf.mul(o, l.scale.weights));
    out = step(out, (o) => tf.add(o, l.scale.biases));
    return relu ? step(out, (o) => tf.relu(o)) : out;
  };
  const convDown = (x: Tensor, l: ConvLayerParams) => convLayer(x, l, [2, 2], true, 'valid');
  const residual = (x: Tensor, r: ResidualLayerParams): Tensor => {
    let out = convLayer(x, r.conv1, [1, 1], true);
    out = step(out, (o) => convLayer(o, r.conv2, [1, 1], false));
    out = step(out, (o) => tf.add(o, x));
    return step(out, (o) => tf.relu(o));
  };
  const residualDown = (x: Tensor, r: ResidualLayerParams): Tensor => {
    let out = convDown(x, r.conv1);
    out = step(out, (o) => convLayer(o, r.conv2, [1, 1], false));
    let pooled = tf.avgPool(x, 2, 2, 'valid');
    const zeros = tf.zeros(pooled.shape);
    const isPad = pooled.shape[3] !== out.shape[3];
    if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
      const padX = [...out.shape];
      padX[1] = 1;
      const zerosW = tf.zeros(padX);
      out = step(out, (o) => tf.concat([o, zerosW], 1));
      zerosW.dispose();
      const padY = [...out.shape];
      padY[2] = 1;
      const zerosH = tf.zeros(padY);
      out = step(out, (o) => tf.concat([o, zerosH], 2));
      zerosH.dispose();
    }
    if (isPad) pooled = step(pooled, (q) => tf.concat([q, zeros], 3));
    zeros.dispose();
    out = step(out, (o) => tf.add(pooled, o));
    pooled.dispose();
    return step(out, (o) => tf.relu(o));
  };

  // face-api first casts its batch to float32: a copy with the same values, so `input` serves.
  const [n, h, w] = input.shape as [number, number, number, number];
  const meanRgb = [122.782, 117.001, 104.298];
  const avgRgb = tf.tidy(() => tf.concat(meanRgb.map((v) => tf.fill([n, h, w, 1], v, 'float32')), 3));
  let out = tf.sub(input, avgRgb);
  avgRgb.dispose();
  out = step(out, (o) => tf.div(o, 255));
  out = step(out, (o) => convDown(o, p.conv32_down));
  out = step(out, (o) => tf.maxPool(o, 3, 2, 'valid'));
  out = step(out, (o) => residual(o, p.conv32_1));
  out = step(out, (o) => residual(o, p.conv32_2));
  out = step(out, (o) => residual(o, p.conv32_3));
  out = step(out, (o) => residualDown(o, p.conv64_down));
  out = step(out, (o) => residual(o, p.conv64_1));
  out = step(out, (o) => residual(o, p.conv64_2));
  out = step(out, (o) => residual(o, p.conv64_3));
  out = step(out, (o) => residualDown(o, p.conv128_down));
  out = step(out, (o) => residual(o, p.conv128_1));
  out = step(out, (o) => residual(o, p.conv128_2));
  out = step(out, (o) => residualDown(o, p.conv256_down));
  out = step(out, (o) => residual(o, p.conv256_1));
  out = step(out, (o) => residual(o, p.conv256_2));
  out = step(out, (o) => residualDown(o, p.conv256_down_out));
  out = step(out, (o) => tf.mean(o, [1, 2]));
  return step(out, (o) => tf.matMul(o, p.fc));
}

export interface DlibEmbedderOptions {
  modelDir?: string;
  batch?: number;
}

/**
 * Loads and checks the weights. Throws ModelIntegrityError when a digest differs (a changed or
 * corrupted file is never loaded).
 */
export async function createDlibEmbedder(opts: DlibEmbedderOptions = {}): Promise<Embedder> {
  const dir = opts.modelDir ?? faceApiModelDir();
  const batch = Math.max(1, Math.floor(opts.batch ?? DEFAULT_BATCH));
  const [weights, manifestBytes] = await Promise.all([readFile(path.join(dir, WEIGHTS_FILE)), readFile(path.join(dir, MANIFEST_FILE))]);
  const wsha = sha256(weights);
  if (wsha !== DLIB_WEIGHTS_SHA256) throw new ModelIntegrityError(`${path.join(dir, WEIGHTS_FILE)}: sha256 ${wsha} does not match the pinned ${DLIB_WEIGHTS_SHA256}`);
  const msha = sha256(manifestBytes);
  if (msha !== DLIB_MANIFEST_SHA256) throw new ModelIntegrityError(`${path.join(dir, MANIFEST_FILE)}: sha256 ${msha} does not match the pinned ${DLIB_MANIFEST_SHA256}`);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Array<{ weights: unknown[] }>;
  const specs = manifest.flatMap((g) => g.weights);

  const api = await loadFaceApi();
  const net = api.nets.faceRecognitionNet;
  // readFile gives a file this size its own ArrayBuffer: use it rather than a 21 MB copy
  const whole = weights.byteOffset === 0 && weights.byteLength === weights.buffer.byteLength;
  const ab = (whole ? weights.buffer : weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)) as ArrayBuffer;
  net.loadFromWeightMap(api.tf.io.decodeWeights(ab, specs));
  const params = net.params;
  if (!params) throw new Error('face recognition net: no parameters after loading');
  const S = DLIB_CHIP_SIZE;
  let closed = false;
  // One input buffer for every batch (tfjs-wasm copies it into its heap when the tensor is made):
  // a new 2.2 MB array per batch is garbage that V8 collects only after tens of MB of it.
  const input = new Float32Array(batch * S * S * 3);

  const embedder: Embedder = {
    dim: 128,
    chipSize: S,
    name: 'dlib_resnet_v1 (face-api, tfjs-wasm)',
    async embed(chips: Uint8Array[]): Promise<Float32Array[]> {
      if (closed) throw new Error('embedder is closed');
      const out: Float32Array[] = [];
      for (let start = 0; start < chips.length; start += batch) {
        const part = chips.slice(start, start + batch);
        const data = input.subarray(0, part.length * S * S * 3);
        part.forEach((c, i) => {
          if (c.length !== S * S * 3) throw new Error(`chip ${start + i} has ${c.length} bytes, expected ${S * S * 3}`);
          data.set(c, i * S * S * 3);
        });
        const t4 = api.tf.tensor4d(data, [part.length, S, S, 3], 'float32');
        let desc: Tensor | null = null;
        try {
          desc = dlibForward(api.tf, params, t4);
          const flat = desc.dataSync();
          // own buffers: the pool transfers each vector's buffer to the stage thread
          for (let i = 0; i < part.length; i++) out.push(flat.slice(i * 128, (i + 1) * 128));
        } finally {
          t4.dispose();
          desc?.dispose();
        }
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      net.dispose(false);
    },
  };
  // The first forward pass sets up the backend's kernels and memory (several times slower than
  // the next ones): do it here so per-face timings measure the steady state.
  await embedder.embed([new Uint8Array(S * S * 3).fill(128)]);
  return embedder;
}
