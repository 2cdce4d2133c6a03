import { describe, expect, it } from 'vitest';
import { missedByCause, missedPieces, type TrackFacts } from './missed-time.js';
import type { GroundTruth } from './score.js';

// shot 0: ann alone 0-10 s; shot 1: ann and bob 10-20 s (cal partial); shot 2: bob alone 20-30 s
const gt: GroundTruth = {
  duration_s: 30,
  identities: { ann: { screen_time_s: 20, shots: [0, 1] }, bob: { screen_time_s: 20, shots: [1, 2] } },
  shots: [
    { index: 0, start_s: 0, end_s: 10, identities: ['ann'] },
    { index: 1, start_s: 10, end_s: 20, identities: ['ann', 'bob'], partial: ['cal'] },
    { index: 2, start_s: 20, end_s: 30, identities: ['bob'] },
  ],
};
const track = (track_id: number, a: number, b: number, identity_id: number | null, more: Partial<TrackFacts> = {}): TrackFacts =>
  ({ track_id, span: [a, b], identity_id, unsure: false, has_faces: true, ...more });

describe('missedPieces', () => {
  it('splits a person\'s uncovered labelled time by cause', () => {
    const tracks = [
      track(0, 1, 4, 1), track(1, 5, 9, 1), // ann's identity in shot 0: late start, a gap, early end
      track(2, 10, 14, null, { unsure: true }), // an unsure track in shot 1
      track(3, 14, 17, 9), // an identity matched to nobody
      track(4, 10, 20, 2), // bob's own track in shot 1: bob's, never a candidate for ann
      track(5, 20, 25, 1), // ann's identity holds a track of bob's shot: wrong identity for bob
      track(6, 25, 28, null, { has_faces: false }),
    ];
    const segments = new Map<number, Array<[number, number]>>([[1, [[1, 4], [5, 9], [20, 25]]], [2, [[10, 20]]], [9, [[14, 17]]]]);
    const pieces = missedPieces({ gt, matched: new Map([['ann', 1], ['bob', 2]]), segments, tracks });
    const by = missedByCause(pieces);
    const ann = by.get('ann')!, bob = by.get('bob')!;
    expect(ann.span_start).toBeCloseTo(1);
    expect(ann.span_gap).toBeCloseTo(1);
    expect(ann.span_end).toBeCloseTo(1);
    expect(ann.unsure).toBeCloseTo(4);
    expect(ann.extra_identity).toBeCloseTo(3);
    // 17-20 s of shot 1: ann's identity has no track there, nothing else explains it
    expect(ann.no_track).toBeCloseTo(3);
    expect(bob.wrong_identity).toBeCloseTo(5);
    expect(bob.no_faces).toBeCloseTo(3);
    expect(bob.no_track).toBeCloseTo(2);
    expect(pieces.find((p) => p.cause === 'unsure')!.track_ids).toEqual([2]);
    // every missed second is explained exactly once: ann misses 3 s of shot 0 and all of shot 1, bob all of shot 2
    const missed = pieces.reduce((t, p) => t + p.seconds, 0);
    expect(missed).toBeCloseTo(3 + 10 + 10);
  });

  it('charges a person matched to no identity with the whole of their shots', () => {
    const pieces = missedPieces({ gt, matched: new Map([['ann', null], ['bob', null]]), segments: new Map(), tracks: [] });
    expect(missedByCause(pieces).get('ann')!.no_track).toBeCloseTo(20);
  });

  it('ignores millisecond rounding at segment ends', () => {
    const pieces = missedPieces({ gt, matched: new Map([['ann', 1], ['bob', 2]]), segments: new Map([[1, [[0.001, 20]]], [2, [[10, 29.999]]]]), tracks: [track(0, 0, 20, 1), track(1, 10, 30, 2)] });
    expect(pieces).toEqual([]);
  });
});
