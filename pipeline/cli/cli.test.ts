// The `screentime` command as a user and the desktop host meet it: real processes, real video,
// real models. Needs `npm run build:node` first (it runs dist/pipeline/cli/main.js).

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../shared/artifacts.js';
import { createLineSplitter, parseStageLine, type StageEvent } from '../../shared/progress.js';
import { EXIT, STAGES } from '../../shared/stages.js';
import { readActiveLock } from '../runtime/lock.js';
import { stageStates } from '../runtime/manifest.js';
import { descendants, waitGone, commandName } from '../../test-support/proc.js';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';

const GT = mediaPath('episode_gt.mp4');
const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
const needs = missing(GT, YUNET);

// An empty HOME: the real user cache of this machine must not satisfy the model search.
const HOME = mkdtempSync(path.join(tmpdir(), 'screentime-home-'));
const ENV = { ...process.env, HOME, XDG_CACHE_HOME: path.join(HOME, '.cache'), SCREENTIME_MODELS_DIR: MODELS_DIR };

interface Run {
  child: ChildProcessWithoutNullStreams;
  events: StageEvent[];
  stdoutLines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitFor(pred: (e: StageEvent) => boolean, timeoutMs?: number): Promise<StageEvent>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = ENV, stdin: 'pipe' | 'ignore' = 'pipe'): Run {
  const child = spawn(process.execPath, [CLI_JS, ...args], { env, stdio: [stdin, 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
  const events: StageEvent[] = [];
  const stdoutLines: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<{ pred: (e: StageEvent) => boolean; resolve: (e: StageEvent) => void }> = [];
  const out = createLineSplitter((line) => {
    stdoutLines.push(line);
    const e = parseStageLine(line);
    if (!e) return;
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
  });
  const err = createLineSplitter((l) => stderr.push(l));
  child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('close', (code, signal) => { out.end(); err.end(); resolve({ code, signal, at: performance.now() }); });
  });
  return {
    child, events, stdoutLines, stderr, exited,
    waitFor(pred, timeoutMs = 60_000) {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for an event; stderr: ${stderr.join(' | ')}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
        void exited.then(() => { clearTimeout(t); reject(new Error(`exited before the event; stderr: ${stderr.join(' | ')}`)); });
      });
    },
  };
}

/** Runs to the end with stdin on /dev/null (closing a piped stdin would cancel the run). */
async function runCli(args: string[], env?: NodeJS.ProcessEnv) {
  const r = startCli(args, env, 'ignore');
  const { code } = await r.exited;
  return { ...r, code };
}

function manifestOf(outDir: string): Manifest {
  return JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
}

