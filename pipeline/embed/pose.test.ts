import { describe, expect, it } from 'vitest';
import type { Point } from '../../shared/artifacts.js';
import { MEAN_FACE_5 } from './align.js';
import { cutByFrameEdge, headPose, NOSE_DEPTH } from './pose.js';

/**
 * The five points of the pose model's own head (eye distance 1, frontal positions of the mean
 * face, nose tip NOSE_DEPTH in front), turned by yaw and pitch, tilted by roll, projected
 * orthographically and placed at (cx, cy) with a scale.
 */
function project(yawDeg: number, pitchDeg: number, rollDeg = 0, scale = 60, cx = 200, cy = 150): Point[] {
  const eyeDist = MEAN_FACE_5[1]![0] - MEAN_FACE_5[0]![0];
  const eyeY = MEAN_FACE_5[0]![1];
  const pts3 = MEAN_FACE_5.map(([x, y], i) => [(x - 0.5) / eyeDist, (y - eyeY) / eyeDist, i === 2 ? NOSE_DEPTH : 0]);
  const [ty, tp, tr] = [yawDeg, pitchDeg, rollDeg].map((d) => (d * Math.PI) / 180) as [number, number, number];
  return pts3.map(([x, y, z]) => {
    // yaw about the vertical axis (nose to +x for positive yaw), then pitch about the eye line
    const x1 = x! * Math.cos(ty) + z! * Math.sin(ty);
    const z1 = -x! * Math.sin(ty) + z! * Math.cos(ty);
    const y2 = y! * Math.cos(tp) + z1 * Math.sin(tp);
    const xr = x1 * Math.cos(tr) - y2 * Math.sin(tr);
    const yr = x1 * Math.sin(tr) + y2 * Math.cos(tr);
    return [cx + scale * xr, cy + scale * yr] as Point;
  });
}

describe('headPose', () => {
  it('is 0/0 for the frontal mean face at any scale and tilt', () => {
    for (const roll of [0, 20, -35]) {
      const p = headPose(project(0, 0, roll, 40))!;
      expect(p.yaw).toBeCloseTo(0, 2);
      expect(p.pitch).toBeCloseTo(0, 2);
      expect(p.roll).toBeCloseTo(roll, 2);
    }
  });

  it('recovers a turned head (yaw) exactly and a nodding head (pitch) closely', () => {
    for (const yaw of [-70, -40, -15, 10, 30, 60]) expect(headPose(project(yaw, 0))!.yaw).toBeCloseTo(yaw, 2);
    for (const pitch of [-30, -10, 15, 35]) expect(headPose(project(0, pitch))!.pitch).toBeCloseTo(pitch, 2);
    // both at once, tilted: each within a few degrees
    const p = headPose(project(35, 20, 15))!;
    expect(Math.abs(p.yaw - 35)).toBeLessThan(6);
    expect(Math.abs(p.pitch - 20)).toBeLessThan(6);
  });

  it('grows monotonically towards profile', () => {
    const yaws = [0, 20, 40, 60, 80].map((y) => headPose(project(y, 0))!.yaw);
    for (let i = 1; i < yaws.length; i++) expect(yaws[i]!).toBeGreaterThan(yaws[i - 1]!);
  });

  it('is null for degenerate points', () => {
    expect(headPose([[1, 1], [1, 1], [1, 1], [1, 1], [1, 1]])).toBeNull();
    // mouth above the eyes: an upside-down or broken detection
    expect(headPose([[0, 10], [10, 10], [5, 8], [1, 0], [9, 0]])).toBeNull();
    expect(headPose([[0, 0]])).toBeNull();
  });
});

describe('cutByFrameEdge', () => {
  it('flags boxes that reach the border, with a margin that grows with the face', () => {
    expect(cutByFrameEdge([100, 100, 200, 200], 1280, 720)).toBe(false);
    expect(cutByFrameEdge([0, 100, 80, 200], 1280, 720)).toBe(true);
    expect(cutByFrameEdge([1200, 100, 1280, 200], 1280, 720)).toBe(true);
    expect(cutByFrameEdge([500, 0, 600, 90], 1280, 720)).toBe(true);
    expect(cutByFrameEdge([500, 620, 600, 720], 1280, 720)).toBe(true);
    // 3 % of a 200 px face is 6 px: 4 px from the edge is cut, 10 px is not
    expect(cutByFrameEdge([4, 100, 204, 300], 1280, 720)).toBe(true);
    expect(cutByFrameEdge([10, 100, 210, 300], 1280, 720)).toBe(false);
  });
});
