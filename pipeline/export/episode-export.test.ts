import { describe, expect, it } from 'vitest';
import type { Manifest, ScreentimeFile, VideoFacts } from '../../shared/artifacts.js';
import { parseEdl } from './edl.js';
import { segmentExport, startFrameFor, videoFrameRate } from './episode-export.js';

// The facts ffprobe gives for short_hamilton_clip.mp4: 2997/100 fps, first frame at 0.852 s.
const video: VideoFacts = { file: '/x/short_hamilton_clip.mp4', duration_s: 9.176, fps: 29.97, width: 1280, height: 720, frame_count: 275, start_time_s: 0.852019, codec: 'h264' };
const manifest: Manifest = { schema_version: 1, video, stages: {} };
const st: ScreentimeFile = {
  duration_s: 9.176,
  gap_tolerance_s: 0.5,
  identities: [
    { identity_id: 0, label: 'Lin', visible_s: 4, segments: [[0, 2.0354], [5.005, 9.176]], n_tracks: 2 },
    { identity_id: 1, label: null, visible_s: 1, segments: [[2.0354, 3.0364]], n_tracks: 1 },
  ],
};

describe('videoFrameRate', () => {
  it('labels 29.97 as NTSC whatever the file stores', () => {
    expect(videoFrameRate(video)).toEqual({ num: 30000, den: 1001 });
    expect(videoFrameRate({ ...video, fps_rational: '2997/100' } as VideoFacts)).toEqual({ num: 30000, den: 1001 });
    expect(videoFrameRate({ ...video, fps: 25 })).toEqual({ num: 25, den: 1 });
  });
});

describe('startFrameFor', () => {
  const ntsc = { num: 30000, den: 1001 };
  it('is 0 by default, the container time of the first frame, or a timecode', () => {
    expect(startFrameFor(undefined, video, ntsc)).toBe(0);
    // 0.852019 s x 29.97 = 25.5 frames: the first frame is container frame 26
    expect(startFrameFor('container', video, ntsc)).toBe(26);
    expect(startFrameFor('01:00:00;00', video, ntsc)).toBe(107892);
    expect(() => startFrameFor('01:00', video, ntsc)).toThrow(/not a timecode/);
  });
});

describe('segmentExport', () => {
  it('writes a drop-frame EDL whose events are the segments on frames counted at the file\'s own rate', () => {
    const r = segmentExport(manifest, st, 'Hamilton', { format: 'edl' });
    expect(r.fileName).toBe('Hamilton.edl');
    expect(r.dropFrame).toBe(true);
    const p = parseEdl(r.content, r.rate);
    expect(p.title).toBe('Hamilton');
    expect(p.events.map((e) => [e.recordIn, e.recordOut, e.marker?.name, e.clipName])).toEqual([
      [0, 61, 'Lin', 'short_hamilton_clip.mp4'],
      [61, 91, 'Person 2', 'short_hamilton_clip.mp4'],
      [150, 275, 'Lin', 'short_hamilton_clip.mp4'],
    ]);
  });
  it('shifts to the container clock and keeps one person with --person', () => {
    const r = segmentExport(manifest, st, 'Hamilton', { format: 'edl', person: 'lin', startTc: 'container' });
    expect(r.fileName).toBe('Hamilton-Lin.edl');
    const p = parseEdl(r.content, r.rate);
    expect(p.title).toBe('Hamilton - Lin');
    expect(p.events.map((e) => [e.sourceIn, e.sourceOut])).toEqual([[26, 87], [176, 301]]);
  });
  it('writes the marker CSV', () => {
    const r = segmentExport(manifest, st, 'Hamilton', { format: 'markers-csv', person: 'Person 2' });
    expect(r.fileName).toBe('Hamilton-Person_2-markers.csv');
    expect(r.content.trim().split('\n')[1]).toBe('Person 2,1,,00:00:02;01,00:00:03;01,00:00:01;00,61,91,30,2.035,3.036,29.97');
  });
});
