// Named-time precision and recall: how well the people library names an episode.
//   precision = time given to a name that belongs to that person / all scored time given to names
//   recall    = time given to the right name / labelled time of the people in the library
// Time is a name's union of segments over every identity carrying it (two identities may share a
// name: one person the clustering kept in two). Shots the truth does not score for a name (that
// person only partial there, or unnamed faces in the shot: pipeline/eval/score.ts) are left out of
// that name's time, as for F1. Names are compared case-insensitively.

import { overlapSeconds, subtractSegments, truthSegments, unionSegments, unscoredSegments, type GroundTruth } from './score.js';

export interface NamedIdentity {
  label?: string | null;
  /** Only names from the library count: 'auto' or 'confirmed' (absent: any label counts). */
  match?: string;
  segments: Array<[number, number]>;
}

export interface NamedTimeScore {
  precision: number;
  recall: number;
  /** Scored seconds given to names, and of those to the right person. */
  named_s: number;
  correct_s: number;
  /** Labelled seconds of the enrolled people. */
  enrolled_true_s: number;
  /** Per name: scored seconds, correct seconds, and whether the name is a labelled person at all. */
  names: Array<{ name: string; named_s: number; correct_s: number; in_truth: boolean }>;
}

const total = (segs: ReadonlyArray<readonly [number, number]>) => segs.reduce((t, [a, b]) => t + (b - a), 0);

export function scoreNamedTime(predicted: readonly NamedIdentity[], gt: GroundTruth, enrolled: readonly string[]): NamedTimeScore {
  const truth = truthSegments(gt);
  const truthOf = (name: string) => [...truth.entries()].find(([k]) => k.toLowerCase() === name.toLowerCase());
  const byName = new Map<string, Array<[number, number]>>();
  for (const p of predicted) {
    if (!p.label) continue;
    if (p.match !== undefined && p.match !== 'auto' && p.match !== 'confirmed') continue;
    const k = p.label.toLowerCase();
    byName.set(k, [...(byName.get(k) ?? []), ...p.segments]);
  }
  const names = [...byName.entries()].map(([name, segs]) => {
    const t = truthOf(name);
    const scored = subtractSegments(unionSegments(segs), unscoredSegments(gt, t ? t[0] : null));
    const correct = t ? overlapSeconds(scored, t[1]) : 0;
    return { name, named_s: total(scored), correct_s: correct, in_truth: t !== undefined };
  });
  const named = names.reduce((s, n) => s + n.named_s, 0);
  const correct = names.reduce((s, n) => s + n.correct_s, 0);
  const enrolledTrue = enrolled.reduce((s, e) => s + total(truthOf(e)?.[1] ?? []), 0);
  return {
    precision: named > 0 ? correct / named : 1,
    recall: enrolledTrue > 0 ? correct / enrolledTrue : 1,
    named_s: named,
    correct_s: correct,
    enrolled_true_s: enrolledTrue,
    names,
  };
}
