import { describe, it, expect } from 'vitest';
import { analysedStride, StepStats } from './sample-spacing.js';

describe('analysed frame spacing', () => {
  it('measures the mean and largest step of irregular frames', () => {
    const s = new StepStats();
    for (const f of [0, 3, 6, 8, 14, 17]) s.push(f);
    expect(s.mean).toBeCloseTo(17 / 5, 9);
    expect(s.max).toBe(6);
  });

  it('lets screen time allow for the largest step only under decodable sampling', () => {
    expect(analysedStride(4, { sampling: 'decodable', max_step_frames: 6 })).toBe(6);
    expect(analysedStride(4, { sampling: 'decodable', max_step_frames: 3 })).toBe(4);
    expect(analysedStride(4, { sampling: 'stride', max_step_frames: 9 })).toBe(4);
    expect(analysedStride(4, undefined)).toBe(4);
  });
});
