import { describe, expect, it } from 'vitest';
import { LOOK_BYTES } from '../detect/frame-look.js';
import { attachBySetup, type SetupPlace } from './same-look.js';

const look = (v: number) => new Uint8Array(LOOK_BYTES).fill(v);
const opts = { maxLookDistance: 10, maxFaceDistance: 0.36 };

/**
 * Rows 0-3: identity A's close-ups (shots 0-3, look 100); rows 4-5: identity B's (shots 4-5,
 * look 160); row 6: a two-shot (shot 6, look 40) of A beside row 7 (B). Unsure rows from 8 on.
 */
function scene(extra: Record<number, SetupPlace>) {
  const places: Record<number, SetupPlace> = {
    0: { shot: 0, look: look(100) }, 1: { shot: 1, look: look(102) }, 2: { shot: 2, look: look(98) }, 3: { shot: 3, look: look(101) },
    4: { shot: 4, look: look(160) }, 5: { shot: 5, look: look(162) },
    6: { shot: 6, look: look(40) }, 7: { shot: 6, look: look(40) },
    ...extra,
  };
  const perShot = new Map<number, number>();
  for (const p of Object.values(places)) perShot.set(p.shot, (perShot.get(p.shot) ?? 0) + 1);
  return {
    groups: [[0, 1, 2, 3, 6], [4, 5, 7]],
    place: (r: number) => places[r]!,
    tracksInShot: (s: number) => perShot.get(s) ?? 0,
  };
}

describe('attachBySetup', () => {
  it('gives an unsure close-up to the one identity whose close-ups share its setup, when its face allows it', () => {
    const s = scene({ 8: { shot: 8, look: look(104) } });
    // the face is about as close to both (brothers): 0.31 to A, 0.30 to B
    const face = (_r: number, g: number) => (g === 0 ? 0.31 : 0.3);
    expect(attachBySetup([8], s.groups, s.place, face, s.tracksInShot, opts)).toEqual([0]);
  });

  it('never against the face: the identity must be plausible from the face (under the cut)', () => {
    const s = scene({ 8: { shot: 8, look: look(104) } });
    expect(attachBySetup([8], s.groups, s.place, (_r, g) => (g === 0 ? 0.45 : 0.3), s.tracksInShot, opts)).toEqual([-1]);
    expect(attachBySetup([8], s.groups, s.place, (_r, g) => (g === 0 ? Infinity : 0.3), s.tracksInShot, opts)).toEqual([-1]);
  });

  it('decides nothing when the setup is shared by two identities (one chair, two guests), when no setup matches, or without looks', () => {
    // row 8: a close-up of A, row 9: one of B, from one setup; the unsure row 10 looks like both
    const s = scene({ 8: { shot: 8, look: look(130) }, 9: { shot: 9, look: look(128) }, 10: { shot: 10, look: look(131) } });
    const [a, b] = s.groups as [number[], number[]];
    expect(attachBySetup([10], [[...a, 8], [...b, 9]], s.place, () => 0.3, s.tracksInShot, opts)).toEqual([-1]);
    // the same row with only A's close-up from that setup goes to A
    expect(attachBySetup([10], [[...a, 8], b], s.place, () => 0.3, s.tracksInShot, opts)).toEqual([0]);
    // no setup matches; no look stored
    const t = scene({ 8: { shot: 8, look: look(220) }, 9: { shot: 9, look: null } });
    expect(attachBySetup([8, 9], t.groups, t.place, () => 0.3, t.tracksInShot, opts)).toEqual([-1, -1]);
  });

  it('works between single-face shots only: a two-shot looks the same for both of its people', () => {
    // an unsure track in a two-shot (shot 7 with another track) that looks like A's close-ups
    const s = scene({ 8: { shot: 7, look: look(100) }, 9: { shot: 7, look: look(100) } });
    expect(attachBySetup([8], s.groups, s.place, () => 0.3, s.tracksInShot, opts)).toEqual([-1]);
    // and A's two-shot (row 6, shot 6) does not count as one of A's close-ups
    const t = scene({ 8: { shot: 8, look: look(40) } });
    expect(attachBySetup([8], t.groups, t.place, () => 0.3, t.tracksInShot, opts)).toEqual([-1]);
  });
});
