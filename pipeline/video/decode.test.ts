import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analysisSize, BIG_QUEUE_FRAMES, ffmpegArgs, fifoMuxerOf, hasFifoMuxer, FrameDecoder, syncOptionFromHelp, TINY_CHAIN, TINY_H, TINY_W } from './decode.js';
import { parsePacketCsv } from './frame-types.js';
import { ffmpegPath } from './ffmpeg-path.js';
import { CutDetector } from './cuts.js';
import { mediaPath, missing, REPO_ROOT } from '../../test-support/shared-data.js';
import { processState, waitGone } from '../../test-support/proc.js';

describe('decode helpers', () => {
  it('keeps the aspect ratio with even sizes and never upscales', () => {
    expect(analysisSize(1920, 1080, 640)).toEqual({ width: 640, height: 360 });
    expect(analysisSize(720, 528, 640)).toEqual({ width: 640, height: 470 });
    expect(analysisSize(640, 360, 960)).toEqual({ width: 640, height: 360 });
    expect(analysisSize(1281, 721, 1281)).toEqual({ width: 1280, height: 720 });
  });

  it('selects BEFORE scaling, passes frames through untouched, caps ffmpeg threads', () => {
    const a = ffmpegArgs({ videoPath: '/v/x y.mp4', width: 640, height: 360, stride: 5, decoderThreads: 1 });
    const graph = a[a.indexOf('-filter_complex') + 1]!;
    expect(graph.indexOf("select='not(mod(n\\,5))'")).toBeGreaterThan(-1);
    expect(graph.indexOf('select')).toBeLessThan(graph.indexOf('scale=640:360'));
    expect(graph).toContain(`scale=${TINY_W}:${TINY_H}:flags=area`);
    expect(a[a.indexOf('-threads') + 1]).toBe('1');
    expect(a[a.indexOf('-filter_threads') + 1]).toBe('1');
    expect(a[a.indexOf('-filter_complex_threads') + 1]).toBe('1');
    expect(a.filter((x) => x === 'passthrough')).toHaveLength(2);
    expect(a).toContain('/v/x y.mp4'); // one argument, no shell quoting
    expect(a).toContain('pipe:3');
    // the analysis frames leave through a queue of their own, so decoding runs ahead of inference
    const big = a.indexOf('pipe:1');
    expect(a.slice(a.indexOf('[big]'), big)).toEqual(expect.arrayContaining(['-f', 'fifo', '-fifo_format', 'rawvideo', '-queue_size', String(BIG_QUEUE_FRAMES)]));
  });

  it('decodable sampling: skips the frames nothing references at the decoder, selects by due time, reports pts by showinfo', () => {
    const layout = parsePacketCsv('stream,1/12800\npacket,0,K_\npacket,1536,__\npacket,512,__');
    const a = ffmpegArgs({ videoPath: 'v.mp4', width: 64, height: 36, stride: 4, decoderThreads: 1, decodable: { layout, stepSeconds: 0.16, frameSeconds: 0.04 } });
    expect(a.indexOf('-skip_frame')).toBeLessThan(a.indexOf('-i'));
    // only frames nothing references: skipping reference B-frames damages the P-frames after them
    expect(a[a.indexOf('-skip_frame') + 1]).toBe('noref');
    expect(a[a.indexOf('-loglevel') + 1]).toBe('info');
    expect(a).toContain('-nostats');
    const graph = a[a.indexOf('-filter_complex') + 1]!;
    // The thumbnail chain's showinfo is filter 4 of the graph (split, 3 of TINY_CHAIN, showinfo).
    const filters = graph.replace(/\[[^\]]*\]/g, ' ').replace(/'[^']*'/g, '').split(/[,; ]+/).filter(Boolean).map((f) => f.split('=')[0]);
    expect(filters.indexOf('showinfo')).toBe(4);
    expect(graph).toContain(`[b]${TINY_CHAIN},showinfo=checksum=0[tiny]`);
    expect(graph.indexOf('select=')).toBeLessThan(graph.indexOf('scale=64:36'));
    // only the pts are read: no checksums of every analysis frame
    expect(graph).toMatch(/format=bgr24,showinfo=checksum=0\[big\]$/);
    expect(ffmpegArgs({ videoPath: 'v.mp4', width: 64, height: 36, stride: 4, decoderThreads: 1 })).not.toContain('-skip_frame');
  });

  it('uses the frame queue only with an ffmpeg that has the fifo muxer', async () => {
    // Excerpts of `ffmpeg -hide_banner -h muxer=fifo` with and without the muxer.
    expect(hasFifoMuxer('Muxer fifo [FIFO queue pseudo-muxer]:\nFifo muxer AVOptions:\n')).toBe(true);
    expect(hasFifoMuxer("Unknown format 'fifo'.\n")).toBe(false);
    expect(hasFifoMuxer('')).toBe(false);
    const plain = ffmpegArgs({ videoPath: 'v.mp4', width: 64, height: 36, stride: 4, decoderThreads: 1 }, '-fps_mode', false);
    expect(plain).not.toContain('fifo');
    expect(plain.slice(plain.indexOf('[big]'), plain.indexOf('pipe:1'))).toEqual(['[big]', '-fps_mode', 'passthrough', '-f', 'rawvideo']);
    // the ffmpeg the app resolves (shipped or Debian's) has it; a path that is not ffmpeg has not
    expect(await fifoMuxerOf(ffmpegPath())).toBe(true);
    expect(await fifoMuxerOf('/nonexistent/ffmpeg')).toBe(false);
  });

  it('spells the pass-through option the way the ffmpeg in use knows it', () => {
    // Excerpts of `ffmpeg -h long`: 4.x (the shipped build) and 5.1 (Debian 12).
    const old = '-vsync              video sync method\n-frame_drop_threshold  frame drop threshold\n';
    const current = '-vsync              set video sync method globally; deprecated, use -fps_mode\n' +
      '-fps_mode           set framerate mode for matching video streams; overrides vsync\n';
    expect(syncOptionFromHelp(old)).toBe('-vsync');
    expect(syncOptionFromHelp(current)).toBe('-fps_mode');
    const a = ffmpegArgs({ videoPath: 'v.mp4', width: 64, height: 36, stride: 1, decoderThreads: 1 }, '-vsync');
    expect(a.filter((x) => x === '-vsync')).toHaveLength(2);
    expect(a).not.toContain('-fps_mode');
  });
});

