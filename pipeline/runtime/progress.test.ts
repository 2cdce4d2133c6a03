import { describe, expect, it } from 'vitest';
import type { StageProgressEvent } from '../../shared/progress.js';
import { createProgressReporter } from './progress.js';

describe('createProgressReporter', () => {
  it('at most one event per 100 ms, always the last one, rate and eta from the window', () => {
    let t = 0;
    const events: StageProgressEvent[] = [];
    const r = createProgressReporter('detect_track', (e) => events.push(e), { now: () => t });
    // 1000 calls over 10 s (every 10 ms), 100 units per second.
    for (let i = 1; i <= 1000; i++) {
      t = i * 10;
      r.report(i, 1000);
    }
    expect(events.length).toBeLessThanOrEqual(101);
    expect(events.length).toBeGreaterThanOrEqual(99);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'progress', stage: 'detect_track', frames_done: 1000, frames_total: 1000, fraction: 1, eta_s: 0 });
    expect(last.fps).toBeCloseTo(100, 0);
    const mid = events[50]!;
    expect(mid.eta_s).toBeCloseTo((1000 - mid.frames_done) / 100, 0);
  });
  it('unknown total: fraction 0, eta null', () => {
    const events: StageProgressEvent[] = [];
    const r = createProgressReporter('cluster', (e) => events.push(e), { now: () => 0 });
    r.report(0, 0);
    expect(events[0]).toMatchObject({ fraction: 0, eta_s: null, fps: 0 });
  });
});

describe('flush', () => {
  it('emits the last report the throttle held back, once', () => {
    let t = 0;
    const events: StageProgressEvent[] = [];
    const r = createProgressReporter('faces_embed', (e) => events.push(e), { now: () => t });
    r.report(1, 100);
    t = 50;
    r.report(97, 100);
    expect(events.map((e) => e.frames_done)).toEqual([1]);
    r.flush();
    r.flush();
    expect(events.map((e) => e.frames_done)).toEqual([1, 97]);
  });
});
