import { describe, expect, it } from 'vitest';
import { labelTracks, type TrackPlace } from './track-labels.js';
import type { GroundTruth } from './score.js';

const gt: GroundTruth = {
  duration_s: 12,
  identities: { ann: { screen_time_s: 6, shots: [0, 1] }, bob: { screen_time_s: 3, shots: [1] }, cy: { screen_time_s: 3, shots: [2] } },
  shots: [
    { index: 0, start_s: 0, end_s: 3, identities: ['ann'] },
    { index: 1, start_s: 3, end_s: 6, identities: ['ann', 'bob'] },
    { index: 2, start_s: 6, end_s: 9, identities: ['cy'], partial: ['bob'] },
    { index: 3, start_s: 9, end_s: 12, identities: ['ann'], unlabeled_faces: true },
  ],
};
const t = (id: number, a: number, b: number, x: number): TrackPlace => ({ track_id: id, first_ts: a, last_ts: b, mean_x: x });

describe('labelTracks', () => {
  it('labels one-person shots whole and two-person shots left to right, and nothing ambiguous', () => {
    const m = labelTracks([
      t(1, 0, 2.9, 500), t(2, 0.5, 1, 100), // shot 0: both ann
      t(3, 3, 5.9, 900), t(4, 3, 4, 100), t(5, 4.2, 5.9, 140), // shot 1: ann left (4, 5), bob right (3)
      t(6, 6, 8, 300), // shot 2 has a partial person: unlabelled
      t(7, 9, 11, 300), // shot 3 has unlabeled faces: unlabelled
    ], gt);
    expect([...m.entries()].sort((a, b) => a[0] - b[0])).toEqual([[1, 'ann'], [2, 'ann'], [3, 'bob'], [4, 'ann'], [5, 'ann']]);
  });

  it('labels nothing in a shot with fewer tracks than people', () => {
    expect(labelTracks([t(1, 3, 5, 100)], gt).size).toBe(0);
  });
});
