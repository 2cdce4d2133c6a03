// Streams frames out of ffmpeg without ever holding the video in memory.
//
// One ffmpeg process, one decode, two outputs from a `split`:
//   - pipe 1: every `stride`-th frame (a `select` BEFORE the scaler, so skipped frames are never
//     scaled or piped) as raw bgr24 at the analysis size, for the face detector;
//   - pipe 3: EVERY frame as a tiny gray thumbnail (32x18, averaged), for frame-precise cut
//     detection at a cost of ~1 % of the decode.
// Frame indices are true source indices: `-fps_mode passthrough` (`-vsync passthrough` before
// ffmpeg 5.1) stops ffmpeg from duplicating or dropping frames, so the k-th analysis frame is source
// frame k*stride and the n-th tiny frame is source frame n. Timestamps are `frame_idx / fps`, i.e.
// seconds from the first decoded frame.
//
// Thread cap: ffmpeg gets `decoderThreads` decoder threads and `-filter_threads 1`; the caller
// runs inference on one more thread. With a cap of 1 the caller calls hold()/release() around its
// own work: ffmpeg is stopped (SIGSTOP) while inference runs, so the two never run at once.
//
// Decodable sampling (`decodable` set, keyframe-sampling.ts): ffmpeg decodes only the referenced
// frames (I, P, reference B), thumbnails are of those frames, analysis frames are those of them
// the due-time `select` keeps, and each frame's source index comes from its pts (showinfo lines
// on stderr).

import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { EXIT } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { createLineSplitter } from '../../shared/progress.js';
import { ffmpegPath } from './ffmpeg-path.js';
import { frameIndexOfPts, type FrameLayout } from './frame-types.js';
import { InOrderPairs, isShowinfoLine, parseShowinfo, selectDueExpr } from './keyframe-sampling.js';

/**
 * Analysis frames ffmpeg may hold ready beyond the one being read: detect_track decodable on
 * 2 minutes of 1080p, alternated runs, 9.0-10.1 s with the queue against 9.7-10.5 s without
 * (same outputs); 4 rounds of 2 / 4 / 8 frames: 11.0-13.0 / 10.5-12.2 / 10.7-11.6 s (a noisier
 * day). Memory: 4 frames (2.8 MB at 640x360).
 */
export const BIG_QUEUE_FRAMES = 4;

export const TINY_W = 32;
export const TINY_H = 18;
/** Filters that make a cut-detection thumbnail (see ffmpegArgs for why two steps). */
export const TINY_CHAIN = `scale=${TINY_W * 4}:${TINY_H * 4}:flags=fast_bilinear,scale=${TINY_W}:${TINY_H}:flags=area,format=gray`;
/** `Parsed_showinfo_<n>` of the thumbnail chain in the decodable graph: after split and TINY_CHAIN. */
const SHOWINFO_TINY = 1 + TINY_CHAIN.split(',').length;

export interface DecodeOptions {
  videoPath: string;
  /** Analysis frame size (even numbers). */
  width: number;
  height: number;
  stride: number;
  /** ffmpeg decoder threads (>= 1). */
  decoderThreads: number;
  /** Called with every tiny gray frame in order (buffer reused: copy what you keep). */
  onTiny?: (frameIdx: number, gray: Uint8Array) => void;
  signal?: AbortSignal;
  /** Sample on decodable (I/P) frames about every `stepSeconds`; absent: every stride-th frame. */
  decodable?: DecodableSampling;
}

export interface DecodableSampling {
  layout: FrameLayout;
  stepSeconds: number;
  /** One source frame, seconds (1 / fps). */
  frameSeconds: number;
}

export interface AnalysisFrame {
  frameIdx: number;
  /** bgr24, width*height*3 bytes. Reused: valid only until the iterator advances. */
  data: Buffer;
}

/** Analysis size: `targetWidth` wide (never wider than the source), aspect kept, both even. */
export function analysisSize(srcW: number, srcH: number, targetWidth: number): { width: number; height: number } {
  const w = Math.max(2, Math.min(targetWidth, srcW) & ~1);
  const h = Math.max(2, Math.round((w * srcH) / srcW / 2) * 2);
  return { width: w, height: h };
}

/**
 * The option that passes frames through untouched. ffmpeg 5.1 added the per-output `-fps_mode` and
 * deprecated the global `-vsync` (kept only while FFMPEG_OPT_VSYNC is set); the ffmpeg shipped in
 * the app is older and knows only `-vsync`. Both mean the same for our two outputs.
 */
export type SyncOption = '-fps_mode' | '-vsync';

