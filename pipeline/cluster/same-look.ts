// A close-up whose face cannot decide between two people, placed by its camera setup. Edited
// footage films each person's close-ups from one setup per scene and comes back to it: the same
// background, light and framing, which the frame's look (pipeline/detect/frame-look.ts) captures.
// When a weak track (no face passed the gates: profile, looking down) is unsure because its face
// is about as close to two people (brothers, say), and its shot looks like the close-ups of exactly
// one of them, it is that person's.
//
// Looks never decide alone: the face must already make the person plausible (under the cut), the
// rule works only between single-face shots (a two-shot looks the same for both of its people),
// and a look shared by close-ups of two identities (one chair, two guests) decides nothing.
// Why the numbers: docs/pipeline-identities.md ("Unsure close-ups placed by their camera setup").

import { lookDistance } from '../detect/frame-look.js';

export interface SetupPlace {
  shot: number;
  /** The track's look, or null (outputs made before looks were stored). */
  look: Uint8Array | null;
}

export interface SameLookOptions {
  /** Two single-face shots closer than this (mean absolute RGB difference of the looks) share a setup. */
  maxLookDistance: number;
  /** The face must be at most this far (average prototype distance) from the identity. */
  maxFaceDistance: number;
}

/**
 * Looks 16 x 9: single-face shots of one person from one setup on dev/fotb: 39 % under 10, no
 * pair of two different people under 18.3; different people from photos on the same kind of
 * backdrop (episode_gt) no closer than 12.2.
 */
export const SAME_LOOK_MAX_DISTANCE = 10;

/**
 * For each unsure row, the group it joins by camera setup, or -1. `groups` hold rows; `place(row)`
 * gives a row's shot and look; `faceDistance(row, group)` its average distance to a group (Infinity
 * when they cannot be linked); `tracksInShot(shot)` how many tracks a shot holds.
 */
export function attachBySetup(
  unsure: readonly number[],
  groups: readonly (readonly number[])[],
  place: (row: number) => SetupPlace,
  faceDistance: (row: number, group: number) => number,
  tracksInShot: (shot: number) => number,
  opts: SameLookOptions,
): number[] {
  // the close-ups of each group: its tracks alone in their shot
  const closeUps = groups.map((g) => g.map(place).filter((p) => p.look && tracksInShot(p.shot) === 1));
  return unsure.map((row) => {
    const p = place(row);
    if (!p.look || tracksInShot(p.shot) !== 1) return -1;
    const sharing: number[] = [];
    closeUps.forEach((cs, gi) => {
      if (cs.some((c) => c.shot !== p.shot && lookDistance(c.look!, p.look!) < opts.maxLookDistance)) sharing.push(gi);
    });
    if (sharing.length !== 1) return -1;
    const gi = sharing[0]!;
    return faceDistance(row, gi) < opts.maxFaceDistance ? gi : -1;
  });
}
