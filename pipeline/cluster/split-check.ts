// The last look at each identity before it is written: does it hold two people? Average linkage
// joins two clusters when their AVERAGE distance is under the cut, so two similar-looking people
// (siblings, say) can end up in one identity although each of them forms a tight group of their
// own. Re-clustering an identity's tracks at a tighter cut shows it: one person's tracks scatter
// around one centre; two people's tracks fall into two groups, each tighter than the distance
// between them. Such an identity is split in two. Small sub-groups never trigger a split (a
// single odd track is noise, not a person).

import { clusterVectors } from './agglomerative.js';

export interface SplitCheckOptions {
  /** Cut for the re-clustering: where different people are almost never joined. */
  tightThreshold: number;
  /** Each of the two sub-groups needs at least this many tracks. */
  minTracks: number;
  /** Average distance between the sub-groups over the larger of their inner average distances. */
  minSeparation: number;
}

function dist(v: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  for (let k = 0, ia = a * dim, ib = b * dim; k < dim; k++) { const d = v[ia + k]! - v[ib + k]!; s += d * d; }
  return Math.sqrt(s);
}

/** Average distance between the rows of A and of B (pairs of distinct rows only). */
export function averageDistance(v: Float32Array, dim: number, A: readonly number[], B: readonly number[]): number {
  let s = 0, n = 0;
  for (const a of A) for (const b of B) if (a !== b) { s += dist(v, dim, a, b); n++; }
  return n ? s / n : NaN;
}

/**
 * Splits one group of rows (of unit vectors `v`, n x dim) into two when it holds two separated
 * sub-groups; otherwise returns it whole. Rows outside the two largest sub-groups go to the
 * nearer of the two.
 */
export function splitIfTwoPeople(v: Float32Array, dim: number, rows: readonly number[], opts: SplitCheckOptions): number[][] {
  if (rows.length < 2 * opts.minTracks) return [[...rows]];
  const m = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => m.set(v.subarray(r * dim, (r + 1) * dim), i * dim));
  const res = clusterVectors(m, rows.length, dim, { threshold: opts.tightThreshold });
  if (res.k < 2) return [[...rows]];
  const subs: number[][] = Array.from({ length: res.k }, () => []);
  rows.forEach((r, i) => subs[res.labels[i]!]!.push(r));
  subs.sort((a, b) => b.length - a.length);
  const [A, B] = [subs[0]!, subs[1]!];
  if (B.length < opts.minTracks) return [[...rows]];
  const inner = Math.max(averageDistance(v, dim, A, A), averageDistance(v, dim, B, B));
  const between = averageDistance(v, dim, A, B);
  if (!(between >= opts.minSeparation * inner)) return [[...rows]];
  const a = [...A], b = [...B];
  for (const s of subs.slice(2)) (averageDistance(v, dim, s, A) <= averageDistance(v, dim, s, B) ? a : b).push(...s);
  return [a, b];
}

/**
 * After the re-check split some identities, average linkage goes on from the new partition: a
 * cluster that stayed apart from the MIXED identity (its average distance to both people at once
 * was over the cut) may now be under the cut to one of the halves. Only pairs involving a group
 * the split touched can newly qualify (the first pass left every other pair at or over the cut);
 * the two halves of one split never re-join, and cannot-link pairs still hold. Merges go closest
 * first, as average linkage would. A merge the re-check itself would undo (two sub-groups of
 * `split.minTracks` tracks, separated as `splitIfTwoPeople` asks) is never made: splitting the
 * brothers of dev/fotb handed one brother's half to the third brother's identity, 0.35 away on
 * average but a tight group of its own, at three of seven sampling settings (docs/pipeline-identities.md,
 * "Identities that hold across sampling"). Groups hold row indices; returns the new partition.
 */
export function resumeAfterSplits(
  v: Float32Array,
  dim: number,
  groups: readonly (readonly number[])[],
  halves: ReadonlyArray<readonly [number, number]>,
  cannotLink: ReadonlySet<string>,
  threshold: number,
  split: SplitCheckOptions,
): number[][] {
  const gs: Array<number[] | null> = groups.map((g) => [...g]);
  const apart = new Set(halves.map(([a, b]) => (a < b ? `${a}:${b}` : `${b}:${a}`)));
  const touched = new Set(halves.flat());
  const key = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
  const linked = (A: readonly number[], B: readonly number[]) => A.some((a) => B.some((b) => cannotLink.has(key(a, b))));
  for (;;) {
    const best = { d: threshold, a: -1, b: -1 };
    for (const t of touched) {
      const T = gs[t];
      if (!T) continue;
      gs.forEach((G, j) => {
        if (!G || j === t || apart.has(key(t, j)) || linked(T, G)) return;
        const d = averageDistance(v, dim, T, G);
        if (d < best.d && splitIfTwoPeople(v, dim, [...T, ...G], split).length === 1) Object.assign(best, { d, a: t, b: j });
      });
    }
    if (best.a < 0) break;
    const { a, b } = best;
    gs[a] = [...gs[a]!, ...gs[b]!];
    gs[b] = null;
    // the merged group keeps a's split partner apart, and b's
    for (const k of [...apart]) {
      const [x, y] = k.split(':').map(Number) as [number, number];
      if (x === b || y === b) apart.add(key(a, x === b ? y : x));
    }
    touched.delete(b);
    touched.add(a);
  }
  return gs.filter((g): g is number[] => g !== null);
}
