import { describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { classifyStageEnd, type StageEndFacts } from './stage-outcome.js';

const ended: StageEndFacts = {
  stage: 'detect_track',
  exitCode: EXIT.OK,
  signal: null,
  spawnError: null,
  summarized: true,
  errorMessage: null,
  lastStderr: null,
  cancelReason: null,
  timedOutAfterS: null,
};

describe('classifyStageEnd', () => {
  it('completes only on exit 0 with a summary', () => {
    expect(classifyStageEnd(ended)).toEqual({ status: 'completed', error: null });
    expect(classifyStageEnd({ ...ended, summarized: false })).toEqual({ status: 'error', error: 'the stage ended without reporting a result' });
  });
  it('a timeout outranks a cancel, and a summary outranks both', () => {
    const stopped = { ...ended, exitCode: EXIT.CANCELLED, summarized: false, cancelReason: 'closed', timedOutAfterS: 60 };
    expect(classifyStageEnd(stopped)).toEqual({ status: 'error', error: 'detect_track timed out after 60 s and was stopped' });
    expect(classifyStageEnd({ ...stopped, timedOutAfterS: null })).toEqual({ status: 'cancelled', error: 'closed' });
    expect(classifyStageEnd({ ...ended, cancelReason: 'closed' }).status).toBe('completed');
  });
  it('words a failure from the error event, stderr, exit code or signal, or the spawn error', () => {
    const failed = { ...ended, summarized: false, exitCode: EXIT.BAD_INPUT };
    expect(classifyStageEnd({ ...failed, errorMessage: 'no video in /x' }).error).toBe('no video in /x');
    expect(classifyStageEnd({ ...failed, lastStderr: '[detect] error: broken file' }).error).toBe('the episode video could not be read: broken file');
    expect(classifyStageEnd({ ...failed, exitCode: null, signal: 'SIGKILL' }).error).toMatch(/killed by the system/);
    expect(classifyStageEnd({ ...failed, exitCode: null, spawnError: 'spawn nodex ENOENT' }).error).toBe('could not start the stage: spawn nodex ENOENT');
  });
});
