// After clustering: the people library names the episode's identities (pure, given the library's
// person vectors). The user's word comes first: a name they confirmed holds, a person they
// rejected for an identity is never proposed for it again, and an identity they renamed keeps
// their name (it is not matched). Recorded decisions are statements about tracks (edits.json,
// `people`), so they survive re-clustering like the other edits.

import type { EditsFile, IdentityRow } from '../../shared/artifacts.js';
import type { Prototypes } from '../cluster/identities.js';
import { matchIdentities, pairKey, unitMean, type MatchOptions, type PersonVector } from './match.js';

/** Identity prototype: the mean of its clear tracks' prototypes weighted by faces (all tracks when none is clear). */
export function identityVector(idn: IdentityRow, protos: Prototypes): Float32Array | null {
  const rows = idn.track_ids.map((t) => protos.byTrack.get(t)).filter((r) => r !== undefined);
  const good = rows.filter((r) => !r!.weak);
  const use = good.length ? good : rows;
  return unitMean(use.map((r) => protos.vectors.subarray(r!.row * protos.dim, (r!.row + 1) * protos.dim)), use.map((r) => Math.max(1, r!.n_faces)));
}

/** The identity holding most of these tracks, or null. */
export function identityOfTracks(identities: readonly IdentityRow[], trackIds: readonly number[]): IdentityRow | null {
  const want = new Set(trackIds);
  let best: IdentityRow | null = null, n = 0;
  for (const i of identities) {
    const c = i.track_ids.filter((t) => want.has(t)).length;
    if (c > n) { best = i; n = c; }
  }
  return best;
}

export interface NamingOutcome {
  identities: IdentityRow[];
  auto: number;
  suggested: number;
  confirmed: number;
}

/**
 * Names identities from the library. `labelledByUser`: identity ids whose label came from a
 * rename (edits.json labels) rather than from the library.
 */
export function nameIdentities(
  identities: readonly IdentityRow[],
  protos: Prototypes,
  trackPairsTogether: ReadonlyArray<[number, number]>,
  edits: EditsFile,
  labelledByUser: ReadonlySet<number>,
  people: readonly PersonVector[],
  opts: MatchOptions,
): NamingOutcome {
  const idOfTrack = new Map(identities.flatMap((i) => i.track_ids.map((t) => [t, i.identity_id] as const)));
  const together = new Set<string>();
  for (const [a, b] of trackPairsTogether) {
    const ia = idOfTrack.get(a), ib = idOfTrack.get(b);
    if (ia !== undefined && ib !== undefined && ia !== ib) together.add(pairKey(ia, ib));
  }
  const confirmed = new Map<number, string>();
  const rejected = new Set<string>();
  for (const e of edits.people ?? []) {
    const idn = identityOfTracks(identities, e.track_ids);
    if (!idn) continue;
    if (e.decision === 'confirmed') confirmed.set(idn.identity_id, e.person_id);
    else rejected.add(`${idn.identity_id}:${e.person_id}`);
  }
  // a name the user typed is theirs: such an identity is neither matched nor holds a person
  const open = identities.filter((i) => !i.ignored && (confirmed.has(i.identity_id) || !labelledByUser.has(i.identity_id)));
  const decisions = matchIdentities(
    open.map((i) => ({ identity_id: i.identity_id, vector: identityVector(i, protos) })),
    people,
    { together, confirmed, rejected: (i, p) => rejected.has(`${i}:${p}`) },
    opts,
  );
  const byId = new Map(decisions.map((d) => [d.identity_id, d]));
  const nameOf = new Map(people.map((p) => [p.person_id, p.name]));
  let auto = 0, suggested = 0, nConfirmed = 0;
  const out = identities.map((i) => {
    const d = byId.get(i.identity_id);
    if (!d || d.match === 'none' || d.person_id === null) return { ...i, person_id: null, person_name: null, match: 'none' as const, distance: null };
    const name = nameOf.get(d.person_id) ?? null;
    if (d.match === 'auto') auto++;
    else if (d.match === 'suggested') suggested++;
    else nConfirmed++;
    // a suggestion names nobody until accepted; a confirmed name is the user's label already
    const label = d.match === 'auto' ? name : d.match === 'confirmed' ? i.label ?? name : i.label;
    return { ...i, label, person_id: d.person_id, person_name: name, match: d.match, distance: d.distance };
  });
  return { identities: out, auto, suggested, confirmed: nConfirmed };
}
