// Who each track is, read off shot-level ground truth, for measuring embedding distances between
// tracks of the same and of different people. Only unambiguous cases get a label: a shot with
// partial people or unlabeled faces labels nothing (a track there may be one of them); a shot
// with one labelled person gives that person to every track in it; a shot with k people listed
// left to right gives them to its tracks by horizontal position (split at the k-1 widest gaps),
// when it holds at least k tracks.

import type { GroundTruth } from './score.js';

export interface TrackPlace {
  track_id: number;
  first_ts: number;
  last_ts: number;
  /** Mean horizontal centre of the track's boxes (any unit, same for all tracks). */
  mean_x: number;
}

export function labelTracks(tracks: readonly TrackPlace[], gt: GroundTruth): Map<number, string> {
  const byShot = new Map<number, TrackPlace[]>();
  for (const t of tracks) {
    const mid = (t.first_ts + t.last_ts) / 2;
    const shot = gt.shots.find((s) => mid >= s.start_s && mid < s.end_s);
    if (!shot) continue;
    let l = byShot.get(shot.index);
    if (!l) byShot.set(shot.index, (l = []));
    l.push(t);
  }
  const out = new Map<number, string>();
  for (const [index, ts] of byShot) {
    const shot = gt.shots.find((s) => s.index === index)!;
    const k = shot.identities.length;
    if (k === 0 || (shot.partial ?? []).length > 0 || shot.unlabeled_faces) continue;
    if (k === 1) {
      for (const t of ts) out.set(t.track_id, shot.identities[0]!);
      continue;
    }
    if (ts.length < k) continue;
    const sorted = [...ts].sort((a, b) => a.mean_x - b.mean_x);
    const cuts = new Set(
      sorted.slice(1)
        .map((t, i) => ({ i, gap: t.mean_x - sorted[i]!.mean_x }))
        .sort((a, b) => b.gap - a.gap)
        .slice(0, k - 1)
        .map((g) => g.i),
    );
    let person = 0;
    sorted.forEach((t, i) => {
      out.set(t.track_id, shot.identities[person]!);
      if (cuts.has(i)) person++;
    });
  }
  return out;
}