/** Which sync option an ffmpeg knows, from its `-h long` text. */
export function syncOptionFromHelp(help: string): SyncOption {
  return /^\s*-fps_mode\b/m.test(help) ? '-fps_mode' : '-vsync';
}

const helpTexts = new Map<string, Promise<string | null>>();

/** The text of `ffmpeg -hide_banner -h <topic>`, asked once per binary and process; null if it cannot answer. */
function helpText(ffmpeg: string, topic: string): Promise<string | null> {
  const key = `${ffmpeg}\0${topic}`;
  let known = helpTexts.get(key);
  if (!known) {
    known = execa(ffmpeg, ['-hide_banner', '-h', topic], { reject: false, stdin: 'ignore', timeout: 10_000, all: true })
      .then((r) => (r.exitCode === 0 ? String(r.all) : null), () => null);
    helpTexts.set(key, known);
  }
  return known;
}

/** Which sync option an ffmpeg binary knows. */
export function syncOptionOf(ffmpeg: string): Promise<SyncOption> {
  // A binary that cannot answer gets the current spelling; the decode then reports the real error.
  return helpText(ffmpeg, 'long').then((t) => (t === null ? '-fps_mode' : syncOptionFromHelp(t)));
}

/** Whether an ffmpeg has the `fifo` muxer, from its `-h muxer=fifo` text ("Unknown format" if not). */
export function hasFifoMuxer(help: string): boolean {
  return /^Muxer fifo\b/m.test(help);
}

/**
 * Whether an ffmpeg binary has the `fifo` muxer. The shipped build and the usual distribution
 * builds have it; one built without it (a user's own, through SCREENTIME_FFMPEG) gets the plain
 * pipe instead of failing. Asked beside the sync option.
 */
export function fifoMuxerOf(ffmpeg: string): Promise<boolean> {
  return helpText(ffmpeg, 'muxer=fifo').then((t) => t !== null && hasFifoMuxer(t));
}

/** ffmpeg arguments (an array, never a shell string). Exported for tests. */
export function ffmpegArgs(
  o: Pick<DecodeOptions, 'videoPath' | 'width' | 'height' | 'stride' | 'decoderThreads' | 'decodable'>,
  sync: SyncOption = '-fps_mode',
  queue = true,
): string[] {
  const stride = Math.max(1, Math.floor(o.stride));
  const k = o.decodable;
  const select = k
    ? `select='${selectDueExpr(k.stepSeconds, k.frameSeconds)}',`
    : stride > 1 ? `select='not(mod(n\\,${stride}))',` : '';
  const big = `${select}scale=${o.width}:${o.height}:flags=bilinear,format=bgr24`;
  // Two steps: a point-ish 128x72 sample (nearly free), then a proper area average down to
  // 32x18 (16 samples per pixel, so noise and aliasing average out). A direct area scale from
  // 1080p costs ~15 % of the decode; this costs ~1 %.
  const graph = k
    // Decodable sampling: a showinfo at the end of each chain reports each frame's pts. Without
    // its checksums, mean and deviation of every plane: on the analysis frames they cost 9 % of
    // ffmpeg's time (5.6-5.8 against 6.2-6.4 CPU s, 2 minutes of 1080p). The thumbnail chain
    // comes first so its showinfo has the index SHOWINFO_TINY.
    ? `[0:v:0]split=2[a][b];[b]${TINY_CHAIN},showinfo=checksum=0[tiny];[a]${big},showinfo=checksum=0[big]`
    : `[0:v:0]split=2[a][b];[a]${big}[big];[b]${TINY_CHAIN}[tiny]`;
  return [
    '-nostdin', '-hide_banner',
    // showinfo prints at the info level; -nostats keeps the progress line off those lines.
    ...(k ? ['-loglevel', 'info', '-nostats'] : ['-loglevel', 'error']),
    '-threads', String(Math.max(1, o.decoderThreads)),
    // Frames no other frame references are never decoded, so skipping them costs no other frame.
    // Not `bidir` (every B-frame): with B-pyramids (x264's default for High profile) some B-frames
    // are references, and P-frames decoded without them come out damaged (35-37 dB PSNR against
    // the true frame on episode_gt.mp4: visible blocks, embeddings 0.1 off).
    ...(k ? ['-skip_frame', 'noref'] : []),
    // Frames in stored orientation, so their size is the one ffprobe reports (a rotated phone
    // clip would otherwise arrive with width and height swapped and the frame size be wrong).
    '-noautorotate',
    '-i', o.videoPath,
    '-an', '-sn', '-dn',
    // -filter_threads covers simple graphs only; a -filter_complex graph otherwise gets a pool
    // of one thread per core (13 threads seen on this 2-core machine).
    '-filter_threads', '1',
    '-filter_complex_threads', '1',
    '-filter_complex', graph,
    // The analysis frames leave through a queue of BIG_QUEUE_FRAMES frames written by a thread of
    // their own (the `fifo` muxer), so ffmpeg decodes ahead while the caller runs inference. With
    // a plain pipe ffmpeg blocks in write(): a frame (691 KB at 640x360) is 3-10x the kernel's
    // pipe / socket buffer, and the caller cannot read during a synchronous inference call, so
    // the two took turns. The queue's thread only waits in write().
    '-map', '[big]', sync, 'passthrough',
    ...(queue ? ['-c:v', 'rawvideo', '-f', 'fifo', '-fifo_format', 'rawvideo', '-queue_size', String(BIG_QUEUE_FRAMES)] : ['-f', 'rawvideo']),
    'pipe:1',
    // flush_packets: the tiny frames must not sit in ffmpeg's 32 KB output buffer, the tracker
    // waits for them to learn where cuts are.
    '-map', '[tiny]', sync, 'passthrough', '-flush_packets', '1', '-f', 'rawvideo', 'pipe:3',
  ];
}

