import { describe, it, expect } from 'vitest';
import { CutDetector, cutsFromDiffs, meanAbsDiff } from './cuts.js';

describe('cut detector (pure)', () => {
  it('measures mean absolute difference', () => {
    expect(meanAbsDiff(new Uint8Array([0, 10, 20]), new Uint8Array([10, 10, 0]))).toBe(10);
  });

  it('finds isolated spikes and ignores sustained motion and flashes', () => {
    const d = new Array(200).fill(0).map((_, i) => 0.5 + 0.2 * Math.sin(i));
    d[50] = 20; // cut
    d[120] = 9; // cut in a quiet stretch
    for (let i = 150; i < 170; i++) d[i] = 12; // fast pan: high but not a spike
    d[185] = 15; d[186] = 15; // a flash: in and out
    expect(cutsFromDiffs(d)).toEqual([50, 120]);
  });

  it('adapts to busy footage: the same diff is not a cut when the recent past is busy', () => {
    const quiet = new Array(60).fill(1);
    quiet[40] = 7;
    expect(cutsFromDiffs(quiet)).toEqual([40]);
    const busy = new Array(60).fill(3);
    busy[40] = 7;
    expect(cutsFromDiffs(busy)).toEqual([]);
  });

  it('streams frames, confirming each frame one frame late', () => {
    const det = new CutDetector();
    const a = new Uint8Array(16).fill(10);
    const b = new Uint8Array(16).fill(200);
    const got: number[] = [];
    for (let f = 0; f < 10; f++) {
      got.push(...det.pushFrame(f, f < 6 ? a : b));
      expect(det.confirmedThrough).toBe(f === 0 ? 0 : f - 1);
    }
    got.push(...det.finish());
    expect(det.confirmedThrough).toBe(9);
    expect(got).toEqual([6]);
  });
});
