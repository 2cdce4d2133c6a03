// The app-wide CPU budget with real stage processes: the real CLI (dist/pipeline/cli/main.js
// stage detect_track) on temp copies of episode_gt.mp4. Two runs at once must never have two
// stage trees alive together; the second waits, visibly, and starts by itself; a run cancelled
// or dropped while waiting never spawns anything. Build first: npm run build:node.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI_JS, MODELS_DIR, mediaPath, missing, tempEpisode as makeEpisode } from '../../test-support/shared-data.js';
import { descendants, isGone, parentOf } from '../../test-support/proc.js';
import { appCpuBudget } from './cpu-budget.js';
import { LocalRunner } from './local-runner.js';
import type { RunStageRequest, RunnerEvent } from './types.js';
import { sleep, waitFor } from '../../test-support/waits.js';

const CLI = process.env.RUNNER_TEST_CLI ?? CLI_JS;
const VIDEO = mediaPath('episode_gt.mp4');
const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const skip = missing(CLI, VIDEO, YUNET);
const ENV = { SCREENTIME_MODELS_DIR: MODELS_DIR };

const episodeRoots: string[] = [];
function tempEpisode(): string {
  const dir = makeEpisode('episode_gt.mp4');
  episodeRoots.push(path.dirname(dir));
  return dir;
}
afterAll(() => {
  for (const root of episodeRoots.splice(0)) rmSync(root, { recursive: true, force: true });
});

let n = 0;
function request(dir: string, over: Partial<RunStageRequest> = {}): RunStageRequest {
  n++;
  return {
    episodeId: `${String(n).padStart(4, '0')}ddddeeeeffff`,
    episodeDir: dir,
    outDir: path.join(dir, 'screentime'),
    stage: 'detect_track',
    profile: 'low_power',
    sessionId: 'window-1',
    ...over,
  };
}

/**
 * Live stage trees below this test process, by their root stage process, from /proc (independent
 * of the runner's books). A stage's child caught between fork and exec still carries the stage's
 * command line for a moment: it belongs to its parent's tree and is not a second stage.
 */
function stageProcesses(): number[] {
  const stages = descendants(process.pid).filter((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return argv.includes(CLI) && argv.includes('stage');
    } catch {
      return false;
    }
  });
  return stages.filter((p) => !stages.includes(parentOf(p) ?? -1));
}

/** The episode folder a stage process works on (its argv after "stage <name>"). */
function episodeOf(pid: number): string | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('stage');
    return i >= 0 ? (argv[i + 2] ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * Samples /proc and the runner every 50 ms until stopped: the most stage processes alive at once,
 * and which episode folders ever had a stage process.
 */
function watchStages(runners: LocalRunner[]): { saw: (episodeDir: string) => boolean; stop: () => Promise<{ maxAlive: number; maxRunning: number; episodes: Set<string> }> } {
  let maxAlive = 0;
  let maxRunning = 0;
  const episodes = new Set<string>();
  let on = true;
  const loop = (async () => {
    while (on) {
      const alive = stageProcesses();
      maxAlive = Math.max(maxAlive, alive.length);
      for (const p of alive) {
        const ep = episodeOf(p);
        if (ep) episodes.add(ep);
      }
      const running = runners.flatMap((r) => r.active()).filter((a) => a.pid !== null && !isGone(a.pid));
      maxRunning = Math.max(maxRunning, running.length);
      await sleep(50);
    }
  })();
  return {
    // the tests wait until the watcher itself has seen a stage before stopping it, so a stage
    // stopped within one sampling interval cannot slip past it
    saw: (episodeDir) => episodes.has(episodeDir),
    stop: async () => {
      on = false;
      await loop;
      return { maxAlive, maxRunning, episodes };
    },
  };
}

/** Records events with a global sequence number, so order across runs can be checked. */
let seq = 0;
function recorder(): { events: Array<RunnerEvent & { at: number }>; sink: (e: RunnerEvent) => void } {
  const events: Array<RunnerEvent & { at: number }> = [];
  return { events, sink: (e) => events.push({ ...e, at: seq++ }) };
}
const names = (events: RunnerEvent[]) => events.map((e) => e.event);

const made: LocalRunner[] = [];
function newRunner(): LocalRunner {
  const r = new LocalRunner({ cliPath: CLI, env: ENV });
  made.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((r) => r.shutdown()));
  // Nothing may stay behind in the shared budget for the next test (or the rest of the app).
  expect(appCpuBudget.threadsInUse()).toBe(0);
  expect(appCpuBudget.waitingCount()).toBe(0);
  expect(stageProcesses()).toEqual([]);
});