const SETPRIV = '/usr/bin/setpriv';

function cancelled(signal: AbortSignal): StageError {
  return signal.reason instanceof StageError ? signal.reason : new StageError('cancelled', EXIT.CANCELLED);
}

/** Command + args that make ffmpeg die with this process on Linux (PR_SET_PDEATHSIG). */
export function spawnCommand(args: string[]): { file: string; args: string[] } {
  const ff = ffmpegPath();
  if (process.platform === 'linux' && existsSync(SETPRIV)) return { file: SETPRIV, args: ['--pdeathsig', 'KILL', '--', ff, ...args] };
  return { file: ff, args };
}

/** Last few lines of stderr, kept bounded. */
class Tail {
  private text = '';
  push(s: string) {
    this.text = (this.text + s).slice(-4000);
  }
  lastLine(): string {
    const lines = this.text.split('\n').map((l) => l.trim()).filter(Boolean);
    return lines[lines.length - 1] ?? '';
  }
}

export class FrameDecoder {
  /** The running ffmpeg (only its pid is used outside frames()). */
  private proc: { pid?: number | undefined } | null = null;
  private stderr = new Tail();
  private held = false;
  private killedByUs = false;
  private exited = false;
  tinyFrames = 0;
  analysisFrames = 0;
  /** Source index of the last thumbnail delivered (every frame up to it was decoded or skipped). */
  lastFrameIdx = -1;

  constructor(private readonly o: DecodeOptions) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Stops ffmpeg (SIGSTOP) while the caller computes; used when the thread cap is 1. */
  hold(): void {
    if (this.held || !this.proc?.pid || this.exited) return;
    try { process.kill(this.proc.pid, 'SIGSTOP'); this.held = true; } catch { /* already gone */ }
  }

  release(): void {
    if (!this.held || !this.proc?.pid) return;
    this.held = false;
    if (this.exited) return;
    try { process.kill(this.proc.pid, 'SIGCONT'); } catch { /* already gone */ }
  }

