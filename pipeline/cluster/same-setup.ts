// Identities joined across shots of the same camera setup ("shot threading").
//
// Edited footage returns to the same camera setup again and again: the wide shot of a table, the
// two-shot of a conversation. When two shots show faces at the same places and sizes, and at
// least one of those places holds the same identity in both, the setup is the same and the people
// in it have not moved: a face at another matching place is most likely the same person in both
// shots. Average linkage can miss this when one person's faces are small in the wide shots and
// large in the close-ups (the wide-shot tracks are near each other and form an identity of their
// own, while their average distance to the close-ups is over the cut). So two identities are
// joined when a track of each sits at matching places of two such shots AND the two tracks are
// close (track to track under the clustering cut), AND no other matching place holds two different
// identities (then people did move, or it is another setup), AND the two identities are never seen
// together in one frame (cannot-link). Position alone never joins anything: the faces must match.

import path from 'node:path';
import { existsSync } from 'node:fs';
import { ARTIFACT_FILES, type DetectionRow, type TrackRow } from '../../shared/artifacts.js';
import { readJsonl } from './io.js';
import type { Prototypes } from './identities.js';
import { averageDistance } from './split-check.js';

/** A track's place in its shot: mean box centre and mean box width (source pixels). */
export interface PlacedTrack {
  row: number;
  shot: number;
  x: number;
  y: number;
  w: number;
}

export interface SameSetupOptions {
  /** Largest offset between the centres of two matching places, in face widths. */
  maxOffset: number;
  /** Largest ratio between the face widths of two matching places. */
  maxSizeRatio: number;
  /** Two tracks at matching places join their identities only when closer than this. */
  maxDistance: number;
}

/** Half a face width: a face that stays in its seat moves less than that between two takes. */
export const SAME_SETUP_MAX_OFFSET = 0.5;
export const SAME_SETUP_MAX_SIZE_RATIO = 1.25;

/** Mean centre and width of each track's boxes, for the tracks that have a prototype row. */
export function placeTracks(
  detections: Iterable<Pick<DetectionRow, 'track_id' | 'bbox'>>,
  tracks: ReadonlyArray<Pick<TrackRow, 'track_id' | 'shot'>>,
  rowOfTrack: ReadonlyMap<number, number>,
): PlacedTrack[] {
  const sum = new Map<number, { x: number; y: number; w: number; n: number }>();
  for (const d of detections) {
    if (!rowOfTrack.has(d.track_id)) continue;
    let s = sum.get(d.track_id);
    if (!s) sum.set(d.track_id, (s = { x: 0, y: 0, w: 0, n: 0 }));
    s.x += (d.bbox[0] + d.bbox[2]) / 2;
    s.y += (d.bbox[1] + d.bbox[3]) / 2;
    s.w += d.bbox[2] - d.bbox[0];
    s.n++;
  }
  const out: PlacedTrack[] = [];
  for (const t of tracks) {
    const s = sum.get(t.track_id);
    const row = rowOfTrack.get(t.track_id);
    if (!s || row === undefined || t.shot < 0) continue;
    out.push({ row, shot: t.shot, x: s.x / s.n, y: s.y / s.n, w: s.w / s.n });
  }
  return out;
}

/** Offset of two places in face widths, or null when they do not match (too far, or sizes differ). */
function placeOffset(p: PlacedTrack, q: PlacedTrack, o: Pick<SameSetupOptions, 'maxOffset' | 'maxSizeRatio'>): number | null {
  const ratio = Math.max(p.w, q.w) / Math.max(1e-9, Math.min(p.w, q.w));
  const off = Math.hypot(p.x - q.x, p.y - q.y) / Math.max(1e-9, (p.w + q.w) / 2);
  return off <= o.maxOffset && ratio <= o.maxSizeRatio ? off : null;
}

/**
 * Tracks of two shots at matching places: one to one, closest first, centres within `maxOffset`
 * face widths and widths within `maxSizeRatio` of each other.
 */
export function matchPlaces(a: readonly PlacedTrack[], b: readonly PlacedTrack[], o: Pick<SameSetupOptions, 'maxOffset' | 'maxSizeRatio'>): Array<[PlacedTrack, PlacedTrack]> {
  const cands: Array<{ i: number; j: number; off: number }> = [];
  a.forEach((p, i) => b.forEach((q, j) => {
    const off = placeOffset(p, q, o);
    if (off !== null) cands.push({ i, j, off });
  }));
  cands.sort((x, y) => x.off - y.off || x.i - y.i || x.j - y.j);
  const ua = new Set<number>(), ub = new Set<number>();
  const out: Array<[PlacedTrack, PlacedTrack]> = [];
  for (const c of cands) {
    if (ua.has(c.i) || ub.has(c.j)) continue;
    ua.add(c.i);
    ub.add(c.j);
    out.push([a[c.i]!, b[c.j]!]);
  }
  return out;
}

/**
 * The shot pairs worth a look, ascending: those holding two tracks of different groups at
 * matching places and closer than `maxDistance`. Only such a pair can join anything; finding them
 * by a sweep over x keeps long episodes (thousands of shots) from a check of every shot pair.
 */
