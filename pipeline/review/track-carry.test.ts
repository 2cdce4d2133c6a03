import { describe, expect, it } from 'vitest';
import type { DetectionRow, TrackRow } from '../../shared/artifacts.js';
import { carryEdits, editedTrackIds, matchTracks, trackSpans, type TrackSpan } from './track-carry.js';

const span = (f0: number, f1: number, x: number, y = 100, w = 80): TrackSpan => ({ first_frame: f0, last_frame: f1, box: [x, y, w, w] });

describe('carrying edits over to the tracks of another detect_track run', () => {
  it('a track is found again at the same frames and place; two people side by side keep their own', () => {
    const old = { 3: span(0, 100, 100), 4: span(0, 100, 500), 9: span(300, 400, 100) };
    // the new run numbers differently, starts and ends a few frames off, boxes a little moved
    const fresh = { 0: span(4, 98, 510), 1: span(2, 101, 104), 2: span(150, 250, 100), 5: span(305, 396, 96) };
    expect([...matchTracks(old, fresh)].sort((a, b) => a[0] - b[0])).toEqual([[3, 1], [4, 0], [9, 5]]);
  });

  it('no match when the frames barely overlap or the place differs; each new track serves one old track', () => {
    expect(matchTracks({ 1: span(0, 100, 100) }, { 7: span(80, 300, 100) }).size).toBe(0); // 21/301 of the frames
    expect(matchTracks({ 1: span(0, 100, 100) }, { 7: span(0, 100, 400) }).size).toBe(0); // another place
    const m = matchTracks({ 1: span(0, 100, 100), 2: span(0, 90, 110) }, { 7: span(0, 100, 100) });
    expect([...m]).toEqual([[1, 7]]);
  });

  it('rewrites every list of the edits and drops what was not found again', () => {
    const state = {
      labels: [{ track_ids: [3, 9], label: 'Ann' }, { track_ids: [8], label: 'Gone' }],
      merges: [[3, 4], [8, 9]],
      splits: [4, 8],
      ignored: [9],
      people: [{ track_ids: [8], person_id: 'p_1', decision: 'rejected' as const }],
    };
    expect(editedTrackIds(state)).toEqual(new Set([3, 9, 8, 4]));
    const map = new Map([[3, 1], [4, 0], [9, 5]]);
    expect(carryEdits(state, map)).toEqual({ labels: [{ track_ids: [1, 5], label: 'Ann' }], merges: [[0, 1]], splits: [0], ignored: [5] });
  });

  it('spans: frames from the track, mean box of its detections, only the tracks asked for', () => {
    const t = (id: number, f0: number, f1: number) => ({ track_id: id, first_frame: f0, last_frame: f1 }) as TrackRow;
    const d = (id: number, x: number) => ({ track_id: id, bbox: [x, 10, 20, 30] }) as DetectionRow;
    expect(trackSpans([t(1, 5, 50), t(2, 0, 9)], [d(1, 100), d(1, 110), d(2, 0)], new Set([1]))).toEqual({ 1: { first_frame: 5, last_frame: 50, box: [105, 10, 20, 30] } });
  });
});
