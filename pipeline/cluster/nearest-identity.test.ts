import { describe, expect, it } from 'vitest';
import { moveToNearestIdentity } from './nearest-identity.js';

/** Unit vectors in the plane (dim 2) at the given angles (radians). */
function atAngles(angles: number[]): Float32Array {
  const v = new Float32Array(angles.length * 2);
  angles.forEach((a, i) => {
    v[i * 2] = Math.cos(a);
    v[i * 2 + 1] = Math.sin(a);
  });
  return v;
}

// Chord distance between unit vectors at angle difference t: 2 sin(t / 2).
describe('moveToNearestIdentity', () => {
  // rows 0-2: one person around 0 rad; rows 3-5: another around 0.5 rad; row 6 at 0.32 rad sits in
  // the first group although it is nearer on average to the second
  const v = atAngles([0, 0.02, 0.04, 0.48, 0.5, 0.52, 0.32]);

  it('moves a track to the identity nearer to it on average than the rest of its own', () => {
    const r = moveToNearestIdentity(v, 2, [[0, 1, 2, 6], [3, 4, 5]], new Set(), 0.36);
    expect(r.moved).toBe(1);
    expect(r.groups).toEqual([[0, 1, 2], [3, 4, 5, 6]]);
  });

  it('leaves the groups as they are when every track is nearest its own', () => {
    const r = moveToNearestIdentity(v, 2, [[0, 1, 2], [3, 4, 5, 6]], new Set(), 0.36);
    expect(r.moved).toBe(0);
    expect(r.groups).toEqual([[0, 1, 2], [3, 4, 5, 6]]);
  });

  it('never moves a track beside one it was seen with in a frame, nor past the cut', () => {
    expect(moveToNearestIdentity(v, 2, [[0, 1, 2, 6], [3, 4, 5]], new Set(['4:6']), 0.36).moved).toBe(0);
    // the second group is 0.18 away on average: a cut below that keeps the track where it is
    expect(moveToNearestIdentity(v, 2, [[0, 1, 2, 6], [3, 4, 5]], new Set(), 0.15).moved).toBe(0);
  });

  it('a track alone in its group stays alone, and no group is left empty', () => {
    const r = moveToNearestIdentity(v, 2, [[6], [3, 4, 5], [0, 1, 2]], new Set(), 0.36);
    expect(r.moved).toBe(0);
    expect(r.groups).toEqual([[6], [3, 4, 5], [0, 1, 2]]);
  });
});