describe.skipIf(skip)('CPU budget with real stage processes', () => {
  it('two episodes at once: the second waits 1st in line until the first has ended, then runs and completes', async () => {
    const runner = newRunner();
    const dirA = tempEpisode();
    const dirB = tempEpisode();
    const a = recorder();
    const b = recorder();
    const watch = watchStages([runner]);
    const reqA = request(dirA, { stride: 50 });
    const reqB = request(dirB, { stride: 50, sessionId: 'window-2' });
    let aTreeAtB: number[] | null = null;
    const aPids = new Set<number>();
    const pendingA = runner.run(reqA, a.sink);
    const pendingB = runner.run(reqB, (e) => {
      // At B's spawn, nothing of A's tree may be left.
      if (e.event === 'stage:started') aTreeAtB = [...aPids].filter((p) => !isGone(p));
      b.sink(e);
    });

    // B is told at once that it waits, and where.
    expect(b.events[0]).toMatchObject({ event: 'stage:waiting', payload: { episodeId: reqB.episodeId, stage: 'detect_track', place: 1, cpuThreads: 2, budgetThreads: 2, threadsInUse: 2 } });
    const waiting = runner.active().find((r) => r.episodeId === reqB.episodeId);
    expect(waiting).toMatchObject({ pid: null, waitingPlace: 1, sessionId: 'window-2' });
    expect(runner.active().find((r) => r.episodeId === reqA.episodeId)?.waitingPlace).toBeUndefined();

    // A's tree, recorded while it lives; and the app-wide readings while B waits.
    const rootA = await waitFor(() => runner.active().find((r) => r.episodeId === reqA.episodeId)?.pid, 10_000, 'A to spawn');
    let doneA = false;
    void pendingA.then(() => (doneA = true));
    while (!doneA) {
      if (!isGone(rootA)) for (const p of [rootA, ...descendants(rootA)]) aPids.add(p);
      await sleep(50);
    }
    const resultA = await pendingA;
    const resultB = await pendingB;
    const seen = await watch.stop();

    expect(resultA.status).toBe('completed');
    expect(resultB.error).toBeNull();
    expect(resultB.status).toBe('completed');
    // Never two stage trees at once, by /proc and by the runner's own list; both really ran.
    expect(seen.maxAlive).toBe(1);
    expect(seen.maxRunning).toBe(1);
    // (B may end within one sampling interval of the watcher; that it ran is its completed result)
    expect(seen.episodes.has(dirA)).toBe(true);
    expect([...seen.episodes].filter((e) => e !== dirA && e !== dirB)).toEqual([]);
    expect(aTreeAtB).toEqual([]);
    // B started only after A had ended, and ended once, last.
    const aEnded = a.events.find((e) => e.event === 'stage:ended')!.at;
    const bStarted = b.events.find((e) => e.event === 'stage:started')!.at;
    expect(bStarted).toBeGreaterThan(aEnded);
    expect(names(b.events).filter((e) => e === 'stage:ended')).toHaveLength(1);
    expect(b.events.at(-1)).toMatchObject({ event: 'stage:ended', payload: resultB });
    expect(names(a.events)).not.toContain('stage:waiting');
    // While B waited, A's readings counted the whole app: one stage running, one waiting.
    const readingsA = a.events.flatMap((e) => (e.event === 'stage:readings' ? [e.payload] : []));
    expect(readingsA.length).toBeGreaterThan(0);
    expect(readingsA[0]!.app).toMatchObject({ stages: 1, threadsInUse: 2, budgetThreads: 2, waiting: 1 });
    // B's log says it waited, then starts as any run does.
    expect(resultB.logs[0]).toMatch(/^\[LOCAL MODE\] detect_track waits for the CPU budget, 1st in line/);
    expect(resultB.logs[1]).toMatch(/^\[LOCAL MODE\] CPU budget free after waiting /);
    expect(resultB.logs[2]).toBe('[LOCAL MODE] Starting detect_track');
    expect(resultB.logs.at(-1)).toMatch(/^\[LOCAL MODE\] detect_track completed in /);
    const streamedB = b.events.flatMap((e) => (e.event === 'stage:log' ? e.payload.lines : []));
    expect(streamedB).toEqual(resultB.logs);
    expect(runner.active()).toEqual([]);
  });

  it('cancel while waiting: resolves cancelled, spawns nothing; the one behind moves up and starts by itself', async () => {
    const runner = newRunner();
    const [dirA, dirB, dirC] = [tempEpisode(), tempEpisode(), tempEpisode()];
    const reqA = request(dirA);
    const reqB = request(dirB);
    const reqC = request(dirC);
    const b = recorder();
    const c = recorder();
    const watch = watchStages([runner]);
    const pendingA = runner.run(reqA, () => {});
    const pendingB = runner.run(reqB, b.sink);
    const pendingC = runner.run(reqC, c.sink);
    expect(b.events[0]).toMatchObject({ event: 'stage:waiting', payload: { place: 1 } });
    expect(c.events[0]).toMatchObject({ event: 'stage:waiting', payload: { place: 2 } });
    await waitFor(() => runner.active().find((r) => r.episodeId === reqA.episodeId)?.pid, 10_000, 'A to spawn');
    await waitFor(() => watch.saw(dirA), 10_000, 'the watcher to see A');

    const t0 = Date.now();
    expect(await runner.cancel(reqB.episodeId, 'detect_track')).toBe(true);
    const resultB = await pendingB;
    expect(Date.now() - t0).toBeLessThan(1000); // nothing to kill: it only leaves the line
    expect(resultB.status).toBe('cancelled');
    expect(resultB.error).toBe('cancelled by the user');
    expect(resultB.exitCode).toBeNull();
    expect(resultB.elapsedSeconds).toBe(0);
    expect(resultB.logs.at(-1)).toMatch(/^\[LOCAL MODE\] detect_track cancelled while waiting for the CPU budget .*never started: cancelled by the user$/);
    expect(names(b.events)).not.toContain('stage:started');
    expect(b.events.at(-1)).toMatchObject({ event: 'stage:ended', payload: resultB });
    expect(existsSync(path.join(dirB, 'screentime'))).toBe(false); // the stage never touched its folder
    // C moved up to 1st; A still runs alone.
    expect(c.events.filter((e) => e.event === 'stage:waiting').map((e) => (e.payload as { place: number }).place)).toEqual([2, 1]);
    expect(runner.active().map((r) => [r.episodeId, r.waitingPlace])).toEqual([
      [reqA.episodeId, undefined],
      [reqC.episodeId, 1],
    ]);
    expect(appCpuBudget.waitingCount()).toBe(1);

    // A ends (cancelled here, to keep the test short): C starts by itself.
    await runner.cancel(reqA.episodeId, 'detect_track');
    expect((await pendingA).status).toBe('cancelled');
    await waitFor(() => c.events.some((e) => e.event === 'stage:started'), 10_000, 'C to start by itself');
    // C really spawned (seen in /proc), after A's tree was gone (maxAlive below).
    await waitFor(() => stageProcesses().some((p) => episodeOf(p) === dirC), 10_000, 'C\'s stage process');
    await waitFor(() => watch.saw(dirC), 10_000, 'the watcher to see C');
    await runner.cancel(reqC.episodeId, 'detect_track');
    expect((await pendingC).status).toBe('cancelled');
    const seen = await watch.stop();
    expect(seen.maxAlive).toBe(1);
    expect(seen.episodes.has(dirB)).toBe(false);
  });

  it('a window reload while waiting drops its run from the line; another runner in the app shares the same budget', async () => {
    // Two runners in one process (two hosts): the budget is the app's, not each runner's.
    const first = newRunner();
    const second = newRunner();
    const [dirA, dirB] = [tempEpisode(), tempEpisode()];
    const reqA = request(dirA, { sessionId: 'window-1' });
    const reqB = request(dirB, { sessionId: 'window-2' });
    const b = recorder();
    const watch = watchStages([first, second]);
    const pendingA = first.run(reqA, () => {});
    const pendingB = second.run(reqB, b.sink);
    expect(b.events[0]).toMatchObject({ event: 'stage:waiting', payload: { place: 1 } });
    await waitFor(() => first.active()[0]?.pid, 10_000, 'A to spawn');
    await waitFor(() => watch.saw(dirA), 10_000, 'the watcher to see A');

    expect(await second.endSession('window-2')).toBe(1);
    const resultB = await pendingB;
    expect(resultB.status).toBe('cancelled');
    expect(resultB.error).toMatch(/window .* closed or reloaded/);
    expect(names(b.events)).not.toContain('stage:started');
    expect(second.active()).toEqual([]);
    expect(first.active()).toHaveLength(1); // the other window's run goes on
    expect(appCpuBudget.waitingCount()).toBe(0);

    await first.cancel(reqA.episodeId, 'detect_track');
    expect((await pendingA).status).toBe('cancelled');
    const seen = await watch.stop();
    expect(seen.maxAlive).toBe(1);
    expect(seen.episodes).toEqual(new Set([dirA]));
    expect(existsSync(path.join(dirB, 'screentime'))).toBe(false);
  });

  it('shutdown with a run waiting: both end, the waiting one without ever starting', async () => {
    const runner = newRunner();
    const [dirA, dirB] = [tempEpisode(), tempEpisode()];
    const b = recorder();
    const watch = watchStages([runner]);
    const pendingA = runner.run(request(dirA), () => {});
    const pendingB = runner.run(request(dirB), b.sink);
    await waitFor(() => runner.active()[0]?.pid, 10_000, 'A to spawn');
    await waitFor(() => watch.saw(dirA), 10_000, 'the watcher to see A');
    await runner.shutdown();
    expect((await pendingA).status).toBe('cancelled');
    const resultB = await pendingB;
    expect(resultB.status).toBe('cancelled');
    expect(resultB.error).toMatch(/quitting/);
    expect(names(b.events)).not.toContain('stage:started');
    const seen = await watch.stop();
    expect(seen.episodes).toEqual(new Set([dirA]));
  });
});
