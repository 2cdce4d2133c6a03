// dlib's face recognition ResNet (128-d), from the `face_recognition_model` weights shipped inside
// @vladmandic/face-api, run on ONNX Runtime's CPU kernels. The weights are read into memory,
// checked against pinned sha256 digests, and only then turned into an ONNX graph in memory
// (dlib-graph.ts: the recipe is code, nothing downloaded or stored). Same network and weights as
// face-api's own tfjs implementation, and the same descriptors to float32 rounding
// (dlib-embedder.test.ts compares the two on real faces); about 6x less CPU per face than
// tfjs-wasm (docs/pipeline-identities.md, "Embedding cost").
//
// Threads: one session whose intra-op pool has `threads` threads (the calling thread counts as
// one), spinning off, sequential execution, so the stage's thread cap holds by the session's own
// settings. The rows do not depend on the thread count or the batch size (tested bit for bit).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { DLIB_CHIP_SIZE } from './align.js';
import { decodeWeights, dlibGraph, dlibInput, type WeightSpec } from './dlib-graph.js';
import type { Embedder } from './embedder.js';
import { encodeOnnxModel } from './onnx-writer.js';

/** sha256 of @vladmandic/face-api 1.7.15 `model/face_recognition_model.bin`. */
export const DLIB_WEIGHTS_SHA256 = 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589';
/** sha256 of the matching `face_recognition_model-weights_manifest.json`. */
export const DLIB_MANIFEST_SHA256 = 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b';

const WEIGHTS_FILE = 'face_recognition_model.bin';
const MANIFEST_FILE = 'face_recognition_model-weights_manifest.json';

/** Faces per `session.run`: 8 and 16 cost the same per face (measured), 1 about 10 % more. */
export const DEFAULT_BATCH = 8;

export class ModelIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

const require = createRequire(import.meta.url);

/** Folder holding the face-api model files (inside node_modules; resolving loads no code). */
export function faceApiModelDir(): string {
  const main = require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js');
  return path.resolve(path.dirname(main), '..', 'model');
}

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** The pinned weights file and its manifest's weight specs, both checked against their digests. */
export async function readDlibWeights(modelDir?: string): Promise<{ weights: Buffer; specs: WeightSpec[] }> {
  const dir = modelDir ?? faceApiModelDir();
  const [weights, manifestBytes] = await Promise.all([readFile(path.join(dir, WEIGHTS_FILE)), readFile(path.join(dir, MANIFEST_FILE))]);
  const wsha = sha256(weights);
  if (wsha !== DLIB_WEIGHTS_SHA256) throw new ModelIntegrityError(`${path.join(dir, WEIGHTS_FILE)}: sha256 ${wsha} does not match the pinned ${DLIB_WEIGHTS_SHA256}`);
  const msha = sha256(manifestBytes);
  if (msha !== DLIB_MANIFEST_SHA256) throw new ModelIntegrityError(`${path.join(dir, MANIFEST_FILE)}: sha256 ${msha} does not match the pinned ${DLIB_MANIFEST_SHA256}`);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Array<{ weights: WeightSpec[] }>;
  return { weights, specs: manifest.flatMap((g) => g.weights) };
}

/** The ONNX model bytes of dlib's ResNet made from the pinned weights. */
export async function dlibOnnxModel(modelDir?: string): Promise<Uint8Array> {
  const { weights, specs } = await readDlibWeights(modelDir);
  return encodeOnnxModel(dlibGraph(decodeWeights(specs, weights)));
}

export interface DlibEmbedderOptions {
  modelDir?: string | undefined;
  /** Faces per `session.run` (default DEFAULT_BATCH). */
  batch?: number | undefined;
  /** Intra-op threads, the calling one included (default 1). */
  threads?: number | undefined;
  /** Once aborted, calls reject with the abort reason before their next batch. */
  signal?: AbortSignal | undefined;
}

/**
 * Loads and checks the weights and starts the session. Throws ModelIntegrityError when a digest
 * differs (a changed or corrupted file is never loaded).
 */
export async function createDlibEmbedder(opts: DlibEmbedderOptions = {}): Promise<Embedder & { readonly threads: number }> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const batch = Math.max(1, Math.floor(opts.batch ?? DEFAULT_BATCH));
  const signal = opts.signal;
  if (signal?.aborted) throw signal.reason;
  const model = await dlibOnnxModel(opts.modelDir);
  const ort = await import('onnxruntime-node');
  const session: InferenceSession = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const S = DLIB_CHIP_SIZE;
  // one input buffer for every batch (2.2 MB at 8 faces): calls are serialised below
  const input = new Float32Array(batch * 3 * S * S);
  let closed = false;
  // The stage submits its next group before it awaits the previous one: calls run one after
  // another, since they share `input`.
  let queue: Promise<unknown> = Promise.resolve();

  const embedInOrder = async (chips: Uint8Array[]): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let start = 0; start < chips.length; start += batch) {
      if (closed) throw new Error('embedder is closed');
      if (signal?.aborted) throw signal.reason;
      const part = chips.slice(start, start + batch);
      part.forEach((c, i) => {
        if (c.length !== S * S * 3) throw new Error(`chip ${start + i} has ${c.length} bytes, expected ${S * S * 3}`);
        dlibInput(c, input, i);
      });
      const tensor = new ort.Tensor('float32', input.subarray(0, part.length * 3 * S * S), [part.length, 3, S, S]);
      const result = await session.run({ chips: tensor });
      const desc = (result['descriptor'] as Tensor).data as Float32Array;
      for (let i = 0; i < part.length; i++) out.push(desc.slice(i * 128, (i + 1) * 128));
    }
    return out;
  };

  return {
    dim: 128,
    chipSize: S,
    name: `dlib_resnet_v1 (face-api weights, onnxruntime, ${threads} thread${threads > 1 ? 's' : ''})`,
    threads,
    embed(chips: Uint8Array[]): Promise<Float32Array[]> {
      const run = queue.then(() => embedInOrder(chips));
      queue = run.catch(() => {});
      return run;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await session.release();
    },
  };
}
