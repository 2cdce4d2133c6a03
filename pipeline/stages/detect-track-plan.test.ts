import { describe, expect, it } from 'vitest';
import type { VideoFacts } from '../../shared/artifacts.js';
import { describePlan, describeSampling, planDetectTrack } from './detect-track-plan.js';

const hd: VideoFacts = { file: '/e/a.mp4', duration_s: 58, fps: 25, width: 1280, height: 720, frame_count: 1450, start_time_s: 0, codec: 'h264' };

describe('planDetectTrack', () => {
  it('balanced at 25 fps: 1 frame in 4 at 640x360, ffmpeg gets the thread inference does not use', () => {
    const p = planDetectTrack(hd, { profile: 'balanced', stride: 0, threads: 2 });
    expect(p).toEqual({
      fps: 25, stride: 4, threads: 2, decoderThreads: 1, serialize: false,
      width: 640, height: 360, scaleX: 2, scaleY: 2, samplesPerTrack: 12, trackBufferFrames: 30,
    });
    expect(describePlan(p)).toBe('detect_track: analysing 1 frame in 4 at 640x360, 2 threads (ffmpeg 1 + inference 1), 12 samples per track');
  });

  it('one thread: decoding and inference take turns', () => {
    const p = planDetectTrack(hd, { profile: 'low_power', stride: 0, threads: 1 });
    expect(p).toMatchObject({ threads: 1, decoderThreads: 1, serialize: true, width: 480, height: 270 });
    expect(describePlan(p)).toBe('detect_track: analysing 1 frame in 8 at 480x270, 1 thread (ffmpeg 1, taking turns with inference + inference 1), 8 samples per track');
  });

  it('a whole positive stride overrides the profile; anything else keeps it', () => {
    expect(planDetectTrack(hd, { profile: 'balanced', stride: 7, threads: 4 })).toMatchObject({ stride: 7, decoderThreads: 3 });
    expect(planDetectTrack(hd, { profile: 'balanced', stride: 2.5, threads: 2 }).stride).toBe(4);
    expect(planDetectTrack(hd, { profile: 'balanced', stride: -3, threads: 2 }).stride).toBe(4);
  });

  it('a video without a frame rate is timed at 25 fps; a fractional or zero thread cap means 1', () => {
    expect(planDetectTrack({ ...hd, fps: 0 }, { profile: 'balanced', stride: 0, threads: 0 })).toMatchObject({ fps: 25, stride: 4, threads: 1, serialize: true });
    expect(planDetectTrack(hd, { profile: 'balanced', stride: 0, threads: 2.9 }).threads).toBe(2);
  });

  it('never analyses wider than the source; scales map analysis pixels back to source pixels', () => {
    const small = planDetectTrack({ ...hd, width: 320, height: 240 }, { profile: 'performance', stride: 0, threads: 2 });
    expect(small).toMatchObject({ width: 320, height: 240, scaleX: 1, scaleY: 1 });
    const odd = planDetectTrack({ ...hd, width: 1919, height: 1080 }, { profile: 'balanced', stride: 0, threads: 2 });
    expect(odd.width * odd.scaleX).toBeCloseTo(1919, 9);
    expect(odd.height * odd.scaleY).toBeCloseTo(1080, 9);
  });
});

describe('describeSampling', () => {
  it('says what decodable sampling got and why; nothing for the default', () => {
    expect(describeSampling('decodable', { sampling: 'decodable', why: '967 of 1450 frames are B-frames' }, 4)).toBe('detect_track: sampling on decodable frames (967 of 1450 frames are B-frames), about 1 frame in 4');
    expect(describeSampling('decodable', { sampling: 'stride', why: 'no B-frames' }, 4)).toBe('detect_track: sampling every 4th frame (no B-frames)');
    expect(describeSampling('stride', { sampling: 'stride', why: 'asked for' }, 4)).toBeNull();
  });
});
