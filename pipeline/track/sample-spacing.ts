// Spacing of analysed frames. With stride sampling it is the stride; with decodable sampling
// (pipeline/video/keyframe-sampling.ts) it varies with the stream's I/P pattern, so detect_track
// records the mean and the largest step, and the rules that assumed "one analysed frame every
// `stride` frames" (the tracker's step, screen time's gap tolerance and shot-edge rule) use them.

/** Mean and largest gap between consecutive analysed frames, in source frames. */
export class StepStats {
  private last = -1;
  private steps = 0;
  private sum = 0;
  max = 0;

  push(frameIdx: number): void {
    if (this.last >= 0 && frameIdx > this.last) {
      const g = frameIdx - this.last;
      this.steps++;
      this.sum += g;
      if (g > this.max) this.max = g;
    }
    this.last = frameIdx;
  }

  get mean(): number {
    return this.steps > 0 ? this.sum / this.steps : 0;
  }
}

/**
 * The step screen time must allow for: the configured stride, or the largest step detect_track
 * reported when it sampled decodable frames (a face seen on the first analysed frame of a shot
 * may have been there since the cut, up to one such step earlier).
 */
export function analysedStride(configStride: number, detectStats: Record<string, unknown> | undefined): number {
  const max = Number(detectStats?.max_step_frames);
  if (detectStats?.sampling !== 'decodable' || !Number.isFinite(max) || max < 1) return configStride;
  return Math.max(configStride, max);
}
