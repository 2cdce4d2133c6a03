import { describe, it, expect, afterAll } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DetectionRow, Manifest, ShotRow, TrackRow } from '../../shared/artifacts.js';
import type { StageContext } from '../runtime/stage.js';
import { probeVideo } from '../video/probe.js';
import { probeFrameLayout } from '../video/frame-types.js';
import { FrameDecoder } from '../video/decode.js';
import { detectTrack } from './detect-track.js';
import { episodeFolders, mediaPath, missing, MODELS_DIR } from '../../test-support/shared-data.js';

const MODEL = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const folders = episodeFolders();
afterAll(() => folders.removeAll());

const readJsonl = <T>(file: string): T[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

/** detect_track on a copy of one clip, `--sampling decodable` in its config. */
async function runDecodable(media: string) {
  const episodeDir = folders.make(media);
  const videoPath = path.join(episodeDir, path.basename(media));
  const outDir = path.join(episodeDir, 'screentime');
  mkdirSync(outDir, { recursive: true });
  const video = await probeVideo(videoPath);
  const manifest: Manifest = { schema_version: 1, video, stages: {} };
  const logs: string[] = [];
  const ctx: StageContext = {
    stage: 'detect_track', episodeDir, videoPath, outDir, video, manifest,
    config: { profile: 'balanced', stride: 0, sampling: 'decodable', threads: 2, device: 'cpu', modelsDir: MODELS_DIR },
    signal: new AbortController().signal,
    progress: () => {},
    log: (m) => logs.push(m),
  };
  const stats = await detectTrack(ctx);
  return { stats, logs, videoPath, outDir };
}

describe('detect_track sampling on decodable frames', () => {
  const skipGt = missing(MODEL, mediaPath('episode_gt.mp4'), mediaPath('episode_gt.json'));
  it.skipIf(skipGt !== null)(`episode_gt.mp4: decodes the referenced frames only, every cut on its frame, tracks inside shots ${skipGt ?? ''}`, async () => {
    const gt = JSON.parse(readFileSync(mediaPath('episode_gt.json'), 'utf8')) as { shots: Array<{ start_frame: number; end_frame: number }> };
    const { stats, videoPath, outDir } = await runDecodable('episode_gt.mp4');
    expect(stats.sampling).toBe('decodable');
    expect(stats.source_frames).toBe(1450);
    // I, P and reference B-frames: 1001 of 1450 (only the frames nothing references are skipped)
    expect(Number(stats.frames_decoded)).toBeLessThan(0.75 * 1450);
    expect(Number(stats.max_step_frames)).toBeLessThanOrEqual(6);
    // The process's own CPU, in seconds: at least its inference time, at most every core for the
    // whole stage (bench:gop splits the tree's CPU with it).
    const cpu = Number(stats.process_cpu_s);
    expect(cpu).toBeGreaterThanOrEqual(0.5 * Number(stats.yunet_ms) * Number(stats.frames_analysed) / 1000);
    expect(cpu).toBeLessThanOrEqual(os.availableParallelism() * Number(stats.elapsed_s) + 0.1);
    const shots = readJsonl<ShotRow>(path.join(outDir, 'shots.jsonl'));
    expect(shots.map((s) => [s.start_frame, s.end_frame])).toEqual(gt.shots.map((s) => [s.start_frame, s.end_frame]));
    const layout = (await probeFrameLayout(videoPath))!;
    expect(layout.pts.length).toBe(1450);
    const dets = readJsonl<DetectionRow>(path.join(outDir, 'detections.jsonl'));
    const tracks = readJsonl<TrackRow>(path.join(outDir, 'tracks.jsonl'));
    // 19 identity-shots (docs/pipeline-detect.md, "Measured"), found as under stride sampling.
    expect(tracks.length).toBe(19);
    // Analysed frames follow the I/P frames, not a grid of 4.
    expect(new Set(dets.map((d) => d.frame_idx % 4)).size).toBeGreaterThan(1);
    for (const t of tracks) {
      expect(t.first_frame).toBeGreaterThanOrEqual(gt.shots[t.shot]!.start_frame);
      expect(t.last_frame).toBeLessThan(gt.shots[t.shot]!.end_frame);
    }
    for (const d of dets) expect(d.ts).toBeCloseTo(d.frame_idx / 25, 3);
  }, 240_000);

  // A High-profile stream with B-pyramids (some B-frames are references): the frames decodable
  // sampling analyses must be the true frames, byte for byte what a decode of every frame gives.
  // Skipping every B-frame (`-skip_frame bidir`) failed this: damaged P-frames, 35-37 dB.
  const skipFrames = missing(mediaPath('episode_gt.mp4'));
  it.skipIf(skipFrames !== null)(`episode_gt.mp4: every frame decodable sampling analyses is the true frame ${skipFrames ?? ''}`, async () => {
    const videoPath = mediaPath('episode_gt.mp4');
    const layout = (await probeFrameLayout(videoPath))!;
    expect(layout.reordered).toBe(true);
    const common = { videoPath, width: 320, height: 180, decoderThreads: 1 };
    const LAST = 400;
    const full = new Map<number, Buffer>();
    const all = new FrameDecoder({ ...common, stride: 1 });
    try {
      for await (const f of all.frames()) {
        if (f.frameIdx >= LAST) break;
        full.set(f.frameIdx, Buffer.from(f.data));
      }
    } finally { all.kill(); }
    const sampled = new FrameDecoder({ ...common, stride: 4, decodable: { layout, stepSeconds: 4 / 25, frameSeconds: 1 / 25 } });
    const damaged: number[] = [];
    let compared = 0;
    try {
      for await (const f of sampled.frames()) {
        if (f.frameIdx >= LAST) break;
        compared++;
        if (!f.data.equals(full.get(f.frameIdx)!)) damaged.push(f.frameIdx);
      }
    } finally { sampled.kill(); }
    expect(compared).toBeGreaterThan(LAST / 6);
    expect(damaged).toEqual([]);
  }, 240_000);

  const skipFallback = missing(MODEL, mediaPath('short_hamilton_clip.mp4'), mediaPath('Megamind.avi'));
  it.skipIf(skipFallback !== null).each(['short_hamilton_clip.mp4', 'Megamind.avi'])(`%s keeps the stride path (no B-frames / no pts) ${skipFallback ?? ''}`, async (media) => {
    const { stats, logs } = await runDecodable(media);
    expect(stats.sampling).toBe('stride');
    expect(stats.frames_decoded).toBe((await probeVideo(mediaPath(media))).frame_count);
    expect(logs.join('\n')).toMatch(/sampling every \d+th frame \((no B-frames|packets without timestamps)\)/);
  }, 240_000);
});
