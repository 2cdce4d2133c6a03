import { describe, expect, it } from 'vitest';
import type { Point } from '../../shared/artifacts.js';
import { DEFAULT_GATES, selectFaces, yawProxy, type FaceCandidate } from './select.js';

const frontal: Point[] = [[70, 80], [122, 80], [96, 105], [75, 130], [118, 130]];
const profile: Point[] = [[70, 80], [122, 80], [125, 105], [75, 130], [118, 130]];
const cand = (o: Partial<FaceCandidate> = {}): FaceCandidate => ({ conf: 0.9, facePx: 80, landmarks: frontal, sharpness: 100, quality: 50, ...o });

describe('yawProxy', () => {
  it('is 0 for a centred nose, grows as the nose moves sideways, ignores in-plane tilt', () => {
    expect(yawProxy(frontal)).toBeCloseTo(0);
    expect(yawProxy(profile)).toBeCloseTo(29 / 52);
    // the frontal face rotated by 30 degrees about the nose: still frontal
    const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
    const rot = frontal.map(([x, y]) => [96 + c * (x - 96) - s * (y - 105), 105 + s * (x - 96) + c * (y - 105)] as Point);
    expect(yawProxy(rot)).toBeCloseTo(0);
    expect(yawProxy([[1, 1], [1, 1], [1, 1], [1, 1], [1, 1]])).toBe(Infinity);
  });
});

describe('selectFaces', () => {
  it('drops low-confidence, tiny, turned and blurred faces and keeps the best by quality', () => {
    const cs = [
      cand({ quality: 10 }),
      cand({ conf: 0.5, quality: 99 }),
      cand({ facePx: 12, quality: 98 }),
      cand({ landmarks: profile, quality: 97 }),
      cand({ sharpness: 10, quality: 96 }),
      cand({ quality: 40 }),
    ];
    const sel = selectFaces(cs);
    expect(sel.chosen).toEqual([5, 0]);
    expect(sel.weak).toBe(false);
    expect(sel.rejected).toEqual({ conf: 1, size: 1, yaw: 1, blur: 1 });
  });

  it('caps the number of faces and always keeps one when nothing passes', () => {
    const many = Array.from({ length: 20 }, (_, i) => cand({ quality: i }));
    expect(selectFaces(many, { ...DEFAULT_GATES, maxFaces: 3 }).chosen).toEqual([19, 18, 17]);
    const bad = [cand({ conf: 0.3, quality: 5 }), cand({ conf: 0.4, quality: 7 })];
    expect(selectFaces(bad)).toEqual({ chosen: [1], weak: true, rejected: { conf: 2, size: 0, yaw: 0, blur: 0 } });
    expect(selectFaces([]).chosen).toEqual([]);
  });
});
