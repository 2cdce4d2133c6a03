import { describe, expect, it } from 'vitest';
import { averageLinkage, clusterVectors, cohesion, condensedIndex, pairwiseDistances } from './agglomerative.js';
import { coOccurringTracks, boxIou } from './constraints.js';

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** n unit vectors around k random unit centres with per-dimension noise sigma. */
function blobs(n: number, k: number, dim: number, sigma: number, seed: number): { v: Float32Array; truth: Int32Array } {
  const r = rng(seed);
  const centres: number[][] = [];
  for (let c = 0; c < k; c++) {
    const x = Array.from({ length: dim }, () => gauss(r));
    const nn = Math.hypot(...x);
    centres.push(x.map((t) => t / nn));
  }
  const v = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    const x = centres[c]!.map((t) => t + sigma * gauss(r));
    const nn = Math.hypot(...x);
    for (let d = 0; d < dim; d++) v[i * dim + d] = x[d]! / nn;
  }
  return { v, truth };
}

/** Textbook greedy average linkage (O(n^3)), the reference the NN chain must reproduce. */
function naive(vectors: Float32Array, n: number, dim: number, threshold: number, cannot: Array<[number, number]> = []): Int32Array {
  const D = pairwiseDistances(vectors, n, dim);
  const d0 = (i: number, j: number) => D[condensedIndex(n, i, j)]!;
  const forbid = new Set(cannot.map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`));
  let clusters: number[][] = Array.from({ length: n }, (_, i) => [i]);
  for (;;) {
    let best = Infinity, bi = -1, bj = -1;
    for (let i = 0; i < clusters.length; i++) for (let j = i + 1; j < clusters.length; j++) {
      let s = 0, bad = false;
      for (const a of clusters[i]!) for (const b of clusters[j]!) {
        if (forbid.has(`${Math.min(a, b)}:${Math.max(a, b)}`)) bad = true;
        s += d0(a, b);
      }
      if (bad) continue;
      const avg = s / (clusters[i]!.length * clusters[j]!.length);
      if (avg < best) { best = avg; bi = i; bj = j; }
    }
    if (bi < 0 || !(best < threshold)) break;
    clusters[bi] = clusters[bi]!.concat(clusters[bj]!);
    clusters = clusters.filter((_, i) => i !== bj);
  }
  const labels = new Int32Array(n);
  clusters.forEach((c, id) => c.forEach((i) => (labels[i] = id)));
  return labels;
}

/** Same partition, whatever the numbering. */
function samePartition(a: Int32Array, b: Int32Array): boolean {
  const ab = new Map<number, number>(), ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if ((ab.has(x) && ab.get(x) !== y) || (ba.has(y) && ba.get(y) !== x)) return false;
    ab.set(x, y); ba.set(y, x);
  }
  return true;
}

describe('pairwiseDistances', () => {
  it('matches a direct computation for odd and even n and non-unit vectors', () => {
    for (const n of [2, 3, 7, 8]) {
      const dim = 5;
      const r = rng(n);
      const v = new Float32Array(n * dim).map(() => r() * 2 - 1);
      const D = pairwiseDistances(v, n, dim);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += (v[i * dim + k]! - v[j * dim + k]!) ** 2;
        expect(D[condensedIndex(n, i, j)]).toBeCloseTo(Math.sqrt(s), 5);
      }
    }
  });
});

describe('averageLinkage (NN chain)', () => {
  it('reproduces textbook greedy average linkage on random data, with and without constraints', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const n = 40, dim = 8;
      const { v } = blobs(n, 5, dim, 0.35, seed);
      for (const t of [0.3, 0.6, 0.9]) {
        const r = rng(seed * 7);
        const cannot: Array<[number, number]> = Array.from({ length: 15 }, () => [Math.floor(r() * n), Math.floor(r() * n)] as [number, number]).filter(([a, b]) => a !== b);
        expect(samePartition(clusterVectors(v, n, dim, { threshold: t }).labels, naive(v, n, dim, t))).toBe(true);
        const got = clusterVectors(v, n, dim, { threshold: t, cannotLink: cannot }).labels;
        expect(samePartition(got, naive(v, n, dim, t, cannot))).toBe(true);
        for (const [a, b] of cannot) expect(got[a]).not.toBe(got[b]);
      }
    }
  });

  it('finds well-separated blobs exactly, and the threshold decides the cut', () => {
    const { v, truth } = blobs(300, 10, 128, 0.02, 99);
    const res = clusterVectors(v, 300, 128, { threshold: 0.6 });
    expect(res.k).toBe(10);
    expect(samePartition(res.labels, truth)).toBe(true);
    expect(clusterVectors(v, 300, 128, { threshold: 0.01 }).k).toBe(300);
    expect(clusterVectors(v, 300, 128, { threshold: 10 }).k).toBe(1);
  });

  it('handles 0, 1 and 2 items and an all-forbidden pair', () => {
    expect(clusterVectors(new Float32Array(0), 0, 4, { threshold: 1 }).k).toBe(0);
    expect(clusterVectors(new Float32Array([1, 0, 0, 0]), 1, 4, { threshold: 1 }).k).toBe(1);
    const two = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0]);
    expect(clusterVectors(two, 2, 4, { threshold: 0.5 }).k).toBe(1);
    expect(clusterVectors(two, 2, 4, { threshold: 0.5, cannotLink: [[0, 1]] }).k).toBe(2);
    expect(() => averageLinkage(new Float32Array(2), 2, { threshold: 1 })).toThrow();
  });

  // How long this takes is measured by `npm run bench` (cluster_synthetic_5000), not asserted
  // here: machines differ 2-3x in speed.
  it('clusters 5,000 track prototypes (128-d) into the planted groups', () => {
    const n = 5000, dim = 128;
    const { v, truth } = blobs(n, 150, dim, 0.025, 5);
    const res = clusterVectors(v, n, dim, { threshold: 0.5 });
    expect(res.k).toBe(150);
    expect(samePartition(res.labels, truth)).toBe(true);
  });
});

describe('cohesion', () => {
  it('is 1 for identical members, lower for spread ones, 1 for a singleton', () => {
    const v = new Float32Array([1, 0, 1, 0, 0, 1]);
    expect(cohesion(v, 2, [0, 1])).toBeCloseTo(1);
    expect(cohesion(v, 2, [0, 2])).toBeCloseTo(Math.SQRT1_2);
    expect(cohesion(v, 2, [2])).toBe(1);
  });
});

describe('coOccurringTracks', () => {
  it('links tracks seen apart in one frame, not duplicates of one face, not across frames', () => {
    const pairs = coOccurringTracks([
      { frame_idx: 0, track_id: 1, bbox: [0, 0, 10, 10] },
      { frame_idx: 0, track_id: 2, bbox: [50, 0, 60, 10] },
      { frame_idx: 0, track_id: 3, bbox: [1, 0, 11, 10] }, // same face as track 1
      { frame_idx: 4, track_id: 2, bbox: [50, 0, 60, 10] },
      { frame_idx: 4, track_id: 1, bbox: [0, 0, 10, 10] },
      { frame_idx: 8, track_id: 4, bbox: [0, 0, 10, 10] },
      { frame_idx: 8, track_id: -1, bbox: [50, 0, 60, 10] },
    ]);
    expect(pairs.sort()).toEqual([[1, 2], [2, 3]]);
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3);
  });
});
