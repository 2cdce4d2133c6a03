// Every way a stage process is stopped, against the real compiled CLI (dist/pipeline/cli/main.js
// stage detect_track) on a temp copy of episode_gt.mp4, with its real ffmpeg child. Each stop
// lands while the stage is writing its temp files; afterwards the artifact folder must hold no
// `*.tmp-*`, no lock, and a manifest record that is not `running`. Build first: npm run build:node.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, episodeFolders } from '../../test-support/shared-data.js';
import { descendants, isGone, waitGone } from '../../test-support/proc.js';
import { sleep, waitFor } from '../../test-support/waits.js';
import { afterStop, tempNames, type AfterStop } from '../../test-support/leftovers.js';

const VIDEO = mediaPath('episode_gt.mp4');
const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const RUN_STAGE_JS = path.join(REPO_ROOT, 'dist', 'pipeline', 'runtime', 'run-stage.js');
const skip = missing(CLI_JS, VIDEO, YUNET);
/** Stops per path; each is a fresh stage process. */
const REPS = Number(process.env.STOP_TEST_REPS ?? 4);
/** The lifetime bound: a stopped tree is gone within ~3 s (wide margin, not a speed claim). */
const GONE_WITHIN_MS = 3000;
const STAGE_ARGS = ['stage', 'detect_track', '--models', MODELS_DIR, '--profile', 'low_power', '--threads', '1'];

const episodes = episodeFolders();
const tempEpisode = () => episodes.make('episode_gt.mp4');
afterAll(() => episodes.removeAll());

/** A stage process of our own, leading its group with piped stdio, as the desktop and the worker start it. */
function startStage(episodeDir: string): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const [s, name, ...rest] = STAGE_ARGS;
  const child = spawn(process.execPath, [CLI_JS, s!, name!, episodeDir, ...rest], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += String(c)));
  child.stderr!.on('data', (c) => (err += String(c)));
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Waits until the stage is writing (progress events flow) and has temp files on disk. */
async function writing(episodeDir: string, out: () => string): Promise<void> {
  await waitFor(() => out().includes('"type":"progress"'), 60_000, 'progress from the stage');
  await waitFor(() => tempNames(path.join(episodeDir, 'screentime')).length > 0, 10_000, 'temp files of the stage');
}

const measured: Record<string, number[]> = {};
function note(key: string, ms: number): void {
  (measured[key] ??= []).push(ms);
}
afterAll(() => {
  console.log('stop-path measurements (ms from the stop to the stage process gone)', JSON.stringify(measured));
});

