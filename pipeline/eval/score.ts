// Scores predicted screen time against a ground-truth file shaped like ../shared/media/episode_gt.json.
//
// Predicted identities are matched one-to-one to true people so that the total overlapping
// visible time is as large as possible (Hungarian algorithm on the overlap matrix). Then
//   precision = matched overlap / all predicted visible time
//   recall    = matched overlap / all true visible time
//   F1        = 2PR / (P + R)
// and the per-person screen-time error compares each person's true seconds with the seconds of
// the identity matched to them (0 when none was).
//
// Real footage is labelled per shot with two more fields (../shared/media/dev/fotb.json,
// `conventions`): `partial` lists people seen only from behind, in profile or cut off in that
// shot, and `unlabeled_faces` says the shot also holds unnamed faces. Neither is scored either
// way, so an identity's time inside such a shot is left out of the scoring ("not scored") unless
// the person it is matched to is LABELLED in that shot:
//   - matched to P and P is partial in the shot: not scored;
//   - matched to P, P not in the shot (or unmatched), and the shot has partial people or unlabeled
//     faces: not scored (it may be one of them);
//   - otherwise it is scored: overlap when P is labelled there, a false positive when not.
// A ground truth without these fields (episode_gt.json) scores exactly as before.

export interface GroundTruth {
  duration_s: number;
  identities: Record<string, { screen_time_s: number; shots: number[] }>;
  shots: Array<{
    index: number;
    start_s: number;
    end_s: number;
    identities: string[];
    /** People seen only from behind, in profile or cut off: not scored either way. */
    partial?: string[];
    /** The shot also holds unnamed faces that are not scored. */
    unlabeled_faces?: boolean;
  }>;
}

export interface PredictedIdentity {
  identity_id: number;
  label?: string | null;
  visible_s: number;
  segments: Array<[number, number]>;
}

export interface PersonScore {
  person: string;
  true_s: number;
  identity_id: number | null;
  /** Scored seconds of the matched identity (its time outside the shots not scored for it). */
  predicted_s: number;
  overlap_s: number;
  abs_error_s: number;
}

export interface Score {
  precision: number;
  recall: number;
  f1: number;
  /** Mean over TRUE people of |predicted - true| seconds. */
  mean_abs_error_s: number;
  max_abs_error_s: number;
  people: PersonScore[];
  /** Predicted identities that matched nobody (false identities, or duplicates of a person). */
  unmatched_identities: number[];
  predicted_total_s: number;
  true_total_s: number;
  /** Predicted identities with at least PERSON_MIN_S of scored time. */
  people_found: number;
  /** True people with screen time. */
  people_real: number;
  /** Scored seconds per predicted identity, in the order given. */
  scored_s: number[];
}

/** An identity counts as a person found when it has at least this much scored time. */
export const PERSON_MIN_S = 1;

type Seg = [number, number];

/** Sorted, non-overlapping union of segments. */
export function unionSegments(segs: ReadonlyArray<readonly [number, number]>): Seg[] {
  const s = segs.filter(([a, b]) => b > a).map(([a, b]) => [a, b] as Seg).sort((x, y) => x[0] - y[0]);
  const out: Seg[] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Total length of the intersection of two segment lists. */
export function overlapSeconds(a: ReadonlyArray<readonly [number, number]>, b: ReadonlyArray<readonly [number, number]>): number {
  const x = unionSegments(a), y = unionSegments(b);
  let i = 0, j = 0, t = 0;
  while (i < x.length && j < y.length) {
    const lo = Math.max(x[i]![0], y[j]![0]);
    const hi = Math.min(x[i]![1], y[j]![1]);
    if (hi > lo) t += hi - lo;
    if (x[i]![1] < y[j]![1]) i++; else j++;
  }
  return t;
}

/** Per true person, the time segments they are on screen. */
export function truthSegments(gt: GroundTruth): Map<string, Seg[]> {
  const m = new Map<string, Seg[]>();
  for (const name of Object.keys(gt.identities)) m.set(name, []);
  for (const s of gt.shots) for (const name of s.identities) {
    let l = m.get(name);
    if (!l) m.set(name, (l = []));
    l.push([s.start_s, s.end_s]);
  }
  for (const [k, v] of m) m.set(k, unionSegments(v));
  return m;
}

/**
 * Maximum-weight assignment on a rows x cols matrix (rectangular allowed). Returns for each row
 * the column assigned, or -1. Hungarian algorithm (Kuhn-Munkres, potentials form), O(n^3).
 */
export function maxWeightAssignment(w: number[][]): number[] {
  const rows = w.length;
  const cols = rows ? w[0]!.length : 0;
  const n = Math.max(rows, cols);
  if (n === 0) return [];
  let maxW = 0;
  for (const r of w) for (const v of r) maxW = Math.max(maxW, v);
  // cost = maxW - weight on a square matrix padded with weight 0
  const cost = (i: number, j: number) => maxW - (i < rows && j < cols ? w[i]![j]! : 0);
  const u = new Float64Array(n + 1), v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1), way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) { minv[j] = cur; way[j] = j0; }
        if (minv[j]! < delta) { delta = minv[j]!; j1 = j; }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) { u[p[j]!]! += delta; v[j]! -= delta; } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do { const j1 = way[j0]!; p[j0] = p[j1]!; j0 = j1; } while (j0);
  }
  const res = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= n; j++) {
    const i = p[j]! - 1;
    if (i >= 0 && i < rows && j - 1 < cols) res[i] = j - 1;
  }
  return res;
}