function candidateShotPairs(placed: readonly PlacedTrack[], groupOfRow: ReadonlyMap<number, number>, distance: (a: number, b: number) => number, o: SameSetupOptions): Array<[number, number]> {
  const grouped = placed.filter((p) => groupOfRow.has(p.row)).sort((a, b) => a.x - b.x);
  const reach = o.maxOffset * grouped.reduce((m, p) => Math.max(m, p.w), 0);
  const keys = new Map<string, [number, number]>();
  for (let i = 0; i < grouped.length; i++) {
    const p = grouped[i]!;
    for (let j = i + 1; j < grouped.length && grouped[j]!.x - p.x <= reach; j++) {
      const q = grouped[j]!;
      if (p.shot === q.shot || groupOfRow.get(p.row) === groupOfRow.get(q.row) || placeOffset(p, q, o) === null) continue;
      const pair: [number, number] = p.shot < q.shot ? [p.shot, q.shot] : [q.shot, p.shot];
      const k = `${pair[0]}:${pair[1]}`;
      if (!keys.has(k) && distance(p.row, q.row) < o.maxDistance) keys.set(k, pair);
    }
  }
  return [...keys.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/**
 * `groups` (rows of the prototype matrix) with the identities that the same camera setup shows to
 * be one person joined (rules at the top of this file). `distance(rowA, rowB)` is the track
 * distance; `linked(groupA, groupB)` says the two may never share an identity.
 */
export function joinSameSetups(
  groups: readonly (readonly number[])[],
  placed: readonly PlacedTrack[],
  distance: (a: number, b: number) => number,
  linked: (a: readonly number[], b: readonly number[]) => boolean,
  o: SameSetupOptions,
): number[][] {
  const parent = groups.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const members = groups.map((g) => [...g]);
  const groupOfRow = new Map<number, number>();
  groups.forEach((g, gi) => g.forEach((r) => groupOfRow.set(r, gi)));
  const gOf = (p: PlacedTrack) => {
    const g = groupOfRow.get(p.row);
    return g === undefined ? undefined : find(g);
  };
  const byShot = new Map<number, PlacedTrack[]>();
  for (const p of placed) {
    let l = byShot.get(p.shot);
    if (!l) byShot.set(p.shot, (l = []));
    l.push(p);
  }
  for (const [s, t] of candidateShotPairs(placed, groupOfRow, distance, o)) {
    const a = byShot.get(s)!, b = byShot.get(t)!;
    if (a.length < 2 || b.length < 2) continue;
    const pairs = matchPlaces(a, b, o);
    if (pairs.length < 2) continue;
    for (const [p, q] of pairs) {
      const gp = gOf(p), gq = gOf(q);
      if (gp === undefined || gq === undefined || gp === gq) continue;
      let anchors = 0, contradictions = 0;
      for (const [x, y] of pairs) {
        if (x === p) continue;
        const gx = gOf(x), gy = gOf(y);
        if (gx === undefined || gy === undefined) continue;
        if (gx === gy) anchors++;
        else contradictions++;
      }
      if (anchors === 0 || contradictions > 0) continue;
      if (!(distance(p.row, q.row) < o.maxDistance) || linked(members[gp]!, members[gq]!)) continue;
      const [keep, gone] = gp < gq ? [gp, gq] : [gq, gp];
      parent[gone] = keep;
      members[keep] = [...members[keep]!, ...members[gone]!];
      members[gone] = [];
    }
  }
  return groups.map((_, i) => i).filter((i) => find(i) === i).map((i) => members[i]!);
}

/**
 * The cluster stage's step: reads where each track is (detections.jsonl, tracks.jsonl) and joins
 * `groups` by `joinSameSetups`, with euclidean prototype distance under `threshold` and the stage's
 * cannot-link row pairs ("a:b", a < b).
 */
export function joinGroupsOfSameSetup(outDir: string, protos: Prototypes, groups: readonly (readonly number[])[], cannot: ReadonlySet<string>, threshold: number): number[][] {
  const detFile = path.join(outDir, ARTIFACT_FILES.detections);
  const trackFile = path.join(outDir, ARTIFACT_FILES.tracks);
  if (!existsSync(detFile) || !existsSync(trackFile)) return groups.map((g) => [...g]);
  const rowOfTrack = new Map([...protos.byTrack.values()].map((r) => [r.track_id, r.row]));
  const placed = placeTracks(readJsonl<DetectionRow>(detFile), readJsonl<TrackRow>(trackFile), rowOfTrack);
  const distance = (a: number, b: number) => averageDistance(protos.vectors, protos.dim, [a], [b]);
  const key = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
  const linked = (A: readonly number[], B: readonly number[]) => A.some((a) => B.some((b) => cannot.has(key(a, b))));
  return joinSameSetups(groups, placed, distance, linked, { maxOffset: SAME_SETUP_MAX_OFFSET, maxSizeRatio: SAME_SETUP_MAX_SIZE_RATIO, maxDistance: threshold });
}