const GT = mediaPath('episode_gt.mp4');
const GT_JSON = mediaPath('episode_gt.json');
const HAM = mediaPath('short_hamilton_clip.mp4');

describe('FrameDecoder + CutDetector on real video', () => {
  it.skipIf(missing(GT, GT_JSON) !== null)(`finds all 17 cuts of episode_gt.mp4 at the exact frame, and no other ${missing(GT, GT_JSON) ?? ''}`, async () => {
    const gt = JSON.parse(readFileSync(GT_JSON, 'utf8')) as { shots: Array<{ start_frame: number }> };
    const want = gt.shots.slice(1).map((s) => s.start_frame);
    expect(want).toHaveLength(17);
    const cuts = new CutDetector();
    // A huge stride: this test is about the tiny every-frame stream.
    const dec = new FrameDecoder({ videoPath: GT, width: 64, height: 36, stride: 10_000, decoderThreads: 2, onTiny: (i, g) => cuts.pushFrame(i, g) });
    const frames: number[] = [];
    for await (const f of dec.frames()) frames.push(f.frameIdx);
    cuts.finish();
    expect(frames).toEqual([0]);
    expect(dec.tinyFrames).toBe(1450);
    expect(cuts.cuts).toEqual(want);
  });

  it.skipIf(missing(HAM) !== null)(`yields true source frame indices at a stride (29.97 fps clip starting at 0.852 s) ${missing(HAM) ?? ''}`, async () => {
    const dec = new FrameDecoder({ videoPath: HAM, width: 320, height: 180, stride: 7, decoderThreads: 1 });
    const idx: number[] = [];
    let bytes = 0;
    let sum = 0;
    for await (const f of dec.frames()) {
      idx.push(f.frameIdx);
      bytes = f.data.length;
      sum += f.data[(90 * 320 + 160) * 3]!;
    }
    const n = dec.tinyFrames;
    expect(n).toBe(275); // ffprobe -count_frames: 275 frames over 9.18 s
    expect(idx).toEqual(Array.from({ length: Math.ceil(n / 7) }, (_, i) => i * 7));
    expect(bytes).toBe(320 * 180 * 3);
    expect(sum).toBeGreaterThan(0); // real pixels, not an all-black buffer
  });
});

describe('ffmpeg dies with its parent', () => {
  const DIST = path.join(REPO_ROOT, 'dist', 'pipeline', 'video', 'decode.js');
  const skip = missing(GT) ?? (existsSync(DIST) ? null : `skipped: ${DIST} not built (npm run build:node)`);
  it.skipIf(process.platform !== 'linux' || skip !== null)(`a STOPPED ffmpeg (thread cap 1) is killed when the stage process is SIGKILLed ${skip ?? ''}`, async () => {
    // A stopped ffmpeg never gets SIGPIPE when its reader dies: without PR_SET_PDEATHSIG it
    // would stay behind forever.
    const script = `
      const { FrameDecoder } = await import(${JSON.stringify(pathToFileURL(DIST).href)});
      const dec = new FrameDecoder({ videoPath: ${JSON.stringify(GT)}, width: 64, height: 36, stride: 1, decoderThreads: 1 });
      for await (const f of dec.frames()) { dec.hold(); console.log('PID ' + dec.pid); await new Promise(() => {}); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => { buf += d.toString(); const m = /PID (\d+)/.exec(buf); if (m) resolve(Number(m[1])); });
      child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
    });
    // SIGSTOP takes effect asynchronously: on a busy machine /proc can still say "running" for a moment
    const deadline = Date.now() + 3000;
    while (processState(pid) !== 'T' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(processState(pid)).toBe('T'); // stopped
    child.kill('SIGKILL');
    expect(await waitGone([pid], 3000)).toEqual([]);
  });
});
