import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendants, isGone, waitGone } from '../test-support/proc.js';
import { processStartTime } from './stage-process.js';
import { otherWorkerAlive, readState, stateFilePath, sweepDecision, sweepRecordedStages, writeState } from './state-file.js';

describe('sweepDecision', () => {
  const rec = { jobId: 'j', pgid: 100, startTime: '555' };
  it('kills a group whose leader is the one recorded, or whose leader is gone but members remain', () => {
    expect(sweepDecision(rec, '555', true)).toBe('kill');
    expect(sweepDecision(rec, null, true)).toBe('kill');
  });
  it('leaves a reused pid and a vanished group alone', () => {
    expect(sweepDecision(rec, '777', true)).toBe('skip');
    expect(sweepDecision(rec, null, false)).toBe('skip');
  });
});

describe('state file', () => {
  it('is written atomically and read back; names cannot escape the folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'screentime-state-'));
    const file = stateFilePath(dir, '../evil name');
    expect(path.dirname(file)).toBe(dir);
    writeState(file, { workerPid: process.pid, workerStartTime: processStartTime(process.pid), stages: [] });
    expect(readState(file)?.workerPid).toBe(process.pid);
    // Our own pid is not "another worker"; a dead pid is not either.
    expect(otherWorkerAlive(readState(file))).toBe(false);
    expect(otherWorkerAlive({ workerPid: 2 ** 22 + 7, workerStartTime: null, stages: [] })).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('sweeps a recorded process group whose parent died, children included', async () => {
    // A "stage" that ignores SIGTERM and has a child of its own, left behind by a dead worker:
    // a shell leading its own group (detached), running a sleep.
    const leader = spawn('sh', ['-c', "trap '' TERM; sleep 300 & wait"], { detached: true, stdio: 'ignore' });
    const pgid = leader.pid!;
    let kids: number[] = [];
    for (let i = 0; i < 100 && kids.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      kids = descendants(pgid);
    }
    expect(kids.length).toBeGreaterThan(0);
    const state = { workerPid: 2 ** 22 + 7, workerStartTime: null, stages: [{ jobId: 'j1', pgid, startTime: processStartTime(pgid) }] };
    const swept = await sweepRecordedStages(state, 500);
    expect(swept).toEqual([pgid]);
    expect(await waitGone([pgid, ...kids], 3000)).toEqual([]);
    // A second sweep finds nothing to do.
    expect(await sweepRecordedStages(state, 100)).toEqual([]);
    expect(isGone(pgid)).toBe(true);
  });
});
