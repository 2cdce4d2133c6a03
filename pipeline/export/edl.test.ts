import { describe, expect, it } from 'vitest';
import { parseEdl, reelName, writeEdl, type EdlSegment } from './edl.js';
import type { FrameRate } from './timecode.js';

const NTSC: FrameRate = { num: 30000, den: 1001 };
const PAL: FrameRate = { num: 25, den: 1 };

const segs: EdlSegment[] = [
  { name: 'Obama', startFrame: 1350, endFrame: 1450, colour: 0 },
  { name: 'Obama', startFrame: 0, endFrame: 80, colour: 0 },
  { name: 'Rose | Leslie\nwith a line break', startFrame: 80, endFrame: 165, colour: 1 },
];

describe('writeEdl', () => {
  it('writes TITLE, FCM and one cut event per segment in record order, with comments editors read', () => {
    const edl = writeEdl(segs, { title: 'Episode GT', rate: PAL, clipName: 'episode_gt.mp4' });
    const lines = edl.split('\r\n');
    expect(lines[0]).toBe('TITLE: Episode GT');
    expect(lines[1]).toBe('FCM: NON-DROP FRAME');
    expect(lines[3]).toBe('001  AX       V     C        00:00:00:00 00:00:03:05 00:00:00:00 00:00:03:05');
    expect(lines[4]).toBe('* FROM CLIP NAME: episode_gt.mp4');
    expect(lines[5]).toBe('* LOC: 00:00:00:00 BLUE    Obama');
    expect(lines[6]).toBe(' |C:ResolveColorBlue |M:Obama |D:80');
    expect(edl).toContain('002  AX       V     C        00:00:03:05 00:00:06:15');
    // '|' and line breaks would break Resolve's marker fields and the list's lines
    expect(edl).toContain('|M:Rose Leslie with a line break |D:85');
    expect(edl).toContain('003  AX       V     C        00:00:54:00 00:00:58:00');
  });
  it('uses drop-frame at 29.97 unless told otherwise', () => {
    const s = [{ name: 'A', startFrame: 1800, endFrame: 17982 }];
    expect(writeEdl(s, { title: 't', rate: NTSC, clipName: 'a.mov' })).toContain('FCM: DROP FRAME\r\n\r\n001  AX       V     C        00:01:00;02 00:10:00;00 00:01:00;02 00:10:00;00');
    expect(writeEdl(s, { title: 't', rate: NTSC, clipName: 'a.mov', dropFrame: false })).toContain('00:01:00:00 00:09:59:12');
  });
  it('offsets every timecode by the start timecode of the first frame', () => {
    const edl = writeEdl([{ name: 'A', startFrame: 0, endFrame: 25 }], { title: 't', rate: PAL, clipName: 'a.mp4', startFrame: 90000 });
    expect(edl).toContain('01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00');
  });
  it('leaves out empty segments', () => {
    expect(parseEdl(writeEdl([{ name: 'A', startFrame: 5, endFrame: 5 }], { title: 't', rate: PAL, clipName: 'a' }), PAL).events).toEqual([]);
  });
  it('makes reel names CMX3600 accepts', () => {
    expect(reelName('episode_gt.mp4')).toBe('EPISODE_');
    expect(reelName('---')).toBe('AX');
  });
});

describe('parseEdl', () => {
  it('reads back what writeEdl wrote, to the frame', () => {
    for (const rate of [PAL, NTSC]) {
      const edl = writeEdl(segs, { title: 'Show', rate, clipName: 'ep.mp4', startFrame: 3600 });
      const p = parseEdl(edl, rate);
      expect(p.title).toBe('Show');
      expect(p.dropFrame).toBe(rate === NTSC);
      expect(p.events.map((e) => e.number)).toEqual([1, 2, 3]);
      const sorted = [...segs].sort((a, b) => a.startFrame - b.startFrame);
      p.events.forEach((e, i) => {
        const s = sorted[i]!;
        expect([e.sourceIn, e.sourceOut, e.recordIn, e.recordOut]).toEqual([s.startFrame + 3600, s.endFrame + 3600, s.startFrame + 3600, s.endFrame + 3600]);
        expect(e.reel).toBe('AX');
        expect(e.track).toBe('V');
        expect(e.transition).toBe('C');
        expect(e.clipName).toBe('ep.mp4');
        expect(e.locator!.frame).toBe(s.startFrame + 3600);
        expect(e.marker!.durationFrames).toBe(s.endFrame - s.startFrame);
        expect(e.marker!.name).toBe(e.locator!.text);
      });
      expect(p.events[0]!.marker).toEqual({ colour: 'ResolveColorBlue', name: 'Obama', durationFrames: 80 });
    }
  });
  it('reads a list written by another tool (dissolve, no comments, LF line ends)', () => {
    const text = ['TITLE: Pool Shark Edit', 'FCM: NON-DROP FRAME', '001  REEL_ONE V     C        10:59:23:01 10:59:28:16 01:00:00:00 01:00:05:15', '002  REEL_ONE V     D    025 11:39:48:15 11:39:51:13 01:00:05:15 01:00:08:13', '* a note'].join('\n');
    const p = parseEdl(text, { num: 24, den: 1 });
    expect(p.events).toHaveLength(2);
    expect(p.events[1]!.transition).toBe('D');
    expect(p.events[1]!.comments).toEqual(['a note']);
    expect(p.events[0]!.recordOut - p.events[0]!.recordIn).toBe(5 * 24 + 15);
  });
  it('fails on a malformed line, naming it', () => {
    expect(() => parseEdl('TITLE: x\nFCM: NON-DROP FRAME\n001  AX V C 00:00:00:00 00:00:01:00 00:00:00:00\n', PAL)).toThrow(/line 3/);
    expect(() => parseEdl('FCM: DROP FRAME\n001  AX V C 00:01:00;00 00:01:01;00 00:01:00;00 00:01:01;00\n', NTSC)).toThrow(/line 2: .*does not exist/);
    expect(() => parseEdl('FCM: HALF FRAME\n', PAL)).toThrow(/FCM/);
    expect(() => parseEdl('001  AX V C 00:00:02:00 00:00:01:00 00:00:02:00 00:00:01:00\n', PAL)).toThrow(/before in point/);
  });
});
