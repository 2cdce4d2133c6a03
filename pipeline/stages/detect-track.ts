// detect_track: decode once, detect faces on every `stride`-th frame, find cuts on every frame,
// track faces within shots, and keep the best face samples of each track for faces_embed (so no
// later stage decodes the video again). docs/pipeline-detect.md describes the design and numbers.
//
// Data flow per analysed frame: ffmpeg frame -> YuNet -> per face: source-pixel box, quality and
// a 192x192 crop -> "pending" queue -> (once the cut detector has ruled on that frame) tracker ->
// detection rows + sample candidates. The queue exists because cuts are known one tiny frame late
// and the tiny stream may trail the big one; it holds a frame or two, never the video.
// Everything is streamed into temp files that are renamed only when the whole run succeeded.
//
// Sampling on decodable frames (opt-in, `--sampling decodable`, docs/pipeline-detect.md): where
// the stream has B-frames ffmpeg decodes the referenced frames only, the cut detector sees those, the
// tracker steps by each frame's gap, and cuts found between decoded frames are put on their
// exact frame after the main decode (pipeline/video/cut-refine.ts).
//
// This file runs the steps in order; each lives beside it: detect-track-plan.ts (stride, sizes,
// threads, the sampling's log line), detect-track-faces.ts (a frame's faces and crops),
// detect-track-tracks.ts (the queue, cuts, tracker and sample choice), detect-track-output.ts
// (rows and writers).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SAMPLING, EXIT } from '../../shared/stages.js';
import { YunetDetector } from '../detect/yunet.js';
import { DEFAULT_TRACKER_OPTIONS } from '../track/bytetrack.js';
import { StepStats } from '../track/sample-spacing.js';
import { refineCuts, SparseCutDetector, type RefineStats } from '../video/cut-refine.js';
import { CutDetector } from '../video/cuts.js';
import { FrameDecoder } from '../video/decode.js';
import { planSampling, type SamplingPlan } from '../video/keyframe-sampling.js';
import { StageError, type StageContext, type StageFn } from '../runtime/stage.js';
import { CropPool, detectionsOf } from './detect-track-faces.js';
import { frameLook } from '../detect/frame-look.js';
import { frameTime, openWriters, r1, shotRows } from './detect-track-output.js';
import { describePlan, describeSampling, planDetectTrack, type DetectTrackPlan } from './detect-track-plan.js';
import { TrackBuilder } from './detect-track-tracks.js';

/** The row type lives in shared/ (the artifact contract); re-exported for the stages' readers. */
export type { SampleRow } from '../../shared/artifacts.js';

export const DETECTOR_MODEL = 'yunet_n_dynamic.onnx';

/** YuNet's own box overlap for non-maximum suppression. */
export const DETECTOR_NMS_IOU = 0.3;

/** The error a cancelled run ends with (the runtime's own reason when it gave one). */
function cancelledError(signal: AbortSignal): StageError {
  return signal.reason instanceof StageError ? signal.reason : new StageError('cancelled', EXIT.CANCELLED);
}

/** The face detector, or a model error (exit code MODEL) the user can act on. */
async function openDetector(modelsDir: string): Promise<YunetDetector> {
  const modelPath = path.join(modelsDir, DETECTOR_MODEL);
  if (!existsSync(modelPath)) throw new StageError(`face detector model not found: ${modelPath}`, EXIT.MODEL);
  try {
    // Scores down to the tracker's low threshold: ByteTrack matches weak detections to live tracks.
    return await YunetDetector.create(modelPath, { scoreThreshold: DEFAULT_TRACKER_OPTIONS.lowThresh, nmsIou: DETECTOR_NMS_IOU });
  } catch (e) {
    throw new StageError(`cannot load ${DETECTOR_MODEL}: ${(e as Error).message.split('\n')[0]}`, EXIT.MODEL);
  }
}

/**
 * Decodes the whole video: detects faces on every analysed frame and hands them to the tracks
 * (cuts are found on every tiny frame by the decoder's callback). Returns the raw face count and
 * the spacing of the analysed frames (irregular under decodable sampling).
 */
