// The worker-thread embedder pool: same rows as one embedder, prompt abort, no thread left
// behind, model errors surfacing from the workers. Uses the compiled worker (npm run build:node).

import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, missing } from '../../test-support/shared-data.js';
import { DLIB_CHIP_SIZE } from './align.js';
import { createDlibEmbedder, faceApiModelDir, ModelIntegrityError } from './dlib-embedder.js';
import { chunkRanges, createEmbedderPool } from './pool.js';

const WORKER_JS = path.join(REPO_ROOT, 'dist', 'pipeline', 'embed', 'embed-worker.js');
const POOL_JS = path.join(REPO_ROOT, 'dist', 'pipeline', 'embed', 'pool.js');
const skip = missing(WORKER_JS, POOL_JS);

/** Distinct deterministic chips (content does not matter for these tests, only that they differ). */
function chips(n: number): Uint8Array[] {
  const S = DLIB_CHIP_SIZE * DLIB_CHIP_SIZE * 3;
  return Array.from({ length: n }, (_, i) => {
    const c = new Uint8Array(S);
    for (let j = 0; j < S; j++) c[j] = (i * 37 + j * 11 + ((j / 450) | 0) * (i + 3)) % 256;
    return c;
  });
}

describe('chunkRanges', () => {
  it('cuts [0, n) into consecutive chunks in order, the last one shorter', () => {
    expect(chunkRanges(0, 8)).toEqual([]);
    expect(chunkRanges(5, 8)).toEqual([[0, 5]]);
    expect(chunkRanges(17, 8)).toEqual([[0, 8], [8, 16], [16, 17]]);
    expect(chunkRanges(3, 0)).toEqual([[0, 1], [1, 2], [2, 3]]);
  });
});

describe.skipIf(skip)('embedder pool (worker threads)', () => {
  it('returns exactly the rows of a single embedder with the same batch size, in input order', async () => {
    const input = chips(19); // 8 + 8 + 3: chunks spread over both workers and a short last one
    const one = await createDlibEmbedder({ batch: 8 });
    let ref: Float32Array[];
    try {
      ref = [];
      for (const [a, b] of chunkRanges(input.length, 8)) ref.push(...(await one.embed(input.slice(a, b))));
    } finally {
      await one.close();
    }
    const pool = await createEmbedderPool({ threads: 2, batch: 8 });
    try {
      expect(pool.threads).toBe(2);
      expect(pool.dim).toBe(128);
      const got = await pool.embed(input);
      expect(got).toHaveLength(input.length);
      got.forEach((v, i) => expect(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(ref[i]!.buffer, ref[i]!.byteOffset, ref[i]!.byteLength)), `row ${i}`).toBe(true));
      // rows differ from each other, so an order mix-up could not pass unnoticed
      expect(Buffer.from(got[0]!.buffer).equals(Buffer.from(got[1]!.buffer))).toBe(false);
    } finally {
      await pool.close();
    }
    await expect(pool.embed(input.slice(0, 1))).rejects.toThrow(/closed/);
  }, 120_000);

  it('an abort rejects a running embed promptly with the abort reason', async () => {
    const ac = new AbortController();
    const pool = await createEmbedderPool({ threads: 2, batch: 8, signal: ac.signal });
    try {
      const p = pool.embed(chips(160)); // ~20 batches: seconds of work
      p.catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      ac.abort(new Error('stop by test'));
      await expect(p).rejects.toThrow(/stop by test/);
      expect(performance.now() - t0).toBeLessThan(1000);
      await expect(pool.embed(chips(1))).rejects.toThrow(/stop by test/);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('no worker thread keeps a process alive after an abort (the process ends by itself)', async () => {
    // A separate Node process: after the abort it neither calls process.exit nor closes the pool,
    // so it can only end if every worker thread is gone.
    const script = `
      import { createEmbedderPool } from ${JSON.stringify(new URL(`file://${POOL_JS}`).href)};
      const ac = new AbortController();
      const pool = await createEmbedderPool({ threads: 2, batch: 8, signal: ac.signal });
      const S = 150 * 150 * 3;
      const chips = Array.from({ length: 160 }, (_, i) => new Uint8Array(S).fill(i));
      const p = pool.embed(chips);
      setTimeout(() => ac.abort(new Error('aborted')), 300);
      const t0 = Date.now();
      try { await p; console.log('finished'); } catch (e) { console.log('rejected ' + e.message + ' after ' + (Date.now() - t0) + ' ms'); }
    `;
    const dir = mkdtempSync(path.join(tmpdir(), 'screentime-pool-abort-'));
    const file = path.join(dir, 'abort.mjs');
    writeFileSync(file, script);
    const t0 = performance.now();
    const r = await execa(process.execPath, [file], { reject: false, timeout: 60_000, stdin: 'ignore' }).finally(() => rmSync(dir, { recursive: true, force: true }));
    const secs = (performance.now() - t0) / 1000;
    expect(r.timedOut, 'the process stayed alive').toBe(false);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^rejected aborted after \d+ ms$/m);
    // 160 faces would take far longer than this on 2 threads; worker start-up is most of it
    expect(secs).toBeLessThan(30);
  }, 90_000);

  it('a weights file that fails its sha256 check rejects with ModelIntegrityError from the workers', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'screentime-pool-model-'));
    try {
      for (const f of ['face_recognition_model.bin', 'face_recognition_model-weights_manifest.json']) copyFileSync(path.join(faceApiModelDir(), f), path.join(dir, f));
      const bin = readFileSync(path.join(dir, 'face_recognition_model.bin'));
      bin[5000] = bin[5000]! ^ 0x55;
      writeFileSync(path.join(dir, 'face_recognition_model.bin'), bin);
      const p = createEmbedderPool({ threads: 2, batch: 8, modelDir: dir });
      await expect(p).rejects.toBeInstanceOf(ModelIntegrityError);
      await expect(p).rejects.toThrow(/does not match the pinned/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an abort while the workers start rejects the start promptly', async () => {
    const ac = new AbortController();
    const p = createEmbedderPool({ threads: 2, batch: 8, signal: ac.signal });
    p.catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    ac.abort(new Error('stop while starting'));
    await expect(p).rejects.toThrow(/stop while starting/);
    expect(performance.now() - t0).toBeLessThan(1000);
  }, 60_000);

  it('an already aborted signal refuses to start', async () => {
    const ac = new AbortController();
    ac.abort(new Error('too late'));
    await expect(createEmbedderPool({ threads: 2, batch: 8, signal: ac.signal })).rejects.toThrow(/too late/);
  });
});
