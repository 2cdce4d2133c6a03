import { describe, it, expect } from 'vitest';
import { frameIndexOfPts, parsePacketCsv, probeFrameLayout, samplingFor } from './frame-types.js';
import { H264_FIXED_B, makeVideo } from '../../test-support/make-video.js';

// I0 P3 B1 B2 P6 B4 B5 in decode order (pts in units of 512, time base 1/12800 = 25 fps).
const IBBP = ['stream,1/12800', 'packet,0,K_', 'packet,1536,__', 'packet,512,__', 'packet,1024,__', 'packet,3072,__', 'packet,2048,__', 'packet,2560,__'].join('\n');

describe('packet list parsing', () => {
  it('orders frames by pts, finds keyframes and B-frames, reads the time base', () => {
    const l = parsePacketCsv(IBBP);
    expect(Array.from(l.pts)).toEqual([0, 512, 1024, 1536, 2048, 2560, 3072]);
    expect(l.keyframes).toEqual([0]);
    expect(l.reordered).toBe(true);
    expect(l.bFrames).toBe(4);
    expect(l.ptsComplete).toBe(true);
    expect(l.timeBase).toBeCloseTo(1 / 12800, 12);
  });

  it('maps a pts to its exact frame index, and a rounded one to the nearest', () => {
    const l = parsePacketCsv(IBBP);
    expect(frameIndexOfPts(l, 1536)).toBe(3);
    expect(frameIndexOfPts(l, 3072)).toBe(6);
    expect(frameIndexOfPts(l, 1530)).toBe(3);
    expect(frameIndexOfPts(l, 1800)).toBe(4);
    expect(frameIndexOfPts(l, 0)).toBe(0);
  });

  it('keeps the stride path where skipping B-frames cannot work or gains nothing', () => {
    const inOrder = parsePacketCsv('stream,1/25\npacket,0,K_\npacket,1,__\npacket,2,__');
    expect(inOrder.reordered).toBe(false);
    expect(samplingFor('decodable', inOrder)).toEqual({ sampling: 'stride', why: 'no B-frames' });
    const avi = parsePacketCsv('stream,125/2997\npacket,N/A,K_\npacket,N/A,__\npacket,2,__');
    expect(samplingFor('decodable', avi).why).toBe('packets without timestamps');
    expect(samplingFor('decodable', null).sampling).toBe('stride');
    expect(samplingFor('stride', parsePacketCsv(IBBP)).sampling).toBe('stride');
    expect(samplingFor('decodable', parsePacketCsv(IBBP)).sampling).toBe('decodable');
  });
});

describe('frame layout of real streams', () => {
  const src = ['-f', 'lavfi', '-i', 'testsrc=s=160x90:r=25:d=2'];
  it('H.264 with B-frames: decodable, keyframes and pts of every frame', async () => {
    const l = (await probeFrameLayout(await makeVideo('b.mp4', [...src, ...H264_FIXED_B, '-g', '30'])))!;
    expect(l.pts.length).toBe(50);
    expect(l.keyframes).toEqual([0, 30]);
    expect(l.reordered).toBe(true);
    expect(samplingFor('decodable', l).sampling).toBe('decodable');
  }, 60_000);

  it.each([
    ['all-intra H.264', 'intra.mp4', ['-c:v', 'libx264', '-g', '1', '-pix_fmt', 'yuv420p'], 'no B-frames'],
    ['H.264 Constrained Baseline', 'baseline.mp4', ['-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'], 'no B-frames'],
    ['MPEG-4 part 2 with B-frames in AVI', 'asp.avi', ['-c:v', 'mpeg4', '-bf', '2', '-q:v', '3'], 'packets without timestamps'],
  ])('%s falls back to the stride path', async (_kind, name, args, why) => {
    const l = await probeFrameLayout(await makeVideo(name, [...src, ...args]));
    expect(samplingFor('decodable', l)).toEqual({ sampling: 'stride', why });
  }, 60_000);
});
