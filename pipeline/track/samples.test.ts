import { describe, it, expect } from 'vitest';
import { SampleSelector } from './samples.js';

describe('SampleSelector', () => {
  it('keeps everything for a short track', () => {
    const s = new SampleSelector<number>(12, 100, 4);
    for (let i = 0; i < 5; i++) s.offer({ frameIdx: 100 + 4 * i, quality: i, payload: i });
    expect(s.finish().map((c) => c.payload)).toEqual([0, 1, 2, 3, 4]);
  });

  it('spreads K samples over a long track, best per stretch, and releases every dropped payload', () => {
    const released: number[] = [];
    const k = 4;
    const s = new SampleSelector<number>(k, 0, 1, (p) => released.push(p));
    const n = 1000;
    // quality peaks once per 250-frame stretch, at frame 250*g + 100
    for (let f = 0; f < n; f++) s.offer({ frameIdx: f, quality: f % 250 === 100 ? 10 : Math.random(), payload: f });
    expect(s.size).toBeLessThanOrEqual(2 * k);
    const kept = s.finish();
    expect(kept.map((c) => c.payload)).toEqual([100, 350, 600, 850]);
    expect(released.length + kept.length).toBe(n);
    expect(new Set(released).size).toBe(released.length);
  });

  it('wouldKeep agrees with offer for a bucket that already has a better sample', () => {
    const s = new SampleSelector<string>(2, 0, 10);
    s.offer({ frameIdx: 0, quality: 5, payload: 'a' });
    expect(s.wouldKeep(3, 4)).toBe(false);
    expect(s.wouldKeep(3, 6)).toBe(true);
    expect(s.wouldKeep(15, 1)).toBe(true);
  });
});
