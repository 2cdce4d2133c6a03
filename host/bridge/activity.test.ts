import { describe, expect, it } from 'vitest';
import type { ActiveRun } from '../runner/types.js';
import { describeActivity, percent } from './activity.js';

const run = (over: Partial<ActiveRun>): ActiveRun => ({
  episodeId: 'aaaaaaaaaaaaaaaa',
  stage: 'detect_track',
  sessionId: 's',
  fraction: 0,
  pid: 1,
  startedAt: 0,
  paused: false,
  ...over,
});
const names = (id: string) => (id === 'aaaaaaaaaaaaaaaa' ? 'Episode 1' : 'Episode 2');

describe('describeActivity', () => {
  it('is idle with no runs and removes the taskbar bar', () => {
    expect(describeActivity([], names)).toEqual({ tooltip: 'Screentime: idle', status: 'No stage running', progress: -1, canCancel: false });
  });
  it('shows stage, episode and percent of a run', () => {
    expect(describeActivity([run({ fraction: 0.426 })], names)).toEqual({
      tooltip: 'Screentime: detect_track · Episode 1 · 42%',
      status: 'detect_track · Episode 1 · 42%',
      progress: 0.426,
      canCancel: true,
    });
  });
  it('counts further runs, marks a thermal pause and shows the slowest progress', () => {
    const v = describeActivity([run({ fraction: 0.9, paused: true }), run({ episodeId: 'bbbbbbbbbbbbbbbb', stage: 'cluster', fraction: 0.1 })], names);
    expect(v.tooltip).toBe('Screentime: detect_track · Episode 1 · 90% (paused: too hot) (+1 more)');
    expect(v.progress).toBe(0.1);
  });
  it('clamps percent', () => {
    expect([percent(-1), percent(0.999), percent(1.5), percent(Number.NaN)]).toEqual([0, 99, 100, 0]);
  });
});
