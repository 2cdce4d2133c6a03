// Screen time's parameters for one episode, read from its manifest: the one source for the
// screentime stage, the recomputation after a review edit (pipeline/review/edits.ts) and the
// bench, so the three never disagree on a run. Under decodable sampling the analysed frames are
// irregularly spaced: the gap tolerance and the shot-edge rule allow for detect_track's largest
// step (sample-spacing.ts, analysedStride); the half-step padding stays the stride, the mean step.

import type { Manifest } from '../../shared/artifacts.js';
import { detectStride, screentimeParams } from '../cluster/io.js';
import { analysedStride } from '../track/sample-spacing.js';
import { gapToleranceFor, type ScreentimeParams } from './compute.js';

/** The step between analysed frames screen time must allow for, in source frames. */
export function analysedStep(manifest: Manifest): number {
  return analysedStride(detectStride(manifest), manifest.stages.detect_track?.stats);
}

/** The gap bridged inside a shot when nothing else was chosen (the screentime stage's default). */
export function defaultGapTolerance(manifest: Manifest): number {
  return gapToleranceFor(analysedStep(manifest), manifest.video.fps);
}

export function episodeScreentimeParams(manifest: Manifest, gapToleranceS = defaultGapTolerance(manifest)): ScreentimeParams {
  return { ...screentimeParams(manifest, gapToleranceS), strideFrames: analysedStep(manifest) };
}
