import { describe, expect, it } from 'vitest';
import { LOOK_BYTES, decodeLook } from '../detect/frame-look.js';
import type { Box, Point } from '../../shared/artifacts.js';
import type { Det } from './detect-track-faces.js';
import { detectionRow, frameTime, sampleRow, shotRows, trackRow } from './detect-track-output.js';

const ts = frameTime(25);

const det: Det = {
  box: [100.04, 50.06, 140.26, 99.94],
  conf: 0.912345,
  landmarks: [[110.12, 60.16], [130.04, 60.01], [120, 75.55], [112.25, 88.88], [128, 88.04]] as Point[],
  facePx: 49.88,
  quality: 0.654321,
  crop: [70.15, 25.05, 170.15, 125.05] as Box,
  pixels: null,
  kept: true,
};

describe('detect_track rows', () => {
  it('frame times are seconds rounded to 1e-4 (29.97 fps does not divide evenly)', () => {
    expect(ts(0)).toBe(0);
    expect(ts(37)).toBe(1.48);
    expect(frameTime(29.97)(1)).toBe(0.0334);
  });

  it('a detection row: boxes and landmarks to 0.1 px, confidence to 1e-4', () => {
    expect(detectionRow(37, det, 5, ts)).toEqual({
      frame_idx: 37, ts: 1.48, bbox: [100, 50.1, 140.3, 99.9], conf: 0.9123,
      landmarks: [[110.1, 60.2], [130, 60], [120, 75.6], [112.3, 88.9], [128, 88]], track_id: 5,
    });
  });

  it('a sample row has its landmarks in the 192-pixel sample, the crop in source pixels', () => {
    const row = sampleRow(3, 5, 37, det, ts);
    // the crop is 100 source pixels wide: 1.92 sample pixels per source pixel
    expect(row.landmarks[0]).toEqual([76.7, 67.4]); // (110.12 - 70.15) x 1.92, (60.16 - 25.05) x 1.92
    expect(row).toMatchObject({ sample_idx: 3, track_id: 5, frame_idx: 37, ts: 1.48, quality: 0.6543, conf: 0.9123, face_px: 49.9, crop_box: [70.2, 25.1, 170.2, 125.1] });
  });

  it('a track row: mean confidence over its detections, never a division by zero', () => {
    const e = { trackId: 2, firstFrame: 8, lastFrame: 48, nDetections: 3, sumScore: 2.5 };
    expect(trackRow(e, 1, ts)).toEqual({ track_id: 2, first_ts: 0.32, last_ts: 1.92, first_frame: 8, last_frame: 48, n_detections: 3, shot: 1, mean_conf: 0.8333, boxes: 'detections.jsonl' });
    expect(trackRow({ ...e, nDetections: 0, sumScore: 0 }, 1, ts).mean_conf).toBe(0);
  });

  it('a track row carries the look of its frames when there is one, stored so it reads back the same', () => {
    const e = { trackId: 2, firstFrame: 8, lastFrame: 48, nDetections: 3, sumScore: 2.5 };
    const look = new Uint8Array(LOOK_BYTES).map((_, i) => i % 256);
    expect(decodeLook(trackRow(e, 1, ts, look).look)).toEqual(look);
  });

  it('shots run from frame 0 to the last decoded frame; cuts at 0 or past the end make none', () => {
    expect(shotRows([], 100, ts)).toEqual([{ shot: 0, start_frame: 0, end_frame: 100, start_ts: 0, end_ts: 4 }]);
    expect(shotRows([0, 40, 100, 120], 100, ts).map((s) => [s.start_frame, s.end_frame])).toEqual([[0, 40], [40, 100]]);
    expect(shotRows([25], 50, ts)[1]).toEqual({ shot: 1, start_frame: 25, end_frame: 50, start_ts: 1, end_ts: 2 });
  });
});
