// faces_embed: per track, pick the good face samples detect_track kept, align each to dlib's
// 150x150 chip with a similarity transform on its 5 landmarks, embed (128-d), L2-normalise, and
// average per track into a prototype. Writes faces.jsonl, embeddings.f32, prototypes.f32 +
// prototypes.jsonl and thumbs/ (docs/pipeline-identities.md describes every file).
//
// samples.rgb can be gigabytes for a long episode: it is read one track at a time by offset.
// Everything is written to temp names and renamed only when the whole stage succeeded.

import { open, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ARTIFACT_FILES, type FaceRow, type Point, type PrototypeRow, type TrackRow } from '../../shared/artifacts.js';
import { EXIT, type Profile } from '../../shared/stages.js';
import { alignFace, DLIB_CHIP_SIZE } from '../embed/align.js';
import { createDlibEmbedder } from '../embed/dlib-embedder.js';
import { createEmbedderPool } from '../embed/pool.js';
import { l2normalize, type Embedder } from '../embed/embedder.js';
import { laplacianVariance } from '../embed/quality.js';
import { DEFAULT_GATES, selectFaces, type FaceGates } from '../embed/select.js';
import { cutByFrameEdge } from '../embed/pose.js';
import { f32Bytes, readJsonl, requireFile } from '../cluster/io.js';
import { profileDefaults } from '../detect/profiles.js';
import { createAtomicWriter, createJsonlWriter, tempPathFor } from '../runtime/atomic.js';
import { StageError, type StageContext, type StageFn } from '../runtime/stage.js';
import type { SampleRow } from './detect-track.js';

export const SAMPLE_SIZE = 192;
const SAMPLE_BYTES = SAMPLE_SIZE * SAMPLE_SIZE * 3;
export const THUMB_SIZE = 112;
/** Thumbnails per track: the best face plus a few more for the review strip. */
export const THUMBS_PER_TRACK = 3;

/**
 * Faces per forward pass and per job handed to a worker. 8 costs the same per face as 16
 * (measured), and a cancel of the single-thread embedder waits for one batch at most. Fixed for
 * every thread count, so the rows are the same whatever `threads` is (pool.ts).
 */
export const EMBED_BATCH = 8;

export function gatesFor(profile: Profile, fps = 25): FaceGates {
  return { ...DEFAULT_GATES, maxFaces: profileDefaults(profile, fps).embedFacesPerTrack };
}

/**
 * The embedder for a stage run: with a thread budget of 2 or more, that many worker threads each
 * with its own single-threaded dlib embedder; with 1, one embedder on this thread.
 */
export function defaultEmbedder(ctx: StageContext): Promise<Embedder> {
  const threads = Math.max(1, Math.floor(ctx.config.threads));
  if (threads >= 2) return createEmbedderPool({ threads, batch: EMBED_BATCH, signal: ctx.signal });
  return createDlibEmbedder({ batch: EMBED_BATCH });
}

export interface FacesEmbedOptions {
  embedderFactory?: (ctx: StageContext) => Promise<Embedder>;
  /** Overrides the profile's faces per track (measurements). */
  facesPerTrack?: number;
}

interface Pending {
  trackId: number;
  sample: SampleRow;
  chip: Uint8Array;
  quality: number;
  /** How much this face counts in the track's prototype (select.ts `faceWeight`). */
  weight: number;
}

/**
 * Prototype = weighted mean of the track's embeddings. A floor keeps every chosen face in (a
 * weight of 0 would only come from a degenerate landmark set, and the face passed the gates).
 */
const MIN_FACE_WEIGHT = 0.05;

/** Relative thumbnail path of a track's k-th thumbnail. */
export function thumbName(trackId: number, k: number): string {
  return `${ARTIFACT_FILES.thumbs}/t${trackId}${k === 0 ? '' : `_${k}`}.jpg`;
}

