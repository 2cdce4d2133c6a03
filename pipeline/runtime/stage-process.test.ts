// The one way both modes run a stage: its arguments and environment (pure), and a real process
// that speaks the protocol, logs on both streams and leaves a child behind when it exits.

import { describe, expect, it } from 'vitest';
import type { StageEvent } from '../../shared/progress.js';
import { isGone } from '../../test-support/proc.js';
import { waitFor } from '../../test-support/waits.js';
import { progressFigures, stageArgs, stageEnv, startStageProcess } from './stage-process.js';
import { THREAD_ENV_VARS } from './thread-env.js';

describe('stage arguments and environment', () => {
  const base = { stage: 'cluster', episodeDir: '/eps/a', profile: 'balanced' } as const;
  it('passes --stride only when set, --out only for a folder other than <episode>/screentime, --models when given', () => {
    expect(stageArgs({ ...base, stride: null, outDir: '/eps/a/screentime' }, 4)).toEqual(['stage', 'cluster', '/eps/a', '--profile', 'balanced', '--threads', '4']);
    expect(stageArgs({ ...base, stride: 3, outDir: '/out/a', modelsDir: '/m' }, 1)).toEqual([
      'stage', 'cluster', '/eps/a', '--profile', 'balanced', '--stride', '3', '--threads', '1', '--out', '/out/a', '--models', '/m',
    ]);
  });
  it('passes --sampling to detect_track only, when set', () => {
    const dt = { ...base, stage: 'detect_track' } as const;
    expect(stageArgs({ ...dt, sampling: 'decodable' }, 2)).toEqual(['stage', 'detect_track', '/eps/a', '--profile', 'balanced', '--sampling', 'decodable', '--threads', '2']);
    expect(stageArgs({ ...dt, sampling: null }, 2)).not.toContain('--sampling');
    expect(stageArgs({ ...base, sampling: 'decodable' }, 2)).not.toContain('--sampling');
  });
  it('passes the people library to cluster only', () => {
    expect(stageArgs({ ...base, peopleDir: '/lib' }, 2)).toEqual(['stage', 'cluster', '/eps/a', '--profile', 'balanced', '--threads', '2', '--people', '/lib']);
    expect(stageArgs({ ...base, stage: 'screentime', peopleDir: '/lib' }, 2)).not.toContain('--people');
  });
  it('caps every thread variable, and a queue job adds its id and reuse of a completed run', () => {
    const env = stageEnv(3, { PATH: '/bin', OMP_NUM_THREADS: '64' });
    for (const k of THREAD_ENV_VARS) expect(env[k]).toBe('3');
    expect(env.PATH).toBe('/bin');
    expect(env.SCREENTIME_JOB_ID).toBeUndefined();
    expect(stageEnv(3, {}, 'job-1')).toMatchObject({ SCREENTIME_JOB_ID: 'job-1', SCREENTIME_REUSE_COMPLETED: '1' });
  });
  it('keeps the progress fraction within 0..1', () => {
    const ev = { type: 'progress', stage: 'cluster', frames_done: 5, frames_total: 4, fps: 2, eta_s: null, fraction: 1.25 } as const;
    expect(progressFigures(ev)).toEqual({ framesDone: 5, framesTotal: 4, fps: 2, etaS: null, fraction: 1 });
  });
});

// Plays a stage: protocol lines and a plain line on stdout, a line on stderr, a child process in
// its group that it leaves running, then exit 0 without a summary.
const FAKE_STAGE = `
const { spawn } = require('node:child_process');
const left = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
left.unref();
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
say({ type: 'start', stage: 'cluster', episode: 'e', video: 'v', profile: 'balanced', stride: 1, threads: Number(process.env.OMP_NUM_THREADS), device: 'cpu', pid: left.pid });
say({ type: 'progress', stage: 'cluster', frames_done: 1, frames_total: 2, fps: 1, eta_s: 1, fraction: 0.5 });
process.stdout.write('plain line with args ' + process.argv.slice(1).join(' ') + '\\n');
process.stderr.write('cluster: error: something odd\\n');
setTimeout(() => process.exit(0), 200);
`;

describe.skipIf(process.platform !== 'linux')('a stage process', () => {
  it('streams typed events and log lines, and is finished only when its leftover child is gone', async () => {
    const events: StageEvent[] = [];
    const logs: Array<[string, string]> = [];
    const proc = startStageProcess({
      cli: 'cli.js',
      node: { command: process.execPath, argsPrefix: ['-e', FAKE_STAGE], env: {} },
      stage: 'cluster',
      episodeDir: '/eps/a',
      profile: 'balanced',
      threads: 2,
      onEvent: (e) => events.push(e),
      onLog: (line, from) => logs.push([from, line]),
    });
    expect(proc.pid).toBeGreaterThan(0);
    await waitFor(() => proc.report.start !== null, 10_000, 'the start event');
    const leftover = proc.report.start!.pid;
    expect(proc.knownPids.has(leftover)).toBe(true);
    const exit = await proc.finished;
    expect(exit).toEqual({ code: 0, signal: null, spawnError: null });
    expect(isGone(leftover)).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['start', 'progress']);
    expect(proc.report.start!.threads).toBe(2);
    expect(logs).toEqual([
      ['stdout', 'plain line with args cli.js stage cluster /eps/a --profile balanced --threads 2'],
      ['stderr', 'cluster: error: something odd'],
    ]);
    expect(proc.report).toMatchObject({ summary: null, error: null, lastStderr: 'cluster: error: something odd' });
  });
  it('a command that cannot be started ends at once with the reason', async () => {
    const proc = startStageProcess({
      cli: 'cli.js',
      node: { command: '/nonexistent/node', argsPrefix: [], env: {} },
      stage: 'cluster',
      episodeDir: '/eps/a',
      profile: 'balanced',
      threads: 1,
    });
    const exit = await proc.finished;
    expect(exit.code).toBeNull();
    expect(exit.spawnError).toMatch(/ENOENT/);
  });
});
