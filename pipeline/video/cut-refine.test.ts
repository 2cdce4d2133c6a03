import { describe, it, expect } from 'vitest';
import { placeCut, refineCuts, SparseCutDetector, type IndexedThumb } from './cut-refine.js';
import { CutDetector } from './cuts.js';
import { FrameDecoder } from './decode.js';
import { probeFrameLayout } from './frame-types.js';
import { H264_FIXED_B, makeVideo, twoShots } from '../../test-support/make-video.js';

const flat = (idx: number, v: number): IndexedThumb => ({ idx, gray: new Uint8Array(16).fill(v) });

describe('placing a cut inside its span', () => {
  it('puts it on the frame with the spike', () => {
    const t = [flat(9, 10), flat(10, 11), flat(11, 12), flat(12, 90), flat(13, 91), flat(14, 92)];
    expect(placeCut(t, { before: 10, after: 13 })).toEqual({ frame: 12, verified: true });
  });

  it('keeps the span end, unverified, when the change is gradual', () => {
    const t = [flat(9, 10), flat(10, 20), flat(11, 30), flat(12, 40), flat(13, 50), flat(14, 60)];
    expect(placeCut(t, { before: 10, after: 13 }).verified).toBe(false);
  });

  it('remembers the decoded frame before each cut of a sparse frame sequence', () => {
    const det = new SparseCutDetector();
    const frames = [0, 3, 6, 9, 12, 15, 18, 21, 24];
    for (const f of frames) det.pushFrame(f, new Uint8Array(16).fill(f < 17 ? 10 : 200));
    det.finish();
    expect(det.cuts).toEqual([18]);
    expect(det.spans).toEqual([{ before: 15, after: 18 }]);
  });

  it('scales the bar from the past by the gap: steady motion over three frames is no cut', () => {
    const det = new CutDetector();
    // Motion of 3 levels a frame gives 9 over a gap of 3; a cut of 30 right after it (gap 1) stands
    // out against the per-frame 3 (not against the 9 a gap-blind median would see).
    for (let f = 0; f <= 60; f += 3) det.pushFrame(f, new Uint8Array(16).fill(f % 2 ? 59 : 50));
    det.pushFrame(61, new Uint8Array(16).fill(80));
    det.pushFrame(64, new Uint8Array(16).fill(89));
    det.finish();
    expect(det.cuts).toEqual([61]);
  });
});

/** Cuts of a video under decodable sampling, placed on their frames, and the refinement stats. */
async function decodableCuts(file: string) {
  const layout = (await probeFrameLayout(file))!;
  const det = new SparseCutDetector();
  const dec = new FrameDecoder({
    videoPath: file, width: 32, height: 18, stride: 4, decoderThreads: 1,
    decodable: { layout, stepSeconds: 4 / 25, frameSeconds: 1 / 25 },
    onTiny: (i, g) => { det.pushFrame(i, g); },
  });
  for await (const f of dec.frames()) void f;
  det.finish();
  return { ...(await refineCuts(det.spans, { videoPath: file, layout, threads: 1 })), decoded: dec.tinyFrames, layout };
}

describe('frame-exact cuts from I/P frames (real ffmpeg)', () => {
  it.each([
    ['a B-frame', 37],
    ['a P-frame three frames after the last decoded one', 39],
  ])('places a cut on %s by decoding its stretch', async (_kind, cutAt) => {
    const file = await makeVideo(`cut-${cutAt}.mp4`, [...twoShots(cutAt), ...H264_FIXED_B, '-g', '100']);
    const r = await decodableCuts(file);
    expect(r.layout.keyframes).not.toContain(cutAt);
    expect(r.decoded).toBeLessThan(r.layout.pts.length / 2);
    expect(r.cuts).toEqual([cutAt]);
    expect(r.stats.decoded).toBe(1);
    expect(r.stats.unverified).toBe(0);
    expect(r.stats.framesDecoded).toBeGreaterThan(cutAt);
  }, 60_000);

  it('takes a keyframe the encoder put on the cut without decoding anything more', async () => {
    const file = await makeVideo('cut-key.mp4', [...twoShots(38), ...H264_FIXED_B, '-g', '100', '-force_key_frames', '1.52']);
    const r = await decodableCuts(file);
    expect(r.layout.keyframes).toContain(38);
    expect(r.cuts).toEqual([38]);
    expect(r.stats.decoded).toBe(0);
    expect(r.stats.framesDecoded).toBe(0);
  }, 60_000);
});
