// From screentime.json to frame-accurate per-person segments, and the marker CSV.
// Pure: the caller reads the files (pipeline/export/episode-export.ts).

import type { ScreentimeFile, ScreentimeIdentity } from '../../shared/artifacts.js';
import { csvCell } from '../screentime/compute.js';
import type { EdlSegment } from './edl.js';
import { framesToTimecode, frameToSeconds, hasDropFrame, secondsToFrame, type Fps, type FrameRate } from './timecode.js';

/** A person's name as the window shows it: the label, else "Person <id + 1>". */
export function personName(label: string | null | undefined, identityId: number): string {
  return label && label.trim() ? label.trim() : `Person ${identityId + 1}`;
}

/** The people library's id on a screentime row, when a library set one (absent in older files). */
export function personIdOf(row: ScreentimeIdentity): string | null {
  const v = (row as ScreentimeIdentity & { person_id?: unknown }).person_id;
  return typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null;
}

export interface PersonSegment extends EdlSegment {
  identityId: number;
  personId: string | null;
  /** Seconds as in screentime.json, before snapping. */
  startS: number;
  endS: number;
}

/**
 * Picks the rows `person` names: a name (case-insensitive, "Person 3" included), a person_id,
 * or an identity id ("#2"). Throws with the names there are when nothing matches.
 */
export function selectPeople(file: ScreentimeFile, person?: string): ScreentimeIdentity[] {
  if (person === undefined) return file.identities;
  const want = person.trim().toLowerCase();
  const hit = file.identities.filter(
    (r) => personName(r.label, r.identity_id).toLowerCase() === want || personIdOf(r)?.toLowerCase() === want || `#${r.identity_id}` === want,
  );
  if (hit.length === 0) {
    const names = file.identities.map((r) => personName(r.label, r.identity_id));
    throw new Error(`no person "${person}" in this episode (people: ${names.join(', ') || 'none'})`);
  }
  return hit;
}

/**
 * Every segment of the chosen people on frames: in = the frame the start falls on, out = the
 * frame the end falls on (exclusive), both counted from the first decoded frame. Colours follow
 * the order of screentime.json (longest screen time first), so a person keeps one colour.
 */
export function segmentsOnFrames(file: ScreentimeFile, fps: Fps, person?: string): PersonSegment[] {
  const chosen = new Set(selectPeople(file, person));
  const out: PersonSegment[] = [];
  file.identities.forEach((row, rank) => {
    if (!chosen.has(row)) return;
    for (const [s, e] of row.segments) {
      const startFrame = secondsToFrame(s, fps);
      const endFrame = secondsToFrame(e, fps);
      if (endFrame <= startFrame) continue; // shorter than half a frame: nothing to mark
      out.push({ name: personName(row.label, row.identity_id), identityId: row.identity_id, personId: personIdOf(row), startFrame, endFrame, colour: rank, startS: s, endS: e });
    }
  });
  return out.sort((a, b) => a.startFrame - b.startFrame || a.identityId - b.identityId);
}

export const MARKER_CSV_HEADER = ['person', 'identity_id', 'person_id', 'start_tc', 'end_tc', 'duration_tc', 'start_frame', 'end_frame', 'duration_frames', 'start_s', 'end_s', 'fps'] as const;

/**
 * One row per segment: timecodes (drop-frame at 29.97 / 59.94) for editors, frames and seconds
 * for scripts. end_* is exclusive, like a CMX3600 out point. `startFrame`: timecode of frame 0;
 * `fps`: the rate frames were counted at (default the timecode rate).
 */
export function markersCsv(segments: readonly PersonSegment[], rate: FrameRate, opts: { dropFrame?: boolean; startFrame?: number; fps?: Fps } = {}): string {
  const fpsOf = opts.fps ?? rate;
  const df = opts.dropFrame ?? hasDropFrame(rate);
  const base = opts.startFrame ?? 0;
  const tc = (f: number) => framesToTimecode(f, rate, df);
  const fps = typeof fpsOf === 'number' ? String(fpsOf) : `${fpsOf.num}/${fpsOf.den}`;
  const lines = [MARKER_CSV_HEADER.join(',')];
  for (const s of segments) {
    const frames = s.endFrame - s.startFrame;
    lines.push([
      csvCell(s.name), csvCell(s.identityId), csvCell(s.personId), csvCell(tc(base + s.startFrame)), csvCell(tc(base + s.endFrame)), csvCell(tc(frames)),
      csvCell(s.startFrame), csvCell(s.endFrame), csvCell(frames), csvCell(frameToSeconds(s.startFrame, fpsOf).toFixed(3)), csvCell(frameToSeconds(s.endFrame, fpsOf).toFixed(3)), csvCell(fps),
    ].join(','));
  }
  return lines.join('\n') + '\n';
}
