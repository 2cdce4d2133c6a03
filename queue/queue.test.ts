// Queue mode end to end: a real redis-server, real worker processes (`screentime worker`), real
// stage processes on real video. Slow by nature (about two minutes on a 2-core machine).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../shared/ipc.js';
import { STAGES } from '../shared/stages.js';
import { descendants, waitGone } from '../test-support/proc.js';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, tempEpisode } from '../test-support/shared-data.js';
import { QueueService } from './service.js';
import { freePort, redisMissing, startTestRedis, type TestRedis } from './test-redis.js';

const GT = mediaPath('episode_gt.mp4');
const SHORT = mediaPath('short_hamilton_clip.mp4');
const skip = redisMissing() ?? missing(CLI_JS, GT, SHORT, path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'));
if (skip) console.warn(`queue.test.ts: ${skip}${existsSync(CLI_JS) ? '' : ' (run `npm run build:node` first)'}`);

const STAGE_FILES: Record<string, string> = { detect_track: 'detect-track.js', faces_embed: 'faces-embed.js', cluster: 'cluster.js', screentime: 'screentime.js' };
const missingStages = STAGES.filter((s) => !existsSync(path.join(REPO_ROOT, 'dist', 'pipeline', 'stages', STAGE_FILES[s]!)));
const chainSkip = missingStages.length ? `skipped: stages not built yet: ${missingStages.join(', ')} (dist/pipeline/stages)` : null;

/** Every stage of every test runs with the same cap, so a rerun is comparable to a clean run. */
const THREADS = '2';

interface WorkerProc {
  name: string;
  proc: ChildProcess;
  pid: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

const stateDir = mkdtempSync(path.join(tmpdir(), 'screentime-worker-state-'));
const workers: WorkerProc[] = [];

async function startWorkerProc(redisUrl: string, name: string, extra: string[] = []): Promise<WorkerProc> {
  const proc = spawn(process.execPath, [CLI_JS, 'worker', '--redis', redisUrl, '--name', name, '--state-dir', stateDir, '--threads', THREADS, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SCREENTIME_MODELS_DIR: MODELS_DIR },
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const w: WorkerProc = { name, proc, pid: proc.pid!, stderr: () => err, exited };
  workers.push(w);
  const end = Date.now() + 20_000;
  while (!/ready: redis/.test(err)) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`worker ${name} did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return w;
}

async function stopWorker(w: WorkerProc): Promise<number | null> {
  w.proc.kill('SIGTERM');
  return w.exited;
}

describe.skipIf(skip)('queue mode with real Redis and worker processes', () => {
  let redis: TestRedis;
  let svc: QueueService;
  const events: JobInfo[] = [];
  let cleanTracks: string | null = null;

  /** Resolves with the first event (past or future) for `jobId` that passes `pred`. */
  async function waitEvent(jobId: string, pred: (j: JobInfo) => boolean, timeoutMs: number, from = 0): Promise<JobInfo> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = events.slice(from).find((e) => e.jobId === jobId && pred(e));
      if (hit) return hit;
      if (Date.now() > end) {
        const seen = events.filter((e) => e.jobId === jobId).map((e) => `${e.state}/${e.worker}/${e.progress?.toFixed(2)}`);
        throw new Error(`no matching event for job ${jobId} within ${timeoutMs} ms; saw: ${seen.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  beforeAll(async () => {
    redis = await startTestRedis();
    svc = new QueueService({ submittedBy: 'test-desktop' });
    await svc.configure(redis.url);
    svc.onJob((j) => events.push(j));
    expect((await svc.status()).reachable).toBe(true);
  });

  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await svc?.close();
    await redis?.stop();
  });

  it('runs a stage on a worker process: progress events, logs, result, real artifacts; a duplicate is refused', async () => {
    const w1 = await startWorkerProc(redis.url, 'w1');
    expect((await svc.status()).message).toMatch(/Connected to Redis at redis:\/\/127\.0\.0\.1:\d+: 1 worker online/);
    const ep = tempEpisode('episode_gt.mp4');
    const t0 = Date.now();
    const [job] = await svc.submit({ episodeId: 'gt-clean', episodeDir: ep, stages: ['detect_track'], profile: 'balanced' });
    expect(Date.now() - t0).toBeLessThan(1000); // ids come back at once
    expect(job).toMatchObject({ episodeId: 'gt-clean', episode: ep, stage: 'detect_track' });
    expect(['waiting', 'active']).toContain(job!.state); // an idle worker may take it before submit() returns
    expect(job!.jobId).not.toContain(':');

    await expect(svc.submit({ episodeId: 'gt-clean', episodeDir: ep, stages: ['detect_track'], profile: 'balanced' })).rejects.toThrow(
      /detect_track for this episode (is already queued|is running) \(job [0-9a-f-]+\)/,
    );

    const mid = await waitEvent(job!.jobId, (e) => e.state === 'active' && (e.progress ?? 0) > 0 && (e.progress ?? 0) < 1, 60_000);
    expect(mid.worker).toBe('w1');
    const done = await waitEvent(job!.jobId, (e) => e.state === 'completed', 120_000);
    expect(done.progress).toBe(1);
    expect(done.worker).toBe('w1');
    expect(done.finishedAt).toBeGreaterThan(done.createdAt);
    expect(done.logs.join('\n')).toMatch(/detect_track: completed in/);
    expect(done.logs.join('\n')).toMatch(/\[worker w1\] took job .*threads 2/);

    const art = path.join(ep, 'screentime');
    cleanTracks = readFileSync(path.join(art, 'tracks.jsonl'), 'utf8');
    expect(cleanTracks.trim().split('\n').length).toBeGreaterThan(5);
    const manifest = JSON.parse(readFileSync(path.join(art, 'manifest.json'), 'utf8')) as { stages: Record<string, { status: string }> };
    expect(manifest.stages.detect_track?.status).toBe('completed');
    expect(w1.stderr()).toMatch(/finished job .* detect_track/);

    // An app restart: a new service finds the job again in Redis.
    const again = new QueueService();
    await again.configure(redis.url);
    const listed = (await again.list()).find((j) => j.jobId === job!.jobId);
    await again.close();
    expect(listed).toMatchObject({ state: 'completed', worker: 'w1', stage: 'detect_track' });
  });

  it('cancel mid-run stops the job and leaves no process of the stage', async () => {
    const w1 = workers.find((w) => w.name === 'w1' && w.proc.exitCode === null) ?? (await startWorkerProc(redis.url, 'w1'));
    const ep = tempEpisode('episode_gt.mp4');
    const from = events.length;
    const [job] = await svc.submit({ episodeId: 'gt-cancel', episodeDir: ep, stages: ['detect_track'], profile: 'balanced' });
    await waitEvent(job!.jobId, (e) => e.state === 'active' && (e.progress ?? 0) > 0.05, 60_000, from);
    const stagePids = descendants(w1.pid);
    expect(stagePids.length).toBeGreaterThan(0); // the stage (node) and its ffmpeg
    const t0 = Date.now();
    expect(await svc.cancel(job!.jobId)).toEqual({ cancelled: true });
    const ended = await waitEvent(job!.jobId, (e) => e.state === 'cancelled', 15_000, from);
    expect(ended.error).toMatch(/^cancelled/);
    expect(await waitGone(stagePids, 5_000)).toEqual([]);
    expect(descendants(w1.pid)).toEqual([]);
    console.log(`cancel -> cancelled and stage tree gone: ${Date.now() - t0} ms`);
    // The worker lives on; a finished job cannot be cancelled again.
    expect(w1.proc.exitCode).toBeNull();
    expect(await svc.cancel(job!.jobId)).toEqual({ cancelled: false });
  });

  it('a SIGKILLed worker: another worker takes the job within 30 s and completes it like a clean run; the restarted worker leaves nothing behind', async () => {
    expect(cleanTracks).not.toBeNull();
    await startWorkerProc(redis.url, 'w2');
    const ep = tempEpisode('episode_gt.mp4');
    const from = events.length;
    const [job] = await svc.submit({ episodeId: 'gt-kill', episodeDir: ep, stages: ['detect_track'], profile: 'balanced' });
    const running = await waitEvent(job!.jobId, (e) => e.state === 'active' && (e.progress ?? 0) > 0.1, 60_000, from);
    const victim = workers.find((w) => w.name === running.worker && w.proc.exitCode === null)!;
    const survivor = workers.find((w) => w !== victim && w.proc.exitCode === null)!;
    const orphans = descendants(victim.pid);
    expect(orphans.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    const afterKill = events.length;
    victim.proc.kill('SIGKILL');
    await victim.exited;

    const taken = await waitEvent(job!.jobId, (e) => e.state === 'active' && e.worker === survivor.name, 30_000, afterKill);
    const pickupMs = Date.now() - killedAt;
    console.log(`SIGKILLed worker ${victim.name}: job picked up by ${taken.worker} after ${pickupMs} ms`);
    expect(pickupMs).toBeLessThan(30_000);

    // Restart the killed worker under its name: its sweep runs; nothing of the killed run survives.
    const restarted = await startWorkerProc(redis.url, victim.name);
    expect(await waitGone(orphans, 5_000)).toEqual([]);
    expect(restarted.proc.exitCode).toBeNull();

    const done = await waitEvent(job!.jobId, (e) => e.state === 'completed', 120_000, afterKill);
    expect(done.worker).toBe(survivor.name);
    const tracks = readFileSync(path.join(ep, 'screentime', 'tracks.jsonl'), 'utf8');
    expect(tracks).toBe(cleanTracks);
    console.log(`SIGKILLed job completed ${Date.now() - killedAt} ms after the kill`);
  });

  it('a failed first stage fails the stages chained after it at once, with its reason', async () => {
    const emptyEp = path.join(mkdtempSync(path.join(tmpdir(), 'screentime-empty-')), 'no-video');
    (await import('node:fs')).mkdirSync(emptyEp);
    const from = events.length;
    const t0 = Date.now();
    const jobs = await svc.submit({ episodeId: 'empty', episodeDir: emptyEp, stages: ['screentime', 'detect_track', 'cluster', 'faces_embed'], profile: 'low_power' });
    expect(jobs.map((j) => j.stage)).toEqual(['detect_track', 'faces_embed', 'cluster', 'screentime']); // pipeline order
    const first = await waitEvent(jobs[0]!.jobId, (e) => e.state === 'failed', 30_000, from);
    expect(first.error).toMatch(/detect_track failed on worker w\d: .*\(exit code 3\)/);
    for (const j of jobs.slice(1)) {
      const e = await waitEvent(j.jobId, (x) => x.state === 'failed', 15_000, from);
      expect(e.error).toMatch(/^not run: detect_track failed \(detect_track failed on worker w\d: no video in /);
    }
    // Woken by the worker that failed the predecessor, not by the 30 s safety net.
    expect(Date.now() - t0).toBeLessThan(20_000);
    // Finished jobs free their (episode, stage): the same submission is accepted again.
    const again = await svc.submit({ episodeId: 'empty', episodeDir: emptyEp, stages: ['detect_track'], profile: 'low_power' });
    await waitEvent(again[0]!.jobId, (e) => e.state === 'failed', 30_000, from);
  });

  it('SIGTERM: the worker stops taking jobs, returns the running one to the queue and exits 0; a waiting job can be cancelled', async () => {
    // Stop all but one worker cleanly.
    const live = workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    for (const w of live.slice(1)) expect(await stopWorker(w)).toBe(0);
    const w = live[0] ?? (await startWorkerProc(redis.url, 'w-term'));
    const ep = tempEpisode('episode_gt.mp4');
    const from = events.length;
    const [job] = await svc.submit({ episodeId: 'gt-term', episodeDir: ep, stages: ['detect_track'], profile: 'balanced' });
    await waitEvent(job!.jobId, (e) => e.state === 'active' && (e.progress ?? 0) > 0.05, 60_000, from);
    const stagePids = descendants(w.pid);
    const t0 = Date.now();
    w.proc.kill('SIGTERM');
    // Signals of one kind do not queue: send the second only once the first was handled.
    for (let i = 0; i < 200 && !/stopping: 1 running job/.test(w.stderr()); i++) await new Promise((r) => setTimeout(r, 25));
    expect(w.stderr()).toMatch(/stopping: 1 running job\(s\) get 20 s to finish/);
    w.proc.kill('SIGTERM'); // again: do not wait out the grace period, return the job
    expect(await w.exited).toBe(0);
    console.log(`worker SIGTERM -> exit 0 in ${Date.now() - t0} ms`);
    expect(await waitGone(stagePids, 3_000)).toEqual([]);
    expect(w.stderr()).toMatch(/returned job .* to the queue/);
    const back = await svc.get(job!.jobId);
    expect(back?.state).toBe('waiting');
    // No worker is running: cancelling the waiting job marks it cancelled at once.
    expect(await svc.cancel(job!.jobId)).toEqual({ cancelled: true });
    expect((await svc.get(job!.jobId))?.state).toBe('cancelled');
  });

  it('path map: the episode is reachable only through the map; an unmapped path fails with a clear message', async () => {
    const real = tempEpisode('short_hamilton_clip.mp4', 'ep-mapped');
    const realRoot = path.dirname(real);
    const seenAs = `/Volumes/shows-${path.basename(realRoot)}`; // how "the desktop" sees the share
    expect(existsSync(seenAs)).toBe(false);
    // The previous test cancelled a job while no worker ran: it fails at once on this worker.
    await startWorkerProc(redis.url, 'w3', ['--path-map', `${seenAs}=${realRoot}`]);
    const from = events.length;
    const [job] = await svc.submit({ episodeId: 'mapped', episodeDir: `${seenAs}/ep-mapped`, stages: ['detect_track'], profile: 'balanced' });
    const done = await waitEvent(job!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 60_000, from);
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    expect(done.logs.join('\n')).toContain(`detect_track of ${real} `);
    expect(readdirSync(path.join(real, 'screentime'))).toContain('tracks.jsonl');

    const [lost] = await svc.submit({ episodeId: 'lost', episodeDir: '/Volumes/elsewhere/ep9', stages: ['detect_track'], profile: 'balanced' });
    const failed = await waitEvent(lost!.jobId, (e) => e.state === 'failed', 30_000, from);
    expect(failed.error).toBe('episode folder not reachable from worker w3: /Volumes/elsewhere/ep9');
  });

  it('a second worker with the name of a running one is refused (its sweep would hit live stages)', async () => {
    const live = workers.find((w) => w.proc.exitCode === null && w.proc.signalCode === null) ?? (await startWorkerProc(redis.url, 'w-solo'));
    const dup = spawn(process.execPath, [CLI_JS, 'worker', '--redis', redis.url, '--name', live.name, '--state-dir', stateDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    dup.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((r) => dup.once('exit', (c) => r(c)));
    expect(code).toBe(3);
    expect(err).toContain(`a worker named ${live.name} is already running on this machine (pid ${live.pid})`);
    expect(live.proc.exitCode).toBeNull();
  });

  it.skipIf(chainSkip)(`a whole episode runs its four stages in order on the workers${chainSkip ? ` (${chainSkip})` : ''}`, async () => {
    const ep = tempEpisode('short_hamilton_clip.mp4');
    const from = events.length;
    const jobs = await svc.submit({ episodeId: 'chain', episodeDir: ep, stages: [...STAGES], profile: 'balanced' });
    const ends: number[] = [];
    for (const j of jobs) {
      const e = await waitEvent(j.jobId, (x) => x.state === 'completed' || x.state === 'failed', 300_000, from);
      expect(e.error).toBeNull();
      ends.push(e.finishedAt!);
    }
    expect([...ends].sort((a, b) => a - b)).toEqual(ends);
    expect(existsSync(path.join(ep, 'screentime', 'screentime.json'))).toBe(true);
  });
});

describe('Redis unreachable', () => {
  it('status(), submit() and list() answer with a clear message within about 2 s', async () => {
    const port = await freePort();
    const svc = new QueueService();
    await svc.configure(`redis://:hunter2@127.0.0.1:${port}`);
    const t0 = Date.now();
    const st = await svc.status();
    const ms = Date.now() - t0;
    expect(st).toEqual({ available: true, configured: true, reachable: false, message: `Cannot reach Redis at redis://:***@127.0.0.1:${port}: ECONNREFUSED` });
    expect(ms).toBeLessThan(2_500);
    await expect(svc.submit({ episodeId: 'x', episodeDir: '/x', stages: ['detect_track'], profile: 'balanced' })).rejects.toThrow(
      `Cannot reach Redis at redis://:***@127.0.0.1:${port}: ECONNREFUSED`,
    );
    await expect(svc.list()).rejects.toThrow(/Cannot reach Redis/);
    await svc.close();
  });

  it('a host that never answers gives up after about 2 s instead of hanging', async () => {
    const svc = new QueueService();
    // TEST-NET-1 (RFC 5737): never routed, so the connect either times out or fails at once.
    await svc.configure('redis://192.0.2.1:6379');
    const t0 = Date.now();
    const st = await svc.status();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(st.reachable).toBe(false);
    expect(st.message).toMatch(/^Cannot reach Redis at redis:\/\/192\.0\.2\.1:6379: \S/);
    await svc.close();
  });

  it('status() without a URL says queue mode is off', async () => {
    const svc = new QueueService();
    expect(await svc.status()).toMatchObject({ configured: false, reachable: false });
    await expect(svc.configure('http://nope')).rejects.toThrow(/Not a Redis URL/);
  });
});
