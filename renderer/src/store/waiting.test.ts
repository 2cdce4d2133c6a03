// A local stage held back by the app's CPU budget, as the window shows it: the place in line
// arrives before the start, survives the log lines, and is gone once the stage runs or ends.

import { describe, expect, it } from 'vitest';
import type { RunStageResult, StageWaiting } from '../../../shared/ipc.js';
import { ordinal, waitingSentence } from '../lib/format.js';
import { emptyRun, runBegan, runEnded, runLog, runStarted, runWaiting, type Runs } from './reducers.js';

const EP = '0123456789abcdef';

function waiting(over: Partial<StageWaiting> = {}): StageWaiting {
  return { episodeId: EP, stage: 'detect_track', place: 1, cpuThreads: 2, budgetThreads: 2, threadsInUse: 2, ...over };
}

function cancelled(): RunStageResult {
  return {
    status: 'cancelled',
    stage: 'detect_track',
    episodeId: EP,
    episode: 'ep1',
    logs: ['[LOCAL MODE] detect_track waits for the CPU budget, 1st in line', '[LOCAL MODE] detect_track cancelled while waiting'],
    elapsedSeconds: 0,
    device: 'cpu',
    profile: 'balanced',
    stride: null,
    cpuThreads: 2,
    exitCode: null,
    error: 'cancelled by the user',
    summary: null,
  };
}

describe('waiting for the CPU budget', () => {
  it('shows the place in line, follows it, then clears it when the host starts the stage', () => {
    let runs: Runs = runBegan({}, EP, 'detect_track', 1000);
    runs = runWaiting(runs, waiting({ place: 2 }));
    expect(runs[EP]).toMatchObject({ active: 'detect_track', shown: 'detect_track', waiting: { place: 2 } });
    runs = runLog(runs, { episodeId: EP, stage: 'detect_track', lines: ['[LOCAL MODE] detect_track waits for the CPU budget, 2nd in line'] });
    runs = runWaiting(runs, waiting({ place: 1 }));
    expect(runs[EP]!.waiting?.place).toBe(1);
    runs = runStarted(runs, EP, 'detect_track', 5000);
    expect(runs[EP]!.waiting).toBeNull();
    expect(runs[EP]!.startedAt).toBe(5000); // the stage's clock starts when it runs, not when it queued
    expect(runs[EP]!.logs).toHaveLength(1); // what the wait logged stays
  });

  it('a start without a wait behaves as before', () => {
    const runs = runStarted(runBegan({}, EP, 'detect_track', 1000), EP, 'detect_track', 2000);
    expect(runs[EP]!.startedAt).toBe(1000);
    expect(runStarted({}, EP, 'cluster', 3)[EP]).toMatchObject({ active: 'cluster', startedAt: 3, waiting: null });
  });

  it('a run cancelled while waiting ends like any other and leaves no place behind', () => {
    let runs = runWaiting(runBegan({}, EP, 'detect_track', 0), waiting());
    runs = runEnded(runs, cancelled());
    expect(runs[EP]).toMatchObject({ active: null, waiting: null, outcomes: { detect_track: { status: 'cancelled' } } });
  });

  it('ignores a wait for a stage other than the one this window runs', () => {
    const runs = runBegan({}, EP, 'cluster', 0);
    expect(runWaiting(runs, waiting())).toEqual(runs);
    expect(emptyRun.waiting).toBeNull();
  });

  it('says where the stage stands and what happens next', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 112].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '112th']);
    expect(waitingSentence(waiting())).toBe(
      'Waiting for the CPU, 1st in line. Local stages share 2 CPU threads in total to keep this computer cool; this one starts by itself when the running stage ends.',
    );
    expect(waitingSentence(waiting({ place: 2 }))).toMatch(/2nd in line.*when the stages ahead of it have run\.$/);
  });
});
