// Where a person's missed seconds go: their labelled time that the identity matched to them
// (pipeline/eval/score.ts) does not cover, split by cause. Labels are per shot (a listed person
// counts for the whole shot), so every missed piece lies inside a shot where the person is listed.
// Each piece is explained by the first cause that covers it, in this order:
//   extra_identity  a track of an identity matched to nobody covers it;
//   wrong_identity  a track of an identity matched to another person, not listed in this shot,
//                   covers it (tracks of people listed in the shot are theirs, not candidates);
//   unsure          a track left unsure by the cluster stage covers it (after the two above: in
//                   a shot with several people, an unsure track is more often one of the partial
//                   ones, a profile or a back, than the listed person an identity already holds);
//   no_faces        a track with no embedded face (no prototype) covers it;
//   span_start / span_end / span_gap
//                   the person's identity has tracks in the shot, but the piece lies before the
//                   first one starts, after the last one ends, or between two of them;
//   no_track        the person's identity has no track in the shot and nothing above covers it
//                   (no face detected, or detections never confirmed into a track, or the track
//                   is somewhere else entirely).
// In shots with several people a candidate track may belong to another listed person who is also
// missed; the per-track details name every track so a reader can look.

import { overlapSeconds, subtractSegments, unionSegments, type GroundTruth } from './score.js';

export const MISSED_CAUSES = ['extra_identity', 'wrong_identity', 'unsure', 'no_faces', 'span_start', 'span_end', 'span_gap', 'no_track'] as const;
export type MissedCause = (typeof MISSED_CAUSES)[number];

type Seg = [number, number];

/** Pieces shorter than this are rounding (segments are stored to the millisecond), not misses. */
export const MIN_PIECE_S = 0.005;

export interface TrackFacts {
  track_id: number;
  /** The track's screen-time span (pipeline/screentime/compute.ts trackSpan), or null when empty. */
  span: readonly [number, number] | null;
  /** Identity holding the track, or null. */
  identity_id: number | null;
  unsure: boolean;
  /** The track has a prototype (at least one embedded face). */
  has_faces: boolean;
}

export interface MissedPiece {
  person: string;
  shot: number;
  cause: MissedCause;
  seconds: number;
  /** Tracks whose span explains the piece (candidate causes only). */
  track_ids: number[];
}

export interface MissedTimeInput {
  gt: GroundTruth;
  /** Person -> identity matched to them (null: none). */
  matched: ReadonlyMap<string, number | null>;
  /** Identity -> its screen-time segments. */
  segments: ReadonlyMap<number, ReadonlyArray<readonly [number, number]>>;
  tracks: readonly TrackFacts[];
}

const length = (segs: ReadonlyArray<readonly [number, number]>) => segs.reduce((t, [a, b]) => t + (b - a), 0);
const clip = (segs: ReadonlyArray<readonly [number, number]>, lo: number, hi: number): Seg[] =>
  segs.map(([a, b]) => [Math.max(a, lo), Math.min(b, hi)] as Seg).filter(([a, b]) => b > a);

/** Every missed piece of every labelled person, one row per (person, shot, cause) with time. */
export function missedPieces(input: MissedTimeInput): MissedPiece[] {
  const { gt, matched, segments, tracks } = input;
  const personOfIdentity = new Map<number, string>();
  for (const [p, id] of matched) if (id !== null) personOfIdentity.set(id, p);
  const out: MissedPiece[] = [];
  for (const shot of gt.shots) {
    for (const person of shot.identities) {
      const id = matched.get(person) ?? null;
      let missing = subtractSegments([[shot.start_s, shot.end_s]], id === null ? [] : segments.get(id) ?? []);
      if (length(missing) <= MIN_PIECE_S) continue;
      const inShot = tracks.filter((t) => t.span && t.span[1] > shot.start_s && t.span[0] < shot.end_s);
      const candidate = (t: TrackFacts): MissedCause | null => {
        if (t.identity_id !== null && t.identity_id === id) return null;
        if (t.unsure) return 'unsure';
        if (t.identity_id !== null) {
          const owner = personOfIdentity.get(t.identity_id);
          if (owner === undefined) return 'extra_identity';
          return shot.identities.includes(owner) ? null : 'wrong_identity';
        }
        return t.has_faces ? null : 'no_faces';
      };
      for (const cause of ['extra_identity', 'wrong_identity', 'unsure', 'no_faces'] as const) {
        const ts = inShot.filter((t) => candidate(t) === cause);
        const covered = unionSegments(ts.map((t) => t.span!));
        const s = overlapSeconds(missing, covered);
        if (s <= MIN_PIECE_S) continue;
        const used = ts.filter((t) => overlapSeconds(missing, [t.span!]) > MIN_PIECE_S).map((t) => t.track_id);
        out.push({ person, shot: shot.index, cause, seconds: s, track_ids: used });
        missing = subtractSegments(missing, covered);
      }
      const own = clip(unionSegments(inShot.filter((t) => id !== null && t.identity_id === id).map((t) => t.span!)), shot.start_s, shot.end_s);
      const add = (cause: MissedCause, segs: Seg[]) => {
        const s = length(segs);
        if (s > MIN_PIECE_S) out.push({ person, shot: shot.index, cause, seconds: s, track_ids: [] });
      };
      if (own.length === 0) {
        add('no_track', missing);
        continue;
      }
      const first = own[0]![0], last = own[own.length - 1]![1];
      add('span_start', clip(missing, -Infinity, first));
      add('span_end', clip(missing, last, Infinity));
      add('span_gap', clip(missing, first, last));
    }
  }
  return out;
}

/** Seconds per person and cause (every cause present, 0 when none). */
export function missedByCause(pieces: readonly MissedPiece[]): Map<string, Record<MissedCause, number>> {
  const out = new Map<string, Record<MissedCause, number>>();
  for (const p of pieces) {
    let row = out.get(p.person);
    if (!row) out.set(p.person, (row = Object.fromEntries(MISSED_CAUSES.map((c) => [c, 0])) as Record<MissedCause, number>));
    row[p.cause] += p.seconds;
  }
  return out;
}
