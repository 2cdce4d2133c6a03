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
  dispose(): void;
}
interface Tfjs {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): Tensor;
  unstack(x: Tensor): Tensor[];
  io: { decodeWeights(buffer: ArrayBuffer, specs: unknown[]): Record<string, Tensor> };
  memory(): { numTensors: number };
}
interface FaceApi {
  tf: Tfjs;
  nets: {
    faceRecognitionNet: {
      loadFromWeightMap(map: Record<string, Tensor>): void;
      computeFaceDescriptor(input: Tensor | Tensor[]): Promise<Float32Array | Float32Array[]>;
      dispose(throwOnRedispose?: boolean): void;
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
  const ab = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  net.loadFromWeightMap(api.tf.io.decodeWeights(ab, specs));
  const S = DLIB_CHIP_SIZE;
  let closed = false;

  const embedder: Embedder = {
    dim: 128,
    chipSize: S,
    name: 'dlib_resnet_v1 (face-api, tfjs-wasm)',
    async embed(chips: Uint8Array[]): Promise<Float32Array[]> {
      if (closed) throw new Error('embedder is closed');
      const out: Float32Array[] = [];
      for (let start = 0; start < chips.length; start += batch) {
        const part = chips.slice(start, start + batch);
        const data = new Float32Array(part.length * S * S * 3);
        part.forEach((c, i) => {
          if (c.length !== S * S * 3) throw new Error(`chip ${start + i} has ${c.length} bytes, expected ${S * S * 3}`);
          data.set(c, i * S * S * 3);
        });
        const t4 = api.tf.tensor4d(data, [part.length, S, S, 3], 'float32');
        const t3 = api.tf.unstack(t4);
        try {
          const res = await net.computeFaceDescriptor(t3.length === 1 ? t3[0]! : t3);
          const list = Array.isArray(res) ? res : [res];
          for (const d of list) out.push(Float32Array.from(d));
        } finally {
          t3.forEach((t) => t.dispose());
          t4.dispose();
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
