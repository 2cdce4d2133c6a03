import { describe, expect, it } from 'vitest';
import { averageDistance, resumeAfterSplits, splitIfTwoPeople } from './split-check.js';

/** n unit vectors in `dim` dimensions around a centre, spread by `noise` (seeded). */
function blob(centre: number[], n: number, noise: number, seed: number): number[][] {
  let s = seed;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return Array.from({ length: n }, () => {
    const v = centre.map((c) => c + noise * r());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const opts = { tightThreshold: 0.3, minTracks: 3, minSeparation: 1.3 };
const dim = 16;
const e = (i: number) => Array.from({ length: dim }, (_, k) => (k === i ? 1 : 0));
/** A centre between e0 and e1, `t` of the way towards e1. */
const towards = (t: number) => e(0).map((x, k) => (1 - t) * x + t * e(1)[k]!);

describe('splitIfTwoPeople', () => {
  it('splits an identity made of two tight groups further apart than they are wide', () => {
    const rows = [...blob(towards(0), 6, 0.05, 1), ...blob(towards(0.35), 5, 0.05, 2)];
    const v = new Float32Array(rows.flat());
    const ids = rows.map((_, i) => i);
    const out = splitIfTwoPeople(v, dim, ids, opts);
    expect(out).toHaveLength(2);
    expect(out.map((g) => [...g].sort((a, b) => a - b))).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]);
    expect(averageDistance(v, dim, out[0]!, out[1]!)).toBeGreaterThan(1.3 * averageDistance(v, dim, out[0]!, out[0]!));
  });

  it('keeps one person whole: one scattered group, or a lone odd track', () => {
    const one = blob(towards(0), 10, 0.12, 3);
    expect(splitIfTwoPeople(new Float32Array(one.flat()), dim, one.map((_, i) => i), opts)).toHaveLength(1);
    const odd = [...blob(towards(0), 8, 0.05, 4), ...blob(towards(0.5), 2, 0.05, 5)];
    expect(splitIfTwoPeople(new Float32Array(odd.flat()), dim, odd.map((_, i) => i), opts)).toHaveLength(1);
  });

  it('keeps two sub-groups that are barely apart (no clear separation)', () => {
    const rows = [...blob(towards(0), 5, 0.09, 6), ...blob(towards(0.2), 5, 0.09, 7)];
    const v = new Float32Array(rows.flat());
    const ids = rows.map((_, i) => i);
    const out = splitIfTwoPeople(v, dim, ids, { ...opts, minSeparation: 3 });
    expect(out).toHaveLength(1);
  });

  it('leaves small identities alone', () => {
    const rows = blob(towards(0), 5, 0.3, 8);
    expect(splitIfTwoPeople(new Float32Array(rows.flat()), dim, rows.map((_, i) => i), opts)).toEqual([[0, 1, 2, 3, 4]]);
  });
});

describe('resumeAfterSplits', () => {
  // 2-d unit vectors at angles: easy distances (chord = 2 sin(delta / 2))
  const at = (...angles: number[]) => new Float32Array(angles.flatMap((a) => [Math.cos(a), Math.sin(a)]));

  it('lets a track join the half it is close to once the mixed identity is split, never re-joining the halves', () => {
    // half A around 0, half B around 0.5, a lone track near A (0.2 from A's centre, far from B)
    const v = at(0, 0.02, -0.02, 0.5, 0.52, 0.48, 0.2);
    const groups = [[0, 1, 2], [3, 4, 5], [6]];
    const out = resumeAfterSplits(v, 2, groups, [[0, 1]], new Set(), 0.3, opts);
    expect(out.map((g) => [...g].sort())).toEqual([[0, 1, 2, 6], [3, 4, 5]]);
    // the halves stay apart even with a cut that would join them
    expect(resumeAfterSplits(v, 2, [[0, 1, 2], [3, 4, 5]], [[0, 1]], new Set(), 2, opts)).toHaveLength(2);
  });

  it('never makes a merge the re-check would undo: a tight group of its own stays apart, a lone track joins', () => {
    // half A around 0, half B around 0.8, group C (3 tracks) around 0.25, lone track x at 0.14
    const v = at(0, 0.02, -0.02, 0.8, 0.82, 0.78, 0.25, 0.27, 0.23, 0.14);
    const groups = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]];
    const split = { tightThreshold: 0.15, minTracks: 3, minSeparation: 1.3 };
    // without the re-check's word, C (0.25 from A on average, under the cut 0.3) would join A
    expect(splitIfTwoPeople(v, 2, [0, 1, 2, 6, 7, 8], split)).toHaveLength(2);
    const out = resumeAfterSplits(v, 2, groups, [[0, 1]], new Set(), 0.3, split);
    expect(out.map((g) => [...g].sort())).toEqual([[0, 1, 2, 9], [3, 4, 5], [6, 7, 8]]);
  });

  it('keeps cannot-links and leaves groups the split did not touch alone', () => {
    const v = at(0, 0.02, 0.5, 0.52, 0.1, 2, 2.05);
    const groups = [[0, 1], [2, 3], [4], [5], [6]];
    // track 4 was seen beside track 0: it may not join A; 5 and 6 are close but untouched
    const out = resumeAfterSplits(v, 2, groups, [[0, 1]], new Set(['0:4']), 0.3, opts);
    expect(out).toHaveLength(5);
  });
});