/** a minus b, both sorted and non-overlapping. */
export function subtractSegments(a: ReadonlyArray<readonly [number, number]>, b: ReadonlyArray<readonly [number, number]>): Seg[] {
  const out: Seg[] = [];
  const cut = unionSegments(b);
  for (const [s0, e0] of unionSegments(a)) {
    let s = s0;
    for (const [cs, ce] of cut) {
      if (ce <= s) continue;
      if (cs >= e0) break;
      if (cs > s) out.push([s, cs]);
      s = Math.max(s, ce);
      if (s >= e0) break;
    }
    if (s < e0) out.push([s, e0]);
  }
  return out;
}

/**
 * The time not scored for an identity matched to `person` (null: matched to nobody): the shots
 * where that person is partial, and the shots with partial people or unlabeled faces where that
 * person is not labelled.
 */
export function unscoredSegments(gt: GroundTruth, person: string | null): Seg[] {
  const out: Seg[] = [];
  for (const s of gt.shots) {
    const labelled = person !== null && s.identities.includes(person);
    if (labelled) continue;
    const partialHere = (s.partial ?? []).length > 0;
    if ((person !== null && (s.partial ?? []).includes(person)) || partialHere || s.unlabeled_faces) out.push([s.start_s, s.end_s]);
  }
  return unionSegments(out);
}

export function scoreScreentime(predicted: readonly PredictedIdentity[], gt: GroundTruth): Score {
  const truth = truthSegments(gt);
  const people = [...truth.keys()].sort();
  const predSegs = predicted.map((p) => unionSegments(p.segments));
  const w = people.map((name) => predSegs.map((s) => overlapSeconds(truth.get(name)!, s)));
  const assign = maxWeightAssignment(w);
  const trueTotal = people.reduce((t, name) => t + total(truth.get(name)!), 0);
  // who each identity is matched to decides which of its time is scored
  const personOf = new Array<string | null>(predicted.length).fill(null);
  people.forEach((name, i) => {
    const j = assign[i]!;
    if (j >= 0 && w[i]![j]! > 0) personOf[j] = name;
  });
  const scored = predSegs.map((segs, j) => subtractSegments(segs, unscoredSegments(gt, personOf[j]!)));
  const scoredS = scored.map(total);
  const predTotal = scoredS.reduce((t, x) => t + x, 0);
  let matched = 0;
  const used = new Set<number>();
  const rows: PersonScore[] = people.map((name, i) => {
    const j = assign[i]!;
    const trueS = gt.identities[name]?.screen_time_s ?? total(truth.get(name)!);
    if (j < 0 || w[i]![j]! <= 0) return { person: name, true_s: trueS, identity_id: null, predicted_s: 0, overlap_s: 0, abs_error_s: trueS };
    used.add(j);
    matched += w[i]![j]!;
    const predS = scoredS[j]!;
    return { person: name, true_s: trueS, identity_id: predicted[j]!.identity_id, predicted_s: predS, overlap_s: w[i]![j]!, abs_error_s: Math.abs(predS - trueS) };
  });
  const precision = predTotal > 0 ? matched / predTotal : 0;
  const recall = trueTotal > 0 ? matched / trueTotal : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const errs = rows.map((r) => r.abs_error_s);
  return {
    precision, recall, f1,
    mean_abs_error_s: errs.length ? errs.reduce((a, b) => a + b, 0) / errs.length : 0,
    max_abs_error_s: errs.length ? Math.max(...errs) : 0,
    people: rows,
    unmatched_identities: predicted.filter((_, j) => !used.has(j)).map((p) => p.identity_id),
    predicted_total_s: predTotal,
    true_total_s: trueTotal,
    people_found: scoredS.filter((x) => x >= PERSON_MIN_S).length,
    people_real: people.filter((name) => total(truth.get(name)!) > 0).length,
    scored_s: scoredS,
  };
}

function total(segs: ReadonlyArray<readonly [number, number]>): number {
  let t = 0;
  for (const [a, b] of segs) t += b - a;
  return t;
}
