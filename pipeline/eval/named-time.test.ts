import { describe, expect, it } from 'vitest';
import { scoreNamedTime } from './named-time.js';
import type { GroundTruth } from './score.js';

const gt: GroundTruth = {
  duration_s: 30,
  identities: { ann: { screen_time_s: 20, shots: [0, 1] }, bob: { screen_time_s: 10, shots: [2] } },
  shots: [
    { index: 0, start_s: 0, end_s: 10, identities: ['ann'] },
    { index: 1, start_s: 10, end_s: 20, identities: ['ann'], partial: ['bob'] },
    { index: 2, start_s: 20, end_s: 30, identities: ['bob'] },
  ],
};

describe('scoreNamedTime', () => {
  it('right names, a wrong name, suggestions left out, shared names unioned', () => {
    const s = scoreNamedTime([
      { label: 'Ann', match: 'auto', segments: [[0, 8]] },
      { label: 'Ann', match: 'auto', segments: [[5, 12]] },
      { label: 'Ann', match: 'auto', segments: [[22, 24]] }, // bob's time named Ann
      { label: 'Bob', match: 'suggested', segments: [[20, 30]] },
    ], gt, ['ann', 'bob']);
    expect(s.correct_s).toBeCloseTo(12, 6);
    expect(s.named_s).toBeCloseTo(14, 6);
    expect(s.precision).toBeCloseTo(12 / 14, 6);
    expect(s.recall).toBeCloseTo(12 / 30, 6);
  });

  it('time in a shot not scored for the name is left out; recall counts only enrolled people', () => {
    const s = scoreNamedTime([{ label: 'Bob', match: 'confirmed', segments: [[10, 30]] }], gt, ['bob']);
    expect(s.named_s).toBeCloseTo(10, 6); // shot 1 has bob only partial
    expect(s.precision).toBe(1);
    expect(s.recall).toBe(1);
    const none = scoreNamedTime([{ label: null, segments: [[0, 30]] }], gt, ['ann']);
    expect(none.named_s).toBe(0);
    expect(none.precision).toBe(1);
    expect(none.recall).toBe(0);
  });
});
