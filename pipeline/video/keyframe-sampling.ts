// Sampling on decodable frames: where a stream has B-frames, ffmpeg decodes only the frames other
// frames reference (`-skip_frame noref`: I, P and reference B-frames, about half the decode work
// on x264 output) and the detector gets
// those of them that keep the profile's target rate. The spacing between analysed frames is then
// irregular, so every frame carries its own exact source index, read from its pts.
//
// ffmpeg reports each frame's pts through two `showinfo` filters on stderr: one on the thumbnail
// chain (every decoded frame, for the cut detector), one on the analysis chain after the `select`
// (every analysed frame). Frames arrive on the pipes in the same order as their showinfo lines, so the
// k-th frame of a pipe pairs with the k-th line of its filter.
//
// Which sampling a run gets: the stage option `--sampling` (StageConfig.sampling), default
// `stride`; `decodable` falls back to `stride` for streams without B-frames (frame-types.ts).

import type { Sampling } from '../../shared/stages.js';
import { probeFrameLayout, samplingFor, type FrameLayout } from './frame-types.js';

/**
 * ffmpeg `select` expression that keeps about one frame per `stepSeconds` out of irregularly
 * spaced frames: a frame is taken once its time reaches the due time (less half a frame), and the
 * next due time is one step later, or half a step after this frame when a long gap (an I/P frame
 * far away) left the schedule behind. So the average rate stays at the target where the frame
 * types allow it. Keyframes are always taken: encoders put one on most cuts, so the first frame
 * of a shot is analysed and a face's time starts at the shot's edge; a keyframe taken before its
 * due time restarts the schedule from itself (else the next frame would come up to 2 steps later).
 * Commas are escaped for a -filter_complex graph.
 */
export function selectDueExpr(stepSeconds: number, frameSeconds: number): string {
  const s = stepSeconds.toFixed(6);
  const h = (frameSeconds / 2).toFixed(6);
  return `if(gte(t\\,ld(0)-${h})\\,st(0\\,max(ld(0)+${s}\\,t+${s}/2))\\,if(key\\,st(0\\,t+${s})\\,0))`;
}

/** The same schedule in plain numbers (for tests and for reasoning about the spacing). */
export function selectDue(frames: ReadonlyArray<{ t: number; key: boolean }>, stepSeconds: number, frameSeconds: number): number[] {
  let due = 0;
  const out: number[] = [];
  for (const { t, key } of frames) {
    if (t >= due - frameSeconds / 2) {
      due = Math.max(due + stepSeconds, t + stepSeconds / 2);
      out.push(t);
    } else if (key) {
      due = t + stepSeconds;
      out.push(t);
    }
  }
  return out;
}

export interface ShowinfoFrame {
  /** The filter's index in the parsed graph (`Parsed_showinfo_<index>`). */
  filter: number;
  n: number;
  /** pts in the filter's input time base (the stream's, for a graph fed straight from the decoder). */
  pts: number;
}

const SHOWINFO = /\[Parsed_showinfo_(\d+) @ [^\]]*\]\s*n:\s*(\d+)\s+pts:\s*(-?\d+)/;

/** One frame line of `showinfo`, or null for every other stderr line. */
export function parseShowinfo(line: string): ShowinfoFrame | null {
  const m = SHOWINFO.exec(line);
  if (!m) return null;
  return { filter: Number(m[1]), n: Number(m[2]), pts: Number(m[3]) };
}

/** Any line a showinfo filter printed (frame lines, side data, colour info): never an error. */
export function isShowinfoLine(line: string): boolean {
  return line.includes('[Parsed_showinfo_');
}

/**
 * Pairs two in-order streams that arrive separately (frames on a pipe, their timestamps on
 * stderr): `onPair` runs for the k-th item of each as soon as both are there.
 */
export class InOrderPairs<A, B> {
  private readonly as: A[] = [];
  private readonly bs: B[] = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly onPair?: (a: A, b: B) => void) {}

  pushA(a: A): void { this.as.push(a); this.flush(); }
  pushB(b: B): void { this.bs.push(b); this.flush(); this.wake(); }

  /** Items of B not yet paired (the caller pairs them itself with takeB when it has no onPair). */
  get pendingB(): number { return this.bs.length; }
  takeB(): B | undefined { return this.bs.shift(); }

  /** Resolves when the next B arrives (or `wake` is called at the end of the stream). */
  nextB(): Promise<void> {
    return new Promise((resolve) => { this.waiters.push(resolve); });
  }

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private flush(): void {
    if (!this.onPair) return;
    while (this.as.length > 0 && this.bs.length > 0) this.onPair(this.as.shift()!, this.bs.shift()!);
  }
}

export interface SamplingPlan {
  sampling: Sampling;
  why: string;
  /** Set for decodable sampling: what the decoder and the cut refinement need. */
  decodable?: { layout: FrameLayout; stepSeconds: number; frameSeconds: number };
}

/** Decides the sampling of one run; reads the packet list only when decodable is asked for. */
export async function planSampling(o: { videoPath: string; asked: Sampling; stride: number; fps: number; signal?: AbortSignal }): Promise<SamplingPlan> {
  if (o.asked === 'stride') return { sampling: 'stride', why: 'asked for' };
  const layout = await probeFrameLayout(o.videoPath, o.signal);
  const { sampling, why } = samplingFor(o.asked, layout);
  if (sampling === 'stride' || !layout) return { sampling: 'stride', why };
  return { sampling, why, decodable: { layout, stepSeconds: o.stride / o.fps, frameSeconds: 1 / o.fps } };
}
