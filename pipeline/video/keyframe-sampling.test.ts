import { describe, it, expect } from 'vitest';
import { FrameDecoder } from './decode.js';
import { probeFrameLayout } from './frame-types.js';
import { InOrderPairs, parseShowinfo, selectDue, selectDueExpr } from './keyframe-sampling.js';
import { H264_FIXED_B, makeVideo, RAMP_SOURCE } from '../../test-support/make-video.js';

const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('due-time selection', () => {
  const frame = 1 / 25;
  it('keeps the target rate on I/P frames three apart, and every keyframe', () => {
    // P every 3rd frame, an I every 30th; target one frame in 4.
    const frames = Array.from({ length: 100 }, (_, i) => ({ t: i * 3 * frame, key: (i * 3) % 30 === 0 }));
    const picked = selectDue(frames, 4 * frame, frame);
    const span = frames[frames.length - 1]!.t;
    expect(picked.length).toBeGreaterThanOrEqual(Math.floor(span / (4 * frame)));
    expect(picked.length).toBeLessThanOrEqual(Math.ceil(span / (4 * frame)) + 10);
    for (const f of frames) if (f.key) expect(picked).toContain(f.t);
    const gaps = picked.slice(1).map((t, i) => Math.round((t - picked[i]!) / frame));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(6);
  });

  it('restarts the schedule from a keyframe taken early', () => {
    // I/P every 3 frames, a keyframe at 13 (a cut, the encoder started a new GOP there) three
    // frames before its due time 16; continuing the old schedule would skip 16 and 19 (a gap of 9).
    const at = [0, 3, 6, 9, 12, 13, 16, 19, 22, 25];
    const picked = selectDue(at.map((f) => ({ t: f * frame, key: f === 13 })), 4 * frame, frame).map((t) => Math.round(t / frame));
    expect(picked).toEqual([0, 6, 9, 12, 13, 19, 22, 25]);
  });

  it('takes every frame when the frames are sparser than the target', () => {
    const frames = Array.from({ length: 20 }, (_, i) => ({ t: i * 8 * frame, key: false }));
    expect(selectDue(frames, 4 * frame, frame)).toHaveLength(20);
  });

  it('writes the schedule as an escaped ffmpeg select expression', () => {
    expect(selectDueExpr(0.16, 0.04)).toBe('if(gte(t\\,ld(0)-0.020000)\\,st(0\\,max(ld(0)+0.160000\\,t+0.160000/2))\\,if(key\\,st(0\\,t+0.160000)\\,0))');
  });
});

describe('showinfo lines', () => {
  it('reads filter, frame number and pts from ffmpeg 4 and 5 lines; ignores the rest', () => {
    expect(parseShowinfo('[Parsed_showinfo_4 @ 0x55e6f4729480] n:   1 pts:   1536 pts_time:0.12    pos:    97117 fmt:gray s:32x18 i:P iskey:0 type:P checksum:400FD577')).toEqual({ filter: 4, n: 1, pts: 1536 });
    expect(parseShowinfo('[Parsed_showinfo_8 @ 0x1f0] n:  12 pts:  -1024 pts_time:-0.08 pos:1 fmt:bgr24')).toEqual({ filter: 8, n: 12, pts: -1024 });
    expect(parseShowinfo('[Parsed_showinfo_4 @ 0x5615a0744180] color_range:unknown color_space:unknown')).toBeNull();
    expect(parseShowinfo('frame=  363 fps=110 q=-0.0 size=  245025kB')).toBeNull();
  });

  it('pairs frames with timestamps whichever arrives first', () => {
    const got: string[] = [];
    const p = new InOrderPairs<string, number>((a, b) => got.push(`${a}@${b}`));
    p.pushA('x'); p.pushB(3); p.pushB(5); p.pushB(8); p.pushA('y'); p.pushA('z');
    expect(got).toEqual(['x@3', 'y@5', 'z@8']);
  });
});

describe('decoding the referenced frames only (real ffmpeg)', () => {
  it('gives every decoded and analysed frame its exact source index', async () => {
    const file = await makeVideo('ramp-b.mp4', [...RAMP_SOURCE, ...H264_FIXED_B, '-crf', '10', '-g', '24']);
    const layout = (await probeFrameLayout(file))!;
    expect(layout.reordered).toBe(true);
    // Reference: every frame, stride path, thumbnails by index.
    const ref: number[] = [];
    for await (const f of new FrameDecoder({ videoPath: file, width: 64, height: 36, stride: 1, decoderThreads: 1, onTiny: (i, g) => { ref[i] = mean(g); } }).frames()) void f;
    expect(ref).toHaveLength(50);

    const thumbs: Array<[number, number]> = [];
    const analysed: Array<[number, number]> = [];
    const dec = new FrameDecoder({
      videoPath: file, width: 64, height: 36, stride: 4, decoderThreads: 1,
      decodable: { layout, stepSeconds: 4 / 25, frameSeconds: 1 / 25 },
      onTiny: (i, g) => thumbs.push([i, mean(g)]),
    });
    for await (const f of dec.frames()) {
      // bgr24 of a flat gray frame: every channel is the luma, so the mean is that frame's.
      analysed.push([f.frameIdx, mean(f.data)]);
    }
    // B-frames were skipped: about one frame in three decoded.
    expect(thumbs.length).toBeGreaterThan(12);
    expect(thumbs.length).toBeLessThan(30);
    for (const [i, m] of thumbs) expect(Math.abs(m - ref[i]!)).toBeLessThan(1.5);
    // Neighbouring frames differ by ~4 gray levels, so a wrong index would show.
    expect(Math.abs(ref[1]! - ref[0]!)).toBeGreaterThan(3);
    const idx = analysed.map(([i]) => i);
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(idx).toContain(0);
    expect(idx).toContain(24);
    expect(analysed.length).toBeGreaterThanOrEqual(10);
    expect(analysed.length).toBeLessThanOrEqual(16);
    for (const [i, m] of analysed) {
      expect(thumbs.map(([t]) => t)).toContain(i);
      expect(Math.abs(m - ref[i]!)).toBeLessThan(1.5);
    }
    expect(dec.lastFrameIdx).toBe(thumbs[thumbs.length - 1]![0]);
  }, 60_000);
});
