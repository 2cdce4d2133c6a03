// faces_embed: per track, pick the good face samples detect_track kept, align each to dlib's
// 150x150 chip with a similarity transform on its 5 landmarks, embed (128-d), L2-normalise, and
// average per track into a prototype. Writes faces.jsonl, embeddings.f32, prototypes.f32 +
// prototypes.jsonl and thumbs/ (docs/pipeline-identities.md describes every file).
//
// samples.rgb can be gigabytes for a long episode: it is read one track at a time by offset.
// Everything is written to temp names and renamed only when the whole stage succeeded.
//
// This file runs the steps in order; each lives beside it: faces-embed-samples.ts (the input),
// faces-embed-choose.ts (pass 1: align, gate, choose, thumbnails), faces-embed-embed.ts (pass 2:
// embeddings, faces.jsonl, prototypes).

import { rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ARTIFACT_FILES, type FaceRow, type PrototypeRow } from '../../shared/artifacts.js';
import type { Profile } from '../../shared/stages.js';
import { createDlibEmbedder } from '../embed/dlib-embedder.js';
import type { Embedder } from '../embed/embedder.js';
import { DEFAULT_GATES, type FaceGates } from '../embed/select.js';
import { profileDefaults } from '../detect/profiles.js';
import { createAtomicWriter, createJsonlWriter, tempPathFor } from '../runtime/atomic.js';
import type { StageContext, StageFn } from '../runtime/stage.js';
import { chooseFaces, type Choices } from './faces-embed-choose.js';
import { embedChoices, writePrototypes } from './faces-embed-embed.js';
import { openSampleInput } from './faces-embed-samples.js';

export { THUMB_SIZE, THUMBS_PER_TRACK, thumbName } from './faces-embed-choose.js';

/**
 * Faces per forward pass. The rows do not depend on it nor on the thread count (tested), so
 * neither is part of the stage's config hash.
 */
export const EMBED_BATCH = 8;

export function gatesFor(profile: Profile, fps = 25): FaceGates {
  return { ...DEFAULT_GATES, maxFaces: profileDefaults(profile, fps).embedFacesPerTrack };
}

/** The embedder for a stage run: one session on the stage's thread budget. */
export function defaultEmbedder(ctx: StageContext): Promise<Embedder> {
  return createDlibEmbedder({ batch: EMBED_BATCH, threads: Math.max(1, Math.floor(ctx.config.threads)), signal: ctx.signal });
}

export interface FacesEmbedOptions {
  embedderFactory?: (ctx: StageContext) => Promise<Embedder>;
  /** Overrides the profile's faces per track (measurements). */
  facesPerTrack?: number;
}

/** The gates of this run: the profile's, with the faces per track a measurement may override. */
function runGates(ctx: StageContext, opts: FacesEmbedOptions): FaceGates {
  const gates = gatesFor(ctx.config.profile, ctx.video.fps);
  if (opts.facesPerTrack !== undefined) gates.maxFaces = Math.max(1, Math.floor(opts.facesPerTrack));
  return gates;
}

/** Swaps the new thumbnail folder in: the old one out of the way, the new one in, the old removed. */
async function swapFolder(tmp: string, final: string): Promise<void> {
  const old = `${final}.old-${process.pid}`;
  await rm(old, { recursive: true, force: true });
  await rename(final, old).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
  await rename(tmp, final);
  await rm(old, { recursive: true, force: true });
}

interface EmbedTiming {
  /** Wall time of pass 2. */
  embedMs: number;
  /** CPU time of this process during pass 2: on a shared machine wall time also counts waiting. */
  embedCpuMs: number;
  /** Wall time of the whole stage. */
  elapsedMs: number;
}

const perFace = (ms: number, faces: number) => (faces ? ms / faces : 0);

/** The run's log line. */
function summaryLine(faces: number, tracks: number, samples: number, choices: Choices, t: EmbedTiming): string {
  const align = choices.alignMs / Math.max(1, samples);
  return `faces_embed: ${faces} faces from ${tracks} tracks (${choices.counts.weak_tracks} with no sample passing the gates), embedder ${perFace(t.embedMs, faces).toFixed(1)} ms/face (${perFace(t.embedCpuMs, faces).toFixed(1)} ms CPU), align ${align.toFixed(1)} ms/sample, total ${(t.elapsedMs / Math.max(1, faces)).toFixed(1)} ms/face`;
}

export async function runFacesEmbed(ctx: StageContext, opts: FacesEmbedOptions = {}): Promise<Record<string, number | string | boolean | null>> {
  const t0 = performance.now();
  sharp.concurrency(1);
  sharp.cache(false);
  const out = (f: string) => path.join(ctx.outDir, f);
  const input = await openSampleInput(ctx.outDir);
  const gates = runGates(ctx, opts);
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

  try {
    embedder = await (opts.embedderFactory ?? defaultEmbedder)(ctx);
    const choices = await chooseFaces(input.tracks, input.file, { gates, video: ctx.video, seenScale, thumbsDir: thumbsTmp, signal: ctx.signal, overlapThumbs: ctx.config.threads >= 2 });

    const threads = (embedder as Embedder & { threads?: number }).threads ?? 1;
    const te = performance.now();
    const ce = process.cpuUsage();
    const embedded = await embedChoices(choices.tracks, input.file, embedder, EMBED_BATCH * threads, { faces: facesW, embeddings: embW, signal: ctx.signal, progress: (done, total) => ctx.progress(done, total) });
    const cd = process.cpuUsage(ce);
    const timing: EmbedTiming = { embedMs: performance.now() - te, embedCpuMs: (cd.user + cd.system) / 1000, elapsedMs: 0 };
    const tracks = await writePrototypes(choices.tracks, embedded.sums, embedder.dim, protoW, protoIdxW);

    if (ctx.signal.aborted) throw ctx.signal.reason;
    await Promise.all([facesW.commit(), embW.commit(), protoW.commit(), protoIdxW.commit()]);
    await swapFolder(thumbsTmp, thumbsFinal);
    committed = true;

    const faces = embedded.faces;
    const samples = input.samples.length;
    timing.elapsedMs = performance.now() - t0;
    ctx.log(summaryLine(faces, tracks, samples, choices, timing));
    return {
      faces,
      tracks,
      ...choices.counts,
      samples,
      embedder: embedder.name,
      embed_threads: threads,
      faces_per_track: gates.maxFaces,
      dim: embedder.dim,
      ms_per_face: Math.round(perFace(timing.embedMs, faces) * 10) / 10,
      cpu_ms_per_face: Math.round(perFace(timing.embedCpuMs, faces) * 10) / 10,
      total_ms_per_face: Math.round((timing.elapsedMs / Math.max(1, faces)) * 10) / 10,
      align_ms_per_sample: Math.round((choices.alignMs / Math.max(1, samples)) * 100) / 100,
    };
  } finally {
    await input.file.close().catch(() => {});
    if (embedder) await embedder.close().catch(() => {});
    if (!committed) {
      await Promise.all([facesW.abort(), embW.abort(), protoW.abort(), protoIdxW.abort()]).catch(() => {});
      await rm(thumbsTmp, { recursive: true, force: true }).catch(() => {});
    }
  }
}

export const facesEmbed: StageFn = (ctx) => runFacesEmbed(ctx);
