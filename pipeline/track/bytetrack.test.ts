import { describe, it, expect } from 'vitest';
import { ByteTracker, bufferSamplesFor, greedyMatch, type EndedTrack, type TrackDet } from './bytetrack.js';
import { BoxKalman } from './kalman.js';
import type { Box } from '../../shared/artifacts.js';

const box = (cx: number, cy: number, s: number): Box => [cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2];

describe('BoxKalman', () => {
  it('learns a constant velocity and extrapolates it', () => {
    const kf = new BoxKalman(box(100, 100, 50));
    for (let i = 1; i <= 10; i++) {
      kf.predict(1);
      kf.update(box(100 + 10 * i, 100, 50));
    }
    kf.predict(1);
    const b = kf.box();
    expect((b[0] + b[2]) / 2).toBeGreaterThan(205);
    expect((b[0] + b[2]) / 2).toBeLessThan(215);
    expect(b[2] - b[0]).toBeCloseTo(50, 0);
  });
});

describe('greedyMatch', () => {
  it('pairs by highest IoU and leaves the rest', () => {
    const tracks = [{ kf: new BoxKalman([0, 0, 10, 10]) }, { kf: new BoxKalman([100, 100, 110, 110]) }];
    const dets: TrackDet[] = [{ box: [1, 1, 11, 11], score: 1 }, { box: [300, 300, 310, 310], score: 1 }];
    const m = greedyMatch(tracks, [0, 1], dets, 0.2);
    expect(m.pairs).toEqual([[0, 0]]);
    expect(m.unmatchedTracks).toEqual([1]);
    expect(m.unmatchedDets).toEqual([1]);
  });
});

