// The stream's frame layout from its packets (demux only, no decode): every frame's presentation
// timestamp, which frames are keyframes, and whether frames are reordered (B-frames). This decides
// whether detect_track can sample on decodable frames (`-skip_frame noref`) and maps each decoded
// frame's pts back to its exact source frame index (its rank among all presentation timestamps).

import { execa } from 'execa';
import type { Sampling } from '../../shared/stages.js';
import { ffprobePath } from './ffmpeg-path.js';

export interface FrameLayout {
  /** Presentation timestamps of every frame, ascending, in stream time-base units. */
  pts: Float64Array;
  /** Source frame indices (presentation order) of the keyframes, ascending. */
  keyframes: number[];
  /** Some frame is shown before a frame decoded earlier: the stream has B-frames. */
  reordered: boolean;
  /** Every packet carries a pts (AVI and raw streams do not: no exact index mapping). */
  ptsComplete: boolean;
  /** B-frames (packets shown before an earlier-decoded one) counted in decode order. */
  bFrames: number;
  /** Seconds per pts unit (the stream's time base). */
  timeBase: number;
}

/**
 * Parses `ffprobe -show_entries stream=time_base:packet=pts,flags -of csv`: one "packet,pts,flags"
 * line per packet in decode order and one "stream,num/den" line. Pure. A frame is a B-frame when
 * its pts is below the largest pts decoded before it.
 */
export function parsePacketCsv(text: string): FrameLayout {
  const pts: number[] = [];
  const key: boolean[] = [];
  let complete = true;
  let maxPts = -Infinity;
  let bFrames = 0;
  let timeBase = NaN;
  for (const raw of text.split('\n')) {
    const [kind, p, flags = ''] = raw.trim().split(',');
    if (kind === 'stream') {
      const [n, d] = (p ?? '').split('/').map(Number);
      if (n! > 0 && d! > 0) timeBase = n! / d!;
      continue;
    }
    if (kind !== 'packet') continue;
    const v = Number(p);
    if (p === undefined || p === '' || p === 'N/A' || !Number.isFinite(v)) { complete = false; continue; }
    if (v < maxPts) bFrames++;
    else maxPts = v;
    pts.push(v);
    key.push(flags.includes('K'));
  }
  const order = pts.map((_, i) => i).sort((a, b) => pts[a]! - pts[b]!);
  const sorted = Float64Array.from(order, (i) => pts[i]!);
  const keyframes: number[] = [];
  order.forEach((i, rank) => { if (key[i]) keyframes.push(rank); });
  return { pts: sorted, keyframes, reordered: bFrames > 0, ptsComplete: complete && pts.length > 0, bFrames, timeBase };
}

/** Source frame index of a decoded frame's pts: exact match in the sorted list, else nearest. */
export function frameIndexOfPts(layout: Pick<FrameLayout, 'pts'>, pts: number): number {
  const a = layout.pts;
  let lo = 0;
  let hi = a.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < pts) lo = mid + 1;
    else hi = mid;
  }
  // lo: first pts >= target; the one before may be nearer (a timestamp rounded by a filter).
  if (lo > 0 && Math.abs(a[lo - 1]! - pts) < Math.abs(a[lo]! - pts)) return lo - 1;
  return lo;
}

/**
 * Which sampling a stream gets when `decodable` is asked for. Skipping B-frames only pays when
 * there are B-frames, and the exact frame index of a decoded frame needs a pts on every packet;
 * anything else (all-intra, baseline profile, AVI with packed B-frames) keeps the stride path.
 */
export function samplingFor(asked: Sampling, layout: FrameLayout | null): { sampling: Sampling; why: string } {
  if (asked === 'stride') return { sampling: 'stride', why: 'asked for' };
  if (!layout || layout.pts.length === 0) return { sampling: 'stride', why: 'no packet list' };
  if (!layout.ptsComplete || !(layout.timeBase > 0)) return { sampling: 'stride', why: 'packets without timestamps' };
  if (!layout.reordered) return { sampling: 'stride', why: 'no B-frames' };
  return { sampling: 'decodable', why: `${layout.bFrames} of ${layout.pts.length} frames are B-frames` };
}

/** Reads the packet list of the first video stream (demux only: about 1 s per hour of video). */
export async function probeFrameLayout(file: string, signal?: AbortSignal): Promise<FrameLayout | null> {
  const res = await execa(ffprobePath(), [
    '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=time_base:packet=pts,flags', '-of', 'csv', file,
  ], { reject: false, stdin: 'ignore', timeout: 300_000, cancelSignal: signal, maxBuffer: 512 * 1024 * 1024 });
  if (res.exitCode !== 0) return null;
  return parsePacketCsv(String(res.stdout));
}
