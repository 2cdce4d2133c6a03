// LocalRunner against the real stage CLI (dist/pipeline/cli/main.js stage detect_track) on a
// temp copy of episode_gt.mp4: real Node stage processes, real ffmpeg grandchildren, real kills.
// Build first: npm run build:node.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ffmpegPath } from '../../pipeline/video/ffmpeg-path.js';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, tempEpisode as makeEpisode } from '../../test-support/shared-data.js';
import { commandName, descendants, isDecodingFfmpeg, isGone, processState, waitGone } from '../../test-support/proc.js';
import { defaultThermalSource, ExternalThermalSource } from '../readings/thermal.js';
import { LocalRunner } from './local-runner.js';
import type { RunStageRequest, RunnerEvent } from './types.js';
import { sleep, waitFor } from '../../test-support/waits.js';

// RUNNER_TEST_CLI lets a developer point these tests at another stage CLI while the pipeline is
// being built; the default (and CI) is the real compiled CLI.
const CLI = process.env.RUNNER_TEST_CLI ?? CLI_JS;
const VIDEO = mediaPath('episode_gt.mp4');
const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const skip = missing(CLI, VIDEO, YUNET);
const RUNNER_JS = path.join(REPO_ROOT, 'dist', 'host', 'runner', 'local-runner.js');
const PARENT = path.join(REPO_ROOT, 'host', 'runner', 'test-fixtures', 'runner-parent.mjs');
const ENV = { SCREENTIME_MODELS_DIR: MODELS_DIR };

// Each temp episode is a 6 MB copy of the video: remove them when the file is done.
const episodeRoots: string[] = [];
function tempEpisode(name: string): string {
  const dir = makeEpisode(name);
  episodeRoots.push(path.dirname(dir));
  return dir;
}
afterAll(() => {
  for (const root of episodeRoots.splice(0)) rmSync(root, { recursive: true, force: true });
});
/**
 * An episode whose video is episode_gt.mp4 played `times` times in a row (stream copy, fast), for
 * tests that must measure a stage in steady state: on a quiet machine one pass can end before
 * the measurement window does.
 */
function loopedEpisode(times: number): string {
  const dir = tempEpisode('episode_gt.mp4');
  const src = path.join(dir, 'episode_gt.mp4');
  const out = path.join(dir, 'episode_looped.mp4');
  const r = spawnSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-stream_loop', String(times - 1), '-i', src, '-c', 'copy', '-y', out]);
  if (r.status !== 0) throw new Error(`could not make a looped episode: ${r.stderr?.toString()}`);
  rmSync(src);
  return dir;
}
let n = 0;
function request(dir: string, over: Partial<RunStageRequest> = {}): RunStageRequest {
  n++;
  return {
    episodeId: `${String(n).padStart(4, '0')}aaaabbbbcccc`,
    episodeDir: dir,
    outDir: path.join(dir, 'screentime'),
    stage: 'detect_track',
    profile: 'low_power',
    sessionId: 'session-a',
    ...over,
  };
}

/** Waits until the stage has an ffmpeg below it; returns every pid of the tree at that moment. */
async function treeWithFfmpeg(runner: LocalRunner, timeoutMs = 60_000): Promise<{ root: number; pids: number[]; ffmpeg: number[] }> {
  const root = await waitFor(() => runner.active()[0]?.pid, 10_000, 'stage pid');
  return waitFor(
    () => {
      const kids = descendants(root);
      const ffmpeg = kids.filter(isDecodingFfmpeg);
      return ffmpeg.length ? { root, pids: [root, ...kids], ffmpeg } : null;
    },
    timeoutMs,
    'an ffmpeg child of the stage',
  );
}

function ourChildren(): number[] {
  return descendants(process.pid).filter((p) => !isGone(p));
}

const runners: LocalRunner[] = [];
function newRunner(extra: Partial<ConstructorParameters<typeof LocalRunner>[0]> = {}): LocalRunner {
  const r = new LocalRunner({ cliPath: CLI, env: ENV, ...extra });
  runners.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.shutdown()));
});

