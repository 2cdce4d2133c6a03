// What one detect_track run does, decided once from the video facts and the stage options before
// anything is decoded: which frames are analysed, at what size, and how the thread cap is split
// between ffmpeg and inference. Pure, tested beside.

import type { VideoFacts } from '../../shared/artifacts.js';
import type { Sampling } from '../../shared/stages.js';
import { profileDefaults } from '../detect/profiles.js';
import type { StageConfig } from '../runtime/stage.js';
import { analysisSize } from '../video/decode.js';
import type { SamplingPlan } from '../video/keyframe-sampling.js';

/** Timestamps need a frame rate; a container that does not state one is read as 25 fps. */
const FALLBACK_FPS = 25;

export interface DetectTrackPlan {
  /** Frame rate of the timestamps. */
  fps: number;
  /** Analyse every `stride`-th frame (cuts are still found on every frame). */
  stride: number;
  /** The stage's cap on busy threads. */
  threads: number;
  /** ffmpeg's share of the cap: ffmpeg threads + 1 inference thread <= cap. */
  decoderThreads: number;
  /** With a cap of 1, decoding and inference take turns (FrameDecoder hold / release). */
  serialize: boolean;
  /** Size of the analysis frames the detector sees. */
  width: number;
  height: number;
  /** Analysis pixels to source pixels. */
  scaleX: number;
  scaleY: number;
  /** Face samples kept per track for faces_embed. */
  samplesPerTrack: number;
  /** How long a lost track may come back, in frames (the tracker counts it in analysed frames). */
  trackBufferFrames: number;
}

export function planDetectTrack(video: VideoFacts, config: Pick<StageConfig, 'profile' | 'stride' | 'threads'>): DetectTrackPlan {
  const fps = video.fps > 0 ? video.fps : FALLBACK_FPS;
  const profile = profileDefaults(config.profile, fps);
  const threads = Math.max(1, Math.floor(config.threads || 1));
  const { width, height } = analysisSize(video.width, video.height, profile.analysisWidth);
  return {
    fps,
    stride: Number.isInteger(config.stride) && config.stride > 0 ? config.stride : profile.stride,
    threads,
    decoderThreads: Math.max(1, threads - 1),
    serialize: threads <= 1,
    width,
    height,
    scaleX: video.width / width,
    scaleY: video.height / height,
    samplesPerTrack: profile.samplesPerTrack,
    trackBufferFrames: profile.trackBufferFrames,
  };
}

/** The run's first log line: what is analysed and how the threads are shared. */
export function describePlan(p: DetectTrackPlan): string {
  const turns = p.serialize ? ', taking turns with inference' : '';
  return `detect_track: analysing 1 frame in ${p.stride} at ${p.width}x${p.height}, ${p.threads} thread${p.threads > 1 ? 's' : ''} (ffmpeg ${p.decoderThreads}${turns} + inference 1), ${p.samplesPerTrack} samples per track`;
}

/**
 * The log line on the sampling when `decodable` was asked for (what it got, and why); none for
 * the default, whose run logs what it always did.
 */
export function describeSampling(asked: Sampling, got: Pick<SamplingPlan, 'sampling' | 'why'>, stride: number): string | null {
  if (got.sampling === 'decodable') return `detect_track: sampling on decodable frames (${got.why}), about 1 frame in ${stride}`;
  if (asked !== 'stride') return `detect_track: sampling every ${stride}th frame (${got.why})`;
  return null;
}
