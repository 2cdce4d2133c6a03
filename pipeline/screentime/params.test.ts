import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../shared/artifacts.js';
import { screentimeParams } from '../cluster/io.js';
import { gapToleranceFor } from './compute.js';
import { analysedStep, defaultGapTolerance, episodeScreentimeParams } from './params.js';

const video: Manifest['video'] = { file: '/e/a.mp4', duration_s: 58, fps: 25, width: 1280, height: 720, frame_count: 1450, start_time_s: 0, codec: 'h264' };

function manifest(stride: number, stats: Record<string, unknown>): Manifest {
  const rec = {
    status: 'completed', config: { profile: 'balanced', stride, threads: 2, device: 'cpu', modelsDir: '/m' }, config_hash: 'h', inputs: {},
    started_at: null, finished_at: null, elapsed_s: null, pid: 1, host: 'h', stats, error: null,
  };
  return { schema_version: 1, video, stages: { detect_track: rec } } as unknown as Manifest;
}

describe('screen time parameters of an episode', () => {
  it('a stride run: the parameters it always had', () => {
    const m = manifest(4, { frames_decoded: 1450, stride: 4 });
    expect(analysedStep(m)).toBe(4);
    expect(defaultGapTolerance(m)).toBe(gapToleranceFor(4, 25));
    expect(episodeScreentimeParams(m, 0.7)).toEqual(screentimeParams(m, 0.7));
  });

  it('a decodable run: gap tolerance and shot edges allow for the largest step, the padding stays half the stride', () => {
    const m = manifest(8, { sampling: 'decodable', mean_step_frames: 8.1, max_step_frames: 12 });
    expect(analysedStep(m)).toBe(12);
    // Two steps of 12 frames at 25 fps: 0.96 s, where the stride alone would give 0.64 s.
    expect(defaultGapTolerance(m)).toBe(0.96);
    const p = episodeScreentimeParams(m);
    expect(p).toMatchObject({ strideFrames: 12, gapToleranceS: 0.96, halfStepS: 8 / 25 / 2, durationS: 58 });
  });

  it('asked for decodable but sampled by stride (no B-frames): the stride', () => {
    const m = manifest(4, { sampling: 'stride', mean_step_frames: 4, max_step_frames: 4 });
    expect(episodeScreentimeParams(m)).toEqual(screentimeParams(m, gapToleranceFor(4, 25)));
  });
});
