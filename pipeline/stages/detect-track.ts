// detect_track: decode once, detect faces on every `stride`-th frame, find cuts on every frame,
// track faces within shots, and keep the best face samples of each track for faces_embed (so no
// later stage decodes the video again). docs/pipeline-detect.md describes the design and numbers.
//
// Data flow per analysed frame: ffmpeg frame -> YuNet -> per face: source-pixel box, quality and
// a 192x192 crop -> "pending" queue -> (once the cut detector has ruled on that frame) tracker ->
// detection rows + sample candidates. The queue exists because cuts are known one tiny frame late
// and the tiny stream may trail the big one; it holds a frame or two, never the video.
// Everything is streamed into temp files that are renamed only when the whole run succeeded.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type Box, type DetectionRow, type Point, type ShotRow, type TrackRow } from '../../shared/artifacts.js';
import { EXIT } from '../../shared/stages.js';
import { profileDefaults } from '../detect/profiles.js';
import { YunetDetector } from '../detect/yunet.js';
import { cropBoxFor, cropRgb, faceQuality, landmarksInCrop, laplacianVariance, SAMPLE_BYTES, SAMPLE_SIZE } from '../detect/crop.js';
import { ByteTracker, bufferSamplesFor, DEFAULT_TRACKER_OPTIONS, type EndedTrack } from '../track/bytetrack.js';
import { SampleSelector } from '../track/samples.js';
import { CutDetector } from '../video/cuts.js';
import { analysisSize, FrameDecoder } from '../video/decode.js';
import { createAtomicWriter } from '../runtime/atomic.js';
import { StageError, type StageFn } from '../runtime/stage.js';

export const DETECTOR_MODEL = 'yunet_n_dynamic.onnx';

/** One line of samples.jsonl; the pixels are row `sample_idx` of samples.rgb. */
export interface SampleRow {
  sample_idx: number;
  track_id: number;
  frame_idx: number;
  ts: number;
  quality: number;
  conf: number;
  /** Longer side of the face box, source pixels. */
  face_px: number;
  /** Face box, source pixels. */
  bbox: Box;
  /** The 5 landmarks in sample pixels (0..192). */
  landmarks: Point[];
  /** The square the sample was cut from, source pixels (may reach outside the frame). */
  crop_box: Box;
}

interface Det {
  box: Box;
  conf: number;
  landmarks: Point[];
  facePx: number;
  quality: number;
  crop: Box;
  pixels: Uint8Array | null;
  /** A track took this detection (its pixels belong to that track's selector now). */
  kept: boolean;
}

interface Pending {
  frame: number;
  dets: Det[];
}

interface LiveTrack {
  shot: number;
  selector: SampleSelector<{ det: Det; frame: number }>;
}

/**
 * JSON Lines into an atomic writer, batched: one write per ~64 KB instead of one per row (a
 * stream write per detection row showed up as ~1 ms each in profiles on a busy machine).
 */
