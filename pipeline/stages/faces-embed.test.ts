// faces_embed, cluster and screentime as stage functions on real detect_track output
// (short_hamilton_clip.mp4): file layout, consistency, cancellation leaving nothing behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import sharp from 'sharp';
import type { FaceRow, IdentitiesFile, Manifest, PrototypeRow, ScreentimeFile } from '../../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../../shared/stages.js';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { profileDefaults } from '../detect/profiles.js';
import type { StageContext } from '../runtime/stage.js';
import { readF32 } from '../cluster/io.js';
import { EMBED_BATCH, runFacesEmbed, THUMB_SIZE } from './faces-embed.js';
import { runCluster } from './cluster.js';
import { runScreentime } from './screentime.js';

const VIDEO = 'short_hamilton_clip.mp4';
const STAGE_JS = path.join(REPO_ROOT, 'dist', 'pipeline', 'stages', 'faces-embed.js');
const skip = missing(CLI_JS, STAGE_JS, path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'), mediaPath(VIDEO));
const OUTPUTS = ['faces.jsonl', 'embeddings.f32', 'prototypes.f32', 'prototypes.jsonl'];

function context(dir: string, stage: StageContext['stage'], signal: AbortSignal, onProgress: (d: number, t: number) => void = () => {}, threads = 1): StageContext {
  const outDir = path.join(dir, ARTIFACT_DIR_NAME);
  const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  return {
    stage,
    episodeDir: dir,
    videoPath: path.join(dir, VIDEO),
    outDir,
    video: manifest.video,
    config: { profile: 'balanced', stride: 5, threads, device: 'cpu', modelsDir: MODELS_DIR },
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
    // every track is in exactly one identity or unsure (weak tracks nobody could be sure of)
    const placed = [...ids.identities.flatMap((i) => i.track_ids), ...(ids.unsure ?? []).map((u) => u.track_id)];
    expect(placed.sort((a, b) => a - b)).toEqual(protos.map((p) => p.track_id).sort((a, b) => a - b));
    for (const u of ids.unsure ?? []) expect(protos.find((p) => p.track_id === u.track_id)!.weak).toBe(true);
    expect(cs.unsure_tracks).toBe((ids.unsure ?? []).length);

    await runScreentime(context(dir, 'screentime', new AbortController().signal));
    const st = JSON.parse(readFileSync(path.join(out, 'screentime.json'), 'utf8')) as ScreentimeFile;
    const csv = readFileSync(path.join(out, 'screentime.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(st.identities.length + 1);
    for (const r of st.identities) expect(r.visible_s).toBeLessThanOrEqual(st.duration_s);
  }, 600_000);
  it('2 embedder threads write byte-identical rows to 1 thread; at most the profile\'s faces per track', async () => {
    const st1 = await runFacesEmbed(context(dir, 'faces_embed', new AbortController().signal));
    const one = Object.fromEntries(OUTPUTS.map((f) => [f, readFileSync(path.join(out, f))]));
    const st2 = await runFacesEmbed(context(dir, 'faces_embed', new AbortController().signal, () => {}, 2));
    expect([st1.embed_threads, st2.embed_threads]).toEqual([1, 2]);
    expect(st2.faces).toBe(st1.faces);
    for (const f of OUTPUTS) expect(readFileSync(path.join(out, f)).equals(one[f]!), f).toBe(true);
    const K = profileDefaults('balanced', 25).embedFacesPerTrack;
    expect(st1.faces_per_track).toBe(K);
    const counts = new Map<number, number>();
    for (const f of jsonl<FaceRow>(path.join(out, 'faces.jsonl'))) counts.set(f.track_id, (counts.get(f.track_id) ?? 0) + 1);
    for (const n of counts.values()) expect(n).toBeLessThanOrEqual(K);
    // more faces than one batch: the rows of several forward passes were compared
    expect(st1.faces).toBeGreaterThan(EMBED_BATCH);
    console.log(`faces_embed threads 1 vs 2: ${st1.faces} faces, ${st1.ms_per_face} vs ${st2.ms_per_face} ms/face wall`);
  }, 300_000);

  it('with 2 threads an abort mid-run rejects promptly and leaves the previous outputs untouched', async () => {
    const before = Object.fromEntries(OUTPUTS.map((f) => [f, readFileSync(path.join(out, f))]));
    const ac = new AbortController();
    let abortedAt = 0;
    const p = runFacesEmbed(context(dir, 'faces_embed', ac.signal, (done) => {
      if (done > 0 && !abortedAt) { abortedAt = performance.now(); ac.abort(new Error('cancelled by test')); }
    }, 2));
    await expect(p).rejects.toThrow(/cancelled by test/);
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    for (const f of OUTPUTS) expect(readFileSync(path.join(out, f)).equals(before[f]!), f).toBe(true);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
  }, 300_000);

  it('after an abort with 2 threads, no embedder thread keeps the stage process alive', async () => {
    // A separate Node process runs the compiled stage function, aborts at the first progress and
    // then just returns: it ends by itself only if the embedder's threads are gone.
    const script = `
      import { readFileSync } from 'node:fs';
      import path from 'node:path';
      const { runFacesEmbed } = await import(${JSON.stringify(pathToFileURL(STAGE_JS).href)});
      const [dir, models] = process.argv.slice(2);
      const outDir = path.join(dir, ${JSON.stringify(ARTIFACT_DIR_NAME)});
      const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
      const ac = new AbortController();
      let t0 = 0;
      const ctx = { stage: 'faces_embed', episodeDir: dir, videoPath: '', outDir, video: manifest.video, manifest, signal: ac.signal,
        config: { profile: 'balanced', stride: 5, threads: 2, device: 'cpu', modelsDir: models },
        progress: (d) => { if (d > 0 && !t0) { t0 = Date.now(); ac.abort(new Error('aborted')); } }, log: () => {} };
      try { await runFacesEmbed(ctx); console.log('finished'); } catch (e) { console.log('rejected ' + e.message + ' after ' + (Date.now() - t0) + ' ms'); }
    `;
    const file = path.join(path.dirname(dir), 'abort-stage.mjs');
    writeFileSync(file, script);
    const r = await execa(process.execPath, [file, dir, MODELS_DIR], { reject: false, timeout: 120_000, stdin: 'ignore' });
    expect(r.timedOut, 'the stage process stayed alive').toBe(false);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^rejected aborted after \d+ ms$/m);
  }, 180_000);
});