beforeAll(() => {
  if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing: run "npm run build:node" first`);
});

describe('screentime stage detect_track (real video, real models)', () => {
  it.skipIf(needs)('episode folder with spaces and non-ASCII: start, throttled progress, summary, exit 0, manifest completed', async () => {
    const ep = tempEpisode('episode_gt.mp4', 'Épisode 1 — été');
    const r = startCli(['stage', 'detect_track', ep, '--json', '--threads', '2']);
    const t0 = performance.now();
    const { code, at } = await r.exited;
    const wall = (at - t0) / 1000;
    expect(code, r.stderr.join('\n')).toBe(EXIT.OK);
    // Every stdout line is a protocol event.
    expect(r.stdoutLines.filter((l) => l.trim()).every((l) => parseStageLine(l) !== null)).toBe(true);
    const [first] = r.events;
    expect(first).toMatchObject({ type: 'start', stage: 'detect_track', episode: ep, profile: 'balanced', threads: 2, device: 'cpu', pid: r.child.pid });
    const last = r.events.at(-1)!;
    expect(last).toMatchObject({ type: 'summary', stage: 'detect_track', status: 'completed' });
    const progress = r.events.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(3);
    // <= 10 events per second (+1 for the final one).
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(wall * 10) + 2);
    const fr = progress.map((e) => (e.type === 'progress' ? e.fraction : -1));
    expect(fr.every((f, i) => i === 0 || f >= fr[i - 1]!)).toBe(true);
    // The last event carries the stage's last report (decoders may end a frame or two short of the container's count).
    expect(fr.at(-1)).toBeGreaterThan(0.99);
    const outDir = path.join(ep, 'screentime');
    const m = manifestOf(outDir);
    expect(m.video).toMatchObject({ fps: 25, width: 1280, height: 720, frame_count: 1450 });
    expect(m.stages.detect_track).toMatchObject({ status: 'completed', pid: r.child.pid, error: null });
    expect(m.stages.detect_track!.completed_hash).toBe(m.stages.detect_track!.config_hash);
    expect(existsSync(path.join(outDir, 'detections.jsonl'))).toBe(true);
    // No temp files and no lock left behind.
    expect(readdirSync(outDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(existsSync(path.join(outDir, 'locks', 'detect_track.lock'))).toBe(false);
  });

  for (const how of ['SIGTERM', 'stdin closed'] as const) {
    it.skipIf(needs)(`${how} mid-run: exit 130 within 2 s, ffmpeg gone, no artifacts, manifest cancelled`, async () => {
      const ep = tempEpisode('episode_gt.mp4');
      const outDir = path.join(ep, 'screentime');
      const r = startCli(['stage', 'detect_track', ep, '--json']);
      await r.waitFor((e) => e.type === 'progress' && e.fraction > 0.05);
      const tree = descendants(r.child.pid!);
      expect(tree.map(commandName)).toContain('ffmpeg');
      const t0 = performance.now();
      if (how === 'SIGTERM') r.child.kill('SIGTERM');
      else r.child.stdin.end();
      const { code, at } = await r.exited;
      expect(at - t0).toBeLessThan(2000);
      expect(code).toBe(EXIT.CANCELLED);
      expect(await waitGone(tree, 500)).toEqual([]);
      expect(r.events.at(-1)).toMatchObject({ type: 'error', code: EXIT.CANCELLED });
      expect(r.events.some((e) => e.type === 'summary')).toBe(false);
      const files = readdirSync(outDir);
      for (const f of ['detections.jsonl', 'tracks.jsonl', 'samples.jsonl', 'samples.rgb']) expect(files).not.toContain(f);
      expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
      expect(manifestOf(outDir).stages.detect_track?.status).toBe('cancelled');
      expect(existsSync(path.join(outDir, 'locks', 'detect_track.lock'))).toBe(false);
    });
  }

  it.skipIf(needs)('SIGKILL mid-run: the stage shows "interrupted", its lock is stale and the next run takes it over', async () => {
    const ep = tempEpisode('episode_gt.mp4');
    const outDir = path.join(ep, 'screentime');
    const r = startCli(['stage', 'detect_track', ep, '--json']);
    await r.waitFor((e) => e.type === 'progress' && e.fraction > 0.02);
    const tree = descendants(r.child.pid!);
    r.child.kill('SIGKILL');
    await r.exited;
    // ffmpeg dies with its parent (PR_SET_PDEATHSIG), even without a chance to clean up.
    expect(await waitGone(tree, 2000)).toEqual([]);
    expect(existsSync(path.join(outDir, 'locks', 'detect_track.lock'))).toBe(true);
    expect(readActiveLock(outDir, 'detect_track')).toBeNull();
    expect(stageStates(manifestOf(outDir)).detect_track).toBe('interrupted');
    const again = await runCli(['stage', 'detect_track', ep, '--json', '--stride', '25']);
    expect(again.code, again.stderr.join('\n')).toBe(EXIT.OK);
    expect(stageStates(manifestOf(outDir)).detect_track).toBe('completed');
  });

  it.skipIf(needs)('a second run of the same stage on the same episode: EXIT.ALREADY_RUNNING, "already running"', async () => {
    const ep = tempEpisode('episode_gt.mp4');
    const first = startCli(['stage', 'detect_track', ep, '--json']);
    await first.waitFor((e) => e.type === 'start');
    const second = await runCli(['stage', 'detect_track', ep, '--json']);
    expect(second.code).toBe(EXIT.ALREADY_RUNNING);
    expect(second.events).toEqual([expect.objectContaining({ type: 'error', code: EXIT.ALREADY_RUNNING })]);
    expect(second.stderr.join('\n')).toMatch(new RegExp(`already running for this episode \\(pid ${first.child.pid}`));
    // The first one is untouched by the refusal and still runs.
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(EXIT.CANCELLED);
  });
});

describe('screentime run (every stage)', () => {
  it.skipIf(needs)('runs the four stages in order, exit 0; re-running detect_track with another stride makes the later stages stale', async () => {
    const ep = tempEpisode('episode_gt.mp4', 'run all');
    const outDir = path.join(ep, 'screentime');
    const r = await runCli(['run', ep, '--json']);
    expect(r.code, r.stderr.join('\n')).toBe(EXIT.OK);
    const marks = r.events.filter((e) => e.type !== 'progress').map((e) => `${e.type}:${e.stage}`);
    expect(marks).toEqual(STAGES.flatMap((s) => [`start:${s}`, `summary:${s}`]));
    expect(stageStates(manifestOf(outDir))).toEqual({ detect_track: 'completed', faces_embed: 'completed', cluster: 'completed', screentime: 'completed' });
    for (const f of ['detections.jsonl', 'tracks.jsonl', 'identities.json', 'screentime.json']) expect(existsSync(path.join(outDir, f)), f).toBe(true);

    const again = await runCli(['stage', 'detect_track', ep, '--json', '--stride', '8']);
    expect(again.code).toBe(EXIT.OK);
    expect(stageStates(manifestOf(outDir))).toEqual({ detect_track: 'completed', faces_embed: 'stale', cluster: 'stale', screentime: 'stale' });
    // A stale input is refused rather than silently used.
    const cl = await runCli(['stage', 'cluster', ep, '--json']);
    expect(cl.code).toBe(EXIT.BAD_INPUT);
    expect(cl.stderr.join('\n')).toMatch(/faces_embed is out of date for this episode; run it first/);
  });
});

describe('--sampling (detect_track)', () => {
  it.skipIf(needs)('a stage option like --stride: the manifest records it, its config hash differs, later stages go stale, a queue job reuses only a run with the same sampling', async () => {
    const ep = tempEpisode('episode_gt.mp4', 'sampling');
    const outDir = path.join(ep, 'screentime');
    for (const stage of ['detect_track', 'faces_embed']) {
      const r = await runCli(['stage', stage, ep, '--json', '--stride', '8']);
      expect(r.code, r.stderr.join('\n')).toBe(EXIT.OK);
    }
    const plain = manifestOf(outDir).stages.detect_track!;
    expect(plain.config).not.toHaveProperty('sampling');
    expect(plain.stats).not.toHaveProperty('sampling');

    // As a queue job runs it: a completed run with the same settings would be reported, not repeated.
    const jobEnv = { ...ENV, SCREENTIME_REUSE_COMPLETED: '1' };
    const args = ['stage', 'detect_track', ep, '--json', '--stride', '8', '--sampling', 'decodable'];
    const dec = await runCli(args, jobEnv);
    expect(dec.code, dec.stderr.join('\n')).toBe(EXIT.OK);
    expect(dec.events.find((e) => e.type === 'summary')).not.toHaveProperty('reused');
    expect(dec.stderr.join('\n')).toMatch(/stride 8, sampling decodable, threads/);
    const rec = manifestOf(outDir).stages.detect_track!;
    expect(rec.config).toMatchObject({ stride: 8, sampling: 'decodable' });
    expect(rec.config_hash).not.toBe(plain.config_hash);
    // the frames other frames reference: I, P and reference B (episode_gt.mp4 has B-pyramids)
    expect(rec.stats).toMatchObject({ sampling: 'decodable', source_frames: 1450, frames_decoded: 1001 });
    expect(stageStates(manifestOf(outDir))).toMatchObject({ detect_track: 'completed', faces_embed: 'stale' });

    const again = await runCli(args, jobEnv);
    expect(again.code).toBe(EXIT.OK);
    expect(again.events.find((e) => e.type === 'summary')).toMatchObject({ reused: true });
  });
});

describe('bad input: one line on stderr, one error event, the documented exit code', () => {
  const expectOneLineError = (r: { code: number | null; events: StageEvent[]; stderr: string[] }, code: number, re: RegExp) => {
    expect(r.code).toBe(code);
    expect(r.events).toHaveLength(1);
    const e = r.events[0]!;
    expect(e).toMatchObject({ type: 'error', code });
    expect(e.type === 'error' && e.message).toMatch(re);
    const errLines = r.stderr.filter((l) => / error: /.test(l));
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(re);
  };

  it('folder without a video names the folder', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-novideo-'));
    writeFileSync(path.join(d, 'notes.txt'), 'x');
    expectOneLineError(await runCli(['stage', 'detect_track', d, '--json']), EXIT.BAD_INPUT, new RegExp(`no video in ${d}`));
  });

  it('two videos are refused and listed', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-two-'));
    writeFileSync(path.join(d, 'a.mp4'), 'x');
    writeFileSync(path.join(d, 'b.mkv'), 'x');
    expectOneLineError(await runCli(['stage', 'detect_track', d, '--json']), EXIT.BAD_INPUT, /2 videos in .*a\.mp4, b\.mkv/);
  });

  it('a corrupt video file', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-corrupt-'));
    writeFileSync(path.join(d, 'episode.mp4'), Buffer.alloc(100_000, 0x5a));
    expectOneLineError(await runCli(['stage', 'detect_track', d, '--json']), EXIT.BAD_INPUT, /episode\.mp4 is not a readable video/);
  });

  it.skipIf(missing(GT))('missing model: EXIT.MODEL naming the file and "screentime models fetch"', async () => {
    const ep = tempEpisode('episode_gt.mp4');
    const empty = mkdtempSync(path.join(tmpdir(), 'screentime-nomodels-'));
    const env = { ...ENV, SCREENTIME_MODELS_DIR: empty };
    expectOneLineError(await runCli(['stage', 'detect_track', ep, '--json'], env), EXIT.MODEL, /model yunet_n_dynamic\.onnx not found .*screentime models fetch/);
  });

  it.skipIf(needs)('corrupt model (one byte flipped): EXIT.MODEL with both hashes', async () => {
    const ep = tempEpisode('episode_gt.mp4');
    const d = mkdtempSync(path.join(tmpdir(), 'screentime-badmodel-'));
    const buf = readFileSync(YUNET);
    buf[5000] = buf[5000]! ^ 0x01;
    writeFileSync(path.join(d, 'yunet_n_dynamic.onnx'), buf);
    expectOneLineError(await runCli(['stage', 'detect_track', ep, '--json', '--models', d]), EXIT.MODEL, /is corrupt: sha256 [0-9a-f]{64}, expected 104ee26c/);
  });

  it.skipIf(missing(GT))('read-only episode folder: EXIT.OUTPUT suggesting --out (as an unprivileged user)', async (ctx) => {
    // Root ignores mode bits, so the stage runs as "nobody" via setpriv when we are root.
    const asNobody = process.getuid?.() === 0;
    if (asNobody && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', '0']).status !== 0) {
      ctx.skip('skipped: running as root and setpriv cannot drop to uid 65534');
    }
    const root = mkdtempSync(path.join(tmpdir(), 'screentime-ro-'));
    const ep = path.join(root, 'read only');
    mkdirSync(ep);
    copyFileSync(GT, path.join(ep, 'episode.mp4'));
    chmodSync(root, 0o755);
    chmodSync(path.join(ep, 'episode.mp4'), 0o644);
    chmodSync(ep, 0o555);
    const cmd = asNobody ? 'setpriv' : process.execPath;
    const pre = asNobody ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [];
    const child = spawn(cmd, [...pre, CLI_JS, 'stage', 'detect_track', ep, '--json'], { env: { ...ENV, HOME: '/nonexistent' }, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, err).toBe(EXIT.OUTPUT);
    const events = out.trim().split('\n').map(parseStageLine);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', code: EXIT.OUTPUT });
    expect(err).toMatch(/cannot write the artifact folder .*read only\/screentime \(read-only or no permission\); pass --out DIR/);
    expect(existsSync(path.join(ep, 'screentime'))).toBe(false);
  });

  it('usage errors: exit 2 with the help', async () => {
    const r = await runCli(['stage', 'nope', '/x']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr.join('\n')).toMatch(/unknown stage "nope"[\s\S]*Usage: screentime stage/);
  });

  it.skipIf(needs)('a later stage before detect_track ran: EXIT.BAD_INPUT saying what to run first', async () => {
    const ep = tempEpisode('episode_gt.mp4');
    expectOneLineError(await runCli(['stage', 'cluster', ep, '--json']), EXIT.BAD_INPUT, /detect_track has not completed for this episode; run it first/);
  });
});

describe('screentime models', () => {
  it.skipIf(missing(YUNET))('verify: finds the models through SCREENTIME_MODELS_DIR and checks them', async () => {
    const r = await runCli(['models', 'verify', '--json']);
    expect(r.code).toBe(EXIT.OK);
    const res = JSON.parse(r.stdoutLines.join('')) as { models: Array<{ file: string; ok: boolean }> };
    expect(res.models.every((m) => m.ok)).toBe(true);
  });
  it('verify with no models anywhere: EXIT.MODEL', async () => {
    const env = { ...ENV, SCREENTIME_MODELS_DIR: mkdtempSync(path.join(tmpdir(), 'screentime-none-')) };
    const r = await runCli(['models', 'verify'], env);
    expect(r.code).toBe(EXIT.MODEL);
    expect(r.stderr.join('\n')).toMatch(/not found/);
  });
});
