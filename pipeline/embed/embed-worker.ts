// One embedding worker thread (node:worker_threads): its own single-threaded tfjs-wasm dlib
// embedder, fed one batch at a time by pool.ts. Protocol (all messages are plain objects):
//   worker -> pool  {type:'ready'} | {type:'init_error', name, message}
//   pool -> worker  {id, chips: Uint8Array[]}
//   worker -> pool  {type:'result', id, vecs: Float32Array[]} | {type:'error', id, name, message}

import { parentPort, workerData } from 'node:worker_threads';
import { createDlibEmbedder } from './dlib-embedder.js';
import type { Embedder } from './embedder.js';

export interface EmbedWorkerData {
  modelDir?: string | undefined;
  batch: number;
}

const port = parentPort;
if (!port) throw new Error('embed-worker.js runs only as a worker thread');
const data = workerData as EmbedWorkerData;

let emb: Embedder | null = null;
try {
  emb = await createDlibEmbedder({ modelDir: data.modelDir, batch: data.batch });
  port.postMessage({ type: 'ready', dim: emb.dim, chipSize: emb.chipSize, name: emb.name });
} catch (e) {
  const err = e as Error;
  port.postMessage({ type: 'init_error', name: err?.name ?? 'Error', message: err?.message ?? String(e) });
}

// The pool sends a worker one batch at a time, so jobs never overlap here.
port.on('message', (m: { id: number; chips: Uint8Array[] }) => {
  if (!emb) return;
  emb.embed(m.chips).then(
    (vecs) => port.postMessage({ type: 'result', id: m.id, vecs }, vecs.map((v) => v.buffer as ArrayBuffer)),
    (e: Error) => port.postMessage({ type: 'error', id: m.id, name: e?.name ?? 'Error', message: e?.message ?? String(e) }),
  );
});
