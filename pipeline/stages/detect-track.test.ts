import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SAMPLE_BYTES, type Manifest, type SampleRow, type ShotRow, type TrackRow, type DetectionRow, type VideoFacts } from '../../shared/artifacts.js';
import { EXIT, type Profile } from '../../shared/stages.js';
import { StageError, type StageContext } from '../runtime/stage.js';
import { probeVideo } from '../video/probe.js';
import { detectTrack } from './detect-track.js';
import { profileDefaults } from '../detect/profiles.js';
import { MODELS_DIR, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { commandName, descendants, isDecodingFfmpeg, waitGone } from '../../test-support/proc.js';

const MODEL = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const GT_VIDEO = mediaPath('episode_gt.mp4');
const GT_JSON = mediaPath('episode_gt.json');

interface GtShot { index: number; start_frame: number; end_frame: number; identities: string[] }

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

async function makeCtx(videoName: string, o: { profile?: Profile; threads?: number; stride?: number; video?: VideoFacts; videoPath?: string } = {}) {
  const episodeDir = o.videoPath ? path.dirname(o.videoPath) : tempEpisode(videoName);
  const videoPath = o.videoPath ?? path.join(episodeDir, videoName);
  const outDir = path.join(episodeDir, 'screentime');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(outDir, { recursive: true });
  const video = o.video ?? (await probeVideo(videoPath));
  const controller = new AbortController();
  const logs: string[] = [];
  const progress: Array<[number, number]> = [];
  const manifest: Manifest = { schema_version: 1, video, stages: {} };
  const ctx: StageContext = {
    stage: 'detect_track',
    episodeDir,
    videoPath,
    outDir,
    video,
    config: { profile: o.profile ?? 'balanced', stride: o.stride ?? 0, threads: o.threads ?? 2, device: 'cpu', modelsDir: MODELS_DIR },
    manifest,
    signal: controller.signal,
    progress: (d, t) => progress.push([d, t]),
    log: (m) => logs.push(m),
  };
  return { ctx, controller, logs, progress, outDir };
}

const skipGt = missing(MODEL, GT_VIDEO, GT_JSON);

/** Every track lies inside one GT shot and says which; every detection row belongs to a track, within its frames. */
function expectRowsConsistent(gt: { shots: GtShot[] }, tracks: TrackRow[], dets: DetectionRow[]): void {
  for (const t of tracks) {
    const s = gt.shots[t.shot]!;
    expect(t.first_frame).toBeGreaterThanOrEqual(s.start_frame);
    expect(t.last_frame).toBeLessThan(s.end_frame);
  }
  const byId = new Map(tracks.map((t) => [t.track_id, t]));
  const nDet = new Map<number, number>();
  for (const d of dets) {
    const t = byId.get(d.track_id);
    expect(t).toBeDefined();
    expect(d.frame_idx).toBeGreaterThanOrEqual(t!.first_frame);
    expect(d.frame_idx).toBeLessThanOrEqual(t!.last_frame);
    expect(d.ts).toBeCloseTo(d.frame_idx / 25, 3);
    nDet.set(d.track_id, (nDet.get(d.track_id) ?? 0) + 1);
  }
  for (const t of tracks) expect(nDet.get(t.track_id)).toBe(t.n_detections);
}

/**
 * Coverage: identities are listed left to right; tracks of a shot are grouped by their mean
 * centre x into that many groups (split at the widest gaps). Shots without a face must have no
 * track. Returns the worst fraction of its shot's frames an identity is covered, and a report.
 */
function coverage(gt: { shots: GtShot[] }, tracks: TrackRow[], dets: DetectionRow[], stride: number): { worst: number; report: string[] } {
  const cx = new Map<number, number>();
  for (const t of tracks) {
    const ds = dets.filter((d) => d.track_id === t.track_id);
    cx.set(t.track_id, ds.reduce((a, d) => a + (d.bbox[0] + d.bbox[2]) / 2, 0) / ds.length);
  }
  const report: string[] = [];
  let worst = 1;
  for (const s of gt.shots) {
    const ts = tracks.filter((t) => t.shot === s.index).sort((a, b) => cx.get(a.track_id)! - cx.get(b.track_id)!);
    if (s.identities.length === 0) {
      expect(ts, `shot ${s.index} has no face`).toHaveLength(0);
      continue;
    }
    const n = s.identities.length;
    const gaps = ts.slice(1).map((t, i) => ({ i: i + 1, g: cx.get(t.track_id)! - cx.get(ts[i]!.track_id)! }));
    const splits = gaps.sort((a, b) => b.g - a.g).slice(0, n - 1).map((g) => g.i).sort((a, b) => a - b);
    const groups: TrackRow[][] = [];
    let from = 0;
    for (const sp of [...splits, ts.length]) { groups.push(ts.slice(from, sp)); from = sp; }
    s.identities.forEach((name, k) => {
      const covered = new Uint8Array(s.end_frame - s.start_frame);
      for (const t of groups[k] ?? []) {
        for (let f = Math.max(t.first_frame, s.start_frame); f < Math.min(t.last_frame + stride, s.end_frame); f++) covered[f - s.start_frame] = 1;
      }
      const frac = covered.reduce((a, v) => a + v, 0) / covered.length;
      worst = Math.min(worst, frac);
      report.push(`shot ${s.index} ${name}: ${(100 * frac).toFixed(1)}% (${(groups[k] ?? []).length} track(s))`);
    });
  }
  return { worst, report };
}

/** Samples: one 192x192 RGB per row, every track has some, none more than K, and they are real face crops. */
function expectSamplesConsistent(outDir: string, tracks: TrackRow[], K: number): void {
  const samples = readJsonl<SampleRow>(path.join(outDir, 'samples.jsonl'));
  expect(statSync(path.join(outDir, 'samples.rgb')).size).toBe(samples.length * SAMPLE_BYTES);
  expect(samples.map((s) => s.sample_idx)).toEqual(samples.map((_, i) => i));
  for (const t of tracks) {
    const mine = samples.filter((s) => s.track_id === t.track_id);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThanOrEqual(K);
    for (const s of mine) {
      expect(s.frame_idx).toBeGreaterThanOrEqual(t.first_frame);
      expect(s.frame_idx).toBeLessThanOrEqual(t.last_frame);
      // eyes land near the middle of the loose crop (face box = middle half)
      for (const [x, y] of s.landmarks.slice(0, 2)) {
        expect(x).toBeGreaterThan(40); expect(x).toBeLessThan(152);
        expect(y).toBeGreaterThan(30); expect(y).toBeLessThan(152);
      }
    }
  }
  // A sample is a real face crop, not black: mean brightness well above 0.
  const fd = openSync(path.join(outDir, 'samples.rgb'), 'r');
  const buf = Buffer.alloc(SAMPLE_BYTES);
  readSync(fd, buf, 0, SAMPLE_BYTES, 0);
  closeSync(fd);
  expect(buf.reduce((a, v) => a + v, 0) / SAMPLE_BYTES).toBeGreaterThan(30);
}

describe('detect_track on episode_gt.mp4', () => {
  // performance (960 wide) passes too but takes ~3x longer: run it by hand when changing the tracker.
  it.skipIf(skipGt !== null).each(['balanced', 'low_power'] as Profile[])(`%s: cuts tracks at shots and covers every face of every shot ${skipGt ?? ''}`, async (profile) => {
    const gt = JSON.parse(readFileSync(GT_JSON, 'utf8')) as { shots: GtShot[]; fps: number };
    const { ctx, logs, progress, outDir } = await makeCtx('episode_gt.mp4', { profile });
    const K = profileDefaults(profile, 25).samplesPerTrack;
    const stats = await detectTrack(ctx);
    console.log(logs.join('\n'));
    console.log(JSON.stringify(stats));
    expect(stats.frames_decoded).toBe(1450);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress[progress.length - 1]![0]).toBeGreaterThan(1400);

    // Shots: exactly the ground truth, frame for frame.
    const shots = readJsonl<ShotRow>(path.join(outDir, 'shots.jsonl'));
    expect(shots.map((s) => [s.start_frame, s.end_frame])).toEqual(gt.shots.map((s) => [s.start_frame, s.end_frame]));

    const tracks = readJsonl<TrackRow>(path.join(outDir, 'tracks.jsonl'));
    const dets = readJsonl<DetectionRow>(path.join(outDir, 'detections.jsonl'));
    expect(tracks.length).toBeGreaterThan(0);
    expectRowsConsistent(gt, tracks, dets);

    const { worst, report } = coverage(gt, tracks, dets, Number(stats.stride));
    console.log(report.join('\n'));
    console.log(`worst coverage ${(100 * worst).toFixed(1)}%`);
    expect(worst).toBeGreaterThanOrEqual(0.9);

    expectSamplesConsistent(outDir, tracks, K);
    // Nothing temporary left behind.
    expect(readdirSync(outDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it.skipIf(skipGt !== null).each([1, 2])(`abort mid-run (threads=%i): ffmpeg is gone and no artifact is written ${skipGt ?? ''}`, async (threads) => {
    const { ctx, controller, outDir } = await makeCtx('episode_gt.mp4', { threads });
    const seen = new Set<number>();
    let abortedAt = 0;
    ctx.progress = (done) => {
      for (const p of descendants(process.pid)) if (commandName(p) === 'ffmpeg') seen.add(p);
      if (done > 300 && !abortedAt) { abortedAt = Date.now(); controller.abort(); }
    };
    const err = await detectTrack(ctx).then(() => null, (e: unknown) => e);
    expect(abortedAt).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(StageError);
    expect((err as StageError).exitCode).toBe(EXIT.CANCELLED);
    // The runtime gives a stage 2 s to stop after a cancel.
    expect(Date.now() - abortedAt).toBeLessThan(2000);
    expect(seen.size).toBe(1);
    expect(await waitGone([...seen], 2000)).toEqual([]);
    expect(readdirSync(outDir)).toEqual([]);
  });
});

describe('detect_track on unreadable input', () => {
  const fakeFacts = (file: string): VideoFacts => ({ file, duration_s: 10, fps: 25, width: 640, height: 360, frame_count: 250, start_time_s: 0, codec: 'h264' });
  it.skipIf(missing(MODEL) !== null)('garbage bytes named .mp4 -> StageError BAD_INPUT with a one-line message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'screentime-bad-'));
    const file = path.join(dir, 'broken.mp4');
    writeFileSync(file, Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) % 251)));
    const { ctx, outDir } = await makeCtx('broken.mp4', { videoPath: file, video: fakeFacts(file) });
    const err = await detectTrack(ctx).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StageError);
    expect((err as StageError).exitCode).toBe(EXIT.BAD_INPUT);
    expect((err as StageError).message).toMatch(/^broken\.mp4 cannot be decoded \(.+\)$/);
    expect((err as StageError).message).not.toContain('\n');
    expect(readdirSync(outDir)).toEqual([]);
  });

  it.skipIf(missing(MODEL, GT_VIDEO) !== null)('a truncated mp4 -> StageError BAD_INPUT or a warning, never a crash', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'screentime-trunc-'));
    const file = path.join(dir, 'cut.mp4');
    const whole = readFileSync(GT_VIDEO);
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 3)));
    const { ctx, outDir, logs } = await makeCtx('cut.mp4', { videoPath: file, video: { ...fakeFacts(file), width: 1280, height: 720, frame_count: 1450 } });
    const res = await detectTrack(ctx).then((s) => s, (e: unknown) => e);
    if (res instanceof StageError) {
      expect(res.exitCode).toBe(EXIT.BAD_INPUT);
      expect(res.message).toMatch(/^cut\.mp4 cannot be decoded/);
      expect(readdirSync(outDir)).toEqual([]);
    } else {
      expect(logs.join('\n')).toMatch(/warning: decoded \d+ of 1450/);
      expect(existsSync(path.join(outDir, 'tracks.jsonl'))).toBe(true);
    }
  });
});

