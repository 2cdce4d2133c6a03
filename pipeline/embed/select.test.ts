import { describe, expect, it } from 'vitest';
import type { Point } from '../../shared/artifacts.js';
import { DEFAULT_GATES, faceWeight, selectFaces, shapeRejectReason, type FaceCandidate } from './select.js';

// the mean face at 100 px eye distance: frontal; moving the nose sideways turns it towards profile
const frontal: Point[] = [[70, 80], [122, 80], [96, 105], [75, 130], [118, 130]];
const profile: Point[] = [[70, 80], [122, 80], [125, 105], [75, 130], [118, 130]];
const cand = (o: Partial<FaceCandidate> = {}): FaceCandidate => ({ conf: 0.9, facePx: 80, landmarks: frontal, sharpness: 100, quality: 50, edgeCut: false, ...o });

describe('face gates', () => {
  it('names why a face may not vote: confidence, size, pose, frame edge', () => {
    expect(shapeRejectReason(cand(), DEFAULT_GATES)).toBeNull();
    expect(shapeRejectReason(cand({ conf: 0.5 }), DEFAULT_GATES)).toBe('conf');
    expect(shapeRejectReason(cand({ facePx: 12 }), DEFAULT_GATES)).toBe('size');
    expect(shapeRejectReason(cand({ landmarks: profile }), DEFAULT_GATES)).toBe('pose');
    expect(shapeRejectReason(cand({ edgeCut: true }), DEFAULT_GATES)).toBe('edge');
    expect(shapeRejectReason(cand({ landmarks: [[1, 1], [1, 1], [1, 1], [1, 1], [1, 1]] }), DEFAULT_GATES)).toBe('pose');
  });

  it('weighs frontal, big, confident faces most', () => {
    expect(faceWeight(cand())).toBeCloseTo(0.9, 1);
    expect(faceWeight(cand({ landmarks: profile }))).toBeLessThan(faceWeight(cand()));
    expect(faceWeight(cand({ facePx: 40 }))).toBeCloseTo(faceWeight(cand()) / 2, 2);
  });
});

describe('selectFaces', () => {
  it('drops low-confidence, tiny, turned, cut-off and blurred faces and keeps the best by quality', () => {
    const cs = [
      cand({ quality: 10 }),
      cand({ conf: 0.5, quality: 99 }),
      cand({ facePx: 12, quality: 98 }),
      cand({ landmarks: profile, quality: 97 }),
      cand({ sharpness: 10, quality: 96 }),
      cand({ quality: 40 }),
      cand({ edgeCut: true, quality: 95 }),
    ];
    const sel = selectFaces(cs);
    expect(sel.chosen).toEqual([5, 0]);
    expect(sel.weak).toBe(false);
    expect(sel.rejected).toEqual({ conf: 1, size: 1, pose: 1, edge: 1, blur: 1 });
    expect(sel.weights).toHaveLength(2);
    expect(sel.quality).toBeGreaterThan(0.8);
  });

  it('judges sharpness among usable faces only: a sharp profile does not make the frontal faces "blurred"', () => {
    const sel = selectFaces([cand({ landmarks: profile, sharpness: 500, quality: 90 }), cand({ sharpness: 60, quality: 20 }), cand({ sharpness: 50, quality: 30 })]);
    expect(sel.weak).toBe(false);
    expect(sel.chosen).toEqual([2, 1]);
    expect(sel.rejected.blur).toBe(0);
  });

  it('caps the number of faces and marks a track weak, keeping its best face, when nothing passes', () => {
    const many = Array.from({ length: 20 }, (_, i) => cand({ quality: i }));
    expect(selectFaces(many, { ...DEFAULT_GATES, maxFaces: 3 }).chosen).toEqual([19, 18, 17]);
    const bad = [cand({ conf: 0.3, quality: 5 }), cand({ landmarks: profile, quality: 7 })];
    const sel = selectFaces(bad);
    expect(sel.chosen).toEqual([1]);
    expect(sel.weak).toBe(true);
    expect(sel.rejected).toEqual({ conf: 1, size: 0, pose: 1, edge: 0, blur: 0 });
    expect(selectFaces([]).chosen).toEqual([]);
  });
});
