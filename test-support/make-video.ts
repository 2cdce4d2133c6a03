// Small real videos for tests, encoded by the ffmpeg the pipeline uses (lavfi sources, so no
// media files are needed). Each video is made once per test process, in a temp folder.

import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../pipeline/video/ffmpeg-path.js';

let dir: string | null = null;
const made = new Map<string, Promise<string>>();

/** Encodes `name` with `args` (ffmpeg arguments after the global ones, before the output file). */
export function makeVideo(name: string, args: string[]): Promise<string> {
  let p = made.get(name);
  if (!p) {
    dir ??= mkdtempSync(path.join(tmpdir(), 'screentime-videos-'));
    const file = path.join(dir, name);
    p = execa(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args, file], { stdin: 'ignore' }).then(() => file);
    made.set(name, p);
  }
  return p;
}

/** 50 frames, frame n flat with luma 16 + 4n: a frame's own index can be read from its pixels. */
export const RAMP_SOURCE = ['-f', 'lavfi', '-i', "color=black:s=64x36:r=25:d=2,geq=lum='16+4*N':cb=128:cr=128"];

/** H.264 with a fixed I B B P pattern (b-adapt off) and no scene-cut keyframes. */
export const H264_FIXED_B = ['-c:v', 'libx264', '-bf', '2', '-sc_threshold', '0', '-x264-params', 'b-adapt=0:b-pyramid=0', '-pix_fmt', 'yuv420p'];

/** Two static shots, the cut at source frame `cutAt` (25 fps, 160x90). */
export function twoShots(cutAt: number, seconds = 3): string[] {
  return [
    '-f', 'lavfi', '-i', `testsrc=s=160x90:r=25:d=${(cutAt / 25).toFixed(2)}`,
    '-f', 'lavfi', '-i', `smptebars=s=160x90:r=25:d=${seconds}`,
    '-filter_complex', '[0][1]concat=n=2:v=1[v]', '-map', '[v]',
  ];
}
