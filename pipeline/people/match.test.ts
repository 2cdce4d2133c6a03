import { describe, expect, it } from 'vitest';
import { matchIdentities, pairKey, unitMean, type MatchContext, type PersonVector } from './match.js';

/** Unit vector at `deg` degrees in the plane of the first two axes (distance 2 sin(d/2) between two). */
const at = (deg: number) => Float32Array.from([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0]);
const person = (id: string, deg: number): PersonVector => ({ person_id: id, name: id.toUpperCase(), centroid: at(deg) });
const opts = { autoBelow: 0.255, suggestBelow: 0.34, minMargin: 0.03 };
const none: MatchContext = { together: new Set(), rejected: () => false, confirmed: new Map() };
// 10 degrees apart = distance 0.174; 16 = 0.278; 22 = 0.382
describe('matchIdentities', () => {
  it('names below the auto threshold, suggests in the band, leaves the rest', () => {
    const people = [person('p_a', 0), person('p_b', 90)];
    const r = matchIdentities([{ identity_id: 0, vector: at(10) }, { identity_id: 1, vector: at(90 + 16) }, { identity_id: 2, vector: at(45) }, { identity_id: 3, vector: null }], people, none, opts);
    expect(r.map((d) => [d.identity_id, d.person_id, d.match])).toEqual([[0, 'p_a', 'auto'], [1, 'p_b', 'suggested'], [2, null, 'none'], [3, null, 'none']]);
    expect(r[0]!.distance).toBeCloseTo(0.1743, 3);
  });

  it('a look-alike close behind makes it a suggestion only', () => {
    const people = [person('p_a', 0), person('p_b', 11)]; // 0.087 vs 0.105
    const r = matchIdentities([{ identity_id: 0, vector: at(5) }], people, none, opts);
    expect(r[0]).toMatchObject({ person_id: 'p_a', match: 'suggested' });
  });

  it('never gives one person to two identities seen in the same frame; apart they may share', () => {
    const people = [person('p_a', 0)];
    const ids = [{ identity_id: 0, vector: at(4) }, { identity_id: 1, vector: at(-6) }];
    const apart = matchIdentities(ids, people, none, opts);
    expect(apart.map((d) => d.person_id)).toEqual(['p_a', 'p_a']);
    const together = matchIdentities(ids, people, { ...none, together: new Set([pairKey(1, 0)]) }, opts);
    expect(together.map((d) => d.person_id)).toEqual(['p_a', null]); // the closer one keeps the name
  });

  it('a rejected person is not proposed again; the next one may be, and a confirmation always holds', () => {
    const people = [person('p_a', 0), person('p_b', 20)];
    const ids = [{ identity_id: 0, vector: at(3) }];
    const r = matchIdentities(ids, people, { ...none, rejected: (i, p) => i === 0 && p === 'p_a' }, opts);
    expect(r[0]).toMatchObject({ person_id: 'p_b', match: 'suggested' });
    const c = matchIdentities([{ identity_id: 0, vector: at(80) }, { identity_id: 1, vector: at(1) }], people, { ...none, confirmed: new Map([[0, 'p_a']]), together: new Set([pairKey(0, 1)]) }, opts);
    expect(c[0]).toMatchObject({ person_id: 'p_a', match: 'confirmed' });
    // identity 1 is seen with the confirmed identity 0: it cannot be p_a as well
    expect(c[1]!.person_id).not.toBe('p_a');
  });

  it('unitMean is the renormalised weighted mean', () => {
    const m = unitMean([at(0), at(90)], [1, 1])!;
    expect(m[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(m[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(unitMean([])).toBeNull();
  });
});