/** Stops one stage with `stop` while it writes; returns what the stage left behind. */
async function stopOnce(key: string, stop: (pid: number) => void): Promise<AfterStop & { code: number | null; tree: number[] }> {
  const dir = tempEpisode();
  const s = startStage(dir);
  const pid = s.child.pid!;
  try {
    await writing(dir, s.out);
    const tree = [pid, ...descendants(pid)];
    const t0 = Date.now();
    stop(pid);
    const code = await Promise.race([s.exited, sleep(GONE_WITHIN_MS + 5000).then(() => 'hung' as const)]);
    note(key, Date.now() - t0);
    expect(code, `stage did not exit; stderr:\n${s.err()}`).not.toBe('hung');
    expect(await waitGone(tree, GONE_WITHIN_MS)).toEqual([]);
    return { ...afterStop(dir), code: code as number | null, tree };
  } finally {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

describe.skipIf(skip)('stopping the real stage process: every path cleans up', () => {
  it(`SIGTERM to the group, as killTree sends it (${REPS} stops)`, async () => {
    for (let i = 0; i < REPS; i++) {
      const r = await stopOnce('group SIGTERM', (pid) => process.kill(-pid, 'SIGTERM'));
      expect(r).toMatchObject({ code: 130, temp: [], lock: false, status: 'cancelled' });
    }
  });

  it(`one stop whose SIGTERM reaches the stage twice (group, then its pid) is still one cancel (${REPS} stops)`, async () => {
    for (let i = 0; i < REPS; i++) {
      const r = await stopOnce('SIGTERM twice', (pid) => {
        process.kill(-pid, 'SIGTERM');
        // Late enough that the first one has been taken, as on a busy machine.
        setTimeout(() => {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            /* already gone */
          }
        }, 5);
      });
      expect(r).toMatchObject({ code: 130, temp: [], lock: false, status: 'cancelled' });
    }
  });

  it(`a parent holding the stage's pipes is SIGKILLed: stdin closes, stdout/stderr break (${REPS} stops)`, async () => {
    // The parent plays the desktop host or a queue worker: it starts the stage as a group leader
    // with piped stdio, reads its output, and is then SIGKILLed (no code of it runs).
    const parentSrc = `
      import { spawn } from 'node:child_process';
      const [cli, dir, ...args] = process.argv.slice(1);
      const c = spawn(process.execPath, [cli, args[0], args[1], dir, ...args.slice(2)], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      let told = false;
      c.stdout.on('data', (d) => { if (!told && String(d).includes('"type":"progress"')) { told = true; process.stdout.write('started ' + c.pid + '\\n'); } });
      c.stderr.on('data', () => {});
    `;
    for (let i = 0; i < REPS; i++) {
      const dir = tempEpisode();
      const parent = spawn(process.execPath, ['--input-type=module', '-e', parentSrc, CLI_JS, dir, ...STAGE_ARGS], { stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      parent.stdout!.on('data', (c) => (said += String(c)));
      let pid = 0;
      try {
        pid = Number((await waitFor(() => /started (\d+)/.exec(said), 60_000, 'the parent to start the stage'))[1]);
        await waitFor(() => tempNames(path.join(dir, 'screentime')).length > 0, 10_000, 'temp files of the stage');
        const tree = [pid, ...descendants(pid)];
        const t0 = Date.now();
        parent.kill('SIGKILL');
        expect(await waitGone(tree, GONE_WITHIN_MS)).toEqual([]);
        note('parent SIGKILLed', Date.now() - t0);
        expect(afterStop(dir)).toEqual({ temp: [], lock: false, status: 'cancelled' });
      } finally {
        parent.kill('SIGKILL');
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

  it.skipIf(missing(RUN_STAGE_JS))('Ctrl-C pressed twice exits at once, and still removes temp files, lock and running record', async () => {
    // A stage that ignores cancellation (stuck waiting), so that only the second Ctrl-C ends it:
    // the real runtime (run-stage.js) and signal handling, with a stage function of our own.
    const stuckSrc = `
      import { pathToFileURL } from 'node:url';
      import path from 'node:path';
      const [runStageJs, dir, models] = process.argv.slice(1);
      const rs = await import(pathToFileURL(runStageJs).href);
      const { createAtomicWriter } = await import(pathToFileURL(path.join(path.dirname(runStageJs), 'atomic.js')).href);
      const controller = new AbortController();
      rs.installCancelHandlers(controller, rs.processIO, false);
      const stuck = async (ctx) => {
        const w = createAtomicWriter(path.join(ctx.outDir, 'detections.jsonl'));
        await w.ready();
        await w.write('{"partial":true}\\n');
        process.stderr.write('writing\\n');
        // Stuck in work that holds the event loop open and never looks at the abort signal.
        setInterval(() => {}, 1000);
        return new Promise(() => {});
      };
      const opts = { episode: dir, profile: 'low_power', threads: 1, models, json: true };
      process.exit(await rs.runOneStage('detect_track', opts, rs.processIO, controller.signal, stuck));
    `;
    const dir = tempEpisode();
    const child = spawn(process.execPath, ['--input-type=module', '-e', stuckSrc, RUN_STAGE_JS, dir, MODELS_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c) => (err += String(c)));
    child.stdout!.on('data', () => {});
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor(() => err.includes('writing'), 60_000, 'the stage to write');
      expect(tempNames(path.join(dir, 'screentime')).length).toBeGreaterThan(0);
      child.kill('SIGINT');
      // The same Ctrl-C delivered again at once (terminal + wrapper) is not a second press.
      setTimeout(() => child.kill('SIGINT'), 5);
      // The second press: after the repeat gap (0.5 s), before the runtime's own 0.8 s backstop.
      await sleep(620);
      child.kill('SIGINT');
      const code = await Promise.race([exited, sleep(GONE_WITHIN_MS).then(() => 'hung' as const)]);
      expect(code, err).toBe(130);
      expect(err).toMatch(/interrupted again: exiting now/);
      expect(afterStop(dir)).toEqual({ temp: [], lock: false, status: 'cancelled' });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('the next start removes temp files, locks and running records of dead pids, and keeps a live pid\'s', async () => {
    const dir = tempEpisode();
    const outDir = path.join(dir, 'screentime');
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.once('exit', r));
    const dead = gone.pid!;
    const live = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      // What a SIGKILLed detect_track and faces_embed leave, next to a live writer's temp file.
      mkdirSync(path.join(outDir, 'locks'), { recursive: true });
      writeFileSync(path.join(outDir, `detections.jsonl.tmp-${dead}`), 'half');
      writeFileSync(path.join(outDir, `samples.rgb.tmp-${dead}`), 'half');
      mkdirSync(path.join(outDir, `thumbs.tmp-${dead}`));
      writeFileSync(path.join(outDir, `thumbs.tmp-${dead}`, 't.jpg'), 'x');
      writeFileSync(path.join(outDir, `edits.json.tmp-${live.pid}`), 'being written');
      writeFileSync(path.join(outDir, 'locks', 'faces_embed.lock'), JSON.stringify({ pid: dead, host: os.hostname(), started_at: 'then', stage: 'faces_embed' }));
      const stale = { status: 'running', config: {}, config_hash: 'x', inputs: {}, started_at: 'then', finished_at: null, elapsed_s: null, pid: dead, host: os.hostname(), stats: {}, error: null, completed_hash: null };
      const video = { file: path.join(dir, 'episode_gt.mp4'), duration_s: 1, fps: 25, width: 2, height: 2, frame_count: 25, start_time_s: 0, codec: 'h264' };
      writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify({ schema_version: 1, video, stages: { faces_embed: stale } }));

      const s = startStage(dir);
      try {
        await waitFor(() => s.out().includes('"type":"start"'), 60_000, 'the stage to start');
        const names = readdirSync(outDir);
        expect(names.filter((n) => n.endsWith(`-${dead}`))).toEqual([]);
        expect(names).toContain(`edits.json.tmp-${live.pid}`);
        expect(existsSync(path.join(outDir, 'locks', 'faces_embed.lock'))).toBe(false);
        expect(afterStop(dir, 'faces_embed').status).toBe('interrupted');
        expect(s.err()).toMatch(/removed 3 temp file\(s\) left by runs that were killed/);
        expect(s.err()).toMatch(/recorded faces_embed as interrupted/);
        process.kill(-s.child.pid!, 'SIGTERM');
        expect(await s.exited).toBe(130);
        // The stage's own clean-up removes only its own temp files.
        expect(afterStop(dir)).toEqual({ temp: [`edits.json.tmp-${live.pid}`], lock: false, status: 'cancelled' });
      } finally {
        if (!isGone(s.child.pid!)) process.kill(-s.child.pid!, 'SIGKILL');
      }
    } finally {
      live.kill('SIGKILL');
    }
  });
});
