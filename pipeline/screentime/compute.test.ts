import { describe, expect, it } from 'vitest';
import type { IdentityRow } from '../../shared/artifacts.js';
import { computeScreentime, csvCell, gapToleranceFor, halfStep, mergeSpans, screentimeCsv, trackSpan, type ScreentimeParams } from './compute.js';

const P: ScreentimeParams = { halfStepS: 0.08, gapToleranceS: 0.5, durationS: 20 };
const shots = [
  { shot: 0, start_ts: 0, end_ts: 5 },
  { shot: 1, start_ts: 5, end_ts: 12 },
  { shot: 2, start_ts: 12, end_ts: 20 },
];
const shotMap = new Map(shots.map((s) => [s.shot, s]));

function identity(id: number, track_ids: number[], extra: Partial<IdentityRow> = {}): IdentityRow {
  return { identity_id: id, label: null, track_ids, n_faces: track_ids.length, cohesion: 1, thumb: null, sample_thumbs: [], ignored: false, ...extra };
}

describe('trackSpan', () => {
  it('pads by half a sampling step and clips to the shot and the video', () => {
    expect(halfStep(4, 25)).toBeCloseTo(0.08);
    expect(trackSpan({ first_ts: 1, last_ts: 2, shot: 0 }, shotMap, P)).toEqual({ start: 0.92, end: 2.08, shot: 0 });
    // first sample at the cut: the pad does not leak into the previous shot
    expect(trackSpan({ first_ts: 5, last_ts: 11.96, shot: 1 }, shotMap, P)).toEqual({ start: 5, end: 12, shot: 1 });
    expect(trackSpan({ first_ts: 0, last_ts: 0, shot: 0 }, shotMap, P)).toEqual({ start: 0, end: 0.08, shot: 0 });
    // unknown shot: only the video bounds apply
    const u = trackSpan({ first_ts: 19.96, last_ts: 19.96, shot: 9 }, shotMap, P)!;
    expect(u.start).toBeCloseTo(19.88);
    expect(u.end).toBe(20);
    expect(u.shot).toBe(-1);
    expect(trackSpan({ first_ts: 30, last_ts: 31, shot: 9 }, shotMap, P)).toBeNull();
  });
});

describe('trackSpan at shot edges', () => {
  const framed = new Map([[1, { start_ts: 5, end_ts: 12, start_frame: 125, end_frame: 300 }]]);
  const Q = { ...P, strideFrames: 4 };
  it('snaps to the cut when the track was seen in the first / last analysed frame of its shot', () => {
    // analysed frames 128 (first of the shot) ... 296 (last: 297-299 are not analysed)
    expect(trackSpan({ first_ts: 5.12, last_ts: 11.84, shot: 1, first_frame: 128, last_frame: 296 }, framed, Q)).toEqual({ start: 5, end: 12, shot: 1 });
    // seen only from the second analysed frame on, and lost one analysed frame before the end
    const s = trackSpan({ first_ts: 5.28, last_ts: 11.68, shot: 1, first_frame: 132, last_frame: 292 }, framed, Q)!;
    expect(s.start).toBeCloseTo(5.2);
    expect(s.end).toBeCloseTo(11.76);
    // without the stride no snapping
    expect(trackSpan({ first_ts: 5.12, last_ts: 11.84, shot: 1, first_frame: 128, last_frame: 296 }, framed, P)!.start).toBeCloseTo(5.04);
  });

  it('a face that leaves the frame a few frames before the cut: at most the unobserved frames are over-counted', () => {
    // The face is on screen up to frame 297 (exclusive end 298, 11.92 s) and gone in 298-299; the
    // last analysed frame 296 still sees it. Extending to the cut over-counts 2 frames (0.08 s),
    // never more than stride - 1 frames; stopping at the half step would have under-counted
    // 0.08 s as well, and on every shot where the face does stay to the cut.
    const trueEnd = 298 / 25;
    const s = trackSpan({ first_ts: 5.12, last_ts: 11.84, shot: 1, first_frame: 128, last_frame: 296 }, framed, Q)!;
    expect(s.end).toBe(12);
    expect(s.end - trueEnd).toBeCloseTo(0.08, 5);
    expect(s.end - trueEnd).toBeLessThanOrEqual((Q.strideFrames - 1) / 25 + 1e-9);
    // gone before the last analysed frame: no extension, the half step applies
    const gone = trackSpan({ first_ts: 5.12, last_ts: 11.68, shot: 1, first_frame: 128, last_frame: 292 }, framed, Q)!;
    expect(gone.end).toBeCloseTo(11.76);
  });
});

