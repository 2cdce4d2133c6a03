import { describe, expect, it } from 'vitest';
import { framesToTimecode, frameRateOf, hasDropFrame, nominalFps, rateLabel, secondsToFrame, timecodeToFrames, type FrameRate } from './timecode.js';

const NTSC: FrameRate = { num: 30000, den: 1001 };
const NTSC60: FrameRate = { num: 60000, den: 1001 };
const FILM: FrameRate = { num: 24000, den: 1001 };
const PAL: FrameRate = { num: 25, den: 1 };

describe('frameRateOf', () => {
  it('finds the exact rational behind ffprobe floats and strings', () => {
    expect(frameRateOf(30000 / 1001)).toEqual(NTSC);
    expect(frameRateOf(29.97)).toEqual(NTSC);
    expect(frameRateOf(23.976)).toEqual(FILM);
    expect(frameRateOf(59.94)).toEqual(NTSC60);
    expect(frameRateOf(25)).toEqual(PAL);
    expect(frameRateOf(24.99999)).toEqual(PAL);
    expect(frameRateOf('30000/1001')).toEqual(NTSC);
    expect(frameRateOf('50/2')).toEqual(PAL);
    expect(frameRateOf(12.5)).toEqual({ num: 25, den: 2 });
    expect(() => frameRateOf(0)).toThrow(/frame rate/);
    expect(() => frameRateOf('abc')).toThrow(/frame rate/);
  });
  it('knows which rates count drop-frame and their nominal label rate', () => {
    expect(hasDropFrame(NTSC)).toBe(true);
    expect(hasDropFrame(NTSC60)).toBe(true);
    expect(hasDropFrame(FILM)).toBe(false);
    expect(hasDropFrame(PAL)).toBe(false);
    expect(nominalFps(FILM)).toBe(24);
    expect(nominalFps(NTSC)).toBe(30);
    expect(rateLabel(NTSC)).toBe('29.97');
    expect(rateLabel(FILM)).toBe('23.976');
  });
});

describe('drop-frame timecode at 29.97', () => {
  // Known pairs (SMPTE 12M): labels ;00 and ;01 are skipped at every minute except each tenth.
  const pairs: Array<[number, string]> = [
    [0, '00:00:00;00'],
    [29, '00:00:00;29'],
    [1799, '00:00:59;29'],
    [1800, '00:01:00;02'],
    [1801, '00:01:00;03'],
    [3597, '00:01:59;29'],
    [3598, '00:02:00;02'],
    [17981, '00:09:59;29'],
    [17982, '00:10:00;00'],
    [17983, '00:10:00;01'],
    [19781, '00:10:59;29'],
    [19782, '00:11:00;02'],
    [107892, '01:00:00;00'],
    [2589407, '23:59:59;29'],
  ];
  it.each(pairs)('frame %i is %s and back', (frame, tc) => {
    expect(framesToTimecode(frame, NTSC, true)).toBe(tc);
    expect(timecodeToFrames(tc, NTSC)).toEqual({ frame, dropFrame: true });
  });
  it('wraps after 24 hours', () => {
    expect(framesToTimecode(2589408, NTSC, true)).toBe('00:00:00;00');
  });
  it('refuses labels that drop-frame skips', () => {
    expect(() => timecodeToFrames('00:01:00;00', NTSC)).toThrow(/does not exist/);
    expect(() => timecodeToFrames('00:01:00;01', NTSC)).toThrow(/does not exist/);
    expect(timecodeToFrames('00:10:00;01', NTSC).frame).toBe(17983);
  });
  it('round-trips every frame of the first 21 minutes', () => {
    for (let f = 0; f < 21 * 1800; f++) expect(timecodeToFrames(framesToTimecode(f, NTSC, true), NTSC).frame).toBe(f);
  });
  it('keeps to wall-clock time: one hour of frames is 01:00:00;00 within a frame', () => {
    const frame = secondsToFrame(3600, NTSC);
    expect(frame).toBe(107892);
    expect(framesToTimecode(frame, NTSC, true)).toBe('01:00:00;00');
  });
});

describe('drop-frame timecode at 59.94', () => {
  it('skips four labels a minute', () => {
    expect(framesToTimecode(3599, NTSC60, true)).toBe('00:00:59;59');
    expect(framesToTimecode(3600, NTSC60, true)).toBe('00:01:00;04');
    expect(framesToTimecode(35964, NTSC60, true)).toBe('00:10:00;00');
    expect(framesToTimecode(215784, NTSC60, true)).toBe('01:00:00;00');
    expect(() => timecodeToFrames('00:01:00;03', NTSC60)).toThrow(/does not exist/);
    for (let f = 0; f < 11 * 3600; f += 7) expect(timecodeToFrames(framesToTimecode(f, NTSC60, true), NTSC60).frame).toBe(f);
  });
});

describe('non-drop timecode', () => {
  it('counts 24 labels a second at 23.976 and 25 at 25', () => {
    expect(framesToTimecode(24, FILM)).toBe('00:00:01:00');
    expect(framesToTimecode(86400, FILM)).toBe('01:00:00:00');
    expect(framesToTimecode(1449, PAL)).toBe('00:00:57:24');
    expect(timecodeToFrames('00:00:57:24', PAL)).toEqual({ frame: 1449, dropFrame: false });
    // 29.97 counted non-drop drifts from the clock: 1800 frames are 00:01:00:00, not a minute.
    expect(framesToTimecode(1800, NTSC, false)).toBe('00:01:00:00');
  });
  it('refuses drop-frame where it does not exist and labels out of range', () => {
    expect(() => framesToTimecode(10, PAL, true)).toThrow(/29.97 and 59.94/);
    expect(() => framesToTimecode(10, FILM, true)).toThrow(/23.976/);
    expect(() => timecodeToFrames('00:00:00:25', PAL)).toThrow(/out of range/);
    expect(() => timecodeToFrames('00:61:00:00', PAL)).toThrow(/out of range/);
    expect(() => timecodeToFrames('0:00:00:00', PAL)).toThrow(/not a timecode/);
    expect(() => framesToTimecode(-1, PAL)).toThrow();
    expect(() => framesToTimecode(1.5, PAL)).toThrow();
  });
});

describe('secondsToFrame', () => {
  it('snaps artifact times (frame / fps, rounded to 4 decimals) back to their frame', () => {
    for (const r of [NTSC, NTSC60, FILM, PAL]) {
      for (let f = 0; f < 5000; f += 13) {
        const ts = Math.round(((f * r.den) / r.num) * 1e4) / 1e4;
        expect(secondsToFrame(ts, r)).toBe(f);
        // screentime.json keeps milliseconds
        const ms = Math.round(((f * r.den) / r.num) * 1e3) / 1e3;
        if (r.num / r.den < 500) expect(secondsToFrame(ms, r)).toBe(f);
      }
    }
  });
  it('adds the first frame\'s container time when asked', () => {
    // short_hamilton_clip.mp4's first frame is at 0.852 s in its container
    expect(secondsToFrame(0, PAL, 0.852)).toBe(21);
    expect(secondsToFrame(1, PAL, 0.852)).toBe(46);
    expect(secondsToFrame(0, PAL)).toBe(0);
  });
});