describe('detect_track on other real footage (smoke)', () => {
  for (const name of ['short_hamilton_clip.mp4', 'Megamind.avi']) {
    const skip = missing(MODEL, mediaPath(name));
    it.skipIf(skip !== null)(`${name}: completes with consistent artifacts ${skip ?? ''}`, async () => {
      const { ctx, outDir, logs } = await makeCtx(name);
      const stats = await detectTrack(ctx);
      console.log(`${name}: ${logs.join(' | ')}`);
      const v = ctx.video;
      expect(Number(stats.frames_decoded)).toBeGreaterThan(0.95 * v.frame_count);
      const shots = readJsonl<ShotRow>(path.join(outDir, 'shots.jsonl'));
      // ../shared/README.md: the Hamilton clip has 4 shots, Megamind.avi 3 cuts.
      expect(shots).toHaveLength(4);
      expect(shots[0]!.start_frame).toBe(0);
      expect(shots[shots.length - 1]!.end_frame).toBe(stats.frames_decoded);
      for (let i = 1; i < shots.length; i++) expect(shots[i]!.start_frame).toBe(shots[i - 1]!.end_frame);
      const tracks = readJsonl<TrackRow>(path.join(outDir, 'tracks.jsonl'));
      const dets = readJsonl<DetectionRow>(path.join(outDir, 'detections.jsonl'));
      const samples = readJsonl<SampleRow>(path.join(outDir, 'samples.jsonl'));
      expect(statSync(path.join(outDir, 'samples.rgb')).size).toBe(samples.length * SAMPLE_BYTES);
      for (const t of tracks) {
        const s = shots[t.shot]!;
        expect(t.first_frame).toBeGreaterThanOrEqual(s.start_frame);
        expect(t.last_frame).toBeLessThan(s.end_frame);
        expect(t.last_ts).toBeLessThanOrEqual(v.duration_s + 0.05);
      }
      for (const d of dets) {
        expect(d.bbox[0]).toBeGreaterThanOrEqual(0);
        expect(d.bbox[2]).toBeLessThanOrEqual(v.width);
        expect(d.bbox[3]).toBeLessThanOrEqual(v.height);
        expect(d.bbox[2]).toBeGreaterThan(d.bbox[0]);
      }
      if (name.startsWith('short_hamilton')) {
        // a performer on stage: at least one face tracked for a good part of a second
        expect(tracks.some((t) => t.last_ts - t.first_ts > 0.5)).toBe(true);
        // 29.97 fps: ts is seconds from the first frame (the stream starts at 0.852 s)
        for (const d of dets) expect(d.ts).toBeCloseTo(d.frame_idx / v.fps, 3);
      }
    });
  }
});