function batchedJsonl<T>(file: string) {
  const w = createAtomicWriter(file);
  let buf = '';
  let rows = 0;
  return {
    get rows() { return rows; },
    async write(row: T) {
      rows++;
      buf += `${JSON.stringify(row)}\n`;
      if (buf.length >= 65536) { const chunk = buf; buf = ''; await w.write(chunk); }
    },
    async commit() {
      if (buf) { const chunk = buf; buf = ''; await w.write(chunk); }
      await w.commit();
    },
    abort: () => w.abort(),
  };
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** The error a cancelled run ends with (the runtime's own reason when it gave one). */
function cancelledError(signal: AbortSignal): StageError {
  return signal.reason instanceof StageError ? signal.reason : new StageError('cancelled', EXIT.CANCELLED);
}

export const detectTrack: StageFn = async (ctx) => {
  const started = performance.now();
  const { video, config, signal } = ctx;
  const fps = video.fps > 0 ? video.fps : 25;
  const prof = profileDefaults(config.profile, fps);
  const stride = Number.isInteger(config.stride) && config.stride > 0 ? config.stride : prof.stride;
  const cap = Math.max(1, Math.floor(config.threads || 1));
  // ffmpeg decoder threads + 1 inference thread <= cap; with cap 1 they take turns (hold/release).
  const serialize = cap <= 1;
  const decoderThreads = Math.max(1, cap - 1);
  const { width: aw, height: ah } = analysisSize(video.width, video.height, prof.analysisWidth);
  const sx = video.width / aw;
  const sy = video.height / ah;
  const K = prof.samplesPerTrack;

  const modelPath = path.join(config.modelsDir, DETECTOR_MODEL);
  if (!existsSync(modelPath)) throw new StageError(`face detector model not found: ${modelPath}`, EXIT.MODEL);
  let detector: YunetDetector;
  try {
    detector = await YunetDetector.create(modelPath, { scoreThreshold: DEFAULT_TRACKER_OPTIONS.lowThresh, nmsIou: 0.3 });
  } catch (e) {
    throw new StageError(`cannot load ${DETECTOR_MODEL}: ${(e as Error).message.split('\n')[0]}`, EXIT.MODEL);
  }
  ctx.log(`detect_track: analysing 1 frame in ${stride} at ${aw}x${ah}, ${cap} thread${cap > 1 ? 's' : ''} (ffmpeg ${decoderThreads}${serialize ? ', taking turns with inference' : ''} + inference 1), ${K} samples per track`);

  const out = (name: string) => path.join(ctx.outDir, name);
  const detW = batchedJsonl<DetectionRow>(out(ARTIFACT_FILES.detections));
  const trackW = batchedJsonl<TrackRow>(out(ARTIFACT_FILES.tracks));
  const shotW = batchedJsonl<ShotRow>(out(ARTIFACT_FILES.shots));
  const sampleW = batchedJsonl<SampleRow>(out(ARTIFACT_FILES.samples));
  const sampleBin = createAtomicWriter(out(ARTIFACT_FILES.samplesBin));
  const writers = [detW, trackW, shotW, sampleW, sampleBin];

  // Crop buffers are pooled: a run allocates about (live tracks x 2K + a frame's faces) of them.
  const pool: Uint8Array[] = [];
  const take = () => pool.pop() ?? new Uint8Array(SAMPLE_BYTES);
  const give = (b: Uint8Array | null) => { if (b && pool.length < 256) pool.push(b); };

  const cuts = new CutDetector();
  const tracker = new ByteTracker({ bufferSamples: bufferSamplesFor(prof.trackBufferFrames, stride) });
  const live = new Map<number, LiveTrack>();
  const pending: Pending[] = [];
  let prevEntry: Pending | null = null;
  let shot = 0;
  let cutsApplied = 0;
  let rawDetections = 0;
  let samples = 0;
  let tracksWritten = 0;

  const ts = (frame: number) => r4(frame / fps);

  const detRow = (frame: number, d: Det, trackId: number): DetectionRow => ({
    frame_idx: frame,
    ts: ts(frame),
    bbox: d.box.map(r1) as Box,
    conf: r4(d.conf),
    landmarks: d.landmarks.map(([x, y]) => [r1(x), r1(y)]) as DetectionRow['landmarks'],
    track_id: trackId,
  });

  const claim = async (trackId: number, frame: number, d: Det) => {
    await detW.write(detRow(frame, d, trackId));
    const lt = live.get(trackId);
    if (!lt) return;
    // The selector owns the pixels from here (it releases what it drops).
    lt.selector.offer({ frameIdx: frame, quality: d.quality, payload: { det: d, frame } });
  };

  const finishTrack = async (e: EndedTrack) => {
    const lt = live.get(e.trackId);
    live.delete(e.trackId);
    const kept = lt ? lt.selector.finish() : [];
    for (const c of kept) {
      const d = c.payload.det;
      if (!d.pixels) continue;
      await sampleBin.write(d.pixels);
      await sampleW.write({
        sample_idx: samples++,
        track_id: e.trackId,
        frame_idx: c.frameIdx,
        ts: ts(c.frameIdx),
        quality: r4(d.quality),
        conf: r4(d.conf),
        face_px: r1(d.facePx),
        bbox: d.box.map(r1) as Box,
        landmarks: landmarksInCrop(d.landmarks, d.crop, SAMPLE_SIZE).map(([x, y]) => [r1(x), r1(y)] as Point),
        crop_box: d.crop.map(r1) as Box,
      });
      // The write stream keeps a reference to the buffer until it is flushed, so a written buffer
      // never goes back to the pool.
      d.pixels = null;
    }
    await trackW.write({
      track_id: e.trackId,
      first_ts: ts(e.firstFrame),
      last_ts: ts(e.lastFrame),
      first_frame: e.firstFrame,
      last_frame: e.lastFrame,
      n_detections: e.nDetections,
      shot: lt?.shot ?? shot,
      mean_conf: r4(e.sumScore / Math.max(1, e.nDetections)),
      boxes: 'detections.jsonl',
    });
    tracksWritten++;
  };

  /** Frees the pixels of a processed frame's detections that no track took. */
  const releaseUnclaimed = (p: Pending | null) => {
    if (!p) return;
    for (const d of p.dets) if (d.pixels && !d.kept) { give(d.pixels); d.pixels = null; }
  };

  const trackOne = async (p: Pending) => {
    // Every cut between the previous analysed frame and this one ends all tracks.
    let cut = false;
    while (cutsApplied < cuts.cuts.length && cuts.cuts[cutsApplied]! <= p.frame) {
      cutsApplied++;
      shot++;
      cut = true;
    }
    if (cut) {
      for (const e of tracker.endAll()) await finishTrack(e);
      releaseUnclaimed(prevEntry);
      prevEntry = null;
    }
    const u = tracker.update(p.frame, p.dets.map((d) => ({ box: d.box, score: d.conf })));
    for (const c of u.confirmed) {
      live.set(c.trackId, { shot, selector: new SampleSelector(K, c.firstFrame, stride, (x) => { give(x.det.pixels); x.det.pixels = null; }) });
      // The first detection of a track is one analysed frame old: the tracker confirms on the 2nd hit.
      const first = prevEntry && prevEntry.frame === c.firstFrame ? prevEntry.dets[c.firstDet] : undefined;
      if (first) { first.kept = true; await claim(c.trackId, c.firstFrame, first); }
    }
    for (let i = 0; i < p.dets.length; i++) {
      const id = u.trackIds[i];
      if (id === null || id === undefined) continue;
      p.dets[i]!.kept = true;
      await claim(id, p.frame, p.dets[i]!);
    }
    for (const e of u.ended) await finishTrack(e);
    // Unconfirmed detections of the previous frame had their one chance: free their pixels.
    releaseUnclaimed(prevEntry);
    prevEntry = p;
  };

  const drain = async (final: boolean) => {
    while (pending.length > 0 && (final || pending[0]!.frame <= cuts.confirmedThrough)) await trackOne(pending.shift()!);
  };

  const decoder = new FrameDecoder({
    videoPath: ctx.videoPath,
    width: aw,
    height: ah,
    stride,
    decoderThreads,
    signal,
    onTiny: (idx, gray) => { cuts.pushFrame(idx, gray); },
  });

  let committed = false;
  const total = Math.max(1, video.frame_count);
  try {
    for await (const fr of decoder.frames()) {
      if (serialize) decoder.hold();
      try {
        const faces = await detector.detect(fr.data, aw, ah);
        rawDetections += faces.length;
        const dets: Det[] = [];
        for (const f of faces) {
          const box: Box = [
            Math.max(0, f.box[0] * sx), Math.max(0, f.box[1] * sy),
            Math.min(video.width, f.box[2] * sx), Math.min(video.height, f.box[3] * sy),
          ];
          if (box[2] - box[0] < 2 || box[3] - box[1] < 2) continue;
          const facePx = Math.max(box[2] - box[0], box[3] - box[1]);
          const lap = laplacianVariance(fr.data, aw, ah, f.box);
          const crop = cropBoxFor(box);
          const pixels = take();
          cropRgb(fr.data, aw, ah, sx, sy, crop, pixels);
          dets.push({
            box,
            conf: f.score,
            landmarks: f.landmarks.map(([x, y]) => [x * sx, y * sy] as Point),
            facePx,
            quality: faceQuality(facePx, f.score, lap),
            crop,
            pixels,
            kept: false,
          });
        }
        pending.push({ frame: fr.frameIdx, dets });
        await drain(false);
      } finally {
        if (serialize) decoder.release();
      }
      ctx.progress(Math.min(decoder.tinyFrames, total), total);
    }
    if (signal.aborted) throw cancelledError(signal);
    cuts.finish();
    await drain(true);
    for (const e of tracker.endAll()) await finishTrack(e);
    releaseUnclaimed(prevEntry);

    const framesDecoded = decoder.tinyFrames;
    const bounds = [0, ...cuts.cuts.filter((c) => c > 0 && c < framesDecoded), framesDecoded];
    for (let i = 0; i + 1 < bounds.length; i++) {
      await shotW.write({ shot: i, start_frame: bounds[i]!, end_frame: bounds[i + 1]!, start_ts: ts(bounds[i]!), end_ts: ts(bounds[i + 1]!) });
    }
    if (signal.aborted) throw cancelledError(signal);
    for (const w of writers) await w.commit();
    committed = true;

    const wall = (performance.now() - started) / 1000;
    const stats = {
      frames_decoded: framesDecoded,
      frames_analysed: decoder.analysisFrames,
      detections: detW.rows,
      raw_detections: rawDetections,
      tracks: tracksWritten,
      shots: bounds.length - 1,
      samples,
      fps: r1(framesDecoded / wall),
      realtime_factor: Math.round((framesDecoded / fps / wall) * 100) / 100,
      yunet_ms: Math.round((detector.inferMs / Math.max(1, detector.inferCalls)) * 100) / 100,
      stride,
      analysis_width: aw,
      analysis_height: ah,
      elapsed_s: Math.round(wall * 100) / 100,
    };
    ctx.log(`detect_track: ${framesDecoded} frames (${stats.frames_analysed} analysed), ${stats.detections} detections, ${stats.tracks} tracks, ${stats.shots} shots, ${samples} samples; ${stats.fps} fps, ${stats.realtime_factor}x real time, YuNet ${stats.yunet_ms} ms/frame`);
    if (framesDecoded < 0.9 * video.frame_count) {
      ctx.log(`detect_track: warning: decoded ${framesDecoded} of ${video.frame_count} expected frames (${decoder.lastWarning() || 'the file may be truncated'})`);
    }
    return stats;
  } catch (e) {
    if (signal.aborted) throw cancelledError(signal);
    throw e;
  } finally {
    decoder.kill();
    if (!committed) for (const w of writers) await w.abort().catch(() => undefined);
    for (const lt of live.values()) lt.selector.discard();
    await detector.close().catch(() => undefined);
  }
};
