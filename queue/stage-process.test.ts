// A queue worker's stage process (startStage) stopped the two ways a worker stops it: run.kill()
// on cancel / worker stop, and the worker's own death by SIGKILL (the stage sees its pipes close).
// Real compiled CLI (dist/pipeline/cli/main.js stage detect_track), real ffmpeg, temp copy of
// episode_gt.mp4. After every stop the artifact folder must hold no `*.tmp-*`, no lock and no
// `running` record. Build first: npm run build:node.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { StageEvent } from '../shared/progress.js';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, episodeFolders } from '../test-support/shared-data.js';
import { descendants, waitGone } from '../test-support/proc.js';
import { groupAlive, startStage } from './stage-process.js';
import { waitFor } from '../test-support/waits.js';
import { afterStop, tempNames } from '../test-support/leftovers.js';

const VIDEO = mediaPath('episode_gt.mp4');
const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const STAGE_PROCESS_JS = path.join(REPO_ROOT, 'dist', 'queue', 'stage-process.js');
const skip = missing(CLI_JS, VIDEO, YUNET);
const REPS = Number(process.env.STOP_TEST_REPS ?? 4);
/** What queue/worker.ts passes to run.kill() on cancel and on worker stop. */
const WORKER_KILL_GRACE_MS = 1500;
/** The lifetime bound: a stopped tree is gone within ~3 s (wide margin, not a speed claim). */
const GONE_WITHIN_MS = 3000;

const episodes = episodeFolders();
const tempEpisode = () => episodes.make('episode_gt.mp4');
afterAll(() => episodes.removeAll());
afterEach(() => {
  vi.restoreAllMocks();
});

const measured: Record<string, number[]> = {};
afterAll(() => {
  console.log('stage-process stop measurements (ms until the tree is gone)', JSON.stringify(measured));
});

describe.skipIf(skip)('queue stage process: stopping it cleans up', () => {
  it(`run.kill() as the worker calls it: one SIGTERM to the group, exit 130 (${REPS} stops)`, async () => {
    for (let i = 0; i < REPS; i++) {
      const dir = tempEpisode();
      const events: StageEvent[] = [];
      const run = startStage({
        cli: CLI_JS, stage: 'detect_track', episodeDir: dir, profile: 'low_power', stride: null, threads: 1, modelsDir: MODELS_DIR,
        onEvent: (e) => events.push(e),
        onStderrLine: () => {},
      });
      try {
        await waitFor(() => events.some((e) => e.type === 'progress'), 60_000, 'progress from the stage');
        await waitFor(() => tempNames(path.join(dir, 'screentime')).length > 0, 10_000, 'temp files of the stage');
        const tree = [run.pid, ...descendants(run.pid)];
        const sent: Array<[number, string]> = [];
        const realKill = process.kill.bind(process);
        vi.spyOn(process, 'kill').mockImplementation((target: number, sig?: string | number) => {
          sent.push([target, String(sig)]);
          return realKill(target, sig);
        });
        const t0 = Date.now();
        await run.kill(WORKER_KILL_GRACE_MS);
        vi.restoreAllMocks();
        (measured.runKill ??= []).push(Date.now() - t0);
        expect(sent.filter(([, sig]) => sig === 'SIGTERM')).toEqual([[-run.pgid, 'SIGTERM']]);
        // The stage ended by itself (no SIGKILL needed) and said why.
        expect(sent.filter(([, sig]) => sig === 'SIGKILL')).toEqual([]);
        expect((await run.done).code).toBe(130);
        expect(events.at(-1)).toMatchObject({ type: 'error', code: 130 });
        expect(await waitGone(tree, 500)).toEqual([]);
        expect(afterStop(dir)).toEqual({ temp: [], lock: false, status: 'cancelled' });
      } finally {
        vi.restoreAllMocks();
        if (groupAlive(run.pgid)) await run.kill(0);
      }
    }
  });

  it.skipIf(missing(STAGE_PROCESS_JS))(`the worker SIGKILLed while its stage runs (${REPS} stops)`, async () => {
    // Plays the worker: startStage (the real module), then it dies by SIGKILL, so none of its code
    // runs: the stage sees stdin close and its output break, and must clean up by itself.
    const workerSrc = `
      import { pathToFileURL } from 'node:url';
      const [stageProcessJs, cli, dir, models] = process.argv.slice(1);
      const { startStage } = await import(pathToFileURL(stageProcessJs).href);
      let told = false;
      const run = startStage({ cli, stage: 'detect_track', episodeDir: dir, profile: 'low_power', stride: null, threads: 1, modelsDir: models,
        onEvent: (e) => { if (!told && e.type === 'progress') { told = true; process.stdout.write('started ' + run.pid + '\\n'); } },
        onStderrLine: () => {} });
      await run.done;
    `;
    for (let i = 0; i < REPS; i++) {
      const dir = tempEpisode();
      const worker = spawn(process.execPath, ['--input-type=module', '-e', workerSrc, STAGE_PROCESS_JS, CLI_JS, dir, MODELS_DIR], { stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      worker.stdout!.on('data', (c) => (said += String(c)));
      let pid = 0;
      try {
        pid = Number((await waitFor(() => /started (\d+)/.exec(said), 60_000, 'the worker to start the stage'))[1]);
        await waitFor(() => tempNames(path.join(dir, 'screentime')).length > 0, 10_000, 'temp files of the stage');
        const tree = [pid, ...descendants(pid)];
        const t0 = Date.now();
        worker.kill('SIGKILL');
        expect(await waitGone(tree, GONE_WITHIN_MS)).toEqual([]);
        (measured.workerKilled ??= []).push(Date.now() - t0);
        expect(afterStop(dir)).toEqual({ temp: [], lock: false, status: 'cancelled' });
      } finally {
        worker.kill('SIGKILL');
        if (pid && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
      }
    }
  });
});
