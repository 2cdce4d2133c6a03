// Per-track facts for the review window: the strip of a person's tracks (thumbnail, when it is on
// screen) and the face boxes the video player draws. Read from the detect_track and faces_embed
// artifacts on request, for the tracks asked for only.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type DetectionRow } from '../../shared/artifacts.js';
import type { TrackBoxes, TrackInfo } from '../../shared/ipc.js';
import { readJsonl, readTracks } from '../../pipeline/cluster/io.js';

/** Tracks in the order asked for; ids detect_track does not know (any more) are left out. */
export function trackInfos(outDir: string, trackIds: readonly number[]): TrackInfo[] {
  const rows = new Map(readTracks(outDir).map((t) => [t.track_id, t]));
  const thumbs = new Map<number, string | null>();
  const index = path.join(outDir, ARTIFACT_FILES.prototypesIndex);
  if (existsSync(index)) for (const p of readJsonl<{ track_id: number; thumb: string | null }>(index)) thumbs.set(p.track_id, p.thumb);
  const out: TrackInfo[] = [];
  for (const id of trackIds) {
    const t = rows.get(id);
    if (!t) continue;
    out.push({ trackId: id, thumb: thumbs.get(id) ?? null, firstTs: t.first_ts, lastTs: t.last_ts, nDetections: t.n_detections });
  }
  return out;
}

const TRACK_ID = /"track_id"\s*:\s*(\d+)/;

/**
 * Face boxes of the given tracks, in time order. detections.jsonl holds every face of the episode;
 * only lines of the wanted tracks are parsed (the id is read off the raw line first).
 */
export function trackBoxes(outDir: string, trackIds: readonly number[]): TrackBoxes[] {
  const file = path.join(outDir, ARTIFACT_FILES.detections);
  if (!existsSync(file)) throw new Error(`${ARTIFACT_FILES.detections} is missing in ${outDir}; run detect_track first`);
  const want = new Map<number, TrackBoxes>(trackIds.map((t) => [t, { trackId: t, boxes: [] }]));
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = TRACK_ID.exec(line);
    if (!m) continue;
    const into = want.get(Number(m[1]));
    if (!into) continue;
    const d = JSON.parse(line) as DetectionRow;
    into.boxes.push([d.ts, d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]]);
  }
  for (const t of want.values()) t.boxes.sort((a, b) => a[0] - b[0]);
  return [...want.values()].filter((t) => t.boxes.length > 0);
}