async function analyseFrames(ctx: StageContext, plan: DetectTrackPlan, decoder: FrameDecoder, detector: YunetDetector, tracks: TrackBuilder, pool: CropPool): Promise<{ rawDetections: number; steps: StepStats }> {
  const total = Math.max(1, ctx.video.frame_count);
  const steps = new StepStats();
  let rawDetections = 0;
  for await (const fr of decoder.frames()) {
    steps.push(fr.frameIdx);
    if (plan.serialize) decoder.hold();
    try {
      const faces = await detector.detect(fr.data, plan.width, plan.height);
      rawDetections += faces.length;
      const dets = detectionsOf(faces, fr.data, plan, ctx.video.width, ctx.video.height, pool);
      await tracks.push({ frame: fr.frameIdx, dets, look: dets.length ? frameLook(fr.data, plan.width, plan.height) : null });
    } finally {
      if (plan.serialize) decoder.release();
    }
    // The source index reached, not the thumbnail count: under decodable sampling they differ.
    ctx.progress(Math.min(decoder.lastFrameIdx + 1, total), total);
  }
  return { rawDetections, steps };
}

/** Where the shots start and end: the cuts, and the end of the last shot. */
interface ShotBounds {
  cuts: readonly number[];
  /** Source frames in the video (the frames decoded, on the stride path). */
  end: number;
  /** Decodable sampling: how its cuts were placed. */
  refined: RefineStats | null;
}

/**
 * Decodable sampling finds a cut between two decoded frames: cut-refine.ts puts it on its exact
 * frame (the tracker needed no exact frame: no analysed frame lies in between).
 */
async function shotBounds(ctx: StageContext, sampling: SamplingPlan, cuts: CutDetector, framesDecoded: number, threads: number): Promise<ShotBounds> {
  const k = sampling.decodable;
  if (!k || !(cuts instanceof SparseCutDetector)) return { cuts: cuts.cuts, end: framesDecoded, refined: null };
  const r = await refineCuts(cuts.spans, { videoPath: ctx.videoPath, layout: k.layout, threads, signal: ctx.signal });
  return { cuts: r.cuts, end: k.layout.pts.length, refined: r.stats };
}

/**
 * What `--sampling decodable` did: the sampling it got (a stream without B-frames keeps `stride`),
 * the spacing of the analysed frames (screen time allows for the largest step, sample-spacing.ts)
 * and, when it sampled decodable frames, how the cuts were placed.
 */
function samplingStats(sampling: SamplingPlan, steps: StepStats, refined: RefineStats | null, sourceFrames: number): Record<string, number | string> {
  return {
    sampling: sampling.sampling,
    mean_step_frames: Math.round(steps.mean * 100) / 100,
    max_step_frames: steps.max,
    ...(refined ? {
      source_frames: sourceFrames,
      cuts_exact: refined.exact,
      cuts_on_keyframe: refined.keyframe,
      cuts_refined: refined.decoded,
      cuts_unverified: refined.unverified,
      refine_frames_decoded: refined.framesDecoded,
    } : {}),
  };
}

interface RunCounts {
  framesDecoded: number;
  /** Source frames covered (= framesDecoded on the stride path, more when B-frames were skipped). */
  sourceFrames: number;
  framesAnalysed: number;
  detections: number;
  rawDetections: number;
  tracks: number;
  shots: number;
  samples: number;
}

/**
 * The stats the manifest records, and the run's last log lines. `extra`: the sampling stats,
 * present only when decodable sampling was asked for (a default run records what it always did).
 */
