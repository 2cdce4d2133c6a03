// Naming identities from the people library (pure). Each identity's prototype (the renormalised
// mean of its track prototypes) is compared with each person's centroid (the renormalised mean of
// their reference faces) by euclidean distance between unit vectors, the measure clustering uses.
//   - distance < autoBelow, and the next person at least minMargin further: named automatically;
//   - distance < suggestBelow otherwise: a suggestion the user accepts or rejects;
//   - a person is never given to two identities seen in the same frame (closest pair first);
//   - a rejected (identity, person) pair is never proposed again; a confirmed one always holds.
// The thresholds are measured (docs/pipeline-identities.md, "Naming from the people library").

import type { PeopleLibraryFile, PersonMatch } from '../../shared/people.js';
import { decodeVector } from './library.js';

export interface PersonVector {
  person_id: string;
  name: string;
  /** Unit centroid of the person's reference faces. */
  centroid: Float32Array;
}

export interface IdentityVector {
  identity_id: number;
  /** Unit prototype of the identity, null when it has none (no embedded face). */
  vector: Float32Array | null;
}

export interface MatchOptions {
  autoBelow: number;
  suggestBelow: number;
  minMargin: number;
}

/**
 * The thresholds in use (docs/pipeline-identities.md, "Naming from the people library": chosen on
 * the distances of reference photos to identity prototypes of the same and of other people).
 */
export const PEOPLE_MATCH: MatchOptions = { autoBelow: 0.255, suggestBelow: 0.34, minMargin: 0.03 };

export interface MatchDecision {
  identity_id: number;
  person_id: string | null;
  match: PersonMatch;
  distance: number | null;
}

export function unitMean(vectors: readonly Float32Array[], weights?: readonly number[]): Float32Array | null {
  if (vectors.length === 0) return null;
  const out = new Float32Array(vectors[0]!.length);
  vectors.forEach((v, i) => {
    const w = weights?.[i] ?? 1;
    for (let k = 0; k < out.length; k++) out[k] = out[k]! + w * v[k]!;
  });
  let s = 0;
  for (let k = 0; k < out.length; k++) s += out[k]! * out[k]!;
  const n = Math.sqrt(s);
  if (n === 0) return null;
  for (let k = 0; k < out.length; k++) out[k] = out[k]! / n;
  return out;
}

/** Every person with at least one reference face, optionally only those of one show (or of none). */
export function personVectors(lib: PeopleLibraryFile, show?: string | null): PersonVector[] {
  const out: PersonVector[] = [];
  for (const p of lib.people) {
    if (show !== undefined && show !== null && p.show !== null && p.show !== show) continue;
    const c = unitMean(p.faces.map((f) => decodeVector(f.embedding)));
    if (c) out.push({ person_id: p.person_id, name: p.name, centroid: c });
  }
  return out;
}

/**
 * Distances of one unit vector to every row of a packed matrix of unit vectors:
 * |a - b| = sqrt(2 - 2 a.b). One flat array keeps the inner loop monomorphic and fast
 * (1,000 people x 300 identities in a few tens of ms).
 */
export function distancesToRows(v: Float32Array, rows: Float32Array, dim: number, out: Float64Array): void {
  const d4 = dim - (dim % 4);
  for (let j = 0, o = 0; j < out.length; j++, o += dim) {
    // four running sums: independent additions the CPU overlaps
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let k = 0;
    for (; k < d4; k += 4) {
      s0 += v[k]! * rows[o + k]!;
      s1 += v[k + 1]! * rows[o + k + 1]!;
      s2 += v[k + 2]! * rows[o + k + 2]!;
      s3 += v[k + 3]! * rows[o + k + 3]!;
    }
    for (; k < dim; k++) s0 += v[k]! * rows[o + k]!;
    out[j] = Math.sqrt(Math.max(0, 2 - 2 * (s0 + s1 + s2 + s3)));
  }
}

export const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

export interface MatchContext {
  /** Identity pairs (pairKey) seen in the same frame. */
  together: ReadonlySet<string>;
  /** Was this person rejected for this identity by the user? */
  rejected(identityId: number, personId: string): boolean;
  /** Person the user confirmed for an identity. */
  confirmed: ReadonlyMap<number, string>;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function matchIdentities(identities: readonly IdentityVector[], people: readonly PersonVector[], ctx: MatchContext, opts: MatchOptions): MatchDecision[] {
  const dim = people[0]?.centroid.length ?? 0;
  const packed = new Float32Array(people.length * dim);
  people.forEach((p, j) => packed.set(p.centroid, j * dim));
  const dist = new Map<number, Float64Array>();
  for (const idn of identities) {
    if (!idn.vector || idn.vector.length !== dim) continue;
    const d = new Float64Array(people.length);
    distancesToRows(idn.vector, packed, dim, d);
    dist.set(idn.identity_id, d);
  }
  const out = new Map<number, MatchDecision>();
  const holders = new Map<string, number[]>();
  const take = (identityId: number, personId: string) => {
    let l = holders.get(personId);
    if (!l) holders.set(personId, (l = []));
    l.push(identityId);
  };
  const clashes = (identityId: number, personId: string) => (holders.get(personId) ?? []).some((o) => ctx.together.has(pairKey(o, identityId)));
  // the user's confirmations first: they hold whatever the distances say
  for (const [identityId, personId] of ctx.confirmed) {
    if (!identities.some((i) => i.identity_id === identityId)) continue;
    const j = people.findIndex((p) => p.person_id === personId);
    const d = j >= 0 ? dist.get(identityId)?.[j] : undefined;
    out.set(identityId, { identity_id: identityId, person_id: personId, match: 'confirmed', distance: d === undefined ? null : r4(d) });
    take(identityId, personId);
  }
  const candidates: Array<{ identityId: number; j: number; d: number }> = [];
  for (const [identityId, d] of dist) {
    if (out.has(identityId)) continue;
    for (let j = 0; j < d.length; j++) {
      if (d[j]! < opts.suggestBelow && !ctx.rejected(identityId, people[j]!.person_id)) candidates.push({ identityId, j, d: d[j]! });
    }
  }
  candidates.sort((a, b) => a.d - b.d || a.identityId - b.identityId || a.j - b.j);
  for (const c of candidates) {
    if (out.has(c.identityId)) continue;
    const personId = people[c.j]!.person_id;
    if (clashes(c.identityId, personId)) continue;
    // margin to the nearest OTHER person: a look-alike close behind makes it only a suggestion
    const d = dist.get(c.identityId)!;
    let next = Infinity;
    for (let j = 0; j < d.length; j++) if (j !== c.j && d[j]! < next) next = d[j]!;
    const auto = c.d < opts.autoBelow && next - c.d >= opts.minMargin;
    out.set(c.identityId, { identity_id: c.identityId, person_id: personId, match: auto ? 'auto' : 'suggested', distance: r4(c.d) });
    take(c.identityId, personId);
  }
  return identities.map((i) => out.get(i.identity_id) ?? { identity_id: i.identity_id, person_id: null, match: 'none', distance: null });
}
