import { describe, expect, it } from 'vitest';
import { joinSameSetups, matchPlaces, placeTracks, type PlacedTrack, type SameSetupOptions } from './same-setup.js';

const O: SameSetupOptions = { maxOffset: 0.5, maxSizeRatio: 1.25, maxDistance: 0.36 };
const at = (row: number, shot: number, x: number, y = 200, w = 50): PlacedTrack => ({ row, shot, x, y, w });

/** Track distances given by a table; pairs not listed are far apart. */
const distances = (near: Record<string, number>) => (a: number, b: number) => near[a < b ? `${a}:${b}` : `${b}:${a}`] ?? 1;
const never = () => false;
const sorted = (gs: number[][]) => gs.map((g) => [...g].sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);

describe('placeTracks', () => {
  it('gives each track with a prototype row its mean box centre and width', () => {
    const dets = [
      { track_id: 7, bbox: [0, 0, 10, 20] as [number, number, number, number] },
      { track_id: 7, bbox: [10, 0, 30, 20] as [number, number, number, number] },
      { track_id: 8, bbox: [0, 0, 4, 4] as [number, number, number, number] },
    ];
    const placed = placeTracks(dets, [{ track_id: 7, shot: 3 }, { track_id: 8, shot: 3 }], new Map([[7, 0]]));
    expect(placed).toEqual([{ row: 0, shot: 3, x: 12.5, y: 10, w: 15 }]);
  });
});

describe('matchPlaces', () => {
  it('pairs faces at the same place and size one to one, closest first', () => {
    const a = [at(0, 1, 100), at(1, 1, 300)];
    const b = [at(2, 2, 110), at(3, 2, 120), at(4, 2, 300, 200, 80)];
    const pairs = matchPlaces(a, b, O);
    // row 0 takes row 2 (10 px away), row 3 has nobody left; row 4 is too big for row 1
    expect(pairs.map(([p, q]) => [p.row, q.row])).toEqual([[0, 2]]);
  });

  it('leaves faces more than half a face width apart unpaired', () => {
    expect(matchPlaces([at(0, 1, 100)], [at(1, 2, 126)], O)).toEqual([]);
    expect(matchPlaces([at(0, 1, 100)], [at(1, 2, 124)], O)).toHaveLength(1);
  });
});

describe('joinSameSetups', () => {
  // two wide shots of one table: places 100 (group 0 in both), 300 (group 1 in shot 1, group 2 in shot 2)
  const placed = [at(0, 1, 100), at(1, 1, 300), at(2, 2, 105), at(3, 2, 296)];
  const groups = [[0, 2], [1], [3]];

  it('joins two identities at a matching place of the same setup when their tracks are close', () => {
    expect(sorted(joinSameSetups(groups, placed, distances({ '1:3': 0.26 }), never, O))).toEqual([[0, 2], [1, 3]]);
  });

  it('never joins on position alone: the two tracks must be closer than the cut', () => {
    expect(sorted(joinSameSetups(groups, placed, distances({ '1:3': 0.4 }), never, O))).toEqual([[0, 2], [1], [3]]);
  });

  it('needs another place that holds the same identity in both shots', () => {
    // the other place holds weak tracks (in no identity): nothing says the setup is the same
    expect(sorted(joinSameSetups([[1], [3]], placed, distances({ '1:3': 0.26 }), never, O))).toEqual([[1], [3]]);
  });

  it('joins nothing when another matching place holds two different identities (people moved)', () => {
    const moved = [...placed, at(4, 1, 500), at(5, 2, 505)];
    const gs = [[0, 2], [1], [3], [4], [5]];
    expect(sorted(joinSameSetups(gs, moved, distances({ '1:3': 0.26 }), never, O))).toEqual([[0, 2], [1], [3], [4], [5]]);
  });

  it('keeps identities apart that are seen together in one frame', () => {
    const linked = (a: readonly number[], b: readonly number[]) => a.includes(1) && b.includes(3);
    expect(sorted(joinSameSetups(groups, placed, distances({ '1:3': 0.26 }), linked, O))).toEqual([[0, 2], [1], [3]]);
  });

  it('ignores tracks in no group (weak tracks) and shots with a single face', () => {
    const withWeak = [...placed, at(9, 2, 500), at(10, 3, 300)];
    // row 9 (shot 2, place 500) is weak; row 10 is alone in its shot, at place 300 like rows 1 and 3
    const out = joinSameSetups([...groups, [10]], withWeak, distances({ '1:3': 0.26, '1:10': 0.1, '3:10': 0.1 }), never, O);
    expect(sorted(out)).toEqual([[0, 2], [1, 3], [10]]);
  });
});