const measured: Record<string, unknown> = {};
afterAll(() => {
  // The numbers docs/local-mode.md quotes come from here.
  console.log('local-runner measurements', JSON.stringify(measured));
});

describe.skipIf(skip)('LocalRunner + real detect_track', () => {
  it('runs to completion: one call, streamed events, logs in the local-mode format', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const runner = newRunner();
    const events: RunnerEvent[] = [];
    const t0 = Date.now();
    const result = await runner.run(request(dir, { stride: 50, threads: 8 }), (e) => events.push(e));
    const wall = (Date.now() - t0) / 1000;
    measured.completeWallS = wall;
    expect(result.error).toBeNull();
    expect(result.status).toBe('completed');
    expect(result.exitCode).toBe(0);
    expect(result.cpuThreads).toBe(2);
    expect(result.profile).toBe('low_power');
    expect(result.stride).toBe(50);
    expect(result.device).toBe('cpu');
    expect(result.episode).toBe('episode');
    expect(result.summary).not.toBeNull();
    expect(result.elapsedSeconds).toBeGreaterThan(0);
    expect(result.elapsedSeconds).toBeLessThanOrEqual(wall + 0.2);
    const logs = result.logs;
    expect(logs[0]).toBe('[LOCAL MODE] Starting detect_track');
    expect(logs[1]).toMatch(/device=cpu profile=low_power stride=50 cpu_threads=2/);
    expect(logs[2]).toBe('[LOCAL MODE] CPU threads capped at 2 (requested 8)');
    expect(logs.length).toBeGreaterThan(4); // the stage's own stderr lines are in between
    expect(logs.at(-1)).toMatch(/^\[LOCAL MODE\] detect_track completed in (\d+\.\ds|\d+m \d+s)$/);
    // Events: started first, ended last, logs streamed in batches that add up to result.logs.
    expect(events[0]!.event).toBe('stage:started');
    expect(events.at(-1)!.event).toBe('stage:ended');
    expect(events.at(-1)!.payload).toEqual(result);
    const streamed = events.flatMap((e) => (e.event === 'stage:log' ? e.payload.lines : []));
    expect(streamed).toEqual(logs);
    expect(events.some((e) => e.event === 'stage:progress')).toBe(true);
    expect(runner.active()).toEqual([]);
    expect(existsSync(path.join(dir, 'screentime'))).toBe(true);
  });

  it('cancel: resolves cancelled and the whole tree (ffmpeg included) is gone', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const runner = newRunner();
    const pending = runner.run(request(dir), () => {});
    const tree = await treeWithFfmpeg(runner);
    const t0 = Date.now();
    const found = await runner.cancel(runner.active()[0]!.episodeId, 'detect_track');
    const result = await pending;
    const resolvedMs = Date.now() - t0;
    const alive = await waitGone(tree.pids, 3000);
    measured.cancelResolveMs = resolvedMs;
    expect(found).toBe(true);
    expect(result.status).toBe('cancelled');
    expect(result.error).toMatch(/cancelled by the user/);
    expect(result.logs.at(-1)).toMatch(/^\[LOCAL MODE\] detect_track cancelled after/);
    expect(alive).toEqual([]);
    expect(resolvedMs).toBeLessThan(3000);
    expect(runner.active()).toEqual([]);
  });

  it('endSession: kills only that window\'s runs, which resolve cancelled with the reason', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const runner = newRunner();
    const pending = runner.run(request(dir, { sessionId: 'window-1' }), () => {});
    const tree = await treeWithFfmpeg(runner);
    expect(await runner.endSession('window-2')).toBe(0);
    expect(runner.active()).toHaveLength(1);
    const t0 = Date.now();
    expect(await runner.endSession('window-1')).toBe(1);
    const result = await pending;
    measured.endSessionMs = Date.now() - t0;
    expect(result.status).toBe('cancelled');
    expect(result.error).toMatch(/window .* closed or reloaded/);
    expect(await waitGone(tree.pids, 3000)).toEqual([]);
  });

  it('shutdown: kills every run and refuses new ones', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const runner = newRunner();
    const pending = runner.run(request(dir), () => {});
    const tree = await treeWithFfmpeg(runner);
    const t0 = Date.now();
    await runner.shutdown();
    measured.shutdownMs = Date.now() - t0;
    const result = await pending;
    expect(result.status).toBe('cancelled');
    expect(result.error).toMatch(/quitting/);
    expect(await waitGone(tree.pids, 3000)).toEqual([]);
    const after = await runner.run(request(dir), () => {});
    expect(after.status).toBe('error');
    expect(after.error).toMatch(/shutting down/);
  });

  it('timeout: kills the tree and reports that it timed out after N s', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const runner = newRunner();
    const seen = new Set<number>();
    const pending = runner.run(request(dir, { timeoutS: 2 }), () => {});
    let done = false;
    void pending.then(() => (done = true));
    while (!done) {
      const root = runner.active()[0]?.pid;
      if (root) for (const p of [root, ...descendants(root)]) seen.add(p);
      await sleep(50);
    }
    const result = await pending;
    expect(result.status).toBe('error');
    expect(result.error).toMatch(/timed out after 2 s/);
    expect(result.logs.at(-1)).toMatch(/^\[LOCAL MODE\] detect_track failed: detect_track timed out after 2 s/);
    expect(result.elapsedSeconds).toBeGreaterThanOrEqual(2);
    expect(result.elapsedSeconds).toBeLessThan(5);
    expect(seen.size).toBeGreaterThan(0);
    expect(await waitGone([...seen], 3000)).toEqual([]);
  });

  it('duplicate in this process: refused at once with "already running", nothing started', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const runner = newRunner();
    const first = request(dir, { sessionId: 'window-1' });
    const pending = runner.run(first, () => {});
    await treeWithFfmpeg(runner);
    const before = ourChildren();
    const events: RunnerEvent[] = [];
    const t0 = Date.now();
    const dup = await runner.run({ ...first, sessionId: 'window-2', profile: 'performance' }, (e) => events.push(e));
    const ms = Date.now() - t0;
    expect(dup.status).toBe('error');
    expect(dup.error).toMatch(/already running/);
    // "At once": no process start, no waiting on the running stage (which keeps both cores busy,
    // so this test's own event loop can lag by tens of milliseconds).
    expect(ms).toBeLessThan(500);
    expect(events).toEqual([]); // no stage:ended that could be mistaken for the real run's end
    await sleep(300);
    const after = ourChildren();
    expect(after.filter((p) => !before.includes(p) && commandName(p) === 'node')).toEqual([]);
    expect(runner.active()).toHaveLength(1);
    expect(runner.active()[0]!.sessionId).toBe('window-1');
    await runner.cancel(first.episodeId, 'detect_track');
    expect((await pending).status).toBe('cancelled');
  });

  it('duplicate across app instances: an active lock held by another live process refuses the run', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const holder: ChildProcess = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const locks = path.join(dir, 'screentime', 'locks');
      mkdirSync(locks, { recursive: true });
      writeFileSync(
        path.join(locks, 'detect_track.lock'),
        JSON.stringify({ pid: holder.pid, host: os.hostname(), started_at: new Date().toISOString(), stage: 'detect_track' }),
      );
      const runner = newRunner();
      const before = ourChildren();
      const t0 = Date.now();
      const res = await runner.run(request(dir), () => {});
      expect(Date.now() - t0).toBeLessThan(500);
      expect(res.status).toBe('error');
      expect(res.error).toMatch(/already running/);
      expect(res.error).toContain(`pid ${holder.pid}`);
      expect(ourChildren().filter((p) => !before.includes(p))).toEqual([]);
      // The same lock whose owner is gone is stale: the run goes ahead (and we stop it at once).
      holder.kill('SIGKILL');
      await waitFor(() => isGone(holder.pid!), 3000, 'lock holder to die');
      const pending = runner.run(request(dir), () => {});
      await waitFor(() => runner.active()[0]?.pid, 5000, 'the run to start');
      await runner.cancel(runner.active()[0]!.episodeId, 'detect_track');
      expect((await pending).status).toBe('cancelled');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it.skipIf(missing(RUNNER_JS))('main process SIGKILLed: the stage and its ffmpeg exit on their own within 3 s', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const parent = spawn(process.execPath, [PARENT, RUNNER_JS, CLI, dir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...ENV } });
    try {
      let out = '';
      parent.stdout!.on('data', (c) => (out += String(c)));
      await waitFor(() => /started \d+/.test(out), 15_000, 'the parent to start the stage');
      const tree = await waitFor(
        () => {
          const kids = descendants(parent.pid!);
          return kids.some(isDecodingFfmpeg) ? kids : null;
        },
        60_000,
        'ffmpeg below the stage',
      );
      const t0 = Date.now();
      parent.kill('SIGKILL');
      const alive = await waitGone(tree, 3000);
      measured.parentKilledTreeGoneMs = Date.now() - t0;
      expect(alive.map((p) => `${p} ${commandName(p)} ${processState(p)}`)).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('thermal guard: the real stage and its ffmpeg are stopped (State T) while hot, then finish', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const thermal = new ExternalThermalSource('test');
    thermal.set({ state: 'nominal', maxTempC: 55 });
    const runner = newRunner({ thermal, readingsIntervalMs: 250 });
    const pending = runner.run(request(dir, { stride: 10 }), () => {});
    const { root, ffmpeg } = await treeWithFfmpeg(runner);
    await waitFor(() => (runner.active()[0]?.fraction ?? 0) > 0, 60_000, 'the first progress');
    thermal.set({ state: 'critical', maxTempC: 99 });
    await waitFor(() => processState(root) === 'T' && ffmpeg.every((p) => processState(p) === 'T'), 3000, 'the tree to stop');
    const frozen = runner.active()[0]!.fraction;
    await sleep(2000);
    expect(ffmpeg.every((p) => processState(p) === 'T')).toBe(true);
    expect(runner.active()[0]!.fraction).toBe(frozen);
    expect(runner.active()[0]!.paused).toBe(true);
    thermal.set({ state: 'nominal', maxTempC: 60 });
    const r = await pending;
    expect(r.error).toBeNull();
    expect(r.status).toBe('completed');
    expect(r.logs.filter((l) => l.startsWith('Thermal guard:'))).toEqual([
      'Thermal guard: paused detect_track because thermal state is critical (99 C)',
      'Thermal guard: resumed detect_track, cooled to 60 C',
    ]);
  });

  /** Mean CPU (100 = one core) of the stage tree over ~6 s of steady state, from /proc CPU time. */
  async function steadyTreeCpu(runner: LocalRunner, dir: string, expectedCap: number): Promise<{ mean: number; samples: number[]; threads: number[]; load1: number }> {
    const readings: number[] = [];
    const pending = runner.run(request(dir, { threads: 8, stride: 2 }), (e) => {
      if (e.event === 'stage:readings' && e.payload.threads !== null) readings.push(e.payload.threads);
    });
    const { root } = await treeWithFfmpeg(runner);
    // Warm-up: models loaded and frames flowing.
    await waitFor(() => (runner.active()[0]?.fraction ?? 0) > 0, 60_000, 'the first progress');
    await sleep(1500);
    // The cap reaches every process of the tree: below-normal priority (inherited by ffmpeg) and
    // the thread variables in each process's own environment.
    const cap = String(expectedCap);
    for (const p of [root, ...descendants(root)]) {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]), `nice of ${commandName(p)}`).toBe(10);
      const environ = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      for (const k of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'UV_THREADPOOL_SIZE']) {
        expect(environ, `${k} of ${commandName(p)}`).toContain(`${k}=${cap}`);
      }
    }
    // CPU time from /proc (utime + stime, in clock ticks of 1/100 s) of every process of the tree,
    // each counted from when it was first seen: the exact mean over the window, with no sampling
    // error of its own (a sampler's per-interval figures jump between 0 and 200 % around a true 100)
    const TICKS_PER_S = 100;
    const cpuTicks = (pid: number): number | null => {
      try {
        const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
        return Number(rest[11]) + Number(rest[12]);
      } catch {
        return null;
      }
    };
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    const t0 = Date.now();
    const samples: number[] = [];
    let prevTotal = 0;
    let prevAt = t0;
    for (let i = 0; i < 7; i++) {
      for (const p of [root, ...descendants(root)]) {
        const t = cpuTicks(p);
        if (t === null) continue;
        if (!first.has(p)) first.set(p, t);
        last.set(p, t);
      }
      const total = [...last].reduce((a, [p, t]) => a + t - first.get(p)!, 0);
      if (i > 0) samples.push(((total - prevTotal) / TICKS_PER_S / ((Date.now() - prevAt) / 1000)) * 100);
      prevTotal = total;
      prevAt = Date.now();
      if (i < 6) await sleep(1000);
    }
    const windowS = (prevAt - t0) / 1000;
    expect(runner.active()).toHaveLength(1); // still running through the whole window
    await runner.shutdown();
    await pending;
    const mean = (prevTotal / TICKS_PER_S / windowS) * 100;
    return { mean, samples, threads: readings, load1: Math.round(os.loadavg()[0]! * 10) / 10 };
  }

  it('CPU cap 1 (internal override): the whole tree stays under 1.2 cores', async () => {
    const runner = newRunner({ maxThreadsOverride: 1 });
    const r = await steadyTreeCpu(runner, loopedEpisode(3), 1);
    measured.cpuCap1 = { mean: Math.round(r.mean), samples: r.samples.map(Math.round), osThreadsMax: Math.max(...r.threads), machineLoad1: r.load1 };
    expect(r.mean).toBeGreaterThan(10); // it is really working (even on a crowded machine)
    expect(r.mean).toBeLessThan(120);
    expect(r.threads.length).toBeGreaterThan(0);
    expect(Math.min(...r.threads)).toBeGreaterThan(0);
  });

  it('CPU default cap (2): the whole tree stays at or under 2 cores', async () => {
    const runner = newRunner();
    const r = await steadyTreeCpu(runner, loopedEpisode(3), 2);
    measured.cpuCap2 = { mean: Math.round(r.mean), samples: r.samples.map(Math.round), osThreadsMax: Math.max(...r.threads), machineLoad1: r.load1 };
    expect(r.mean).toBeGreaterThan(10);
    expect(r.mean).toBeLessThanOrEqual(200);
  });

  it('live events: progress + readings never exceed 10 per second; readings describe the tree', async () => {
    const dir = tempEpisode('episode_gt.mp4');
    const runner = newRunner({ readingsIntervalMs: 250 });
    const times: number[] = [];
    const readings: Array<Extract<RunnerEvent, { event: 'stage:readings' }>['payload']> = [];
    const result = await runner.run(request(dir, { stride: 25 }), (e) => {
      if (e.event === 'stage:progress' || e.event === 'stage:readings') times.push(Date.now());
      if (e.event === 'stage:readings') readings.push(e.payload);
    });
    expect(result.status).toBe('completed');
    expect(times.length).toBeGreaterThan(3);
    let worst = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! - times[i]! < 1000) j++;
      worst = Math.max(worst, j - i);
    }
    measured.maxLiveEventsPerSecond = worst;
    expect(worst).toBeLessThanOrEqual(10);
    expect(readings.length).toBeGreaterThan(0);
    const last = readings.at(-1)!;
    expect(last.processes).toBeGreaterThan(0);
    expect(last.threads).toBeGreaterThan(0);
    expect(last.rssBytes).toBeGreaterThan(10_000_000);
    expect(last.cpuCount).toBe(os.availableParallelism());
    // the readings carry what this machine's own thermal source says (sysfs here), not a default
    const machine = await defaultThermalSource().read();
    expect(last.thermal.source).toBe(machine.source);
    expect(last.thermal.state).toBe(machine.state);
    if (machine.state === 'unavailable') expect(last.thermal.maxTempC).toBeNull();
    else expect(last.thermal.maxTempC).toEqual(expect.any(Number));
    expect(readings.some((r) => r.cpuPercent !== null && r.cpuPercent > 0)).toBe(true);
    expect(readings[0]!.paused).toBe(false);
  });
});
