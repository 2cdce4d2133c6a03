import { copyFileSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { mediaPath, missing } from '../../test-support/shared-data.js';
import { StageError } from '../runtime/stage.js';
import { ffmpegPath } from './ffmpeg-path.js';
import { parseProbeJson, parseRate, probeVideo } from './probe.js';

describe('parseRate', () => {
  it('fractions, integers, junk', () => {
    expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRate('25')).toBe(25);
    expect(parseRate('0/0')).toBeNaN();
    expect(parseRate('')).toBeNaN();
    expect(parseRate('abc')).toBeNaN();
  });
});

describe('parseProbeJson', () => {
  const base = { codec_name: 'h264', width: 640, height: 360, avg_frame_rate: '25/1' };
  it('frame count falls back to duration x fps; start from the first frame, then the stream', () => {
    const f = parseProbeJson({ streams: [{ ...base, duration: '10.0' }], frames: [{ pts_time: '0.852' }] }, '/a.mp4');
    expect(f).toMatchObject({ duration_s: 10, fps: 25, frame_count: 250, start_time_s: 0.852, codec: 'h264', width: 640, height: 360 });
    const g = parseProbeJson({ streams: [{ ...base, nb_frames: '99', start_time: '1.5' }], format: { duration: '4' }, frames: [{}] }, '/a.mp4');
    expect(g).toMatchObject({ duration_s: 4, frame_count: 99, start_time_s: 1.5 });
  });
  it('avg_frame_rate 0/0 falls back to r_frame_rate', () => {
    expect(parseProbeJson({ streams: [{ ...base, avg_frame_rate: '0/0', r_frame_rate: '24/1', duration: '1' }] }, '/a').fps).toBe(24);
  });
  it('rejects no stream, no size, no rate, no duration', () => {
    expect(() => parseProbeJson({ streams: [] }, '/x/a.mp4')).toThrow(/a\.mp4 has no video stream/);
    expect(() => parseProbeJson({ streams: [{ ...base, width: 0 }] }, '/a')).toThrow(/frame size/);
    expect(() => parseProbeJson({ streams: [{ ...base, avg_frame_rate: '0/0' }] }, '/a')).toThrow(/frame rate/);
    expect(() => parseProbeJson({ streams: [{ ...base }] }, '/a')).toThrow(/duration/);
  });
});

async function stageErrorOf(p: Promise<unknown>): Promise<StageError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StageError) return e;
    throw e;
  }
  throw new Error('expected a StageError');
}

describe('probeVideo (real ffprobe)', () => {
  const gt = mediaPath('episode_gt.mp4');
  const ham = mediaPath('short_hamilton_clip.mp4');
  const mega = mediaPath('Megamind.avi');

  it.skipIf(missing(gt))('episode_gt.mp4: 58 s, 25 fps, 1280x720, 1450 frames', async () => {
    const f = await probeVideo(gt);
    expect(f).toMatchObject({ fps: 25, width: 1280, height: 720, frame_count: 1450, codec: 'h264', start_time_s: 0 });
    expect(f.duration_s).toBeCloseTo(58, 1);
    expect(f.size_bytes).toBeGreaterThan(0);
  });

  it.skipIf(missing(ham))('short_hamilton_clip.mp4: the video starts at 0.852 s', async () => {
    const f = await probeVideo(ham);
    expect(f.start_time_s).toBeCloseTo(0.852, 3);
    expect(f.fps).toBeCloseTo(29.97, 2);
  });

  it.skipIf(missing(mega))('Megamind.avi: MPEG-4 in AVI', async () => {
    const f = await probeVideo(mega);
    expect(f).toMatchObject({ codec: 'mpeg4', width: 720, height: 528, frame_count: 270 });
  });

  it('corrupt, empty, text-only and missing files: EXIT.BAD_INPUT, one line', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-probe-'));
    const junk = path.join(d, 'junk.mp4');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    const empty = path.join(d, 'empty.mp4');
    writeFileSync(empty, '');
    for (const f of [junk, empty, path.join(d, 'absent.mp4')]) {
      const e = await stageErrorOf(probeVideo(f));
      expect(e.exitCode).toBe(EXIT.BAD_INPUT);
      expect(e.message).not.toContain('\n');
    }
    expect((await stageErrorOf(probeVideo(junk))).message).toMatch(/junk\.mp4 is not a readable video/);
    expect((await stageErrorOf(probeVideo(empty))).message).toMatch(/empty/);
  });

  it.skipIf(missing(gt))('a truncated copy (first 2 KB only) is refused', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-probe-'));
    const cut = path.join(d, 'cut.mp4');
    writeFileSync(cut, readFileSync(gt).subarray(0, 2048));
    const e = await stageErrorOf(probeVideo(cut));
    expect(e.exitCode).toBe(EXIT.BAD_INPUT);
  });

  it.skipIf(missing(gt))('an audio-only file: no video stream', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-probe-'));
    const src = path.join(d, 'src.mp4');
    copyFileSync(gt, src);
    const { execa } = await import('execa');
    const audio = path.join(d, 'audio.m4a');
    await execa(ffmpegPath(), ['-v', 'error', '-i', src, '-vn', '-c:a', 'copy', '-t', '1', audio]);
    const e = await stageErrorOf(probeVideo(audio));
    expect(e.exitCode).toBe(EXIT.BAD_INPUT);
    expect(e.message).toMatch(/no video stream/);
  });
});
