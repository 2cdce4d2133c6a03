// faces_embed, pass 2: embed the chosen faces in groups across tracks, write faces.jsonl and
// embeddings.f32 in face order, and sum each track's weighted embeddings into its prototype.
//
// The next group is read, aligned and submitted before the previous one's results are awaited, so
// the embedder never waits for this thread.

import type { FaceRow, PrototypeRow, SampleRow } from '../../shared/artifacts.js';
import { EXIT } from '../../shared/stages.js';
import { f32Bytes } from '../cluster/io.js';
import { l2normalize, type Embedder } from '../embed/embedder.js';
import type { AtomicWriter, JsonlWriter } from '../runtime/atomic.js';
import { StageError } from '../runtime/stage.js';
import { thumbName, type TrackChoice } from './faces-embed-choose.js';
import type { SampleFile } from './faces-embed-samples.js';

/**
 * Prototype = weighted mean of the track's embeddings. A floor keeps every chosen face in (a
 * weight of 0 would only come from a degenerate landmark set, and the face passed the gates).
 */
const MIN_FACE_WEIGHT = 0.05;

interface Face {
  trackId: number;
  sample: SampleRow;
  chip: Uint8Array;
  quality: number;
  /** How much this face counts in the track's prototype (select.ts `faceWeight`). */
  weight: number;
}

/** A track's weighted sum of unit embeddings, its face count and its total weight. */
export interface TrackSum {
  sum: Float64Array;
  n: number;
  w: number;
}

export interface EmbedTarget {
  faces: JsonlWriter<FaceRow>;
  embeddings: AtomicWriter;
  signal: AbortSignal;
  progress(done: number, total: number): void;
}

export interface Embedded {
  faces: number;
  sums: Map<number, TrackSum>;
}

/** Embeds every chosen face of `choices`, `group` faces per submission. */
export async function embedChoices(choices: readonly TrackChoice[], file: SampleFile, embedder: Embedder, group: number, out: EmbedTarget): Promise<Embedded> {
  const facesTotal = choices.reduce((n, p) => n + p.chosen.length, 0);
  out.progress(0, facesTotal);
  const queue = new EmbedQueue(embedder, group, facesTotal, out);
  for (const p of choices) {
    for (const [k, s] of p.chosen.entries()) {
      await queue.add({ trackId: p.trackId, sample: s, chip: await file.alignedChip(s), quality: s.quality, weight: p.weights[k] ?? 1 });
    }
  }
  await queue.flush();
  return { faces: queue.written, sums: queue.sums };
}

/** Faces waiting for the embedder, one group in flight, results written in face order. */
class EmbedQueue {
  readonly sums = new Map<number, TrackSum>();
  written = 0;
  private waiting: Face[] = [];
  private inFlight: { items: Face[]; vecs: Promise<Float32Array[]> } | null = null;

  constructor(
    private readonly embedder: Embedder,
    private readonly group: number,
    private readonly total: number,
    private readonly out: EmbedTarget,
  ) {}

  async add(face: Face): Promise<void> {
    this.waiting.push(face);
    if (this.waiting.length >= this.group) await this.submit();
  }

  /** Submits what waits and writes every result. */
  async flush(): Promise<void> {
    await this.submit();
    await this.collect();
  }

  /** Hands the waiting faces to the embedder, then writes the previous group's results. */
  private async submit(): Promise<void> {
    if (this.out.signal.aborted) throw this.out.signal.reason;
    const items = this.waiting;
    this.waiting = [];
    const next = items.length ? { items, vecs: this.embedder.embed(items.map((q) => q.chip)) } : null;
    // an abort rejects it while the previous group is awaited: handled when it is collected
    next?.vecs.catch(() => {});
    await this.collect();
    this.inFlight = next;
  }

  private async collect(): Promise<void> {
    if (!this.inFlight) return;
    const { items, vecs: pending } = this.inFlight;
    this.inFlight = null;
    const vecs = await pending;
    if (this.out.signal.aborted) throw this.out.signal.reason;
    if (vecs.length !== items.length) throw new StageError(`embedder returned ${vecs.length} vectors for ${items.length} faces`, EXIT.MODEL);
    for (let i = 0; i < items.length; i++) await this.write(items[i]!, vecs[i]!);
    this.out.progress(this.written, this.total);
  }

  /** One face: its unit embedding, its share of the track's sum, its row. */
  private async write(q: Face, v: Float32Array): Promise<void> {
    const dim = this.embedder.dim;
    if (v.length !== dim) throw new StageError(`embedder returned ${v.length} values, expected ${dim}`, EXIT.MODEL);
    if (!(l2normalize(v) > 0)) throw new StageError('embedder returned a zero vector', EXIT.MODEL);
    await this.out.embeddings.write(f32Bytes(v));
    let acc = this.sums.get(q.trackId);
    if (!acc) this.sums.set(q.trackId, (acc = { sum: new Float64Array(dim), n: 0, w: 0 }));
    const w = Math.max(MIN_FACE_WEIGHT, q.weight);
    for (let k = 0; k < dim; k++) acc.sum[k]! += w * v[k]!;
    acc.n++;
    acc.w += w;
    const faceId = this.written++;
    await this.out.faces.write({
      face_id: faceId,
      track_id: q.trackId,
      frame_idx: q.sample.frame_idx,
      ts: q.sample.ts,
      quality: q.quality,
      weight: Math.round(q.weight * 1e4) / 1e4,
      embedding_row: faceId,
      thumb: thumbName(q.trackId, 0),
    });
  }
}

/**
 * Each track's prototype (its weighted mean embedding, unit length) into prototypes.f32 and its
 * line into prototypes.jsonl, in track order; tracks with no embedded face get none. Returns the
 * number written.
 */
export async function writePrototypes(choices: readonly TrackChoice[], sums: ReadonlyMap<number, TrackSum>, dim: number, vectors: AtomicWriter, index: JsonlWriter<PrototypeRow>): Promise<number> {
  let row = 0;
  for (const p of choices) {
    const acc = sums.get(p.trackId);
    if (!acc || acc.n === 0) continue;
    const proto = new Float32Array(dim);
    for (let k = 0; k < dim; k++) proto[k] = acc.sum[k]! / acc.w;
    l2normalize(proto);
    await vectors.write(f32Bytes(proto));
    await index.write({
      row: row++,
      track_id: p.trackId,
      n_faces: acc.n,
      best_quality: p.chosen[0]?.quality ?? 0,
      thumb: p.thumbs[0] ?? null,
      sample_thumbs: p.thumbs.slice(1),
      weak: p.weak,
      quality: p.quality,
    });
  }
  return row;
}
