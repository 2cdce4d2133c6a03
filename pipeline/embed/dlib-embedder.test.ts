import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { alignFace, type Pt } from './align.js';
import { createRequire } from 'node:module';
import { createDlibEmbedder, DLIB_WEIGHTS_SHA256, faceApiModelDir, ModelIntegrityError, sha256 } from './dlib-embedder.js';
import { stageModelHashes } from '../models/registry.js';
import { hashedConfig } from '../runtime/run-stage.js';
import { configHash } from '../runtime/config-hash.js';
import { euclidean, l2normalize, type Embedder } from './embedder.js';
import { YunetDetector } from '../detect/yunet.js';
import { ffmpegPath } from '../video/ffmpeg-path.js';
import { CLUSTER_THRESHOLD } from '../stages/cluster.js';
import { MODELS_DIR, mediaPath, missing } from '../../test-support/shared-data.js';

const VIDEO = mediaPath('episode_gt.mp4');
const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const skip = missing(VIDEO, YUNET);

/** One decoded RGB frame at `t` seconds (ffmpeg, argument array). */
function frameAt(t: number, w = 1280, h = 720): Uint8Array {
  const r = spawnSync(ffmpegPath(), ['-v', 'error', '-ss', String(t), '-i', VIDEO, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: w * h * 3 + 1024 });
  if (r.status !== 0 || r.stdout.length !== w * h * 3) throw new Error(`ffmpeg failed at ${t}s: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

/** Largest face of the frame: YuNet on a 640x360 copy, landmarks scaled back, aligned chip. */
async function chipAt(det: YunetDetector, t: number): Promise<Uint8Array> {
  const rgb = frameAt(t);
  const small = await sharp(rgb, { raw: { width: 1280, height: 720, channels: 3 } }).resize(640, 360).raw().toBuffer();
  const faces = await det.detect(small, 640, 360, true);
  expect(faces.length).toBeGreaterThan(0);
  const f = faces.sort((a, b) => (b.box[2] - b.box[0]) - (a.box[2] - a.box[0]))[0]!;
  const lm = f.landmarks.map(([x, y]) => [x * 2, y * 2] as Pt);
  return alignFace(rgb, 1280, 720, lm).chip;
}

describe.skipIf(skip)('dlib embedder on real faces from episode_gt', () => {
  let emb: Embedder;
  let det: YunetDetector;
  beforeAll(async () => {
    emb = await createDlibEmbedder();
    det = await YunetDetector.create(YUNET);
  });
  afterAll(async () => {
    await emb?.close();
  });

  it('same person (different photos, different shots) is close, different people are far', async () => {
    // shot 0 / shot 9 / shot 17: three different photos of Obama; shot 4: Biden; shot 3: Kit Harington
    const times = { obamaA: 1.5, obamaB: 29.0, obamaC: 56.0, biden: 14.0, kit: 11.0 };
    const names = Object.keys(times) as Array<keyof typeof times>;
    const chips = [];
    for (const n of names) chips.push(await chipAt(det, times[n]));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const vecs = await emb.embed(chips);
    const c = process.cpuUsage(c0);
    const ms = (performance.now() - t0) / chips.length;
    console.log(`dlib embedder: ${ms.toFixed(1)} ms/face wall, ${((c.user + c.system) / 1000 / chips.length).toFixed(1)} ms/face CPU (batch of ${chips.length})`);
    expect(vecs).toHaveLength(names.length);
    for (const v of vecs) {
      expect(v.length).toBe(emb.dim);
      expect(l2normalize(v)).toBeGreaterThan(0);
    }
    const d = (a: keyof typeof times, b: keyof typeof times) => euclidean(vecs[names.indexOf(a)]!, vecs[names.indexOf(b)]!);
    const same = [d('obamaA', 'obamaB'), d('obamaA', 'obamaC'), d('obamaB', 'obamaC')];
    const diff = [d('obamaA', 'biden'), d('obamaB', 'biden'), d('obamaA', 'kit'), d('biden', 'kit')];
    console.log(`same ${same.map((x) => x.toFixed(3)).join(' ')} | different ${diff.map((x) => x.toFixed(3)).join(' ')}`);
    for (const s of same) expect(s).toBeLessThan(CLUSTER_THRESHOLD);
    for (const x of diff) expect(x).toBeGreaterThan(CLUSTER_THRESHOLD);
  });

  it("descriptors equal face-api's own tfjs FaceRecognitionNet.computeFaceDescriptor to float32 rounding", async () => {
    const times = [1.5, 29.0, 56.0, 14.0, 11.0];
    const chips: Uint8Array[] = [];
    for (const t of times) chips.push(await chipAt(det, t));
    chips.push(chips[3]!, chips[0]!, chips[4]!); // a full batch of 8, faces at other positions too
    const ours = await emb.embed(chips);
    // face-api's Node build on tfjs' WebAssembly backend: an independent implementation of the
    // same network, loading the same weights file
    const api = createRequire(import.meta.url)('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
      tf: { setBackend(b: string): Promise<boolean>; ready(): Promise<void>; tensor4d(v: Float32Array, s: number[], d: string): { dispose(): void }; unstack(x: unknown): Array<{ dispose(): void }> };
      nets: { faceRecognitionNet: { loadFromDisk(dir: string): Promise<void>; computeFaceDescriptor(x: unknown): Promise<Float32Array[]> } };
    };
    await api.tf.setBackend('wasm');
    await api.tf.ready();
    await api.nets.faceRecognitionNet.loadFromDisk(faceApiModelDir());
    const S = emb.chipSize;
    const data = new Float32Array(chips.length * S * S * 3);
    chips.forEach((c, i) => data.set(c, i * S * S * 3));
    const t4 = api.tf.tensor4d(data, [chips.length, S, S, 3], 'float32');
    const t3 = api.tf.unstack(t4);
    const ref = await api.nets.faceRecognitionNet.computeFaceDescriptor(t3);
    t3.forEach((t) => t.dispose());
    t4.dispose();
    expect(ours).toHaveLength(ref.length);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) {
      expect(ours[i]!.length).toBe(128);
      let norm = 0;
      for (let k = 0; k < 128; k++) {
        worst = Math.max(worst, Math.abs(ours[i]![k]! - ref[i]![k]!));
        norm += ref[i]![k]! ** 2;
      }
      expect(norm).toBeGreaterThan(0.01); // a real descriptor, not zeros on both sides
    }
    console.log(`largest difference from face-api's descriptors: ${worst.toExponential(2)}`);
    // float32 rounding of a different summation order; the cluster cut is 0.35
    expect(worst).toBeLessThan(1e-5);
  });

  it('the rows are bit-identical whatever the batch size and the thread count', async () => {
    const chips: Uint8Array[] = [];
    for (const t of [1.5, 29.0, 14.0]) chips.push(await chipAt(det, t));
    const bits = (vs: Float32Array[]) => vs.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'));
    const ref = bits(await emb.embed(chips));
    const other = await createDlibEmbedder({ batch: 2, threads: 2 });
    try {
      expect(bits(await other.embed(chips))).toEqual(ref);
      expect(bits(await other.embed([chips[1]!]))).toEqual([ref[1]]);
    } finally {
      await other.close();
    }
  });
});

