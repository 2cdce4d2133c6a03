import { describe, expect, it } from 'vitest';
import type { PrototypeRow } from '../../shared/artifacts.js';
import { buildIdentities, buildIdentity, LOW_COHESION, SAMPLE_THUMBS_PER_IDENTITY, type Prototypes } from './identities.js';

function protos(dirs: number[][], faces: number[]): Prototypes {
  const byTrack = new Map<number, PrototypeRow>();
  const vectors = new Float32Array(dirs.length * 2);
  dirs.forEach(([x, y], t) => {
    const n = Math.hypot(x!, y!);
    vectors[t * 2] = x! / n; vectors[t * 2 + 1] = y! / n;
    byTrack.set(t, { row: t, track_id: t, n_faces: faces[t]!, best_quality: t, thumb: `thumbs/t${t}.jpg`, sample_thumbs: [`thumbs/t${t}_1.jpg`, `thumbs/t${t}_2.jpg`] });
  });
  return { vectors, dim: 2, byTrack };
}

describe('buildIdentity', () => {
  it('sums faces, takes the thumbnail of the biggest track, spreads the strip over tracks', () => {
    const P = protos([[1, 0], [1, 0.05], [1, -0.05], [1, 0.02], [1, 0.01]], [3, 9, 1, 2, 2]);
    const r = buildIdentity(7, { track_ids: [4, 0, 1, 2, 3, 1], label: 'A', ignored: false }, P);
    expect(r.identity_id).toBe(7);
    expect(r.track_ids).toEqual([0, 1, 2, 3, 4]);
    expect(r.n_faces).toBe(17);
    expect(r.thumb).toBe('thumbs/t1.jpg');
    expect(r.sample_thumbs).toHaveLength(SAMPLE_THUMBS_PER_IDENTITY);
    // first one thumbnail of every other track, then second-round thumbnails
    expect(r.sample_thumbs.slice(0, 5)).toEqual(['thumbs/t0.jpg', 'thumbs/t4.jpg', 'thumbs/t3.jpg', 'thumbs/t2.jpg', 'thumbs/t1_1.jpg']);
    expect(new Set(r.sample_thumbs).size).toBe(r.sample_thumbs.length);
    expect(r.cohesion).toBeGreaterThan(0.99);
    expect(r.low_cohesion).toBe(false);
  });

  it('flags a group of two different directions as low cohesion; a single track has cohesion 1', () => {
    const P = protos([[1, 0], [0.7, 0.7]], [1, 1]);
    const mixed = buildIdentity(0, { track_ids: [0, 1], label: null, ignored: false }, P);
    expect(mixed.cohesion).toBeLessThan(LOW_COHESION);
    expect(mixed.low_cohesion).toBe(true);
    expect(buildIdentity(0, { track_ids: [1], label: null, ignored: false }, P).cohesion).toBe(1);
  });

  it('numbers identities by size', () => {
    const P = protos([[1, 0], [0, 1], [-1, 0]], [1, 5, 3]);
    const ids = buildIdentities([{ track_ids: [0], label: null, ignored: false }, { track_ids: [1], label: null, ignored: false }, { track_ids: [2], label: null, ignored: false }], P);
    expect(ids.map((i) => [i.identity_id, i.track_ids[0]])).toEqual([[0, 1], [1, 2], [2, 0]]);
  });
});
