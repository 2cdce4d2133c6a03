// The last step on the good tracks: each track ends in the identity it is nearest to on average.
//
// Average linkage merges greedily, pair of groups by pair of groups: a track can join one group
// early (its nearest at that moment) and, once the groups have grown, be nearer on average to
// another identity than to the rest of its own. It then stays where the order of merges put it.
// Seen on dev/fotb under decodable sampling: a crane shot of one brother (2 usable faces of 12)
// sat in another brother's identity, 0.351 from its own group's other tracks and 0.325 from his.
// The rule moves such a track to the nearer identity, under the same cut as every join and never
// beside a track it was seen with in one frame. A track alone in its group stays (the clustering
// already found it farther than the cut from every group, or kept apart by a constraint).

import { groupDistance } from './assign.js';

/** Passes over all tracks at most: a move changes the averages of two groups. */
const MAX_PASSES = 3;

/**
 * Moves each row of `groups` (row indices of `vectors`, n x dim unit rows) whose average distance
 * to another group is below `threshold` and below its average distance to the rest of its own
 * group. Returns new groups (emptied ones dropped, order otherwise kept) and the number of moves.
 */
export function moveToNearestIdentity(
  vectors: Float32Array,
  dim: number,
  groups: readonly (readonly number[])[],
  cannotLink: ReadonlySet<string>,
  threshold: number,
): { groups: number[][]; moved: number } {
  const out = groups.map((g) => [...g]);
  let moved = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let movedThisPass = 0;
    for (let gi = 0; gi < out.length; gi++) {
      for (const r of [...out[gi]!]) {
        const rest = out[gi]!.filter((x) => x !== r);
        if (rest.length === 0) continue;
        const own = groupDistance(vectors, dim, r, rest, cannotLink);
        let best = -1;
        let bestD = Infinity;
        out.forEach((h, hi) => {
          if (hi === gi || h.length === 0) return;
          const d = groupDistance(vectors, dim, r, h, cannotLink);
          if (d < bestD) {
            bestD = d;
            best = hi;
          }
        });
        if (best >= 0 && bestD < threshold && bestD < own) {
          out[gi] = rest;
          out[best]!.push(r);
          movedThisPass++;
        }
      }
    }
    moved += movedThisPass;
    if (movedThisPass === 0) break;
  }
  return { groups: out.filter((g) => g.length > 0), moved };
}