describe('ByteTracker', () => {
  it('follows a fast face through irregularly spaced frames when told the nominal step', () => {
    // 6 px per source frame: every 4th frame first (the velocity is learnt), then gaps of 1 and
    // 25 frames in turn (an extreme case of irregular spacing, to make the difference plain).
    const frames: number[] = [0];
    while (frames.length < 10) frames.push(frames[frames.length - 1]! + 4);
    for (let i = 0; frames.length < 30; i++) frames.push(frames[frames.length - 1]! + (i % 2 ? 25 : 1));
    const ids = (stepFrames: number) => {
      const t = new ByteTracker({ stepFrames });
      const seen = new Set<number>();
      for (const f of frames) for (const id of t.update(f, [{ box: box(100 + 6 * f, 200, 100), score: 0.9 }]).trackIds) if (id !== null) seen.add(id);
      return seen;
    };
    expect(ids(4).size).toBe(1);
    // One step per update assumes even spacing: the prediction overshoots and undershoots in turn.
    expect(ids(0).size).toBeGreaterThan(1);
  });

  it('converts a source-frame buffer into analysed frames', () => {
    expect(bufferSamplesFor(30, 4)).toBe(8);
    expect(bufferSamplesFor(30, 1)).toBe(30);
    expect(bufferSamplesFor(5, 10)).toBe(1);
  });

  it('keeps two faces apart when they cross', () => {
    const tr = new ByteTracker({ bufferSamples: 5 });
    const idsA = new Set<number>();
    const idsB = new Set<number>();
    for (let i = 0; i < 40; i++) {
      // A moves right, B moves left, same row: they overlap fully mid-way.
      const a = box(100 + 10 * i, 200, 60);
      const b = box(500 - 10 * i, 200, 60);
      const mid = Math.abs(a[0] - b[0]) < 30;
      // While overlapping, the detector (after NMS) sees only one of them.
      const dets: TrackDet[] = mid ? [{ box: a, score: 0.9 }] : [{ box: a, score: 0.9 }, { box: b, score: 0.85 }];
      const u = tr.update(i * 4, dets);
      if (i > 0 && !mid) {
        idsA.add(u.trackIds[0]!);
        idsB.add(u.trackIds[1]!);
      }
    }
    expect(idsA.size).toBe(1);
    expect(idsB.size).toBe(1);
    expect([...idsA][0]).not.toBe([...idsB][0]);
    expect(tr.tracksStarted).toBe(2);
  });

  it('bridges an occlusion gap shorter than the buffer, ends the track after a longer one', () => {
    const tr = new ByteTracker({ bufferSamples: 5 });
    const ids: number[] = [];
    const ended: EndedTrack[] = [];
    let f = 0;
    for (let i = 0; i < 10; i++, f += 4) { const u = tr.update(f, [{ box: box(100 + 2 * i, 100, 50), score: 0.9 }]); ids.push(u.trackIds[0] ?? -1); }
    for (let i = 0; i < 4; i++, f += 4) ended.push(...tr.update(f, []).ended); // 4 samples hidden
    for (let i = 14; i < 20; i++, f += 4) { const u = tr.update(f, [{ box: box(100 + 2 * i, 100, 50), score: 0.9 }]); ids.push(u.trackIds[0] ?? -1); }
    expect(ended).toHaveLength(0);
    expect(new Set(ids.slice(1))).toEqual(new Set([0]));
    for (let i = 0; i < 7; i++, f += 4) ended.push(...tr.update(f, []).ended);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.trackId).toBe(0);
    expect(ended[0]!.nDetections).toBe(16);
    expect(ended[0]!.lastFrame).toBe(19 * 4);
  });

  it('keeps a track through low-score detections but never starts one from them', () => {
    const tr = new ByteTracker();
    const ids: Array<number | null> = [];
    for (let i = 0; i < 4; i++) ids.push(tr.update(i, [{ box: box(100, 100, 50), score: 0.9 }]).trackIds[0]!);
    for (let i = 4; i < 8; i++) ids.push(tr.update(i, [{ box: box(101, 100, 50), score: 0.45 }]).trackIds[0]!);
    expect(ids.slice(1)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    const fresh = new ByteTracker();
    for (let i = 0; i < 5; i++) expect(fresh.update(i, [{ box: box(100, 100, 50), score: 0.45 }]).trackIds[0]).toBeNull();
    expect(fresh.tracksStarted).toBe(0);
  });

  it('labels the first detection of a track when it is confirmed, and drops one-off detections', () => {
    const tr = new ByteTracker();
    const u0 = tr.update(0, [{ box: box(100, 100, 50), score: 0.9 }, { box: box(400, 100, 50), score: 0.9 }]);
    expect(u0.trackIds).toEqual([null, null]);
    const u1 = tr.update(4, [{ box: box(102, 100, 50), score: 0.9 }]);
    expect(u1.trackIds).toEqual([0]);
    expect(u1.confirmed).toEqual([{ trackId: 0, firstFrame: 0, firstDet: 0 }]);
    const u2 = tr.update(8, [{ box: box(104, 100, 50), score: 0.9 }]);
    expect(u2.trackIds).toEqual([0]);
    expect(tr.activeIds()).toEqual([0]); // the face at x=400 seen once is gone
  });

  it('ends every track at a cut and starts fresh ids after it', () => {
    const tr = new ByteTracker({ bufferSamples: 30 });
    for (let i = 0; i < 5; i++) tr.update(i, [{ box: box(100, 100, 50), score: 0.9 }, { box: box(300, 100, 50), score: 0.9 }]);
    const ended = tr.endAll();
    expect(ended.map((e) => e.trackId).sort()).toEqual([0, 1]);
    expect(ended.every((e) => e.lastFrame === 4 && e.nDetections === 5)).toBe(true);
    // Same place after the cut: a NEW track, not a continuation.
    tr.update(5, [{ box: box(100, 100, 50), score: 0.9 }]);
    const u = tr.update(6, [{ box: box(100, 100, 50), score: 0.9 }]);
    expect(u.trackIds).toEqual([2]);
  });
});
