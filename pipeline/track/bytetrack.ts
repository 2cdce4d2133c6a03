// A ByteTrack-family face tracker. Pure: boxes in, track assignments and ended tracks out.
//
// Per analysed frame:
//   1. every live track (tracked or lost) predicts its box with a constant-velocity Kalman filter;
//   2. HIGH-score detections are matched to confirmed tracks (tracked and lost) by IoU;
//   3. LOW-score detections are matched to the still-unmatched TRACKED tracks (a face turning away
//      or blurred keeps its track instead of fragmenting it: ByteTrack's point);
//   4. unconfirmed tracks (seen once) get the remaining high-score detections, or die;
//   5. tracks left unmatched become lost; lost longer than the buffer, they end;
//   6. remaining high-score detections start new, unconfirmed tracks (never low-score ones).
// Matching is greedy on IoU (largest first): faces rarely overlap, and greedy is exact whenever
// each detection overlaps at most one prediction. Track ids are given on confirmation, densely
// from 0, so every id that ever appears in the output belongs to a track of >= 2 detections.
// `endAll()` ends every track at once: callers do it at each shot cut.

import type { Box } from '../../shared/artifacts.js';
import { iou } from '../detect/yunet.js';
import { BoxKalman } from './kalman.js';

export interface TrackerOptions {
  /** Detections at or above are "high" (they can start tracks). */
  highThresh: number;
  /** Detections below are ignored. */
  lowThresh: number;
  /** Minimum IoU for the high pass / the low pass / unconfirmed tracks. */
  matchIouHigh: number;
  matchIouLow: number;
  matchIouUnconfirmed: number;
  /** A lost track ends after this many analysed frames without a match. */
  bufferSamples: number;
  /**
   * Source frames of one nominal step when analysed frames are irregularly spaced (decodable
   * sampling): each prediction then covers (frame gap / stepFrames) steps. 0: one step per update.
   */
  stepFrames: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  highThresh: 0.6,
  lowThresh: 0.35,
  matchIouHigh: 0.2,
  matchIouLow: 0.4,
  matchIouUnconfirmed: 0.3,
  bufferSamples: 8,
  stepFrames: 0,
};

/** Buffer in analysed frames for a buffer given in source frames (ByteTrack's 30 frames). */
export function bufferSamplesFor(bufferFrames: number, stride: number): number {
  return Math.max(1, Math.ceil(bufferFrames / Math.max(1, stride)));
}

export interface TrackDet {
  box: Box;
  score: number;
}

export interface EndedTrack {
  trackId: number;
  firstFrame: number;
  lastFrame: number;
  nDetections: number;
  sumScore: number;
}

export interface TrackUpdate {
  /** Per input detection: the confirmed track id it belongs to, or null. */
  trackIds: Array<number | null>;
  /**
   * Tracks confirmed in this update, with the frame and detection index of their first (until now
   * unassigned) detection, so callers can label it after the fact.
   */
  confirmed: Array<{ trackId: number; firstFrame: number; firstDet: number }>;
  /** Confirmed tracks that ended in this update (lost for longer than the buffer). */
  ended: EndedTrack[];
}

interface Track {
  /** -1 until confirmed */
  id: number;
  /** internal handle, for unconfirmed tracks */
  key: number;
  kf: BoxKalman;
  state: 'tracked' | 'lost';
  confirmed: boolean;
  firstFrame: number;
  firstDet: number;
  lastFrame: number;
  lastStep: number;
  nDetections: number;
  sumScore: number;
}

export class ByteTracker {
  private tracks: Track[] = [];
  private nextId = 0;
  private nextKey = 0;
  private step = 0;
  private lastFrame = -1;
  readonly o: TrackerOptions;

  constructor(opts: Partial<TrackerOptions> = {}) {
    this.o = { ...DEFAULT_TRACKER_OPTIONS, ...opts };
  }

  /** Number of ids handed out so far. */
  get tracksStarted(): number {
    return this.nextId;
  }

