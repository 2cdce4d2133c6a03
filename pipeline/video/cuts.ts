// Frame-precise hard-cut detection on tiny gray thumbnails of EVERY frame. Pure and streaming.
//
// Signal: d[n] = mean absolute difference between thumbnails n-1 and n (0..255). A cut at n is a
// spike: d[n] stands out against the recent past (median of the previous `window` diffs, the
// adaptive part: busy footage raises the bar) AND against both neighbouring diffs d[n-1] and
// d[n+1] (one frame of look-ahead: a fast pan keeps d high for several frames, and a one-frame
// flash gives two equal diffs, in and out; a cut gives one).
// Thumbnails are area-averaged 32x18, so noise and small motion average out; a cut between two
// dark shots still moves the mean difference well above the static baseline (e.g. 18 vs <0.4 on
// episode_gt.mp4 at 30.8 s) even though both sides look alike to a histogram.
// Frames need not be consecutive (decodable sampling feeds the referenced frames only): motion adds up over
// a gap of g frames and a cut does not, so the history keeps diffs per frame (d / g) and the bar
// from the past is g times the per-frame median. With consecutive frames (g = 1) nothing changes.

export interface CutOptions {
  /** Absolute floor for d[n] (gray levels). */
  minDiff: number;
  /** d[n] must exceed this multiple of the recent median. */
  ratioPast: number;
  /** d[n] must exceed this multiple of d[n-1] and of d[n+1]. */
  ratioNext: number;
  /** Frames of history for the median. */
  window: number;
  /** No second cut within this many frames of the previous one. */
  minShotFrames: number;
}

export const DEFAULT_CUT_OPTIONS: CutOptions = { minDiff: 6, ratioPast: 4, ratioNext: 2, window: 24, minShotFrames: 4 };

/** Mean absolute difference of two equal-length gray images. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d < 0 ? -d : d;
  }
  return s / a.length;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const v = [...values].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/**
 * Decides cuts from the diff sequence. `diffs[n]` is the diff between frames n-1 and n
 * (diffs[0] is ignored). Returns the frame indices where a new shot starts (never 0).
 */
export function cutsFromDiffs(diffs: ArrayLike<number>, o: CutOptions = DEFAULT_CUT_OPTIONS): number[] {
  const det = new CutDetector(o);
  const out: number[] = [];
  for (let n = 1; n < diffs.length; n++) out.push(...det.pushDiff(n, diffs[n]!));
  out.push(...det.finish());
  return out;
}

/** Streaming form: feed frames (or diffs) in order; cuts come out one frame late. */
export class CutDetector {
  private prev: Uint8Array | null = null;
  private history: number[] = [];
  private pending: { frame: number; diff: number; gap: number } | null = null;
  private prevFrame = -1;
  private lastCut = 0;
  private prevDiff = 0;
  /** Every decision up to and including this frame is final. */
  confirmedThrough = -1;
  readonly cuts: number[] = [];

  constructor(private readonly o: CutOptions = DEFAULT_CUT_OPTIONS) {}

  /** Feeds frame `frameIdx` (consecutive from 0). Returns cuts confirmed by this frame. */
  pushFrame(frameIdx: number, gray: Uint8Array): number[] {
    if (!this.prev) {
      // The first frame starts the first shot: nothing to decide.
      this.prev = new Uint8Array(gray);
      this.prevFrame = frameIdx;
      this.confirmedThrough = frameIdx;
      return [];
    }
    const d = meanAbsDiff(this.prev, gray);
    this.prev.set(gray);
    const gap = Math.max(1, frameIdx - this.prevFrame);
    this.prevFrame = frameIdx;
    return this.pushDiff(frameIdx, d, gap);
  }

  /** Feeds d[frameIdx]: the diff between the previous frame fed (`gap` frames back) and frameIdx. */
  pushDiff(frameIdx: number, diff: number, gap = 1): number[] {
    const out: number[] = [];
    const p = this.pending;
    if (p) {
      if (this.isCut(p.frame, p.diff, diff, p.gap)) out.push(this.accept(p.frame));
      else this.remember(p.diff / p.gap);
      this.prevDiff = p.diff;
    }
    this.pending = { frame: frameIdx, diff, gap };
    this.confirmedThrough = frameIdx - 1;
    return out;
  }

  /** End of stream: decides the last frame (no look-ahead left). */
  finish(): number[] {
    const out: number[] = [];
    const p = this.pending;
    if (p) {
      if (this.isCut(p.frame, p.diff, 0, p.gap)) out.push(this.accept(p.frame));
      else this.remember(p.diff / p.gap);
      this.confirmedThrough = p.frame;
      this.pending = null;
    }
    return out;
  }

  private isCut(frame: number, d: number, next: number, gap: number): boolean {
    if (d < this.o.minDiff) return false;
    if (frame - this.lastCut < this.o.minShotFrames) return false;
    const base = Math.max(median(this.history), 0.5) * gap;
    return d >= this.o.ratioPast * base && d >= this.o.ratioNext * Math.max(next, this.prevDiff);
  }

  private accept(frame: number): number {
    this.cuts.push(frame);
    this.lastCut = frame;
    // The spike itself never enters the history (it would raise the bar for the next cut).
    return frame;
  }

  private remember(d: number) {
    this.history.push(d);
    if (this.history.length > this.o.window) this.history.shift();
  }
}
