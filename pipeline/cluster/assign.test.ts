import { describe, expect, it } from 'vitest';
import { attachWeakTracks } from './assign.js';

/** Unit vectors in 2-D at the given angles (radians): distances are chords, easy to reason about. */
function at(...angles: number[]): Float32Array {
  return new Float32Array(angles.flatMap((a) => [Math.cos(a), Math.sin(a)]));
}

describe('attachWeakTracks', () => {
  // group 0 around angle 0, group 1 around angle 1 (chord ~0.96 apart)
  const base = [0, 0.05, 1, 1.05];
  const groups = [[0, 1], [2, 3]];
  const opts = { maxDistance: 0.36, minMargin: 0.06 };

  it('attaches a weak track that is close to one identity and far from the others', () => {
    const v = at(...base, 0.1);
    const r = attachWeakTracks(v, 2, groups, [4], new Set(), opts);
    expect(r.group).toEqual([0]);
    expect(r.nearest).toEqual([0]);
    expect(r.distance[0]).toBeCloseTo((0.1 + 0.05) / 2, 2);
  });

  it('leaves it unsure when it is too far from everyone, or between two identities', () => {
    const v = at(...base, -0.6, 0.525);
    const r = attachWeakTracks(v, 2, groups, [4, 5], new Set(), opts);
    expect(r.group).toEqual([-1, -1]);
    expect(r.nearest[0]).toBe(0); // still a suggestion for the reviewer
  });

  it('never attaches to an identity holding a track it was seen beside', () => {
    const v = at(...base, 0.1);
    const r = attachWeakTracks(v, 2, groups, [4], new Set(['0:4']), opts);
    expect(r.group).toEqual([-1]);
    expect(r.nearest).toEqual([1]);
  });

  it('attaches nothing when there is no identity', () => {
    expect(attachWeakTracks(at(0), 2, [], [0], new Set(), opts)).toEqual({ group: [-1], nearest: [-1], distance: [Infinity] });
  });
});
