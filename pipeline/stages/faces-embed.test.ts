// faces_embed, cluster and screentime as stage functions on real detect_track output
// (short_hamilton_clip.mp4): file layout, consistency, cancellation leaving nothing behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { FaceRow, IdentitiesFile, Manifest, PrototypeRow, ScreentimeFile } from '../../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../../shared/stages.js';
import { CLI_JS, MODELS_DIR, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import type { StageContext } from '../runtime/stage.js';
import { readF32 } from '../cluster/io.js';
import { runFacesEmbed, THUMB_SIZE } from './faces-embed.js';
import { runCluster } from './cluster.js';
import { runScreentime } from './screentime.js';

const VIDEO = 'short_hamilton_clip.mp4';
const skip = missing(CLI_JS, path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'), mediaPath(VIDEO));

function context(dir: string, stage: StageContext['stage'], signal: AbortSignal, onProgress: (d: number, t: number) => void = () => {}): StageContext {
  const outDir = path.join(dir, ARTIFACT_DIR_NAME);
  const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  return {
    stage,
    episodeDir: dir,
    videoPath: path.join(dir, VIDEO),
    outDir,
    video: manifest.video,
    config: { profile: 'balanced', stride: 5, threads: 1, device: 'cpu', modelsDir: MODELS_DIR },
    manifest,
    signal,
    progress: onProgress,
    log: () => {},
  };
}

const jsonl = <T>(f: string) => readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

describe.skipIf(skip)('faces_embed / cluster / screentime stage functions', () => {
  let dir = '';
  let out = '';
  beforeAll(async () => {
    dir = tempEpisode(VIDEO);
    out = path.join(dir, ARTIFACT_DIR_NAME);
    const r = await execa(process.execPath, [CLI_JS, 'stage', 'detect_track', dir, '--models', MODELS_DIR], { reject: false, stdin: 'ignore', timeout: 600_000 });
    expect(r.exitCode, r.stderr).toBe(0);
  }, 620_000);
  afterAll(() => {
    if (dir) rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('a cancelled run leaves no outputs and no temp files', async () => {
    const ac = new AbortController();
    const p = runFacesEmbed(context(dir, 'faces_embed', ac.signal, (done) => { if (done > 0) ac.abort(new Error('cancelled by test')); }));
    await expect(p).rejects.toThrow(/cancelled by test/);
    for (const f of ['faces.jsonl', 'embeddings.f32', 'prototypes.f32', 'prototypes.jsonl', 'thumbs']) expect(existsSync(path.join(out, f)), f).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 300_000);

  it('writes consistent faces, embeddings, prototypes and thumbnails; then cluster and screentime', async () => {
    const seen: number[] = [];
    const stats = await runFacesEmbed(context(dir, 'faces_embed', new AbortController().signal, (d) => seen.push(d)));
    const faces = jsonl<FaceRow>(path.join(out, 'faces.jsonl'));
    const protos = jsonl<PrototypeRow>(path.join(out, 'prototypes.jsonl'));
    expect(faces.length).toBe(stats.faces);
    expect(faces.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(faces.length);
    expect(statSync(path.join(out, 'embeddings.f32')).size).toBe(faces.length * 128 * 4);
    expect(statSync(path.join(out, 'prototypes.f32')).size).toBe(protos.length * 128 * 4);
    const emb = readF32(path.join(out, 'embeddings.f32'), faces.length, 128);
    const pro = readF32(path.join(out, 'prototypes.f32'), protos.length, 128);
    const norm = (v: Float32Array, r: number) => Math.hypot(...v.subarray(r * 128, r * 128 + 128));
    faces.forEach((f, i) => { expect(f.embedding_row).toBe(i); expect(norm(emb, i)).toBeCloseTo(1, 4); });
    protos.forEach((p, i) => {
      expect(p.row).toBe(i);
      expect(norm(pro, i)).toBeCloseTo(1, 4);
      expect(p.n_faces).toBe(faces.filter((f) => f.track_id === p.track_id).length);
    });
    // every track with samples has a prototype
    const sampleTracks = new Set(jsonl<{ track_id: number }>(path.join(out, 'samples.jsonl')).map((s) => s.track_id));
    expect(new Set(protos.map((p) => p.track_id))).toEqual(sampleTracks);
    for (const p of protos) {
      expect(p.thumb).not.toBeNull();
      const meta = await sharp(path.join(out, p.thumb!)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', THUMB_SIZE, THUMB_SIZE]);
      for (const t of p.sample_thumbs) expect(existsSync(path.join(out, t))).toBe(true);
    }
    expect(typeof stats.ms_per_face).toBe('number');

    const cs = await runCluster(context(dir, 'cluster', new AbortController().signal));
    const ids = JSON.parse(readFileSync(path.join(out, 'identities.json'), 'utf8')) as IdentitiesFile;
    expect(ids.identities.length).toBe(cs.identities);
    expect(ids.identities.flatMap((i) => i.track_ids).sort((a, b) => a - b)).toEqual(protos.map((p) => p.track_id).sort((a, b) => a - b));

    await runScreentime(context(dir, 'screentime', new AbortController().signal));
    const st = JSON.parse(readFileSync(path.join(out, 'screentime.json'), 'utf8')) as ScreentimeFile;
    const csv = readFileSync(path.join(out, 'screentime.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(st.identities.length + 1);
    for (const r of st.identities) expect(r.visible_s).toBeLessThanOrEqual(st.duration_s);
  }, 600_000);
});
