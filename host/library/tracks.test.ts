import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DetectionRow, TrackRow } from '../../shared/artifacts.js';
import { trackBoxes, trackInfos } from './tracks.js';

function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'screentime-tracks-'));
  const track = (t: number, a: number, b: number): TrackRow => ({ track_id: t, first_ts: a, last_ts: b, first_frame: a * 25, last_frame: b * 25, n_detections: 3, shot: 0, mean_conf: 0.9, boxes: 'detections.jsonl' });
  writeFileSync(path.join(dir, 'tracks.jsonl'), [track(1, 0, 1), track(12, 2, 3), track(21, 4, 5)].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const det = (t: number, ts: number, x: number): DetectionRow => ({ frame_idx: Math.round(ts * 25), ts, bbox: [x, x, x + 10, x + 10], conf: 0.9, landmarks: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], track_id: t });
  // out of time order on purpose, and track ids that share digits (1, 12, 21)
  const rows = [det(12, 2.4, 5), det(1, 0.2, 1), det(12, 2, 4), det(21, 4, 9), det(1, 0, 0)];
  writeFileSync(path.join(dir, 'detections.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'prototypes.jsonl'), JSON.stringify({ row: 0, track_id: 12, n_faces: 2, best_quality: 1, thumb: 'thumbs/t12.jpg', sample_thumbs: [] }) + '\n');
  return dir;
}

describe('per-track facts for the window', () => {
  it('boxes of the asked tracks only, in time order', () => {
    const dir = folder();
    expect(trackBoxes(dir, [12, 1])).toEqual([
      { trackId: 12, boxes: [[2, 4, 4, 14, 14], [2.4, 5, 5, 15, 15]] },
      { trackId: 1, boxes: [[0, 0, 0, 10, 10], [0.2, 1, 1, 11, 11]] },
    ]);
    expect(trackBoxes(dir, [99])).toEqual([]);
  });
  it('times and thumbnails in the order asked; unknown tracks left out', () => {
    expect(trackInfos(folder(), [12, 99, 1])).toEqual([
      { trackId: 12, thumb: 'thumbs/t12.jpg', firstTs: 2, lastTs: 3, nDetections: 3 },
      { trackId: 1, thumb: null, firstTs: 0, lastTs: 1, nDetections: 3 },
    ]);
  });
});
