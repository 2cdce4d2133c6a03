import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { maxWeightAssignment, overlapSeconds, scoreScreentime, subtractSegments, truthSegments, unionSegments, unscoredSegments, type GroundTruth } from './score.js';
import { mediaPath, missing } from '../../test-support/shared-data.js';

const gt: GroundTruth = {
  duration_s: 10,
  identities: { ann: { screen_time_s: 6, shots: [0, 2] }, bob: { screen_time_s: 3, shots: [1] } },
  shots: [
    { index: 0, start_s: 0, end_s: 3, identities: ['ann'] },
    { index: 1, start_s: 3, end_s: 6, identities: ['bob'] },
    { index: 2, start_s: 6, end_s: 9, identities: ['ann'] },
    { index: 3, start_s: 9, end_s: 10, identities: [] },
  ],
};

describe('segment maths', () => {
  it('unions and intersects', () => {
    expect(unionSegments([[2, 3], [0, 1], [0.5, 1.5], [4, 4]])).toEqual([[0, 1.5], [2, 3]]);
    expect(overlapSeconds([[0, 2], [3, 5]], [[1, 4]])).toBeCloseTo(2);
    expect(overlapSeconds([], [[1, 4]])).toBe(0);
  });
  it('subtracts', () => {
    expect(subtractSegments([[0, 10]], [[2, 3], [5, 6]])).toEqual([[0, 2], [3, 5], [6, 10]]);
    expect(subtractSegments([[0, 2], [4, 6]], [[1, 5]])).toEqual([[0, 1], [5, 6]]);
    expect(subtractSegments([[1, 2]], [[0, 3]])).toEqual([]);
    expect(subtractSegments([[1, 2]], [])).toEqual([[1, 2]]);
  });
  it('truth segments come from the shots', () => {
    expect(truthSegments(gt).get('ann')).toEqual([[0, 3], [6, 9]]);
  });
});

describe('maxWeightAssignment', () => {
  it('finds the best one-to-one assignment, not the greedy one', () => {
    // greedy takes (0,0)=10 then (1,1)=1 -> 11; optimal is (0,1)+(1,0) = 9 + 8 = 17
    expect(maxWeightAssignment([[10, 9], [8, 1]])).toEqual([1, 0]);
  });
  it('handles rectangular matrices both ways and brute-force agrees on random ones', () => {
    expect(maxWeightAssignment([[1, 5, 2]])).toEqual([1]);
    expect(maxWeightAssignment([[1], [5], [2]])).toEqual([-1, 0, -1]);
    let seed = 7;
    const r = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let t = 0; t < 30; t++) {
      const n = 1 + Math.floor(r() * 5), m = 1 + Math.floor(r() * 5);
      const w = Array.from({ length: n }, () => Array.from({ length: m }, () => Math.round(r() * 20)));
      const a = maxWeightAssignment(w);
      const got = a.reduce((s, j, i) => s + (j >= 0 ? w[i]![j]! : 0), 0);
      expect(new Set(a.filter((j) => j >= 0)).size).toBe(a.filter((j) => j >= 0).length);
      expect(got).toBe(bruteBest(w));
    }
  });
});

function bruteBest(w: number[][]): number {
  const m = w[0]!.length;
  const rec = (i: number, used: Set<number>): number => {
    if (i === w.length) return 0;
    let best = rec(i + 1, used);
    for (let j = 0; j < m; j++) if (!used.has(j)) { used.add(j); best = Math.max(best, w[i]![j]! + rec(i + 1, used)); used.delete(j); }
    return best;
  };
  return rec(0, new Set());
}