describe('weights integrity', () => {
  it('refuses weights whose sha256 differs from the pinned digest', async () => {
    const src = faceApiModelDir();
    const dir = mkdtempSync(path.join(tmpdir(), 'screentime-model-'));
    for (const f of ['face_recognition_model.bin', 'face_recognition_model-weights_manifest.json']) copyFileSync(path.join(src, f), path.join(dir, f));
    const bin = readFileSync(path.join(dir, 'face_recognition_model.bin'));
    bin[1000] = bin[1000]! ^ 0xff;
    writeFileSync(path.join(dir, 'face_recognition_model.bin'), bin);
    await expect(createDlibEmbedder({ modelDir: dir })).rejects.toBeInstanceOf(ModelIntegrityError);
    await expect(createDlibEmbedder({ modelDir: dir })).rejects.toThrow(/does not match the pinned/);
  });

  it("faces_embed's config hash covers the embedder weights: the installed file's digest is in it, another digest changes it", () => {
    const h = stageModelHashes('faces_embed');
    expect(h['face_recognition_model.bin']).toBe(DLIB_WEIGHTS_SHA256);
    expect(sha256(readFileSync(path.join(faceApiModelDir(), 'face_recognition_model.bin')))).toBe(DLIB_WEIGHTS_SHA256);
    const cfg = { profile: 'balanced' as const, stride: 4, threads: 2, device: 'cpu' as const, modelsDir: '/m' };
    const a = configHash(hashedConfig('faces_embed', cfg, h), {});
    const b = configHash(hashedConfig('faces_embed', cfg, { ...h, 'face_recognition_model.bin': '0'.repeat(64) }), {});
    expect(a).not.toBe(b);
    // threads still do not count: a 1-thread and a 2-thread run make the same rows
    expect(configHash(hashedConfig('faces_embed', { ...cfg, threads: 1 }, h), {})).toBe(a);
    expect(stageModelHashes('cluster')).toEqual({});
  });
});
