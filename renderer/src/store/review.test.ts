import { describe, expect, it } from 'vitest';
import type { TrackBoxes } from '../../../shared/ipc.js';
import { boxAt, placeBox, sampleStep, scrubMarks, segmentAt, segmentStart, stepId } from './review.js';

describe('keyboard steps through people', () => {
  it('wraps at both ends and starts at the first (or last) when nothing is focused', () => {
    expect(stepId([4, 2, 9], null, 1)).toBe(4);
    expect(stepId([4, 2, 9], null, -1)).toBe(9);
    expect(stepId([4, 2, 9], 2, 1)).toBe(9);
    expect(stepId([4, 2, 9], 9, 1)).toBe(4);
    expect(stepId([4, 2, 9], 4, -1)).toBe(9);
    expect(stepId([4, 2, 9], 7, 1)).toBe(4);
    expect(stepId([], 1, 1)).toBeNull();
  });
});

describe('next and previous segment', () => {
  const segs: Array<[number, number]> = [[10, 12], [2, 4], [20, 21]];
  it('next is the first start after the playhead', () => {
    expect(segmentStart(segs, 0, 1)).toBe(2);
    expect(segmentStart(segs, 2, 1)).toBe(10);
    expect(segmentStart(segs, 11, 1)).toBe(20);
    expect(segmentStart(segs, 20, 1)).toBeNull();
  });
  it('previous skips the segment just started, so pressing it twice walks back', () => {
    expect(segmentStart(segs, 10.2, -1)).toBe(2);
    expect(segmentStart(segs, 11, -1)).toBe(10);
    expect(segmentStart(segs, 2.1, -1)).toBeNull();
  });
  it('finds the segment holding a moment', () => {
    expect(segmentAt(segs, 3)).toEqual([2, 4]);
    expect(segmentAt(segs, 5)).toBeNull();
  });
});

describe('face box at a moment', () => {
  const tracks: TrackBoxes[] = [
    { trackId: 1, boxes: [[1, 0, 0, 10, 10], [1.2, 10, 10, 20, 20], [3, 50, 50, 60, 60]] },
    { trackId: 2, boxes: [[5, 100, 100, 120, 120]] },
  ];
  it('is linear between two samples within the gap', () => {
    expect(boxAt(tracks, 1.1, 0.2)).toEqual([5, 5, 15, 15].map((v) => expect.closeTo(v, 6)));
  });
  it('takes the nearest sample at a track end or over a gap, and nothing far from any sample', () => {
    expect(boxAt(tracks, 0.95, 0.2)).toEqual([0, 0, 10, 10]);
    expect(boxAt(tracks, 2.95, 0.2)).toEqual([50, 50, 60, 60]);
    expect(boxAt(tracks, 2, 0.2)).toBeNull();
    expect(boxAt(tracks, 5.05, 0.2)).toEqual([100, 100, 120, 120]);
    expect(boxAt(tracks, 8, 0.2)).toBeNull();
  });
});

describe('detection step', () => {
  it('is the median step between detections, never under one frame', () => {
    expect(sampleStep([{ trackId: 1, boxes: [[0, 0, 0, 1, 1], [0.2, 0, 0, 1, 1], [0.4, 0, 0, 1, 1], [3, 0, 0, 1, 1]] }], 0.04)).toBeCloseTo(0.2, 6);
    expect(sampleStep([], 0.04)).toBe(0.04);
  });
});

describe('scrub bar and overlay geometry', () => {
  it('places segments as percentages, tiny ones still visible, clipped to the episode', () => {
    expect(scrubMarks([[0, 10], [50, 50.01], [90, 120]], 100)).toEqual([
      { left: 0, width: 10, start: 0 },
      { left: 50, width: 0.3, start: 50 },
      { left: 90, width: 10, start: 90 },
    ]);
    expect(scrubMarks([[1, 2]], 0)).toEqual([]);
  });
  it('maps a source-pixel box into a letterboxed video', () => {
    // 1280x720 in a 640x480 box: scale 0.5, 60 px bars above and below
    expect(placeBox([100, 100, 300, 200], { width: 1280, height: 720 }, 640, 480)).toEqual({ left: 50, top: 110, width: 100, height: 50 });
  });
});