describe('scoreScreentime', () => {
  it('perfect prediction scores 1 with zero error', () => {
    const s = scoreScreentime([
      { identity_id: 5, visible_s: 6, segments: [[0, 3], [6, 9]] },
      { identity_id: 2, visible_s: 3, segments: [[3, 6]] },
    ], gt);
    expect(s.f1).toBeCloseTo(1);
    expect(s.mean_abs_error_s).toBeCloseTo(0);
    expect(s.people.find((p) => p.person === 'ann')!.identity_id).toBe(5);
    expect(s.unmatched_identities).toEqual([]);
  });

  it('a person split in two identities: the smaller half is unmatched, precision drops, error counts', () => {
    const s = scoreScreentime([
      { identity_id: 0, visible_s: 3, segments: [[0, 3]] },
      { identity_id: 1, visible_s: 3, segments: [[6, 9]] },
      { identity_id: 2, visible_s: 3, segments: [[3, 6]] },
    ], gt);
    expect(s.precision).toBeCloseTo(6 / 9);
    expect(s.recall).toBeCloseTo(6 / 9);
    expect(s.unmatched_identities).toHaveLength(1);
    expect(s.people.find((p) => p.person === 'ann')!.abs_error_s).toBeCloseTo(3);
    expect(s.mean_abs_error_s).toBeCloseTo(1.5);
  });

  it('two people merged into one identity and a false identity on the empty card', () => {
    const s = scoreScreentime([
      { identity_id: 0, visible_s: 9, segments: [[0, 9]] },
      { identity_id: 1, visible_s: 1, segments: [[9, 10]] },
    ], gt);
    // ann takes the merged identity (6 s overlap), bob gets nothing
    expect(s.people.find((p) => p.person === 'ann')!.identity_id).toBe(0);
    expect(s.people.find((p) => p.person === 'bob')!.identity_id).toBeNull();
    expect(s.precision).toBeCloseTo(6 / 10);
    expect(s.recall).toBeCloseTo(6 / 9);
    expect(s.people.find((p) => p.person === 'bob')!.abs_error_s).toBe(3);
  });

  it('nothing predicted: zero scores, error = true time', () => {
    const s = scoreScreentime([], gt);
    expect(s.f1).toBe(0);
    expect(s.mean_abs_error_s).toBeCloseTo(4.5);
  });

  // real footage: ann is partial (profile) in shot 1; shot 3 holds an unnamed background face
  const real: GroundTruth = {
    duration_s: 12,
    identities: { ann: { screen_time_s: 6, shots: [0, 2] }, bob: { screen_time_s: 3, shots: [1] } },
    shots: [
      { index: 0, start_s: 0, end_s: 3, identities: ['ann'], partial: [] },
      { index: 1, start_s: 3, end_s: 6, identities: ['bob'], partial: ['ann'] },
      { index: 2, start_s: 6, end_s: 9, identities: ['ann'], partial: [] },
      { index: 3, start_s: 9, end_s: 12, identities: [], partial: [], unlabeled_faces: true },
    ],
  };

  it('honours partial: a partial person\'s time in that shot is scored neither way', () => {
    expect(unscoredSegments(real, 'ann')).toEqual([[3, 6], [9, 12]]);
    expect(unscoredSegments(real, 'bob')).toEqual([[9, 12]]);
    expect(unscoredSegments(real, null)).toEqual([[3, 6], [9, 12]]);
    // ann's identity also holds her profile in shot 1: not a false positive
    const s = scoreScreentime([
      { identity_id: 0, visible_s: 9, segments: [[0, 9]] },
      { identity_id: 1, visible_s: 3, segments: [[3, 6]] },
    ], real);
    expect(s.precision).toBeCloseTo(1);
    expect(s.recall).toBeCloseTo(1);
    expect(s.people.find((p) => p.person === 'ann')!.predicted_s).toBeCloseTo(6);
    expect(s.mean_abs_error_s).toBeCloseTo(0);
  });

  it('honours unlabeled_faces: an identity of a background face is not counted, a person found elsewhere is', () => {
    const s = scoreScreentime([
      { identity_id: 0, visible_s: 6, segments: [[0, 3], [6, 9]] },
      { identity_id: 1, visible_s: 3, segments: [[3, 6]] },
      { identity_id: 2, visible_s: 3, segments: [[9, 12]] }, // the unnamed face
      { identity_id: 3, visible_s: 1, segments: [[0, 1]] }, // a false identity in a fully labelled shot
    ], real);
    expect(s.scored_s).toEqual([6, 3, 0, 1]);
    expect(s.people_found).toBe(3);
    expect(s.people_real).toBe(2);
    expect(s.precision).toBeCloseTo(9 / 10);
    expect(s.recall).toBeCloseTo(1);
  });

  it('a labelled person merged into another is still a false positive where everyone is labelled', () => {
    // bob's shot has ann as partial: an ann identity that also covers shot 1 is not penalised there,
    // but the same identity covering shot 0 and 2 for bob would be
    const s = scoreScreentime([{ identity_id: 0, visible_s: 9, segments: [[3, 6], [0, 3], [6, 9]] }], {
      ...real,
      shots: real.shots.map((sh) => ({ ...sh, partial: [] })),
    });
    expect(s.precision).toBeCloseTo(6 / 9);
  });

  const GT = mediaPath('episode_gt.json');
  it.skipIf(missing(GT))('the real ground truth scores itself perfectly', () => {
    const real = JSON.parse(readFileSync(GT, 'utf8')) as GroundTruth;
    const segs = truthSegments(real);
    const pred = [...segs.entries()].map(([, s], i) => ({ identity_id: i, visible_s: s.reduce((t, [a, b]) => t + b - a, 0), segments: s }));
    const sc = scoreScreentime(pred, real);
    expect(sc.f1).toBeCloseTo(1);
    expect(sc.mean_abs_error_s).toBeLessThan(1e-6);
    expect(sc.people).toHaveLength(8);
  });
});
