// The /proc parsers on real text shapes, and the readers on this very process.

import { describe, expect, it } from 'vitest';
import {
  isDeadState,
  parseProcStat,
  parseStartTime,
  parseStatusState,
  parseThreadsFromStatus,
  readLiveProcTable,
  readProcStat,
  readProcState,
  readStartTime,
  readTaskIds,
  readThreadCount,
} from './proc.js';

// A real /proc/<pid>/stat line whose command name holds spaces and parentheses.
const STAT = '4242 (node (worker) x) S 77 4242 4242 0 -1 4194560 1 0 0 0 5 3 0 0 30 10 7 0 987654 1000 200';
const STATUS = 'Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nThreads:\t11\n';

describe('/proc parsers', () => {
  it('reads state, parent and group past a command name with spaces and parentheses', () => {
    expect(parseProcStat(STAT)).toEqual({ state: 'S', ppid: 77, pgid: 4242 });
    expect(parseProcStat('garbage')).toBeNull();
    expect(parseProcStat('1 (x) S notanumber 1')).toBeNull();
  });
  it('reads the start time (field 22)', () => {
    expect(parseStartTime(STAT)).toBe(987654);
    expect(parseStartTime('1 (x) S 0 1')).toBeNull();
    expect(parseStartTime('garbage')).toBeNull();
  });
  it('reads State and Threads from a status text', () => {
    expect(parseStatusState(STATUS)).toBe('S');
    expect(parseStatusState('State:\tZ (zombie)\n')).toBe('Z');
    expect(parseStatusState('Name:\tx\n')).toBeNull();
    expect(parseThreadsFromStatus(STATUS)).toBe(11);
    expect(parseThreadsFromStatus('Name:\tx\n')).toBeNull();
  });
  it('counts zombies and dead processes as ended', () => {
    expect(['Z', 'X', 'x'].every(isDeadState)).toBe(true);
    expect(['R', 'S', 'D', 'T', null].some(isDeadState)).toBe(false);
  });
});

describe.skipIf(process.platform !== 'linux')('/proc readers on this process', () => {
  it('finds this process, its parent, its threads and its start time', () => {
    expect(readProcStat(process.pid)?.ppid).toBe(process.ppid);
    expect(readProcState(process.pid)).toMatch(/^[RS]$/);
    expect(readThreadCount(process.pid)).toBeGreaterThan(1);
    expect(readTaskIds(process.pid)).toContain(process.pid);
    expect(readStartTime(process.pid)).toBeGreaterThan(0);
    expect(readLiveProcTable().some((r) => r.pid === process.pid)).toBe(true);
  });
  it('says null for a pid that does not exist', () => {
    const none = 2 ** 22 + 7;
    expect(readProcStat(none)).toBeNull();
    expect(readStartTime(none)).toBeNull();
    expect(readProcState(none)).toBeNull();
    expect(readTaskIds(none)).toEqual([]);
  });
});