/** utime + stime of a process in seconds (all its threads), from /proc. */
function cpuSeconds(pid: number | 'self'): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks; 100 Hz on Linux
  } catch {
    return null;
  }
}

describe('detect_track thread cap', () => {
  for (const threads of [1, 2]) {
    it.skipIf(skipGt !== null)(`threads=${threads}: the stage's processes use at most ~${threads} core(s) ${skipGt ?? ''}`, async () => {
      // every frame analysed: a run long enough to measure (a few seconds) however fast the machine
      const { ctx } = await makeCtx('episode_gt.mp4', { threads, stride: 1 });
      let ff: number | null = null;
      let first: { t: number; node: number; ff: number } | null = null;
      let last: { t: number; node: number; ff: number } | null = null;
      let lastAt = 0;
      ctx.progress = () => {
        const now = performance.now();
        if (now - lastAt < 200) return;
        lastAt = now;
        if (ff === null) ff = descendants(process.pid).find(isDecodingFfmpeg) ?? null;
        if (ff === null) return;
        const n = cpuSeconds('self');
        const f = cpuSeconds(ff);
        if (n === null || f === null) return;
        const s = { t: now / 1000, node: n, ff: f };
        // skip the first second (model load, ffmpeg start-up)
        if (!first) { if (now - startedAt > 1000) first = s; } else last = s;
      };
      const startedAt = performance.now();
      await detectTrack(ctx);
      expect(first && last).toBeTruthy();
      const wall = last!.t - first!.t;
      expect(wall).toBeGreaterThan(2);
      const cores = (last!.node - first!.node + last!.ff - first!.ff) / wall;
      console.log(`threads=${threads}: ${cores.toFixed(2)} cores over ${wall.toFixed(1)} s (node ${((last!.node - first!.node) / wall).toFixed(2)}, ffmpeg ${((last!.ff - first!.ff) / wall).toFixed(2)})`);
      expect(cores).toBeLessThan(threads + 0.2);
    });
  }
});
