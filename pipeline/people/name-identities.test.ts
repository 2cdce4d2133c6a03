import { describe, expect, it } from 'vitest';
import type { EditsFile, PrototypeRow } from '../../shared/artifacts.js';
import { buildIdentities, type Prototypes } from '../cluster/identities.js';
import { nameIdentities } from './name-identities.js';
import type { PersonVector } from './match.js';

const at = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
/** Tracks 0,1 near 0 degrees (Ann), 2 near 90 (Bob), 3 near 180 (nobody enrolled). */
function protos(): Prototypes {
  const dirs = [at(2), at(-3), at(92), at(180)];
  const byTrack = new Map<number, PrototypeRow>();
  dirs.forEach((_, t) => byTrack.set(t, { row: t, track_id: t, n_faces: 3, best_quality: 1, thumb: null, sample_thumbs: [] }));
  return { vectors: Float32Array.from(dirs.flat()), dim: 2, byTrack };
}
const people: PersonVector[] = [
  { person_id: 'p_ann', name: 'Ann', centroid: Float32Array.from(at(0)) },
  { person_id: 'p_bob', name: 'Bob', centroid: Float32Array.from(at(90)) },
];
const opts = { autoBelow: 0.255, suggestBelow: 0.34, minMargin: 0.03 };
const none: EditsFile = { labels: [], merges: [], splits: [], ignored: [] };

describe('nameIdentities', () => {
  const P = protos();
  const ids = buildIdentities([[0, 1], [2], [3]].map((g) => ({ track_ids: g, label: null, ignored: false })), P);
  const of = (r: ReturnType<typeof nameIdentities>, t: number) => r.identities.find((i) => i.track_ids.includes(t))!;

  it('names people in the library, leaves the others unnamed', () => {
    const r = nameIdentities(ids, P, [], none, new Set(), people, opts);
    expect(of(r, 0)).toMatchObject({ label: 'Ann', person_id: 'p_ann', match: 'auto' });
    expect(of(r, 2)).toMatchObject({ label: 'Bob', person_id: 'p_bob', match: 'auto' });
    expect(of(r, 3)).toMatchObject({ label: null, person_id: null, match: 'none', distance: null });
    expect([r.auto, r.suggested, r.confirmed]).toEqual([2, 0, 0]);
  });

  it('a typed name is not matched; a rejection follows its tracks into a new clustering; a confirmation holds', () => {
    const typed = ids.map((i) => (i.track_ids.includes(2) ? { ...i, label: 'Robert' } : i));
    const bob = typed.find((i) => i.track_ids.includes(2))!.identity_id;
    const r1 = nameIdentities(typed, P, [], none, new Set([bob]), people, opts);
    expect(of(r1, 2)).toMatchObject({ label: 'Robert', match: 'none' });
    // rejected on tracks [0, 1]; re-clustered, track 0 alone still carries the rejection by majority
    const edits: EditsFile = { ...none, people: [{ track_ids: [0], person_id: 'p_ann', decision: 'rejected' }, { track_ids: [3], person_id: 'p_bob', decision: 'confirmed' }] };
    const split = buildIdentities([[0], [1], [2], [3]].map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    const r2 = nameIdentities(split, P, [], edits, new Set(), people, opts);
    expect(of(r2, 0).person_id).toBeNull();
    expect(of(r2, 1)).toMatchObject({ person_id: 'p_ann', match: 'auto' });
    expect(of(r2, 3)).toMatchObject({ person_id: 'p_bob', match: 'confirmed', label: 'Bob' });
    // Bob is confirmed for track 3's identity and track 2 is seen beside it: not Bob
    const r3 = nameIdentities(split, P, [[2, 3]], edits, new Set(), people, opts);
    expect(of(r3, 2).person_id).toBeNull();
  });
});
