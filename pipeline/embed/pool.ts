// An Embedder that spreads batches over N worker threads, each with its own single-threaded
// tfjs-wasm dlib embedder (embed-worker.ts). tfjs-wasm uses one thread per instance under Node,
// so N workers are N busy threads: the stage's thread cap holds by construction.
//
// Determinism: `embed(chips)` cuts its input into chunks of `batch` faces in input order and
// returns the vectors in input order. Each chunk is one forward pass whatever worker runs it, so
// the rows equal those of a single embedder run with the same batch size on the same chunks.
//
// Lifetime: `close()` and an abort of `signal` terminate every worker at once (a batch in flight
// is dropped, not awaited) and reject pending calls. Worker threads also end with their process.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ModelIntegrityError } from './dlib-embedder.js';
import type { Embedder } from './embedder.js';
import type { EmbedWorkerData } from './embed-worker.js';

export interface EmbedderPoolOptions {
  /** Worker threads (>= 1). */
  threads: number;
  /** Faces per forward pass (and per job sent to a worker). */
  batch: number;
  modelDir?: string | undefined;
  /** Aborting terminates the workers and rejects pending and later calls with the abort reason. */
  signal?: AbortSignal | undefined;
  /** Override of the worker script (tests). */
  workerFile?: string | undefined;
}

/**
 * The compiled worker script. Beside this module in dist/; when this module runs from the
 * TypeScript sources (vitest), the build's copy (`npm run build:node` makes it).
 */
export function embedWorkerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'embed-worker.js');
  if (existsSync(beside)) return beside;
  const built = path.resolve(here, '..', '..', 'dist', 'pipeline', 'embed', 'embed-worker.js');
  if (existsSync(built)) return built;
  throw new Error(`embedding worker script not found (${beside}, ${built}); run "npm run build:node"`);
}

/** Splits [0, n) into consecutive [start, end) chunks of `size` (the last may be shorter). */
export function chunkRanges(n: number, size: number): Array<[number, number]> {
  const s = Math.max(1, Math.floor(size));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i += s) out.push([i, Math.min(n, i + s)]);
  return out;
}

type WorkerMsg =
  | { type: 'ready'; dim: number; chipSize: number; name: string }
  | { type: 'init_error'; name: string; message: string }
  | { type: 'result'; id: number; vecs: Float32Array[] }
  | { type: 'error'; id: number; name: string; message: string };

interface Job {
  id: number;
  chips: Uint8Array[];
  resolve(v: Float32Array[]): void;
  reject(e: unknown): void;
}

function rebuildError(name: string, message: string): Error {
  if (name === 'ModelIntegrityError') return new ModelIntegrityError(message);
  const e = new Error(message);
  e.name = name;
  return e;
}

export async function createEmbedderPool(opts: EmbedderPoolOptions): Promise<Embedder & { readonly threads: number }> {
  const n = Math.max(1, Math.floor(opts.threads));
  const batch = Math.max(1, Math.floor(opts.batch));
  const file = opts.workerFile ?? embedWorkerFile();
  const signal = opts.signal;
  if (signal?.aborted) throw signal.reason;

  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Job>();
  const waiting: Job[] = [];
  let nextId = 0;
  let dead: unknown = null; // once set, every call rejects with it

  const killAll = (reason: unknown) => {
    if (dead === null) dead = reason;
    for (const w of workers) void w.terminate();
    for (const job of busy.values()) job.reject(dead);
    busy.clear();
    for (const job of waiting.splice(0)) job.reject(dead);
    idle.length = 0;
  };
  const onAbort = () => killAll(signal!.reason ?? new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });

  const dispatch = () => {
    while (dead === null && idle.length > 0 && waiting.length > 0) {
      const w = idle.shift()!;
      const job = waiting.shift()!;
      busy.set(w, job);
      w.postMessage({ id: job.id, chips: job.chips });
    }
  };

  let info: { dim: number; chipSize: number; name: string };
  try {
    const ready = Array.from({ length: n }, () => {
      const w = new Worker(file, { workerData: { modelDir: opts.modelDir, batch } satisfies EmbedWorkerData });
      workers.push(w);
      return new Promise<{ dim: number; chipSize: number; name: string }>((resolve, reject) => {
        let started = false;
        w.on('message', (m: WorkerMsg) => {
          if (m.type === 'ready') {
            started = true;
            idle.push(w);
            resolve(m);
            dispatch();
          } else if (m.type === 'init_error') {
            reject(rebuildError(m.name, m.message));
          } else {
            const job = busy.get(w);
            if (!job || job.id !== m.id) return;
            busy.delete(w);
            if (m.type === 'result') job.resolve(m.vecs);
            else job.reject(rebuildError(m.name, m.message));
            idle.push(w);
            dispatch();
          }
        });
        const lost = (e: unknown) => {
          if (!started) reject(e);
          else if (dead === null) killAll(e);
        };
        w.on('error', lost);
        // also after killAll (abort or close while starting): the start must not wait forever
        w.on('exit', (code) => lost(dead ?? new Error(`embedding worker exited (code ${code})`)));
      });
    });
    const infos = await Promise.all(ready);
    info = infos[0]!;
  } catch (e) {
    killAll(dead ?? e);
    signal?.removeEventListener('abort', onAbort);
    throw signal?.aborted ? signal.reason : e;
  }

  const run = (chips: Uint8Array[]) =>
    new Promise<Float32Array[]>((resolve, reject) => {
      if (dead !== null) return reject(dead);
      waiting.push({ id: nextId++, chips, resolve, reject });
      dispatch();
    });

  return {
    dim: info.dim,
    chipSize: info.chipSize,
    name: `${info.name} x${n} threads`,
    threads: n,
    async embed(chips: Uint8Array[]): Promise<Float32Array[]> {
      if (dead !== null) throw dead;
      const parts = await Promise.all(chunkRanges(chips.length, batch).map(([a, b]) => run(chips.slice(a, b))));
      return parts.flat();
    },
    async close() {
      signal?.removeEventListener('abort', onAbort);
      if (dead === null) killAll(new Error('embedder is closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
