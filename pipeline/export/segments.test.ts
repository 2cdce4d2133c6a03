import { describe, expect, it } from 'vitest';
import type { ScreentimeFile } from '../../shared/artifacts.js';
import { MARKER_CSV_HEADER, markersCsv, personName, segmentsOnFrames, selectPeople } from './segments.js';

const PAL = { num: 25, den: 1 };
const NTSC = { num: 30000, den: 1001 };

const file: ScreentimeFile = {
  duration_s: 60,
  gap_tolerance_s: 0.5,
  identities: [
    { identity_id: 0, label: 'Obama', visible_s: 7.2, segments: [[0, 3.2], [54.4, 58]], n_tracks: 2 },
    { identity_id: 3, label: null, visible_s: 3.4, segments: [[3.2, 6.6]], n_tracks: 1 },
    { identity_id: 5, label: 'Rose', visible_s: 0.01, segments: [[10, 10.01]], n_tracks: 1 },
  ],
};

describe('personName', () => {
  it('is the label, else Person <id + 1> as the window shows it', () => {
    expect(personName('  Ann ', 0)).toBe('Ann');
    expect(personName(null, 3)).toBe('Person 4');
    expect(personName(' ', 0)).toBe('Person 1');
  });
});

describe('selectPeople', () => {
  it('finds people by shown name, person id or #identity id', () => {
    expect(selectPeople(file).length).toBe(3);
    expect(selectPeople(file, 'obama').map((r) => r.identity_id)).toEqual([0]);
    expect(selectPeople(file, 'Person 4').map((r) => r.identity_id)).toEqual([3]);
    expect(selectPeople(file, '#5').map((r) => r.identity_id)).toEqual([5]);
    const withId: ScreentimeFile = { ...file, identities: [{ ...file.identities[0]!, person_id: 'p-17' } as ScreentimeFile['identities'][number]] };
    expect(selectPeople(withId, 'P-17').length).toBe(1);
    expect(() => selectPeople(file, 'Nobody')).toThrow(/no person "Nobody".*Obama, Person 4, Rose/);
  });
});

describe('segmentsOnFrames', () => {
  it('snaps every segment to frames, sorted by in point, colour by rank', () => {
    const s = segmentsOnFrames(file, PAL);
    expect(s.map((x) => [x.name, x.startFrame, x.endFrame, x.colour])).toEqual([
      ['Obama', 0, 80, 0],
      ['Person 4', 80, 165, 1],
      ['Obama', 1360, 1450, 0],
    ]);
  });
  it('drops a segment shorter than half a frame and snaps NTSC times to the frame they start', () => {
    expect(segmentsOnFrames(file, PAL, 'Rose')).toEqual([]);
    const ntsc: ScreentimeFile = { ...file, identities: [{ identity_id: 1, label: 'A', visible_s: 1, segments: [[60.06, 61.061]], n_tracks: 1 }] };
    expect(segmentsOnFrames(ntsc, NTSC).map((x) => [x.startFrame, x.endFrame])).toEqual([[1800, 1830]]);
  });
});

describe('markersCsv', () => {
  it('writes timecodes, frames and frame-exact seconds per segment', () => {
    const csv = markersCsv(segmentsOnFrames(file, NTSC, 'Obama'), NTSC).trim().split('\n');
    expect(csv[0]).toBe(MARKER_CSV_HEADER.join(','));
    expect(csv[1]).toBe('Obama,0,,00:00:00;00,00:00:03;06,00:00:03;06,0,96,96,0.000,3.203,30000/1001');
    expect(csv[2]).toBe('Obama,0,,00:00:54;10,00:00:57;28,00:00:03;18,1630,1738,108,54.388,57.991,30000/1001');
  });
  it('adds the start timecode to in and out, not to the duration', () => {
    const csv = markersCsv(segmentsOnFrames(file, PAL, 'Person 4'), PAL, { startFrame: 90000 }).trim().split('\n');
    expect(csv[1]).toBe('Person 4,3,,01:00:03:05,01:00:06:15,00:00:03:10,80,165,85,3.200,6.600,25/1');
  });
});
