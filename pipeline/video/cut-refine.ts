// Frame-exact cuts under decodable sampling. The cut detector sees thumbnails of the decoded I/P
// frames only, so a cut it finds lies somewhere between two decoded frames: after `before`, at or
// before `after`. Where that span is one frame the cut is exact already; where `after` is a
// keyframe the encoder put it there for the scene change (x264's scenecut), so it is the cut; else
// ffmpeg decodes every frame of the short stretch around the span (from the keyframe before it,
// which seeking needs anyway) and the cut goes on the frame with the spike.

import { execa } from 'execa';
import { CutDetector, DEFAULT_CUT_OPTIONS, meanAbsDiff, type CutOptions } from './cuts.js';
import { spawnCommand, syncOptionOf, TINY_CHAIN, TINY_H, TINY_W } from './decode.js';
import { ffmpegPath } from './ffmpeg-path.js';
import { frameIndexOfPts, type FrameLayout } from './frame-types.js';
import { parseShowinfo } from './keyframe-sampling.js';

/** A cut found on decoded frames: it starts at a frame in (before, after]. */
export interface CutSpan {
  before: number;
  after: number;
}

/**
 * CutDetector over decoded frames that are not consecutive; remembers, for each cut, the decoded
 * frame before it (cuts are confirmed one decoded frame late, so two frames of memory suffice).
 */
export class SparseCutDetector extends CutDetector {
  readonly spans: CutSpan[] = [];
  private idxLast = -1;
  private idxBefore = -1;

  override pushFrame(frameIdx: number, gray: Uint8Array): number[] {
    const out = super.pushFrame(frameIdx, gray);
    for (const c of out) this.spans.push({ before: this.idxBefore, after: c });
    this.idxBefore = this.idxLast;
    this.idxLast = frameIdx;
    return out;
  }

  override finish(): number[] {
    const out = super.finish();
    for (const c of out) this.spans.push({ before: this.idxBefore, after: c });
    return out;
  }
}

/** Thumbnail of one source frame. */
export interface IndexedThumb {
  idx: number;
  gray: Uint8Array;
}

/**
 * Places a cut inside its span on consecutive thumbnails (pure). The cut is the frame in
 * (before, after] with the largest diff to its predecessor; `verified` says whether that diff is
 * a spike by the detector's own rules (floor, x ratioNext over both neighbouring diffs).
 */
export function placeCut(thumbs: readonly IndexedThumb[], span: CutSpan, o: CutOptions = DEFAULT_CUT_OPTIONS): { frame: number; verified: boolean } {
  const diff = new Map<number, number>();
  for (let i = 1; i < thumbs.length; i++) {
    const a = thumbs[i - 1]!;
    const b = thumbs[i]!;
    if (b.idx === a.idx + 1) diff.set(b.idx, meanAbsDiff(a.gray, b.gray));
  }
  let best = span.after;
  let bestD = -1;
  for (let f = span.before + 1; f <= span.after; f++) {
    const d = diff.get(f);
    if (d !== undefined && d > bestD) { bestD = d; best = f; }
  }
  if (bestD < 0) return { frame: span.after, verified: false };
  const around = Math.max(diff.get(best - 1) ?? 0, diff.get(best + 1) ?? 0);
  return { frame: best, verified: bestD >= o.minDiff && bestD >= o.ratioNext * around };
}

export interface RefineStats {
  /** Spans of one frame, or ending on a keyframe: no decode needed. */
  exact: number;
  keyframe: number;
  /** Spans placed by decoding their stretch. */
  decoded: number;
  /** Of those, spans with no spike inside (kept on their best frame). */
  unverified: number;
  /** Frames decoded for refinement, keyframe lead-in included. */
  framesDecoded: number;
}

/** Frames before the span decoded for the neighbouring diff. */
const LEAD = 1;

/** Decodes source frames [from, to] as thumbnails (every frame, exact indices from pts). */
export async function decodeStretch(videoPath: string, layout: FrameLayout, from: number, to: number, threads: number, signal?: AbortSignal): Promise<IndexedThumb[]> {
  const half = ((layout.pts[Math.min(from + 1, layout.pts.length - 1)]! - layout.pts[from]!) / 2) || 0;
  const ss = Math.max(0, (layout.pts[from]! - half) * layout.timeBase);
  const args = [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'info', '-threads', String(Math.max(1, threads)),
    // -copyts keeps the source pts on every frame, so indices stay exact after the seek.
    '-copyts', '-ss', ss.toFixed(6), '-noautorotate', '-i', videoPath, '-an', '-sn', '-dn',
    '-filter_threads', '1', '-vf', `${TINY_CHAIN},showinfo`, '-frames:v', String(to - from + 1),
    await syncOptionOf(ffmpegPath()), 'passthrough', '-f', 'rawvideo', 'pipe:1',
  ];
  const cmd = spawnCommand(args);
  const res = await execa(cmd.file, cmd.args, { encoding: 'buffer', reject: false, stdin: 'ignore', cancelSignal: signal, maxBuffer: 64 * 1024 * 1024 });
  const out = res.stdout as unknown as Uint8Array;
  const idx = String(Buffer.from(res.stderr as unknown as Uint8Array)).split('\n').map(parseShowinfo).filter((f) => f !== null).map((f) => frameIndexOfPts(layout, f.pts));
  const size = TINY_W * TINY_H;
  const thumbs: IndexedThumb[] = [];
  for (let k = 0; k < idx.length && (k + 1) * size <= out.length; k++) thumbs.push({ idx: idx[k]!, gray: out.subarray(k * size, (k + 1) * size) });
  return thumbs;
}

/** Exact cut frames for the spans, in order. */
export async function refineCuts(
  spans: readonly CutSpan[],
  o: { videoPath: string; layout: FrameLayout; threads: number; signal?: AbortSignal },
): Promise<{ cuts: number[]; stats: RefineStats }> {
  const stats: RefineStats = { exact: 0, keyframe: 0, decoded: 0, unverified: 0, framesDecoded: 0 };
  const keys = new Set(o.layout.keyframes);
  const cuts: number[] = [];
  for (const s of spans) {
    if (s.before < 0 || s.after - s.before <= 1) { stats.exact++; cuts.push(s.after); continue; }
    if (keys.has(s.after)) { stats.keyframe++; cuts.push(s.after); continue; }
    const from = Math.max(0, s.before - LEAD);
    const to = Math.min(o.layout.pts.length - 1, s.after + 1);
    const thumbs = await decodeStretch(o.videoPath, o.layout, from, to, o.threads, o.signal);
    const lastKey = o.layout.keyframes.filter((k) => k <= from).pop() ?? 0;
    stats.framesDecoded += to - lastKey + 1;
    const placed = placeCut(thumbs, s);
    stats.decoded++;
    if (!placed.verified) stats.unverified++;
    cuts.push(placed.frame);
  }
  return { cuts, stats };
}
