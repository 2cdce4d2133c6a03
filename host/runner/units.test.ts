// Pure pieces of local mode: messages, thread cap, CLI arguments, throttle, thermal guard, and
// process-table parsing.

import { describe, expect, it } from 'vitest';
import { capThreads } from './local-runner.js';
import { stageArgs } from '../../pipeline/runtime/stage-process.js';
import { threadEnv } from '../../pipeline/runtime/thread-env.js';
import { completedLine, failedLine, paramsLine } from './messages.js';
import { cleanLogLine, describeFailure } from '../../pipeline/runtime/stage-outcome.js';
import { parsePidPpid, treeFromTable } from '../../pipeline/runtime/process-tree.js';
import { parseProcStat, parseThreadsFromStatus } from '../../pipeline/runtime/proc.js';
import { ThermalGuard } from './thermal-guard.js';
import { EventThrottle } from './throttle.js';
import { parsePsMThreads, sumNumberLines } from '../readings/tree-sampler.js';
import type { ThermalReading } from '../../shared/ipc.js';

describe('thread cap and arguments', () => {
  it('caps at 2 whatever is asked, never below 1', () => {
    expect(capThreads(undefined)).toBe(2);
    expect(capThreads(8)).toBe(2);
    expect(capThreads(1)).toBe(1);
    expect(capThreads(0)).toBe(1);
    expect(capThreads(8, 1)).toBe(1);
  });
  it('puts the cap into every threading runtime\'s variable', () => {
    const env = threadEnv(2);
    for (const k of ['UV_THREADPOOL_SIZE', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'VECLIB_MAXIMUM_THREADS', 'NUMEXPR_NUM_THREADS']) {
      expect(env[k]).toBe('2');
    }
  });
  it('builds the CLI arguments as an array; --out only when not the default folder', () => {
    const base = { episodeId: 'e', episodeDir: '/eps/a', outDir: '/eps/a/screentime', stage: 'detect_track', profile: 'balanced', sessionId: 's' } as const;
    expect(stageArgs(base, 2)).toEqual(['stage', 'detect_track', '/eps/a', '--profile', 'balanced', '--threads', '2']);
    expect(stageArgs({ ...base, stride: 5, outDir: '/tmp/o' }, 1)).toEqual([
      'stage', 'detect_track', '/eps/a', '--profile', 'balanced', '--stride', '5', '--threads', '1', '--out', '/tmp/o',
    ]);
  });
});

describe('messages', () => {
  it('formats the local-mode lines', () => {
    expect(paramsLine({ device: 'cpu', profile: 'balanced', stride: 6, cpuThreads: 2 })).toBe('[LOCAL MODE] device=cpu profile=balanced stride=6 cpu_threads=2');
    expect(completedLine('detect_track', 72)).toBe('[LOCAL MODE] detect_track completed in 1m 12s');
    expect(failedLine('cluster', 'no tracks')).toBe('[LOCAL MODE] cluster failed: no tracks');
  });
  it('explains a failure in words, never a bare exit code', () => {
    expect(describeFailure({ errorMessage: 'the video has no video stream', lastStderr: 'x', exitCode: 3, signal: null })).toBe('the video has no video stream');
    expect(describeFailure({ errorMessage: null, lastStderr: 'detect_track: error: disk full', exitCode: 5, signal: null })).toBe(
      'the results could not be written to the artifact folder: detect_track: error: disk full',
    );
    expect(describeFailure({ errorMessage: null, lastStderr: null, exitCode: 3, signal: null })).toBe('the episode video could not be read');
    expect(describeFailure({ errorMessage: null, lastStderr: null, exitCode: null, signal: 'SIGKILL' })).toMatch(/killed by the system/);
    const odd = describeFailure({ errorMessage: null, lastStderr: null, exitCode: 42, signal: null });
    expect(odd).toMatch(/ended unexpectedly/);
    expect(odd).not.toMatch(/^exit code/);
    expect(cleanLogLine('2026-01-01T00:00:00.000Z [detect] error: boom')).toBe('boom');
  });
});

