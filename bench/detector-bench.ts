// `npm run bench:detector`: what one detection costs and finds, per analysis width and YuNet model.
// Decodes the same frames of a real clip at each width (FrameDecoder, as detect_track does), runs
// each model over them on one thread (the stage's session options), and prints one JSON object:
// milliseconds per frame inside `session.run`, and the faces found (all, and those at least 20 px
// as the detector saw them, the smallest faces_embed lets vote), so a cheaper setting can be
// weighed against what it stops seeing. Rounds alternate the order of the settings.
//
//   node dist/bench/detector-bench.js [--clip dev/fotb.mp4] [--every 10] [--frames 120] [--rounds 2]

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { YunetDetector } from '../pipeline/detect/yunet.js';
import { analysisSize, FrameDecoder } from '../pipeline/video/decode.js';
import { probeVideo } from '../pipeline/video/probe.js';
import { DETECTOR_NMS_IOU } from '../pipeline/stages/detect-track.js';
import { DEFAULT_TRACKER_OPTIONS } from '../pipeline/track/bytetrack.js';
import { log, machineFacts, MODELS, r2, runBench } from './bench-common.js';

const MEDIA = process.env.SCREENTIME_MEDIA_DIR ?? path.join(path.dirname(MODELS), 'media');
const WIDTHS = [480, 640, 960];
const DETECTORS = ['yunet_n_dynamic.onnx', 'yunet_s_dynamic.onnx'];
/** faces_embed's smallest voting face (pipeline/embed/select.ts DEFAULT_GATES.minFacePx). */
const MIN_VOTING_PX = 20;

/** Every `every`-th frame of the clip at `width`, copied (the decoder reuses its buffer). */
async function framesAt(file: string, srcW: number, srcH: number, width: number, every: number, max: number) {
  const { width: w, height: h } = analysisSize(srcW, srcH, width);
  const dec = new FrameDecoder({ videoPath: file, width: w, height: h, stride: every, decoderThreads: 2 });
  const frames: Buffer[] = [];
  try {
    for await (const f of dec.frames()) {
      frames.push(Buffer.from(f.data));
      if (frames.length >= max) break;
    }
  } finally { dec.kill(); }
  return { w, h, frames };
}

async function measure(model: string, input: { w: number; h: number; frames: Buffer[] }) {
  const det = await YunetDetector.create(path.join(MODELS, model), { scoreThreshold: DEFAULT_TRACKER_OPTIONS.highThresh, nmsIou: DETECTOR_NMS_IOU });
  try {
    await det.detect(input.frames[0]!, input.w, input.h); // warm-up: first run allocates
    det.inferMs = 0;
    det.inferCalls = 0;
    let faces = 0, voting = 0;
    for (const f of input.frames) {
      const found = await det.detect(f, input.w, input.h);
      faces += found.length;
      // size as the stage's gate sees it: in analysis pixels
      voting += found.filter((x) => Math.max(x.box[2] - x.box[0], x.box[3] - x.box[1]) >= MIN_VOTING_PX).length;
    }
    return { ms_per_frame: r2(det.inferMs / det.inferCalls), faces, faces_20px: voting };
  } finally {
    await det.close();
  }
}

async function main() {
  const { values } = parseArgs({ options: { clip: { type: 'string', default: 'dev/fotb.mp4' }, every: { type: 'string', default: '10' }, frames: { type: 'string', default: '120' }, rounds: { type: 'string', default: '2' } } });
  const file = path.join(MEDIA, values.clip!);
  for (const f of [file, ...DETECTORS.map((d) => path.join(MODELS, d))]) if (!existsSync(f)) throw new Error(`missing ${f}`);
  const loadAtStart = os.loadavg().map(r2);
  const facts = await probeVideo(file);
  const inputs = new Map<number, Awaited<ReturnType<typeof framesAt>>>();
  for (const w of WIDTHS) inputs.set(w, await framesAt(file, facts.width, facts.height, w, Number(values.every), Number(values.frames)));
  const settings = WIDTHS.flatMap((w) => DETECTORS.map((model) => ({ w, model })));
  const runs: Record<string, Array<Awaited<ReturnType<typeof measure>>>> = {};
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const s of round % 2 ? [...settings].reverse() : settings) {
      const key = `${s.model.replace('_dynamic.onnx', '')}@${s.w}`;
      const r = await measure(s.model, inputs.get(s.w)!);
      log(`${key}: ${r.ms_per_frame} ms a frame, ${r.faces} faces (${r.faces_20px} of >= ${MIN_VOTING_PX} px)`);
      (runs[key] ??= []).push(r);
    }
  }
  return {
    machine: machineFacts(loadAtStart),
    clip: values.clip, frames: inputs.get(WIDTHS[0]!)!.frames.length, every: Number(values.every),
    note: 'ms_per_frame: session.run only, one intra-op thread; faces: detections at the tracker\'s high threshold over the same frames',
    settings: Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, { ms_per_frame: rs.map((r) => r.ms_per_frame), faces: rs[0]!.faces, faces_20px: rs[0]!.faces_20px, size: `${inputs.get(Number(k.split('@')[1]))!.w}x${inputs.get(Number(k.split('@')[1]))!.h}` }])),
    loadavg_at_end: os.loadavg().map(r2),
  };
}

runBench(main);
