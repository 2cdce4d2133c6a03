// Which face samples of a track to keep: the best K, spread over the track's time.
// Memory is bounded per track whatever its length: candidates live in at most 2K time buckets
// (one best sample each); when a new bucket would exceed that, neighbouring buckets merge pairwise
// (bucket span doubles) keeping the better sample. At the end the buckets are split into K
// contiguous groups and the best of each group is kept.

export interface Candidate<T> {
  frameIdx: number;
  quality: number;
  payload: T;
}

export class SampleSelector<T> {
  private buckets: Array<Candidate<T> | undefined> = [];
  private span: number;
  private readonly origin: number;

  /**
   * @param k samples wanted
   * @param firstFrame frame of the track's first detection
   * @param span initial bucket width in frames (the stride: one analysed frame per bucket)
   * @param release called with the payload of every candidate that is dropped
   */
  constructor(
    readonly k: number,
    firstFrame: number,
    span: number,
    private readonly release: (p: T) => void = () => {},
  ) {
    this.origin = firstFrame;
    this.span = Math.max(1, span);
  }

  /** Would a candidate with this quality at this frame be kept right now? (Skip making its crop if not.) */
  wouldKeep(frameIdx: number, quality: number): boolean {
    const b = this.bucketOf(frameIdx);
    if (b >= 2 * this.k) return true; // a new bucket after merging: always kept for now
    const cur = this.buckets[b];
    return !cur || quality > cur.quality;
  }

  offer(c: Candidate<T>): void {
    let b = this.bucketOf(c.frameIdx);
    while (b >= 2 * this.k) {
      this.merge();
      b = this.bucketOf(c.frameIdx);
    }
    const cur = this.buckets[b];
    if (!cur || c.quality > cur.quality) {
      if (cur) this.release(cur.payload);
      this.buckets[b] = c;
    } else {
      this.release(c.payload);
    }
  }

  /** The kept samples in time order (the selector is empty afterwards; dropped ones released). */
  finish(): Array<Candidate<T>> {
    const all = this.buckets.filter((c): c is Candidate<T> => c !== undefined);
    this.buckets = [];
    if (all.length <= this.k) return all;
    const out: Array<Candidate<T>> = [];
    for (let g = 0; g < this.k; g++) {
      const from = Math.floor((g * all.length) / this.k);
      const to = Math.floor(((g + 1) * all.length) / this.k);
      let best = all[from]!;
      for (let i = from + 1; i < to; i++) if (all[i]!.quality > best.quality) best = all[i]!;
      for (let i = from; i < to; i++) if (all[i] !== best) this.release(all[i]!.payload);
      out.push(best);
    }
    return out;
  }

  /** Drops everything (a cancelled run). */
  discard(): void {
    for (const c of this.buckets) if (c) this.release(c.payload);
    this.buckets = [];
  }

  get size(): number {
    return this.buckets.filter(Boolean).length;
  }

  private bucketOf(frameIdx: number): number {
    return Math.max(0, Math.floor((frameIdx - this.origin) / this.span));
  }

  private merge(): void {
    const next: Array<Candidate<T> | undefined> = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      const a = this.buckets[i];
      const b = this.buckets[i + 1];
      if (a && b) {
        const keep = a.quality >= b.quality ? a : b;
        this.release((keep === a ? b : a).payload);
        next.push(keep);
      } else next.push(a ?? b);
    }
    this.buckets = next;
    this.span *= 2;
  }
}
