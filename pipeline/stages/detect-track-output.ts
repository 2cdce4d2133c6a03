// detect_track's artifacts: the rows of detections.jsonl, tracks.jsonl, shots.jsonl and
// samples.jsonl, and the atomic writers they stream into (renamed into place only when the whole
// run succeeded). Rounding happens here, once: 0.1 px for boxes, 1e-4 for times and scores.

import path from 'node:path';
import {
  ARTIFACT_FILES,
  SAMPLE_SIZE,
  type Box,
  type DetectionRow,
  type Point,
  type SampleRow,
  type ShotRow,
  type TrackRow,
} from '../../shared/artifacts.js';
import { landmarksInCrop } from '../detect/crop.js';
import { encodeLook } from '../detect/frame-look.js';
import { createAtomicWriter } from '../runtime/atomic.js';
import type { EndedTrack } from '../track/bytetrack.js';
import type { Det } from './detect-track-faces.js';

export const r1 = (v: number) => Math.round(v * 10) / 10;
export const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Seconds of a frame index, as every row writes them. */
export type FrameTime = (frame: number) => number;

export function frameTime(fps: number): FrameTime {
  return (frame) => r4(frame / fps);
}

/** Flush a JSON Lines writer's buffer at this size. */
const BATCH_CHARS = 65536;

/**
 * JSON Lines into an atomic writer, batched: one write per ~64 KB instead of one per row (a
 * stream write per detection row showed up as ~1 ms each in profiles on a busy machine).
 */
function batchedJsonl<T>(file: string) {
  const w = createAtomicWriter(file);
  let buf = '';
  let rows = 0;
  return {
    get rows() { return rows; },
    async write(row: T) {
      rows++;
      buf += `${JSON.stringify(row)}\n`;
      if (buf.length >= BATCH_CHARS) { const chunk = buf; buf = ''; await w.write(chunk); }
    },
    async commit() {
      if (buf) { const chunk = buf; buf = ''; await w.write(chunk); }
      await w.commit();
    },
    abort: () => w.abort(),
  };
}

export type JsonlWriter<T> = ReturnType<typeof batchedJsonl<T>>;

export interface DetectTrackWriters {
  detections: JsonlWriter<DetectionRow>;
  tracks: JsonlWriter<TrackRow>;
  shots: JsonlWriter<ShotRow>;
  samples: JsonlWriter<SampleRow>;
  /** samples.rgb: row `sample_idx` of samples.jsonl is bytes [idx x SAMPLE_BYTES, +SAMPLE_BYTES). */
  samplesBin: ReturnType<typeof createAtomicWriter>;
  /** Renames every file into place, one after another. */
  commit(): Promise<void>;
  /** Drops every temp file (a failed or cancelled run leaves the previous outputs as they were). */
  abort(): Promise<void>;
}

export function openWriters(outDir: string): DetectTrackWriters {
  const out = (name: string) => path.join(outDir, name);
  const files = {
    detections: batchedJsonl<DetectionRow>(out(ARTIFACT_FILES.detections)),
    tracks: batchedJsonl<TrackRow>(out(ARTIFACT_FILES.tracks)),
    shots: batchedJsonl<ShotRow>(out(ARTIFACT_FILES.shots)),
    samples: batchedJsonl<SampleRow>(out(ARTIFACT_FILES.samples)),
    samplesBin: createAtomicWriter(out(ARTIFACT_FILES.samplesBin)),
  };
  const all = Object.values(files);
  return {
    ...files,
    async commit() {
      for (const w of all) await w.commit();
    },
    async abort() {
      for (const w of all) await w.abort().catch(() => undefined);
    },
  };
}

export function detectionRow(frame: number, d: Det, trackId: number, ts: FrameTime): DetectionRow {
  return {
    frame_idx: frame,
    ts: ts(frame),
    bbox: d.box.map(r1) as Box,
    conf: r4(d.conf),
    landmarks: d.landmarks.map(([x, y]) => [r1(x), r1(y)]) as DetectionRow['landmarks'],
    track_id: trackId,
  };
}

export function sampleRow(sampleIdx: number, trackId: number, frame: number, d: Det, ts: FrameTime): SampleRow {
  return {
    sample_idx: sampleIdx,
    track_id: trackId,
    frame_idx: frame,
    ts: ts(frame),
    quality: r4(d.quality),
    conf: r4(d.conf),
    face_px: r1(d.facePx),
    bbox: d.box.map(r1) as Box,
    landmarks: landmarksInCrop(d.landmarks, d.crop, SAMPLE_SIZE).map(([x, y]) => [r1(x), r1(y)] as Point),
    crop_box: d.crop.map(r1) as Box,
  };
}

export function trackRow(e: EndedTrack, shot: number, ts: FrameTime, look: Uint8Array | null = null): TrackRow {
  return {
    track_id: e.trackId,
    first_ts: ts(e.firstFrame),
    last_ts: ts(e.lastFrame),
    first_frame: e.firstFrame,
    last_frame: e.lastFrame,
    n_detections: e.nDetections,
    shot,
    mean_conf: r4(e.sumScore / Math.max(1, e.nDetections)),
    boxes: 'detections.jsonl',
    ...(look ? { look: encodeLook(look) } : {}),
  };
}

/**
 * The shots between hard cuts: from frame 0 to the last decoded frame. Cuts at frame 0 or past
 * the end (the decoder may stop short of the container's frame count) make no shot.
 */
export function shotRows(cuts: readonly number[], framesDecoded: number, ts: FrameTime): ShotRow[] {
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < framesDecoded), framesDecoded];
  const rows: ShotRow[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    rows.push({ shot: i, start_frame: bounds[i]!, end_frame: bounds[i + 1]!, start_ts: ts(bounds[i]!), end_ts: ts(bounds[i + 1]!) });
  }
  return rows;
}