describe('EventThrottle', () => {
  it('emits at most one event per gap and keeps only the newest value per key', async () => {
    const th = new EventThrottle<'p' | 'r'>(100);
    const got: string[] = [];
    const at: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) {
      th.push('p', () => { got.push(`p${i}`); at.push(Date.now()); });
      if (i % 10 === 0) th.push('r', () => { got.push(`r${i}`); at.push(Date.now()); });
      await new Promise((r) => setTimeout(r, 10));
    }
    await th.flush();
    const span = Date.now() - t0;
    expect(got[0]).toBe('p0');
    expect(got.at(-1)).toMatch(/^(p49|r40)$/);
    expect(got).toContain('p49'); // the latest progress always gets out
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(95);
    expect(got.length).toBeLessThanOrEqual(Math.ceil(span / 100) + 1);
    th.push('p', () => got.push('late'));
    expect(got).not.toContain('late');
  });
});

describe('ThermalGuard', () => {
  const r = (state: ThermalReading['state'], maxTempC: number | null): ThermalReading => ({ state, maxTempC, speedLimit: null, source: 't' });

  it('pauses on serious, resumes only after cooling by the hysteresis', () => {
    const g = new ThermalGuard({ hysteresisC: 5 });
    expect(g.decide(r('fair', 80))).toBeNull();
    expect(g.decide(r('serious', 86))?.kind).toBe('pause');
    expect(g.isPaused).toBe(true);
    expect(g.decide(r('serious', 87))).toBeNull();
    expect(g.decide(r('fair', 84))).toBeNull(); // not 5 C below 86 yet
    expect(g.decide(r('fair', 81))?.kind).toBe('resume');
    expect(g.isPaused).toBe(false);
  });
  it('pauses at the user\'s limit in C, and resumes at limit - hysteresis', () => {
    let limit: number | null = 75;
    const g = new ThermalGuard({ limitC: () => limit, hysteresisC: 4 });
    expect(g.decide(r('nominal', 74.9))).toBeNull();
    const p = g.decide(r('fair', 75));
    expect(p).toEqual({ kind: 'pause', reason: '75 C reached the limit of 75 C' });
    expect(g.decide(r('fair', 72))).toBeNull();
    expect(g.decide(r('nominal', 71))?.kind).toBe('resume');
    limit = null;
    expect(g.decide(r('fair', 80))).toBeNull();
  });
  it('state-only sources (macOS): pause on critical, resume on nominal; a vanished sensor releases', () => {
    const g = new ThermalGuard();
    expect(g.decide(r('critical', null))?.kind).toBe('pause');
    expect(g.decide(r('nominal', null))?.kind).toBe('resume');
    expect(g.decide(r('serious', null))?.kind).toBe('pause');
    expect(g.decide(r('unavailable', null))?.kind).toBe('resume');
    expect(g.decide(r('unavailable', null))).toBeNull();
  });
});

describe('process tables', () => {
  it('parses /proc/<pid>/stat with spaces and parentheses in the command name', () => {
    expect(parseProcStat('1234 (my (odd) cmd) S 77 1234 1234 0 -1')).toEqual({ state: 'S', ppid: 77, pgid: 1234 });
    expect(parseProcStat('garbage')).toBeNull();
  });
  it('walks a pid/ppid table breadth first', () => {
    const rows = parsePidPpid('  PID  PPID\n  10 1\n  11 10\n  12 11\n  13 10\n  20 1\n');
    expect(rows).toHaveLength(5);
    expect(treeFromTable(10, rows)).toEqual([10, 11, 13, 12]);
    expect(treeFromTable(99, rows)).toEqual([99]);
  });
  it('reads thread counts from each platform\'s output', () => {
    expect(parseThreadsFromStatus('Name:\tnode\nState:\tS\nThreads:\t11\n')).toBe(11);
    expect(parsePsMThreads('USER PID TT %CPU STAT PRI STIME UTIME COMMAND\nme 1 s000 0.0 S 31T 0:00.01 0:00.02 node\n   1 0.0 S 31T 0:00.00 0:00.00\n')).toBe(2);
    expect(sumNumberLines('12\r\n7\r\n')).toBe(19);
    expect(sumNumberLines('')).toBeNull();
  });
});