  kill(): void {
    // Never signal a pid after the process was reaped: the number may belong to someone else now.
    if (!this.proc?.pid || this.exited) return;
    this.killedByUs = true;
    // SIGKILL also ends a stopped process; SIGCONT is not needed first.
    try { process.kill(this.proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  }

  /** Analysis frames in order. Throws StageError when ffmpeg cannot read the video. */
  async *frames(): AsyncGenerator<AnalysisFrame> {
    const { videoPath, width, height, signal } = this.o;
    const name = path.basename(videoPath);
    if (signal?.aborted) throw cancelled(signal);
    const [sync, queue] = await Promise.all([syncOptionOf(ffmpegPath()), fifoMuxerOf(ffmpegPath())]);
    if (signal?.aborted) throw cancelled(signal);
    const cmd = spawnCommand(ffmpegArgs(this.o, sync, queue));
    const proc = execa(cmd.file, cmd.args, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      buffer: false,
      reject: false,
      cleanup: true,
    });
    this.proc = proc;
    void proc.then(() => { this.exited = true; }, () => { this.exited = true; });
    const onAbort = () => this.kill();
    signal?.addEventListener('abort', onAbort, { once: true });

    const k = this.o.decodable;
    const indexOf = (pts: number) => (k ? frameIndexOfPts(k.layout, pts) : -1);
    const deliverTiny = (frameIdx: number, gray: Uint8Array) => {
      this.lastFrameIdx = frameIdx;
      this.o.onTiny?.(frameIdx, gray);
      this.tinyFrames++;
    };
    // Decodable sampling: thumbnails wait for their pts line; analysis frames take theirs in order.
    const tinyPairs = new InOrderPairs<Uint8Array, number>((gray, idx) => deliverTiny(idx, gray));
    const bigIdx = new InOrderPairs<never, number>();
    let stderrEnded = false;
    const lines = createLineSplitter((line) => {
      if (!isShowinfoLine(line)) { this.stderr.push(`${line}\n`); return; }
      const f = parseShowinfo(line);
      if (!f) return;
      if (f.filter === SHOWINFO_TINY) tinyPairs.pushB(indexOf(f.pts));
      else bigIdx.pushB(indexOf(f.pts));
    });
    proc.stderr!.on('data', (d: Buffer) => (k ? lines.push(d.toString('utf8')) : this.stderr.push(d.toString('utf8'))));
    const stderrDone = new Promise<void>((resolve) => {
      const done = () => { if (!stderrEnded) { lines.end(); stderrEnded = true; bigIdx.wake(); } resolve(); };
      proc.stderr!.once('end', done);
      proc.stderr!.once('close', done);
      proc.stderr!.once('error', done);
    });
    const nextBigIdx = async (): Promise<number> => {
      while (bigIdx.pendingB === 0 && !stderrEnded) await bigIdx.nextB();
      const idx = bigIdx.takeB();
      if (idx === undefined) throw new StageError('ffmpeg gave an analysis frame without its timestamp', EXIT.INTERNAL);
      return idx;
    };

    // Tiny frames: consumed as they come (flowing), never back-pressured, so ffmpeg can never
    // block on pipe 3 while we wait on pipe 1.
    const tinySize = TINY_W * TINY_H;
    const tiny = new Uint8Array(tinySize);
    let tinyFill = 0;
    const tinyStream = proc.stdio[3] as Readable;
    tinyStream.on('data', (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(tinySize - tinyFill, chunk.length - off);
        tiny.set(chunk.subarray(off, off + n), tinyFill);
        tinyFill += n;
        off += n;
        if (tinyFill === tinySize) {
          if (k) tinyPairs.pushA(new Uint8Array(tiny));
          else deliverTiny(this.tinyFrames, tiny);
          tinyFill = 0;
        }
      }
    });
    const tinyDone = new Promise<void>((resolve) => {
      tinyStream.once('end', resolve);
      tinyStream.once('close', resolve);
      tinyStream.once('error', () => resolve());
    });

    const frameSize = width * height * 3;
    const frame = Buffer.allocUnsafe(frameSize);
    let fill = 0;
    let finished = false;
    try {
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
        let off = 0;
        while (off < chunk.length) {
          const n = Math.min(frameSize - fill, chunk.length - off);
          chunk.copy(frame, fill, off, off + n);
          fill += n;
          off += n;
          if (fill === frameSize) {
            fill = 0;
            const frameIdx = k ? await nextBigIdx() : this.analysisFrames * this.o.stride;
            this.analysisFrames++;
            yield { frameIdx, data: frame };
            if (signal?.aborted) throw cancelled(signal);
          }
        }
      }
      await tinyDone;
      // The last thumbnails' pts lines may still be on their way.
      if (k) await stderrDone;
      const res = await proc;
      if (signal?.aborted) throw cancelled(signal);
      if ((res as { code?: string }).code === 'ENOENT') {
        throw new StageError(`cannot run ffmpeg (${cmd.file} not found); install ffmpeg or set SCREENTIME_FFMPEG`, EXIT.INTERNAL);
      }
      if (res.exitCode !== 0 || (this.analysisFrames === 0 && this.tinyFrames === 0)) {
        const why = this.stderr.lastLine().split(videoPath).join('').replace(/^:\s*/, '') || `ffmpeg exit code ${res.exitCode ?? res.signal}`;
        throw new StageError(`${name} cannot be decoded (${why})`, EXIT.BAD_INPUT);
      }
      finished = true;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!finished) {
        this.kill();
        await proc.catch(() => undefined);
      }
      this.held = false;
    }
  }

  /** Last stderr line (warnings of a partly corrupt file). */
  lastWarning(): string {
    return this.stderr.lastLine();
  }

  wasKilled(): boolean {
    return this.killedByUs;
  }
}
