import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest, StageRecord, VideoFacts } from '../../shared/artifacts.js';
import type { StageName } from '../../shared/stages.js';
import { readManifest, setStageRecord, stageStates, usableOutputs, videoKey } from './manifest.js';

const video: VideoFacts = { file: '/e/a.mp4', duration_s: 10, fps: 25, width: 640, height: 360, frame_count: 250, start_time_s: 0, codec: 'h264', size_bytes: 100 };

function rec(status: StageRecord['status'], hash: string, inputs: Partial<Record<StageName, string>> = {}, extra: Partial<StageRecord> = {}): StageRecord {
  return {
    status, config: {}, config_hash: hash, inputs, started_at: 't', finished_at: null, elapsed_s: null,
    pid: 1234, host: 'h', stats: {}, error: null, video_key: videoKey(video), ...extra,
  };
}
const m = (stages: Manifest['stages']): Manifest => ({ schema_version: 1, video, stages });
const alive = () => true;
const dead = () => false;

describe('stageStates', () => {
  it('not_run everywhere without a manifest', () => {
    expect(stageStates(null, alive)).toEqual({ detect_track: 'not_run', faces_embed: 'not_run', cluster: 'not_run', screentime: 'not_run' });
  });

  it('a chain computed from each other is completed', () => {
    const s = m({
      detect_track: rec('completed', 'A'),
      faces_embed: rec('completed', 'B', { detect_track: 'A' }),
      cluster: rec('completed', 'C', { detect_track: 'A', faces_embed: 'B' }),
    });
    expect(stageStates(s, alive)).toEqual({ detect_track: 'completed', faces_embed: 'completed', cluster: 'completed', screentime: 'not_run' });
  });

  it('re-running an earlier stage with another config makes every later one stale', () => {
    const s = m({
      detect_track: rec('completed', 'A2'),
      faces_embed: rec('completed', 'B', { detect_track: 'A' }),
      cluster: rec('completed', 'C', { detect_track: 'A', faces_embed: 'B' }),
    });
    expect(stageStates(s, alive)).toMatchObject({ detect_track: 'completed', faces_embed: 'stale', cluster: 'stale' });
  });

  it('a re-run that is running or failed keeps the old outputs valid for later stages', () => {
    const running = m({
      detect_track: rec('running', 'A2', {}, { completed_hash: 'A' }),
      faces_embed: rec('completed', 'B', { detect_track: 'A' }),
    });
    expect(stageStates(running, alive)).toMatchObject({ detect_track: 'running', faces_embed: 'completed' });
    expect(stageStates(running, dead)).toMatchObject({ detect_track: 'interrupted', faces_embed: 'completed' });
    const failed = m({ detect_track: rec('failed', 'A2', {}, { completed_hash: 'A' }), faces_embed: rec('completed', 'B', { detect_track: 'A' }) });
    expect(stageStates(failed, alive)).toMatchObject({ detect_track: 'failed', faces_embed: 'completed' });
    expect(usableOutputs(failed)).toMatchObject({ detect_track: true, faces_embed: true, cluster: false });
  });

  it('earlier outputs never completed -> a later completed stage is stale; cancelled stays cancelled', () => {
    const s = m({ detect_track: rec('cancelled', 'A', {}, { completed_hash: null }), faces_embed: rec('completed', 'B', { detect_track: 'A' }) });
    expect(stageStates(s, alive)).toMatchObject({ detect_track: 'cancelled', faces_embed: 'stale' });
  });

  it('another video under the same manifest: stale', () => {
    const s = m({ detect_track: rec('completed', 'A', {}, { video_key: 'other.mp4|1|2|3x4' }) });
    expect(stageStates(s, alive).detect_track).toBe('stale');
  });
});

describe('manifest file', () => {
  it('setStageRecord creates and updates atomically', () => {
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-manifest-'));
    expect(readManifest(d)).toBeNull();
    setStageRecord(d, 'detect_track', rec('running', 'A'), video);
    setStageRecord(d, 'faces_embed', rec('running', 'B', { detect_track: 'A' }));
    const back = JSON.parse(readFileSync(path.join(d, 'manifest.json'), 'utf8')) as Manifest;
    expect(Object.keys(back.stages)).toEqual(['detect_track', 'faces_embed']);
    expect(back.video.file).toBe('/e/a.mp4');
    expect(readManifest(d)).toEqual(back);
  });
});

describe('a damaged manifest', () => {
  const write = (content: unknown) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'screentime-manifest-'));
    writeFileSync(path.join(dir, 'manifest.json'), typeof content === 'string' ? content : JSON.stringify(content));
    return dir;
  };

  it('drops a damaged stage record and keeps the others (that stage counts as not run)', () => {
    const dir = write({ schema_version: 1, video, stages: { detect_track: rec('completed', 'A'), cluster: 'x', screentime: { status: 'weird', config_hash: 'Z' } } });
    const got = readManifest(dir)!;
    expect(Object.keys(got.stages)).toEqual(['detect_track']);
    expect(stageStates(got, alive).cluster).toBe('not_run');
    // and a stage can record itself over it
    setStageRecord(dir, 'cluster', rec('completed', 'C', { detect_track: 'A' }));
    expect(readManifest(dir)!.stages.cluster!.config_hash).toBe('C');
  });

  it('is nothing known when its video facts, its stages or its JSON are damaged', () => {
    expect(readManifest(write({ schema_version: 1, stages: { detect_track: rec('completed', 'A') } }))).toBeNull();
    expect(readManifest(write({ schema_version: 1, video: { ...video, fps: 'fast' }, stages: {} }))).toBeNull();
    expect(readManifest(write({ schema_version: 1, video, stages: null }))).toBeNull();
    expect(readManifest(write('{"schema_version": 1, "vid'))).toBeNull();
  });
});