function finishStats(ctx: StageContext, plan: DetectTrackPlan, n: RunCounts, extra: Record<string, number | string>, detector: YunetDetector, decoder: FrameDecoder, wallS: number, cpu: NodeJS.CpuUsage) {
  const stats = {
    frames_decoded: n.framesDecoded,
    frames_analysed: n.framesAnalysed,
    detections: n.detections,
    raw_detections: n.rawDetections,
    tracks: n.tracks,
    shots: n.shots,
    samples: n.samples,
    fps: r1(n.sourceFrames / wallS),
    realtime_factor: Math.round((n.sourceFrames / plan.fps / wallS) * 100) / 100,
    yunet_ms: Math.round((detector.inferMs / Math.max(1, detector.inferCalls)) * 100) / 100,
    stride: plan.stride,
    ...extra,
    analysis_width: plan.width,
    analysis_height: plan.height,
    elapsed_s: Math.round(wallS * 100) / 100,
    // CPU of this process (every thread: inference, tracking, reading the pipes), not ffmpeg's: with
    // the process tree's total it says which side bounds the stage's wall time (npm run bench:gop).
    process_cpu_s: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
  };
  ctx.log(`detect_track: ${n.framesDecoded} frames (${stats.frames_analysed} analysed), ${stats.detections} detections, ${stats.tracks} tracks, ${stats.shots} shots, ${n.samples} samples; ${stats.fps} fps, ${stats.realtime_factor}x real time, YuNet ${stats.yunet_ms} ms/frame`);
  if (n.sourceFrames < 0.9 * ctx.video.frame_count) {
    ctx.log(`detect_track: warning: decoded ${n.framesDecoded} of ${ctx.video.frame_count} expected frames (${decoder.lastWarning() || 'the file may be truncated'})`);
  }
  return stats;
}

export const detectTrack: StageFn = async (ctx) => {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const { signal } = ctx;
  const plan = planDetectTrack(ctx.video, ctx.config);
  // Before the detector opens, so a cancel during the packet probe leaves nothing to close.
  const asked = ctx.config.sampling ?? DEFAULT_SAMPLING;
  const sampling = await planSampling({ videoPath: ctx.videoPath, asked, stride: plan.stride, fps: plan.fps, signal });
  const detector = await openDetector(ctx.config.modelsDir);
  const samplingLine = describeSampling(asked, sampling, plan.stride);
  if (samplingLine) ctx.log(samplingLine);
  ctx.log(describePlan(plan));

  const ts = frameTime(plan.fps);
  const writers = openWriters(ctx.outDir);
  const pool = new CropPool();
  const cuts = sampling.decodable ? new SparseCutDetector() : new CutDetector();
  const tracks = new TrackBuilder({ plan, cuts, writers, pool, ts, stepFrames: sampling.decodable ? plan.stride : 0 });
  const decoder = new FrameDecoder({
    videoPath: ctx.videoPath,
    width: plan.width,
    height: plan.height,
    stride: plan.stride,
    decoderThreads: plan.decoderThreads,
    signal,
    decodable: sampling.decodable,
    onTiny: (idx, gray) => { cuts.pushFrame(idx, gray); },
  });

  let committed = false;
  try {
    const { rawDetections, steps } = await analyseFrames(ctx, plan, decoder, detector, tracks, pool);
    if (signal.aborted) throw cancelledError(signal);
    cuts.finish();
    await tracks.finish();
    const framesDecoded = decoder.tinyFrames;
    const bounds = await shotBounds(ctx, sampling, cuts, framesDecoded, plan.threads);
    const shots = shotRows(bounds.cuts, bounds.end, ts);
    for (const row of shots) await writers.shots.write(row);
    if (signal.aborted) throw cancelledError(signal);
    await writers.commit();
    committed = true;
    const counts: RunCounts = {
      framesDecoded,
      sourceFrames: bounds.end,
      framesAnalysed: decoder.analysisFrames,
      detections: writers.detections.rows,
      rawDetections,
      tracks: tracks.tracks,
      shots: shots.length,
      samples: tracks.samples,
    };
    const extra = asked === DEFAULT_SAMPLING ? {} : samplingStats(sampling, steps, bounds.refined, bounds.end);
    return finishStats(ctx, plan, counts, extra, detector, decoder, (performance.now() - started) / 1000, process.cpuUsage(cpuAtStart));
  } catch (e) {
    if (signal.aborted) throw cancelledError(signal);
    throw e;
  } finally {
    decoder.kill();
    if (!committed) await writers.abort();
    tracks.discard();
    await detector.close().catch(() => undefined);
  }
};
