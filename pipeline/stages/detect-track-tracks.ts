// Analysed frames' detections -> tracks inside shots, their best samples, and the rows of
// detections.jsonl, tracks.jsonl, samples.jsonl and samples.rgb as tracks end.
//
// Frames wait in a queue until the cut detector has ruled on them: cuts are known one tiny frame
// late, and the tiny stream may trail the big one. The queue holds a frame or two, never the video.
// Every cut between two analysed frames ends all tracks, so no track crosses a shot boundary.

import { ByteTracker, bufferSamplesFor, type EndedTrack, type TrackUpdate } from '../track/bytetrack.js';
import { SampleSelector } from '../track/samples.js';
import { LookMean } from '../detect/frame-look.js';
import type { CutDetector } from '../video/cuts.js';
import type { CropPool, Det, FrameDets } from './detect-track-faces.js';
import { detectionRow, sampleRow, trackRow, type DetectTrackWriters, type FrameTime } from './detect-track-output.js';
import type { DetectTrackPlan } from './detect-track-plan.js';

interface Kept {
  det: Det;
  frame: number;
}

interface LiveTrack {
  shot: number;
  selector: SampleSelector<Kept>;
  look: LookMean;
}

export interface TrackBuilderDeps {
  plan: DetectTrackPlan;
  cuts: CutDetector;
  writers: DetectTrackWriters;
  pool: CropPool;
  ts: FrameTime;
  /**
   * Source frames of one nominal step when analysed frames are irregularly spaced (decodable
   * sampling: the stride); 0: evenly spaced, one tracker step per analysed frame.
   */
  stepFrames: number;
}

export class TrackBuilder {
  private readonly tracker: ByteTracker;
  private readonly live = new Map<number, LiveTrack>();
  private readonly waiting: FrameDets[] = [];
  /** The last frame handed to the tracker: its unconfirmed detections may still start a track. */
  private previous: FrameDets | null = null;
  private shot = 0;
  private cutsApplied = 0;
  private samplesWritten = 0;
  private tracksWritten = 0;

  constructor(private readonly deps: TrackBuilderDeps) {
    this.tracker = new ByteTracker({ bufferSamples: bufferSamplesFor(deps.plan.trackBufferFrames, deps.plan.stride), stepFrames: deps.stepFrames });
  }

  get samples(): number {
    return this.samplesWritten;
  }

  get tracks(): number {
    return this.tracksWritten;
  }

  /** Queues a frame and tracks every queued frame the cut detector has ruled on. */
  async push(frame: FrameDets): Promise<void> {
    this.waiting.push(frame);
    await this.drain(false);
  }

  /** After the last frame (and `cuts.finish()`): tracks what is queued and ends every track. */
  async finish(): Promise<void> {
    await this.drain(true);
    await this.endAllTracks();
  }

  /** A failed or cancelled run: gives every kept sample's pixels back. */
  discard(): void {
    for (const lt of this.live.values()) lt.selector.discard();
  }

  private async drain(final: boolean): Promise<void> {
    // Re-read on every turn: the decoder's tiny frames move it on while rows are being written.
    const ruled = () => final || this.waiting[0]!.frame <= this.deps.cuts.confirmedThrough;
    while (this.waiting.length > 0 && ruled()) await this.trackFrame(this.waiting.shift()!);
  }

  private async trackFrame(p: FrameDets): Promise<void> {
    if (this.passCuts(p.frame)) await this.endAllTracks();
    const u = this.tracker.update(p.frame, p.dets.map((d) => ({ box: d.box, score: d.conf })));
    await this.startConfirmed(u.confirmed);
    await this.claimMatched(p, u.trackIds);
    for (const e of u.ended) await this.finishTrack(e);
    // Unconfirmed detections of the previous frame had their one chance: free their pixels.
    this.releaseUnclaimed(this.previous);
    this.previous = p;
  }

  /** Counts the cuts up to `frame` into the shot number; true when there was one. */
  private passCuts(frame: number): boolean {
    const cuts = this.deps.cuts.cuts;
    let cut = false;
    while (this.cutsApplied < cuts.length && cuts[this.cutsApplied]! <= frame) {
      this.cutsApplied++;
      this.shot++;
      cut = true;
    }
    return cut;
  }

  private async endAllTracks(): Promise<void> {
    for (const e of this.tracker.endAll()) await this.finishTrack(e);
    this.releaseUnclaimed(this.previous);
    this.previous = null;
  }

  /** New tracks get a sample selector and their first detection, which is one analysed frame old. */
  private async startConfirmed(confirmed: TrackUpdate['confirmed']): Promise<void> {
    const { plan, pool } = this.deps;
    for (const c of confirmed) {
      const release = (x: Kept) => {
        pool.give(x.det.pixels);
        x.det.pixels = null;
      };
      this.live.set(c.trackId, { shot: this.shot, selector: new SampleSelector(plan.samplesPerTrack, c.firstFrame, plan.stride, release), look: new LookMean() });
      // The tracker confirms on the 2nd hit: the first one is on the previous analysed frame.
      const prev = this.previous;
      const first = prev && prev.frame === c.firstFrame ? prev.dets[c.firstDet] : undefined;
      if (first) {
        first.kept = true;
        await this.claim(c.trackId, c.firstFrame, first, prev!.look);
      }
    }
  }

  private async claimMatched(p: FrameDets, trackIds: TrackUpdate['trackIds']): Promise<void> {
    for (let i = 0; i < p.dets.length; i++) {
      const id = trackIds[i];
      if (id === null || id === undefined) continue;
      p.dets[i]!.kept = true;
      await this.claim(id, p.frame, p.dets[i]!, p.look);
    }
  }

  /** Writes the detection row and offers the sample to the track's selector. */
  private async claim(trackId: number, frame: number, d: Det, look: Uint8Array | null): Promise<void> {
    await this.deps.writers.detections.write(detectionRow(frame, d, trackId, this.deps.ts));
    const lt = this.live.get(trackId);
    if (!lt) return;
    if (look) lt.look.add(look);
    // The selector owns the pixels from here (it releases what it drops).
    lt.selector.offer({ frameIdx: frame, quality: d.quality, payload: { det: d, frame } });
  }

  /** Writes an ended track's kept samples, then its row. */
  private async finishTrack(e: EndedTrack): Promise<void> {
    const { writers, ts } = this.deps;
    const lt = this.live.get(e.trackId);
    this.live.delete(e.trackId);
    for (const c of lt ? lt.selector.finish() : []) {
      const d = c.payload.det;
      if (!d.pixels) continue;
      await writers.samplesBin.write(d.pixels);
      await writers.samples.write(sampleRow(this.samplesWritten++, e.trackId, c.frameIdx, d, ts));
      // The write stream keeps a reference to the buffer until it is flushed, so a written buffer
      // never goes back to the pool.
      d.pixels = null;
    }
    await writers.tracks.write(trackRow(e, lt?.shot ?? this.shot, ts, lt?.look.mean() ?? null));
    this.tracksWritten++;
  }

  /** Frees the pixels of a tracked frame's detections that no track took. */
  private releaseUnclaimed(p: FrameDets | null): void {
    if (!p) return;
    for (const d of p.dets) {
      if (d.pixels && !d.kept) {
        this.deps.pool.give(d.pixels);
        d.pixels = null;
      }
    }
  }
}
