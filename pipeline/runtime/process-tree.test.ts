// The host's stop of a stage tree (killTree) and the host's own death (SIGKILL: the stage sees its
// pipes close), against the real compiled CLI (dist/pipeline/cli/main.js stage detect_track) with
// its real ffmpeg child, on a temp copy of episode_gt.mp4. After every stop the artifact folder
// must hold no `*.tmp-*`, no lock and no `running` record. Build first: npm run build:node.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { STOP_GRACE_MS } from './stop.js';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, episodeFolders } from '../../test-support/shared-data.js';
import { descendants, waitGone } from '../../test-support/proc.js';
import { DEFAULT_KILL_GRACE_MS, MAX_KILL_GRACE_MS, killTree, spawnGroup, termTargets } from './process-tree.js';
import { waitFor } from '../../test-support/waits.js';
import { afterStop, tempNames } from '../../test-support/leftovers.js';

const VIDEO = mediaPath('episode_gt.mp4');
const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const PROCESS_TREE_JS = path.join(REPO_ROOT, 'dist', 'pipeline', 'runtime', 'process-tree.js');
const skip = missing(CLI_JS, VIDEO, YUNET);
const REPS = Number(process.env.STOP_TEST_REPS ?? 4);
/** The lifetime bound: a stopped tree is gone within ~3 s (wide margin, not a speed claim). */
const GONE_WITHIN_MS = 3000;
const STAGE_ARGS = ['stage', 'detect_track', '--models', MODELS_DIR, '--profile', 'low_power', '--threads', '1'];

const episodes = episodeFolders();
const tempEpisode = () => episodes.make('episode_gt.mp4');
afterAll(() => episodes.removeAll());
afterEach(() => {
  vi.restoreAllMocks();
});

const measured: Record<string, number[]> = {};
afterAll(() => {
  console.log('process-tree stop measurements (ms until the tree is gone)', JSON.stringify(measured));
});

describe('termTargets', () => {
  it('one SIGTERM to the group; by pid only for members that left it', () => {
    const groups = new Map([[100, 100], [101, 100], [102, 100], [103, 555], [104, null]]);
    expect(termTargets(100, [100, 101, 102, 103, 104], (p) => groups.get(p) ?? null)).toEqual([-100, 103]);
    expect(termTargets(100, [100, 101], () => null)).toEqual([-100]);
  });

  it('the default grace covers the stage\'s stop budget and stays within the maximum', () => {
    expect(DEFAULT_KILL_GRACE_MS).toBeGreaterThanOrEqual(STOP_GRACE_MS);
    expect(DEFAULT_KILL_GRACE_MS).toBeLessThanOrEqual(MAX_KILL_GRACE_MS);
  });
});

describe.skipIf(skip)('stopping the real stage tree', () => {
  it(`killTree: one SIGTERM to the group, the stage cleans up before any SIGKILL (${REPS} stops)`, async () => {
    for (let i = 0; i < REPS; i++) {
      const dir = tempEpisode();
      const [s, name, ...rest] = STAGE_ARGS;
      const child = spawnGroup(process.execPath, [CLI_JS, s!, name!, dir, ...rest], { env: process.env });
      const pid = child.pid!;
      let out = '';
      child.stdout.on('data', (c) => (out += String(c)));
      child.stderr.on('data', () => {});
      try {
        await waitFor(() => out.includes('"type":"progress"'), 60_000, 'progress from the stage');
        await waitFor(() => tempNames(path.join(dir, 'screentime')).length > 0, 10_000, 'temp files of the stage');
        const tree = [pid, ...descendants(pid)];
        expect(tree.length).toBeGreaterThan(1); // the stage and its ffmpeg
        const sent: Array<[number, string]> = [];
        const realKill = process.kill.bind(process);
        vi.spyOn(process, 'kill').mockImplementation((target: number, sig?: string | number) => {
          sent.push([target, String(sig)]);
          return realKill(target, sig);
        });
        const res = await killTree(pid);
        vi.restoreAllMocks();
        (measured.killTree ??= []).push(res.ms);
        expect(sent.filter(([, sig]) => sig === 'SIGTERM')).toEqual([[-pid, 'SIGTERM']]);
        expect(res.forced).toBe(false);
        expect(res.survivors).toEqual([]);
        expect(await waitGone(tree, 500)).toEqual([]);
        expect(afterStop(dir)).toEqual({ temp: [], lock: false, status: 'cancelled' });
      } finally {
        vi.restoreAllMocks();
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });

  it.skipIf(missing(PROCESS_TREE_JS))(`the host SIGKILLed while it holds the stage's pipes (${REPS} stops)`, async () => {
    // Plays the desktop main process: spawnGroup (the real helper) with piped stdio, then it
    // dies by SIGKILL, so no code of it runs: the stage sees stdin close and its output break.
    const hostSrc = `
      import { pathToFileURL } from 'node:url';
      const [treeJs, cli, dir, ...args] = process.argv.slice(1);
      const { spawnGroup } = await import(pathToFileURL(treeJs).href);
      const c = spawnGroup(process.execPath, [cli, args[0], args[1], dir, ...args.slice(2)], { env: process.env });
      let told = false;
      c.stdout.on('data', (d) => { if (!told && String(d).includes('"type":"progress"')) { told = true; process.stdout.write('started ' + c.pid + '\\n'); } });
      c.stderr.on('data', () => {});
    `;
    for (let i = 0; i < REPS; i++) {
      const dir = tempEpisode();
      const host = spawn(process.execPath, ['--input-type=module', '-e', hostSrc, PROCESS_TREE_JS, CLI_JS, dir, ...STAGE_ARGS], { stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      host.stdout!.on('data', (c) => (said += String(c)));
      let pid = 0;
      try {
        pid = Number((await waitFor(() => /started (\d+)/.exec(said), 60_000, 'the host to start the stage'))[1]);
        await waitFor(() => tempNames(path.join(dir, 'screentime')).length > 0, 10_000, 'temp files of the stage');
        const tree = [pid, ...descendants(pid)];
        const t0 = Date.now();
        host.kill('SIGKILL');
        expect(await waitGone(tree, GONE_WITHIN_MS)).toEqual([]);
        (measured.hostKilled ??= []).push(Date.now() - t0);
        expect(afterStop(dir)).toEqual({ temp: [], lock: false, status: 'cancelled' });
      } finally {
        host.kill('SIGKILL');
        if (pid) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
    }
  });
});
