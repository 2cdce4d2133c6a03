// Weak tracks (no face that passed the quality gates: profiles, backs of heads, faces cut off by
// the frame edge, blur) never cause a merge. After the good tracks are clustered, each weak track
// is attached to an identity only when it is clearly that identity's: close to it, and clearly
// closer to it than to any other. Otherwise it stays "unsure" and counts for nobody until the user
// assigns it. Why: a profile or a half face lies between people in embedding space, and letting
// it merge is exactly how two people get chained into one identity.

export interface AttachOptions {
  /** Largest average distance to an identity's tracks for an attachment. */
  maxDistance: number;
  /** The next identity must be at least this much further away. */
  minMargin: number;
}

export interface AttachResult {
  /** Group index per weak row (same order as `weakRows`), or -1 when unsure. */
  group: number[];
  /** Nearest group per weak row (a suggestion for the unsure), -1 when none is reachable. */
  nearest: number[];
  /** Average distance to the nearest group (Infinity when none). */
  distance: number[];
}

function dist(v: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  for (let k = 0, ia = a * dim, ib = b * dim; k < dim; k++) {
    const d = v[ia + k]! - v[ib + k]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

const key = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/**
 * Average distance of row `w` to a group's rows; Infinity for an empty group or one holding a row
 * it cannot be linked with (seen at the same time elsewhere in the frame).
 */
export function groupDistance(vectors: Float32Array, dim: number, w: number, g: readonly number[], cannotLink: ReadonlySet<string>): number {
  let sum = 0;
  for (const r of g) {
    if (cannotLink.has(key(w, r))) return Infinity;
    sum += dist(vectors, dim, w, r);
  }
  return g.length ? sum / g.length : Infinity;
}

/**
 * For each weak row: the average distance to every group's rows (groupDistance), then the decision.
 * `groups` hold row indices of `vectors` (n x dim, unit rows).
 */
export function attachWeakTracks(
  vectors: Float32Array,
  dim: number,
  groups: readonly (readonly number[])[],
  weakRows: readonly number[],
  cannotLink: ReadonlySet<string>,
  opts: AttachOptions,
): AttachResult {
  const out: AttachResult = { group: [], nearest: [], distance: [] };
  for (const w of weakRows) {
    let best = -1, d1 = Infinity, d2 = Infinity;
    groups.forEach((g, gi) => {
      const d = groupDistance(vectors, dim, w, g, cannotLink);
      if (d < d1) { d2 = d1; d1 = d; best = gi; } else if (d < d2) d2 = d;
    });
    const sure = best >= 0 && d1 < opts.maxDistance && d2 - d1 >= opts.minMargin;
    out.group.push(sure ? best : -1);
    out.nearest.push(Number.isFinite(d1) ? best : -1);
    out.distance.push(d1);
  }
  return out;
}