describe('mergeSpans', () => {
  it('joins overlaps, bridges small gaps in one shot only, keeps big gaps', () => {
    expect(mergeSpans([
      { start: 0, end: 1, shot: 0 },
      { start: 0.5, end: 2, shot: 0 },
      { start: 2.3, end: 3, shot: 0 }, // gap 0.3 same shot: bridged
      { start: 4, end: 5, shot: 0 }, // gap 1.0: kept
      { start: 5, end: 6, shot: 1 }, // touches across the cut: joined (continuous on screen)
      { start: 6.2, end: 7, shot: 2 }, // gap 0.2 across a cut: kept
    ], 0.5)).toEqual([[0, 3], [4, 6], [6.2, 7]]);
    expect(mergeSpans([], 0.5)).toEqual([]);
  });
});

describe('computeScreentime', () => {
  it('sums the union per identity, skips ignored identities and unknown tracks, sorts longest first', () => {
    const tracks = [
      { track_id: 1, first_ts: 1, last_ts: 2, shot: 0 },
      { track_id: 2, first_ts: 1.5, last_ts: 3, shot: 0 }, // overlaps track 1 (two faces of one person? still counted once)
      { track_id: 3, first_ts: 13, last_ts: 19, shot: 2 },
      { track_id: 4, first_ts: 6, last_ts: 7, shot: 1 },
    ];
    const st = computeScreentime([identity(0, [1, 2, 99]), identity(1, [3]), identity(2, [4], { ignored: true })], tracks, shots, P);
    expect(st.identities.map((r) => r.identity_id)).toEqual([1, 0]);
    expect(st.identities[1]!.visible_s).toBeCloseTo(3.08 - 0.92);
    expect(st.identities[1]!.segments).toEqual([[0.92, 3.08]]);
    expect(st.identities[1]!.n_tracks).toBe(3);
    expect(st.identities[0]!.visible_s).toBeCloseTo(6.16);
    expect(st.gap_tolerance_s).toBe(0.5);
    for (const r of st.identities) expect(r.visible_s).toBeLessThanOrEqual(st.duration_s);
  });
});

describe('gapToleranceFor', () => {
  it('is 0.5 s at fine strides and two sampling intervals at coarse ones', () => {
    expect(gapToleranceFor(4, 25)).toBe(0.5);
    expect(gapToleranceFor(8, 25)).toBe(0.64);
    expect(gapToleranceFor(1, 0)).toBe(0.5);
  });
});

describe('rounding', () => {
  it('never reports past the end of the video', () => {
    const st = computeScreentime([identity(0, [1])], [{ track_id: 1, first_ts: 8, last_ts: 9.17, shot: 0 }], [{ shot: 0, start_ts: 0, end_ts: 9.175844 }], { halfStepS: 0.05, gapToleranceS: 0.5, durationS: 9.175844 });
    const r = st.identities[0]!;
    expect(r.segments[0]![1]).toBeLessThanOrEqual(9.175844);
    expect(r.visible_s).toBeLessThanOrEqual(st.duration_s);
    expect(st.duration_s).toBe(9.175844);
  });
});

describe('screentime.csv', () => {
  it('writes a header and one row per identity, escaping labels', () => {
    const csv = screentimeCsv({
      duration_s: 10, gap_tolerance_s: 0.5,
      identities: [
        { identity_id: 3, label: 'Smith, "Jo"', visible_s: 2.5, segments: [[0, 1], [2, 3.5]], n_tracks: 2 },
        { identity_id: 4, label: null, visible_s: 0, segments: [], n_tracks: 1 },
      ],
    });
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('identity_id,label,visible_s,n_tracks,n_segments,first_seen_s,last_seen_s,segments');
    expect(lines[1]).toBe('3,"Smith, ""Jo""",2.500,2,2,0.000,3.500,0.000-1.000;2.000-3.500');
    expect(lines[2]).toBe('4,,0.000,1,0,,,');
    expect(csvCell('=cmd()')).toBe("'=cmd()");
    expect(csvCell(-1.5)).toBe('-1.5');
  });
});