async function writeThumb(chip: Uint8Array, file: string): Promise<void> {
  await sharp(chip, { raw: { width: DLIB_CHIP_SIZE, height: DLIB_CHIP_SIZE, channels: 3 } })
    .resize(THUMB_SIZE, THUMB_SIZE, { kernel: 'lanczos3' })
    .jpeg({ quality: 85, mozjpeg: false })
    .toFile(file);
}

export async function runFacesEmbed(ctx: StageContext, opts: FacesEmbedOptions = {}): Promise<Record<string, number | string | boolean | null>> {
  const t0 = performance.now();
  sharp.concurrency(1);
  sharp.cache(false);
  const out = (f: string) => path.join(ctx.outDir, f);
  const samples = readJsonl<SampleRow>(requireFile(ctx.outDir, ARTIFACT_FILES.samples, 'detect_track'));
  const tracks = readJsonl<TrackRow>(requireFile(ctx.outDir, ARTIFACT_FILES.tracks, 'detect_track'));
  const binPath = requireFile(ctx.outDir, ARTIFACT_FILES.samplesBin, 'detect_track');
  const bin = await open(binPath, 'r');
  const binSize = (await bin.stat()).size;
  if (binSize < samples.length * SAMPLE_BYTES) {
    await bin.close();
    throw new StageError(`samples.rgb has ${binSize} bytes, samples.jsonl lists ${samples.length} samples of ${SAMPLE_BYTES}`, EXIT.BAD_INPUT);
  }

  // samples grouped by track, in track order of tracks.jsonl (tracks without samples get none)
  const byTrack = new Map<number, SampleRow[]>();
  for (const s of samples) {
    let l = byTrack.get(s.track_id);
    if (!l) byTrack.set(s.track_id, (l = []));
    l.push(s);
  }
  const trackOrder = tracks.map((t) => t.track_id).filter((id) => byTrack.has(id));
  const gates = gatesFor(ctx.config.profile, ctx.video.fps);
  if (opts.facesPerTrack !== undefined) gates.maxFaces = Math.max(1, Math.floor(opts.facesPerTrack));
  // The detector saw the frame scaled to the profile's analysis width: gate on those pixels.
  const seenScale = Math.min(1, profileDefaults(ctx.config.profile, ctx.video.fps).analysisWidth / Math.max(1, ctx.video.width));

  let embedder: Embedder | null = null;
  const thumbsFinal = out(ARTIFACT_FILES.thumbs);
  const thumbsTmp = tempPathFor(thumbsFinal);
  await rm(thumbsTmp, { recursive: true, force: true });
  await mkdir(thumbsTmp, { recursive: true });
  const facesW = createJsonlWriter<FaceRow>(out(ARTIFACT_FILES.faces));
  const embW = createAtomicWriter(out(ARTIFACT_FILES.embeddings));
  const protoW = createAtomicWriter(out(ARTIFACT_FILES.prototypes));
  const protoIdxW = createJsonlWriter<PrototypeRow>(out(ARTIFACT_FILES.prototypesIndex));
  let committed = false;
  const stats = { faces: 0, tracks: 0, weak_tracks: 0, rejected_conf: 0, rejected_size: 0, rejected_pose: 0, rejected_edge: 0, rejected_blur: 0, samples: samples.length };

  try {
    embedder = await (opts.embedderFactory ?? defaultEmbedder)(ctx);
    const dim = embedder.dim;
    // Pass 1: align every sample, gate, choose, and write the thumbnails of the chosen ones.
    // Only indices are kept (chips of a long episode would not fit in memory); pass 2 re-reads the
    // chosen samples (aligning costs ~1 ms next to ~25 ms of embedding).
    const plan: Array<{ trackId: number; chosen: SampleRow[]; weights: number[]; weak: boolean; quality: number; thumbs: string[] }> = [];
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const readChip = async (s: SampleRow): Promise<Uint8Array> => {
      const { bytesRead } = await bin.read(buf, 0, SAMPLE_BYTES, s.sample_idx * SAMPLE_BYTES);
      if (bytesRead !== SAMPLE_BYTES) throw new StageError(`samples.rgb ends before sample ${s.sample_idx}`, EXIT.BAD_INPUT);
      return alignFace(buf, SAMPLE_SIZE, SAMPLE_SIZE, s.landmarks as Point[]).chip;
    };
    let alignMs = 0;
    for (const trackId of trackOrder) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const rows = byTrack.get(trackId)!;
      const ta = performance.now();
      const chips: Uint8Array[] = [];
      const facts = [];
      for (const s of rows) {
        const chip = await readChip(s);
        chips.push(chip);
        facts.push({
          conf: s.conf,
          facePx: s.face_px * seenScale,
          landmarks: s.landmarks as Point[],
          sharpness: laplacianVariance(chip, DLIB_CHIP_SIZE, DLIB_CHIP_SIZE),
          quality: s.quality,
          edgeCut: cutByFrameEdge(s.bbox, ctx.video.width, ctx.video.height),
        });
      }
      alignMs += performance.now() - ta;
      const sel = selectFaces(facts, gates);
      stats.rejected_conf += sel.rejected.conf;
      stats.rejected_size += sel.rejected.size;
      stats.rejected_pose += sel.rejected.pose;
      stats.rejected_edge += sel.rejected.edge;
      stats.rejected_blur += sel.rejected.blur;
      if (sel.weak) stats.weak_tracks++;
      const thumbs: string[] = [];
      for (let k = 0; k < Math.min(THUMBS_PER_TRACK, sel.chosen.length); k++) {
        const name = thumbName(trackId, k);
        await writeThumb(chips[sel.chosen[k]!]!, path.join(thumbsTmp, path.basename(name)));
        thumbs.push(name);
      }
      plan.push({ trackId, chosen: sel.chosen.map((i) => rows[i]!), weights: sel.weights, weak: sel.weak, quality: sel.quality, thumbs });
    }
    const facesTotal = plan.reduce((n, p) => n + p.chosen.length, 0);
    ctx.progress(0, facesTotal);

    // Pass 2: embed in groups across tracks; per-track sums make the prototypes. A group is one
    // batch per worker; the next group is read and submitted before the previous one's results
    // are awaited, so the workers never wait for this thread. Results are written in face order.
    const workers = (embedder as Embedder & { threads?: number }).threads ?? 1;
    const GROUP = EMBED_BATCH * workers;
    let faceId = 0;
    let protoRow = 0;
    let queue: Pending[] = [];
    let inFlight: { items: Pending[]; vecs: Promise<Float32Array[]> } | null = null;
    const sums = new Map<number, { sum: Float64Array; n: number; w: number }>();
    const te = performance.now();
    const ce = process.cpuUsage();
    const collect = async () => {
      if (!inFlight) return;
      const { items, vecs: pending } = inFlight;
      inFlight = null;
      const vecs = await pending;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (vecs.length !== items.length) throw new StageError(`embedder returned ${vecs.length} vectors for ${items.length} faces`, EXIT.MODEL);
      for (let i = 0; i < items.length; i++) {
        const q = items[i]!;
        const v = vecs[i]!;
        if (v.length !== dim) throw new StageError(`embedder returned ${v.length} values, expected ${dim}`, EXIT.MODEL);
        if (!(l2normalize(v) > 0)) throw new StageError('embedder returned a zero vector', EXIT.MODEL);
        await embW.write(f32Bytes(v));
        let acc = sums.get(q.trackId);
        if (!acc) sums.set(q.trackId, (acc = { sum: new Float64Array(dim), n: 0, w: 0 }));
        const w = Math.max(MIN_FACE_WEIGHT, q.weight);
        for (let k = 0; k < dim; k++) acc.sum[k]! += w * v[k]!;
        acc.n++;
        acc.w += w;
        await facesW.write({
          face_id: faceId,
          track_id: q.trackId,
          frame_idx: q.sample.frame_idx,
          ts: q.sample.ts,
          quality: q.quality,
          weight: Math.round(q.weight * 1e4) / 1e4,
          embedding_row: faceId,
          thumb: thumbName(q.trackId, 0),
        });
        faceId++;
      }
      ctx.progress(faceId, facesTotal);
    };
    const submit = async () => {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const items = queue;
      queue = [];
      const next = items.length ? { items, vecs: embedder!.embed(items.map((q) => q.chip)) } : null;
      // an abort rejects it while the previous group is awaited: handled when it is collected
      next?.vecs.catch(() => {});
      await collect();
      inFlight = next;
    };
    for (const p of plan) {
      for (const [k, s] of p.chosen.entries()) {
        queue.push({ trackId: p.trackId, sample: s, chip: await readChip(s), quality: s.quality, weight: p.weights[k] ?? 1 });
        if (queue.length >= GROUP) await submit();
      }
    }
    await submit();
    await collect();
    const cd = process.cpuUsage(ce);
    // CPU time of this process while embedding: on a shared machine wall time also counts waiting
    const embedCpuMs = (cd.user + cd.system) / 1000;
    const embedMs = performance.now() - te;

    for (const p of plan) {
      const acc = sums.get(p.trackId);
      if (!acc || acc.n === 0) continue;
      const proto = new Float32Array(dim);
      for (let k = 0; k < dim; k++) proto[k] = acc.sum[k]! / acc.w;
      l2normalize(proto);
      await protoW.write(f32Bytes(proto));
      await protoIdxW.write({
        row: protoRow++,
        track_id: p.trackId,
        n_faces: acc.n,
        best_quality: p.chosen[0]?.quality ?? 0,
        thumb: p.thumbs[0] ?? null,
        sample_thumbs: p.thumbs.slice(1),
        weak: p.weak,
        quality: p.quality,
      });
    }
    stats.faces = faceId;
    stats.tracks = protoRow;

    if (ctx.signal.aborted) throw ctx.signal.reason;
    await Promise.all([facesW.commit(), embW.commit(), protoW.commit(), protoIdxW.commit()]);
    // swap the thumbnail folder in: old out of the way, new in, old removed
    const old = `${thumbsFinal}.old-${process.pid}`;
    await rm(old, { recursive: true, force: true });
    await rename(thumbsFinal, old).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    await rename(thumbsTmp, thumbsFinal);
    await rm(old, { recursive: true, force: true });
    committed = true;
    const elapsed = performance.now() - t0;
    const msPerFace = faceId ? embedMs / faceId : 0;
    const cpuPerFace = faceId ? embedCpuMs / faceId : 0;
    ctx.log(`faces_embed: ${faceId} faces from ${protoRow} tracks (${stats.weak_tracks} with no sample passing the gates), embedder ${msPerFace.toFixed(1)} ms/face (${cpuPerFace.toFixed(1)} ms CPU), align ${(alignMs / Math.max(1, samples.length)).toFixed(1)} ms/sample, total ${(elapsed / Math.max(1, faceId)).toFixed(1)} ms/face`);
    return {
      ...stats,
      embedder: embedder.name,
      embed_threads: workers,
      faces_per_track: gates.maxFaces,
      dim,
      ms_per_face: Math.round(msPerFace * 10) / 10,
      cpu_ms_per_face: Math.round(cpuPerFace * 10) / 10,
      total_ms_per_face: Math.round((elapsed / Math.max(1, faceId)) * 10) / 10,
      align_ms_per_sample: Math.round((alignMs / Math.max(1, samples.length)) * 100) / 100,
    };
  } finally {
    await bin.close().catch(() => {});
    if (embedder) await embedder.close().catch(() => {});
    if (!committed) {
      await Promise.all([facesW.abort(), embW.abort(), protoW.abort(), protoIdxW.abort()]).catch(() => {});
      await rm(thumbsTmp, { recursive: true, force: true }).catch(() => {});
    }
  }
}

export const facesEmbed: StageFn = (ctx) => runFacesEmbed(ctx);