  update(frame: number, dets: TrackDet[]): TrackUpdate {
    this.step++;
    const o = this.o;
    const trackIds: Array<number | null> = dets.map(() => null);
    const confirmedNow: TrackUpdate['confirmed'] = [];
    // One step per analysed frame: callers update on every analysed frame, faces or not. With
    // irregular spacing the step is the frame gap in nominal steps, so velocities stay per step.
    const dt = o.stepFrames > 0 && this.lastFrame >= 0 ? Math.max(1, frame - this.lastFrame) / o.stepFrames : 1;
    this.lastFrame = frame;
    for (const t of this.tracks) t.kf.predict(dt);

    const high: number[] = [];
    const low: number[] = [];
    dets.forEach((d, i) => {
      if (d.score >= o.highThresh) high.push(i);
      else if (d.score >= o.lowThresh) low.push(i);
    });

    const assign = (t: Track, di: number) => {
      const d = dets[di]!;
      t.kf.update(d.box);
      t.state = 'tracked';
      t.lastFrame = frame;
      t.lastStep = this.step;
      t.nDetections++;
      t.sumScore += d.score;
      if (!t.confirmed) {
        t.confirmed = true;
        t.id = this.nextId++;
        confirmedNow.push({ trackId: t.id, firstFrame: t.firstFrame, firstDet: t.firstDet });
      }
      trackIds[di] = t.id;
    };

    const confirmed = this.tracks.filter((t) => t.confirmed);
    const unconfirmed = this.tracks.filter((t) => !t.confirmed);

    // Pass 1: high-score detections vs all confirmed tracks.
    const m1 = greedyMatch(confirmed, high, dets, o.matchIouHigh);
    for (const [ti, di] of m1.pairs) assign(confirmed[ti]!, di);
    // Pass 2: low-score detections vs confirmed tracks that were being tracked (not lost).
    const rest = m1.unmatchedTracks.map((i) => confirmed[i]!).filter((t) => t.state === 'tracked');
    const m2 = greedyMatch(rest, low, dets, o.matchIouLow);
    for (const [ti, di] of m2.pairs) assign(rest[ti]!, di);
    // Pass 3: unconfirmed tracks vs the high-score detections nobody took.
    const highLeft = m1.unmatchedDets;
    const m3 = greedyMatch(unconfirmed, highLeft, dets, o.matchIouUnconfirmed);
    for (const [ti, di] of m3.pairs) assign(unconfirmed[ti]!, di);

    const matched = new Set<Track>();
    for (const [ti] of m1.pairs) matched.add(confirmed[ti]!);
    for (const [ti] of m2.pairs) matched.add(rest[ti]!);
    for (const [ti] of m3.pairs) matched.add(unconfirmed[ti]!);

    const ended: EndedTrack[] = [];
    const survivors: Track[] = [];
    for (const t of this.tracks) {
      if (matched.has(t)) { survivors.push(t); continue; }
      if (!t.confirmed) continue; // seen once, never again: noise
      t.state = 'lost';
      if (this.step - t.lastStep > o.bufferSamples) ended.push(endOf(t));
      else survivors.push(t);
    }
    // New tracks from high-score detections nobody matched.
    for (const di of m3.unmatchedDets) {
      const d = dets[di]!;
      survivors.push({
        id: -1,
        key: this.nextKey++,
        kf: new BoxKalman(d.box),
        state: 'tracked',
        confirmed: false,
        firstFrame: frame,
        firstDet: di,
        lastFrame: frame,
        lastStep: this.step,
        nDetections: 1,
        sumScore: d.score,
      });
    }
    this.tracks = survivors;
    return { trackIds, confirmed: confirmedNow, ended };
  }

  /** Ends every track (a shot cut, or the end of the video). Unconfirmed tracks vanish. */
  endAll(): EndedTrack[] {
    const ended = this.tracks.filter((t) => t.confirmed).map(endOf);
    this.tracks = [];
    return ended;
  }

  /** Live confirmed tracks (for tests and logs). */
  activeIds(): number[] {
    return this.tracks.filter((t) => t.confirmed).map((t) => t.id);
  }

  /** Predicted box of a live confirmed track. */
  predicted(id: number): Box | null {
    return this.tracks.find((t) => t.id === id)?.kf.box() ?? null;
  }
}

function endOf(t: Track): EndedTrack {
  return { trackId: t.id, firstFrame: t.firstFrame, lastFrame: t.lastFrame, nDetections: t.nDetections, sumScore: t.sumScore };
}

/** Greedy IoU matching: pairs (track index, detection index) from the highest IoU down. */
export function greedyMatch(
  tracks: Array<{ kf: BoxKalman }>,
  detIdx: number[],
  dets: TrackDet[],
  minIou: number,
): { pairs: Array<[number, number]>; unmatchedTracks: number[]; unmatchedDets: number[] } {
  const cand: Array<[number, number, number]> = [];
  const boxes = tracks.map((t) => t.kf.box());
  for (let ti = 0; ti < tracks.length; ti++) {
    for (const di of detIdx) {
      const v = iou(boxes[ti]!, dets[di]!.box);
      if (v >= minIou) cand.push([v, ti, di]);
    }
  }
  cand.sort((a, b) => b[0] - a[0]);
  const usedT = new Set<number>();
  const usedD = new Set<number>();
  const pairs: Array<[number, number]> = [];
  for (const [, ti, di] of cand) {
    if (usedT.has(ti) || usedD.has(di)) continue;
    usedT.add(ti);
    usedD.add(di);
    pairs.push([ti, di]);
  }
  return {
    pairs,
    unmatchedTracks: tracks.map((_, i) => i).filter((i) => !usedT.has(i)),
    unmatchedDets: detIdx.filter((d) => !usedD.has(d)),
  };
}
