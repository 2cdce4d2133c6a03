// faces_embed, pass 1: per track, align every sample, gate it (confidence, size, pose, frame edge,
// blur), choose the faces that vote, and write the thumbnails of the best ones. Only the choice is
// kept (chips of a long episode would not fit in memory): pass 2 re-reads and re-aligns the chosen
// samples (0.4 ms a chip).

import path from 'node:path';
import sharp from 'sharp';
import { ARTIFACT_FILES, type Point, type SampleRow, type VideoFacts } from '../../shared/artifacts.js';
import { DLIB_CHIP_SIZE } from '../embed/align.js';
import { cutByFrameEdge } from '../embed/pose.js';
import { laplacianVariance } from '../embed/quality.js';
import { selectFaces, type FaceCandidate, type FaceGates, type Selection } from '../embed/select.js';
import type { SampleFile, TrackSamples } from './faces-embed-samples.js';

export const THUMB_SIZE = 112;
/** Thumbnails per track: the best face plus a few more for the review strip. */
export const THUMBS_PER_TRACK = 3;

/** Relative thumbnail path of a track's k-th thumbnail. */
export function thumbName(trackId: number, k: number): string {
  return `${ARTIFACT_FILES.thumbs}/t${trackId}${k === 0 ? '' : `_${k}`}.jpg`;
}

/** What pass 1 decided for one track. */
export interface TrackChoice {
  trackId: number;
  /** The samples to embed, best quality first. */
  chosen: SampleRow[];
  /** How much each chosen face counts in the prototype (same order). */
  weights: number[];
  /** No sample passed the gates: `chosen` holds the single best one anyway. */
  weak: boolean;
  quality: number;
  /** Relative paths of the written thumbnails, best first. */
  thumbs: string[];
}

/** Why samples could not vote, summed over the episode (the manifest's stats). */
export interface GateCounts {
  weak_tracks: number;
  rejected_conf: number;
  rejected_size: number;
  rejected_pose: number;
  rejected_edge: number;
  rejected_blur: number;
}

export interface Choices {
  tracks: TrackChoice[];
  counts: GateCounts;
  /** Time spent reading and aligning samples. */
  alignMs: number;
}

export interface ChooseOptions {
  gates: FaceGates;
  video: VideoFacts;
  /** Analysis pixels per source pixel: the size gate judges the face as the detector saw it. */
  seenScale: number;
  /** Folder the thumbnails are written into (the temp folder, swapped in on success). */
  thumbsDir: string;
  signal: AbortSignal;
  /** Encode a track's thumbnails while the next track aligns (a second busy thread: cap >= 2). */
  overlapThumbs: boolean;
}

export async function chooseFaces(tracks: readonly TrackSamples[], file: SampleFile, o: ChooseOptions): Promise<Choices> {
  const counts: GateCounts = { weak_tracks: 0, rejected_conf: 0, rejected_size: 0, rejected_pose: 0, rejected_edge: 0, rejected_blur: 0 };
  const choices: TrackChoice[] = [];
  let alignMs = 0;
  // With a cap of 2 or more a track's thumbnails are encoded (sharp, one job at a time on a libuv
  // thread) while this thread aligns the next track: two busy threads, never more.
  let thumbsInFlight: Promise<unknown> = Promise.resolve();
  try {
    for (const { trackId, rows } of tracks) {
      if (o.signal.aborted) throw o.signal.reason;
      const ta = performance.now();
      const { chips, candidates } = await alignTrack(rows, file, o);
      alignMs += performance.now() - ta;
      const sel = selectFaces(candidates, o.gates);
      addRejections(counts, sel);
      await thumbsInFlight;
      const chosenChips = sel.chosen.map((i) => chips[i]!);
      const thumbs = chosenChips.slice(0, THUMBS_PER_TRACK).map((_, k) => thumbName(trackId, k));
      thumbsInFlight = writeThumbs(thumbs, chosenChips, o.thumbsDir);
      thumbsInFlight.catch(() => undefined); // its error is thrown where it is awaited, not "unhandled" meanwhile
      if (!o.overlapThumbs) await thumbsInFlight;
      choices.push({ trackId, chosen: sel.chosen.map((i) => rows[i]!), weights: sel.weights, weak: sel.weak, quality: sel.quality, thumbs });
    }
  } finally {
    // never leave a write running behind a failure (the caller removes the folder it writes into)
    await thumbsInFlight.catch(() => undefined);
  }
  await thumbsInFlight;
  return { tracks: choices, counts, alignMs };
}

/** Every sample of a track aligned, with the facts the gates judge it by. */
async function alignTrack(rows: readonly SampleRow[], file: SampleFile, o: ChooseOptions): Promise<{ chips: Uint8Array[]; candidates: FaceCandidate[] }> {
  const chips: Uint8Array[] = [];
  const candidates: FaceCandidate[] = [];
  for (const s of rows) {
    const chip = await file.alignedChip(s);
    chips.push(chip);
    candidates.push({
      conf: s.conf,
      facePx: s.face_px * o.seenScale,
      landmarks: s.landmarks as Point[],
      sharpness: laplacianVariance(chip, DLIB_CHIP_SIZE, DLIB_CHIP_SIZE),
      quality: s.quality,
      edgeCut: cutByFrameEdge(s.bbox, o.video.width, o.video.height),
    });
  }
  return { chips, candidates };
}

function addRejections(counts: GateCounts, sel: Selection): void {
  counts.rejected_conf += sel.rejected.conf;
  counts.rejected_size += sel.rejected.size;
  counts.rejected_pose += sel.rejected.pose;
  counts.rejected_edge += sel.rejected.edge;
  counts.rejected_blur += sel.rejected.blur;
  if (sel.weak) counts.weak_tracks++;
}

/** The thumbnails named `names` (best first) from the chips in the same order. */
async function writeThumbs(names: readonly string[], chosenChips: readonly Uint8Array[], dir: string): Promise<void> {
  for (const [k, name] of names.entries()) await writeThumb(chosenChips[k]!, path.join(dir, path.basename(name)));
}

async function writeThumb(chip: Uint8Array, file: string): Promise<void> {
  await sharp(chip, { raw: { width: DLIB_CHIP_SIZE, height: DLIB_CHIP_SIZE, channels: 3 } })
    .resize(THUMB_SIZE, THUMB_SIZE, { kernel: 'lanczos3' })
    .jpeg({ quality: 85, mozjpeg: false })
    .toFile(file);
}
