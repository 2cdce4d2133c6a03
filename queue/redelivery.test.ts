// Queue mode when the ground moves under a running job, end to end: a real redis-server (halted
// and restarted as an outage), real worker processes (one of them on "another host"), real stage
// processes on real video. Every scenario ends with the same checks: the job (or its
// resubmission) completed once, its artifacts equal a clean run's byte for byte, no temp file
// and no lock are left, and the queue's state agrees with the manifest.
//
// "Another host" is a worker started in its own UTS namespace (`unshare --uts`, root only) with its
// own host name: the worker, its stage and the lock code see that name through os.hostname(),
// exactly as on a second machine, and no code path knows it is a test. Both hosts still share
// this machine's pid space, but the lock never looks at another host's pids (only at its lease),
// and the dead host's stage is SIGKILLed so nothing of it can clean up: what the survivor does is
// what it would do after a real machine died.
//
// Stages run with profile performance, stride 1 and 1 thread (about 45 s for detect_track here)
// so that an outage reliably lands while the first run is still going. Times are printed, never
// asserted. Build first: npm run build:node.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../shared/ipc.js';
import { descendants, waitGone } from '../test-support/proc.js';
import { CLI_JS, MODELS_DIR, mediaPath, missing, tempEpisode as makeEpisode } from '../test-support/shared-data.js';
import { QUEUE_NAME, redisOptionsFromUrl } from './common.js';
import { QueueService } from './service.js';
import { redisMissing, startTestRedis } from './test-redis.js';

const GT = mediaPath('episode_gt.mp4');
const skip = redisMissing() ?? missing(CLI_JS, GT, path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'));
if (skip) console.warn(`redelivery.test.ts: ${skip}${existsSync(CLI_JS) ? '' : ' (run `npm run build:node` first)'}`);

/** `unshare --uts` needs root (CAP_SYS_ADMIN); without it the other-host test is skipped, saying so. */
const OTHER_HOST = 'screentime-host-b';
const utsSkip = (() => {
  const r = spawnSync('unshare', ['--uts', 'sh', '-c', `hostname ${OTHER_HOST} && hostname`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === OTHER_HOST ? null : `skipped: cannot start a process under another host name (unshare --uts needs root): ${(r.stderr || r.error?.message || '').trim()}`;
})();

const PROFILE = 'performance' as const;
const STRIDE = 1;
const THREADS = '1';
const ARTIFACTS = ['detections.jsonl', 'tracks.jsonl', 'shots.jsonl', 'samples.jsonl', 'samples.rgb'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProc {
  name: string;
  host: string;
  proc: ChildProcess;
  pid: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

const roots: string[] = [];
const stateDir = mkdtempSync(path.join(tmpdir(), 'screentime-worker-state-'));
roots.push(stateDir);
let workers: WorkerProc[] = [];

function tempEpisode(): string {
  const dir = makeEpisode('episode_gt.mp4');
  roots.push(path.dirname(dir));
  return dir;
}

/** A worker process; with `host`, in a UTS namespace of its own under that host name. */
async function startWorkerProc(redisUrl: string, name: string, host?: string): Promise<WorkerProc> {
  const args = [CLI_JS, 'worker', '--redis', redisUrl, '--name', name, '--state-dir', stateDir, '--threads', THREADS];
  const env = { ...process.env, SCREENTIME_MODELS_DIR: MODELS_DIR };
  // unshare execs sh, which execs node: the worker keeps the pid we spawned.
  const proc = host
    ? spawn('unshare', ['--uts', 'sh', '-c', 'hostname "$1" && shift && exec "$@"', 'sh', host, process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const w: WorkerProc = { name, host: host ?? os.hostname(), proc, pid: proc.pid!, stderr: () => err, exited };
  workers.push(w);
  const end = Date.now() + 20_000;
  while (!/ready: redis/.test(err)) {
    if (proc.exitCode !== null || Date.now() > end) throw new Error(`worker ${name} did not start:\n${err}`);
    await sleep(50);
  }
  return w;
}

/** What the stopped workers of the current scenario said, for a failure report. */
let workerLogs: string[] = [];

async function killWorkers(): Promise<void> {
  workerLogs.push(...workers.map((w) => `--- worker ${w.name} (${w.host})\n${w.stderr()}`));
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
}

/** Every job change the service announces, with a way to wait for one. */
function recordEvents(svc: QueueService) {
  const events: Array<JobInfo & { at: number }> = [];
  svc.onJob((j) => events.push({ ...j, at: Date.now() }));
  const wait = async (jobId: string, pred: (j: JobInfo) => boolean, timeoutMs: number): Promise<JobInfo & { at: number }> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = events.find((e) => e.jobId === jobId && pred(e));
      if (hit) return hit;
      if (Date.now() > end) {
        const seen = events.filter((e) => e.jobId === jobId).map((e) => `${e.state}/${e.worker}/${e.progress?.toFixed(2)}`);
        throw new Error(`no matching event for job ${jobId} within ${timeoutMs} ms; saw: ${seen.join(', ')}`);
      }
      await sleep(25);
    }
  };
  return { events, wait };
}

/** The whole log of a job, straight from Redis. */
async function jobLog(redisUrl: string, jobId: string): Promise<string> {
  const q = new Queue(QUEUE_NAME, { connection: redisOptionsFromUrl(redisUrl) });
  try {
    return (await q.getJobLogs(jobId, 0, -1, true)).logs.join('\n');
  } finally {
    await q.close();
  }
}

function artifactDir(ep: string): string {
  return path.join(ep, 'screentime');
}

function readArtifacts(ep: string): Record<string, Buffer> {
  return Object.fromEntries(ARTIFACTS.map((f) => [f, readFileSync(path.join(artifactDir(ep), f))]));
}

interface StageRec {
  status: string;
  pid: number;
  host: string;
  started_at: string;
  config_hash: string;
}

function manifestRecord(ep: string, stage = 'detect_track'): StageRec {
  return (JSON.parse(readFileSync(path.join(artifactDir(ep), 'manifest.json'), 'utf8')) as { stages: Record<string, StageRec> }).stages[stage]!;
}

/** Temp names (`*.tmp-<pid>`, `*.old-<pid>`) and stage locks left in the artifact folder. */
function leftovers(ep: string): string[] {
  const out = artifactDir(ep);
  const found: string[] = [];
  const visit = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (/\.(tmp|old)-\d+$/.test(e.name) || (d.endsWith('locks') && e.name.endsWith('.lock'))) found.push(path.relative(out, path.join(d, e.name)));
      else if (e.isDirectory() && depth > 0) visit(path.join(d, e.name), depth - 1);
    }
  };
  visit(out, 1);
  return found;
}

function readLock(ep: string): { pid: number; host: string } | null {
  try {
    return JSON.parse(readFileSync(path.join(artifactDir(ep), 'locks', 'detect_track.lock'), 'utf8')) as { pid: number; host: string };
  } catch {
    return null;
  }
}

/** The node stage process a worker runs right now (the leader of its process group). */
function stagePid(w: WorkerProc): number {
  const kids = descendants(w.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('stage\0detect_track');
    } catch {
      return false;
    }
  });
  expect(kids.length).toBe(1);
  return kids[0]!;
}

describe.skipIf(skip)('a job handed out again, a dead host, a Redis that lost its data', () => {
  /** detect_track run once by the CLI, no queue: what every scenario's artifacts must equal. */
  let clean: { ep: string; files: Record<string, Buffer> };

  beforeAll(async () => {
    const ep = tempEpisode();
    const r = spawnSync(process.execPath, [CLI_JS, 'stage', 'detect_track', ep, '--models', MODELS_DIR, '--profile', PROFILE, '--stride', String(STRIDE), '--threads', THREADS], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    clean = { ep, files: readArtifacts(ep) };
  }, 180_000);

  afterEach(async (ctx) => {
    // What the workers said is the first thing to read when a scenario fails.
    await killWorkers();
    if (ctx.task.result?.state === 'fail') console.log(workerLogs.join('\n'));
    workerLogs = [];
  });

  afterAll(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  function expectLikeCleanRun(ep: string): void {
    expect(leftovers(ep)).toEqual([]);
    const files = readArtifacts(ep);
    for (const f of ARTIFACTS) expect(files[f]!.equals(clean.files[f]!), `${f} differs from the clean run`).toBe(true);
  }

  it.skipIf(utsSkip)(`(a) the host running a stage dies: a worker on another host takes the job and the lock over and completes it${utsSkip ? ` (${utsSkip})` : ''}`, async () => {
    const redis = await startTestRedis();
    const svc = new QueueService({ submittedBy: 'test-desktop', log: () => {} });
    try {
      await svc.configure(redis.url);
      const { wait } = recordEvents(svc);
      await svc.list(); // connect, and listen from now on
      await startWorkerProc(redis.url, 'wa');
      await startWorkerProc(redis.url, 'wb', OTHER_HOST);
      const ep = tempEpisode();
      const [job] = await svc.submit({ episodeId: 'host-dies', episodeDir: ep, stages: ['detect_track'], profile: PROFILE, stride: STRIDE });
      const running = await wait(job!.jobId, (e) => e.state === 'active' && (e.progress ?? 0) > 0.05, 60_000);
      const victim = workers.find((w) => w.name === running.worker)!;
      const survivor = workers.find((w) => w !== victim)!;
      expect(victim.host).not.toBe(survivor.host);
      const deadStage = stagePid(victim);
      const deadTree = [deadStage, ...descendants(deadStage)];
      expect(readLock(ep)).toMatchObject({ pid: deadStage, host: victim.host });

      // The host dies: its stage and its worker are gone at once, nothing of them cleans up.
      const killedAt = Date.now();
      process.kill(-deadStage, 'SIGKILL');
      victim.proc.kill('SIGKILL');
      await victim.exited;
      expect(await waitGone(deadTree, 5_000)).toEqual([]);
      expect(leftovers(ep).filter((f) => f.endsWith(`.tmp-${deadStage}`)).length).toBeGreaterThan(0);

      const picked = await wait(job!.jobId, (e) => e.state === 'active' && e.worker === survivor.name, 60_000);
      let takenOverAt = 0;
      for (let i = 0; i < 1200 && !takenOverAt; i++) {
        const lock = readLock(ep);
        if (lock && lock.host === survivor.host) takenOverAt = Date.now();
        else await sleep(100);
      }
      expect(takenOverAt).toBeGreaterThan(0);
      const done = await wait(job!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 180_000);
      console.log(`(a) dead host ${victim.host}: job picked up by ${survivor.name} on ${survivor.host} ${picked.at - killedAt} ms after the kill; lock taken over ${takenOverAt - killedAt} ms after the kill; completed ${done.at - killedAt} ms after the kill`);

      expect(done.state).toBe('completed');
      expect(done.worker).toBe(survivor.name);
      const log = await jobLog(redis.url, job!.jobId);
      expect(log).toContain(`took over the lock of pid ${deadStage} on ${victim.host} (queue job ${job!.jobId}): its lease expired`);
      expect(log).not.toMatch(/already running for this episode/);
      expect(manifestRecord(ep)).toMatchObject({ status: 'completed', host: survivor.host });
      expectLikeCleanRun(ep);
    } finally {
      await killWorkers();
      await svc.close();
      await redis.stop();
    }
  }, 300_000);

  it('(b) a job whose stage already completed on disk with the same settings completes without running it; other settings run', async () => {
    const redis = await startTestRedis();
    const svc = new QueueService({ submittedBy: 'test-desktop', log: () => {} });
    try {
      await svc.configure(redis.url);
      const { wait } = recordEvents(svc);
      await svc.list();
      await startWorkerProc(redis.url, 'w1');
      // A copy of the clean run's episode: the same video, its detect_track completed by the CLI.
      const ep = path.join(mkdtempSync(path.join(tmpdir(), 'screentime-done-')), 'episode');
      roots.push(path.dirname(ep));
      cpSync(clean.ep, ep, { recursive: true });
      const manifestBefore = readFileSync(path.join(artifactDir(ep), 'manifest.json'), 'utf8');
      const tracksMtime = statSync(path.join(artifactDir(ep), 'tracks.jsonl')).mtimeMs;

      const [job] = await svc.submit({ episodeId: 'done', episodeDir: ep, stages: ['detect_track'], profile: PROFILE, stride: STRIDE });
      const done = await wait(job!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 60_000);
      expect(done.state).toBe('completed');
      const log = await jobLog(redis.url, job!.jobId);
      expect(log).toMatch(/detect_track: already completed with these settings \(config [0-9a-f]{16}, .*\): outputs kept, not run again/);
      expect(log).not.toMatch(/stage started: pid/);
      expect(workers[0]!.stderr()).toMatch(new RegExp(`finished job ${job!.jobId}: detect_track of .* already completed on disk with these settings, not run again`));
      // Nothing was written: the manifest is byte for byte the same, the outputs untouched.
      expect(readFileSync(path.join(artifactDir(ep), 'manifest.json'), 'utf8')).toBe(manifestBefore);
      expect(statSync(path.join(artifactDir(ep), 'tracks.jsonl')).mtimeMs).toBe(tracksMtime);
      expectLikeCleanRun(ep);

      // Other settings are another config hash: that job runs the stage.
      const before = manifestRecord(ep);
      const [other] = await svc.submit({ episodeId: 'done', episodeDir: ep, stages: ['detect_track'], profile: 'low_power' });
      const ran = await wait(other!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 120_000);
      expect(ran.state).toBe('completed');
      expect(await jobLog(redis.url, other!.jobId)).toMatch(/stage started: pid/);
      expect(manifestRecord(ep).config_hash).not.toBe(before.config_hash);
      expect(leftovers(ep)).toEqual([]);
    } finally {
      await killWorkers();
      await svc.close();
      await redis.stop();
    }
  }, 300_000);

  it('(c) Redis (AOF on) is away longer than the job lock: the job handed out again waits for the run still going and completes once', async () => {
    const redis = await startTestRedis({ appendonly: true });
    const svc = new QueueService({ submittedBy: 'test-desktop', log: () => {} });
    try {
      await svc.configure(redis.url);
      const { wait } = recordEvents(svc);
      await svc.list();
      await startWorkerProc(redis.url, 'w1');
      await startWorkerProc(redis.url, 'w2');
      const ep = tempEpisode();
      const [detect, embed] = await svc.submit({ episodeId: 'outage', episodeDir: ep, stages: ['detect_track', 'faces_embed'], profile: PROFILE, stride: STRIDE });
      const running = await wait(detect!.jobId, (e) => e.state === 'active' && (e.progress ?? 0) > 0.03, 60_000);
      const first = workers.find((w) => w.name === running.worker)!;
      const firstStage = stagePid(first);

      // 12 s down: longer than the job's lock in Redis (10 s), so the queue loses track of the job.
      await redis.halt();
      await sleep(12_000);
      await redis.restart();

      const done = await wait(detect!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 180_000);
      expect(done.error).toBeNull();
      expect(done.state).toBe('completed');
      const next = await wait(embed!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 120_000);
      expect(next.error).toBeNull();

      const log = await jobLog(redis.url, detect!.jobId);
      expect(log).not.toMatch(/already running for this episode/);
      // Ran once: the record that completed is the first run's, and no second stage ever started.
      const rec = manifestRecord(ep);
      expect(rec).toMatchObject({ status: 'completed', pid: firstStage });
      expect(log.match(/stage started: pid/g)?.length).toBe(1);
      // Handed out again while the first run went on: the second worker waited, then reported it.
      const handedOut = /waiting for that run to end instead of starting a second one/.test(log);
      if (handedOut) expect(log).toMatch(/the earlier run of detect_track completed after .* of waiting: reporting it/);
      console.log(`(c) Redis away 12 s: ${handedOut ? 'the job was handed out again and waited for the first run' : 'the first worker kept the job'}; completed by ${done.worker}`);
      expect(first.stderr()).toMatch(/lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+: 1 running stage\(s\) go on; reconnecting/);
      expect(first.stderr()).toMatch(/reconnected to Redis at redis:\/\/127\.0\.0\.1:\d+ after \d/);
      expectLikeCleanRun(ep);
      expect(manifestRecord(ep, 'faces_embed').status).toBe('completed');
    } finally {
      await killWorkers();
      await svc.close();
      await redis.stop();
    }
  }, 300_000);

  it('(d) Redis without persistence restarts mid-job: workers say so, the service lists the chain as lost, the resubmission completes it once', async () => {
    const redis = await startTestRedis();
    const serviceLog: string[] = [];
    const svc = new QueueService({ submittedBy: 'test-desktop', log: (l) => serviceLog.push(l) });
    try {
      await svc.configure(redis.url);
      const { events, wait } = recordEvents(svc);
      const status = await svc.status();
      expect(status.message).toMatch(/Warning: Redis at redis:\/\/127\.0\.0\.1:\d+ keeps the queue in memory only \(appendonly no, no save points\): a restart loses every queued and running job; turn on appendonly yes\./);
      expect(serviceLog.join('\n')).toMatch(/warning: Redis at .* keeps the queue in memory only/);
      const w1 = await startWorkerProc(redis.url, 'w1');
      expect(w1.stderr()).toMatch(/warning: Redis at .* keeps the queue in memory only/);
      const ep = tempEpisode();
      const [detect, embed] = await svc.submit({ episodeId: 'lost', episodeDir: ep, stages: ['detect_track', 'faces_embed'], profile: PROFILE, stride: STRIDE });
      await wait(detect!.jobId, (e) => e.state === 'active' && (e.progress ?? 0) > 0.03, 60_000);
      const orphan = stagePid(w1);

      await redis.halt();
      await sleep(5_000);
      await redis.restart();
      const backAt = Date.now();

      const lostDetect = await wait(detect!.jobId, (e) => e.state === 'lost', 30_000);
      const lostEmbed = await wait(embed!.jobId, (e) => e.state === 'lost', 30_000);
      console.log(`(d) Redis restarted empty: lost jobs reported ${Math.max(lostDetect.at, lostEmbed.at) - backAt} ms after it answered again`);
      expect(lostDetect.error).toMatch(/^lost: Redis no longer has this job .*it was running on w1\. Its stage is still running on disk \(pid \d+ on .*\)\. Resubmit it/);
      const listed = await svc.list();
      expect(listed.filter((j) => j.state === 'lost').map((j) => j.stage).sort()).toEqual(['detect_track', 'faces_embed']);
      expect((await svc.status()).message).toMatch(/2 jobs lost \(no longer in Redis\): resubmit them\./);

      // The worker said what happened, and when.
      for (let i = 0; i < 100 && !/is no longer in Redis/.test(w1.stderr()); i++) await sleep(100);
      expect(w1.stderr()).toMatch(/lost the connection to Redis at .*: 1 running stage\(s\) go on; reconnecting/);
      expect(w1.stderr()).toMatch(/reconnected to Redis at .* after \d/);
      expect(w1.stderr()).toMatch(/Redis at .* restarted while it was away/);
      expect(w1.stderr()).toContain(`job ${detect!.jobId} (detect_track of ${ep}) is no longer in Redis (it restarted without its data): the stage goes on`);

      // Resubmit while the orphaned run still goes on: a second worker takes the new job, waits for that run, reports it.
      const w2 = await startWorkerProc(redis.url, 'w2');
      const again = await svc.resubmitLost(embed!.jobId);
      expect(again.map((j) => j.stage)).toEqual(['detect_track', 'faces_embed']);
      expect((await svc.list()).some((j) => j.state === 'lost')).toBe(false);
      const done = await wait(again[0]!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 180_000);
      expect(done.error).toBeNull();
      const next = await wait(again[1]!.jobId, (e) => e.state === 'completed' || e.state === 'failed', 120_000);
      expect(next.error).toBeNull();
      expect(manifestRecord(ep)).toMatchObject({ status: 'completed', pid: orphan });
      const log = await jobLog(redis.url, again[0]!.jobId);
      expect(log).toContain(`detect_track of job ${detect!.jobId}, which Redis lost and this job replaces, is still running (pid ${orphan} on `);
      expect(log).not.toMatch(/stage started: pid/);
      expect(log).toMatch(/already completed with these settings|reporting it \(the stage is not run again\)/);
      // The orphan's worker could not record it, and says so once the run ended.
      for (let i = 0; i < 100 && !/ended here, but Redis no longer holds/.test(w1.stderr()); i++) await sleep(100);
      expect(w1.stderr()).toMatch(new RegExp(`job ${detect!.jobId}: ended here, but Redis no longer holds this worker's claim on it`));
      expect(events.filter((e) => e.jobId === detect!.jobId && e.state === 'failed')).toEqual([]);
      expectLikeCleanRun(ep);
      expect(manifestRecord(ep, 'faces_embed').status).toBe('completed');
      expect(w2.proc.exitCode).toBeNull();
    } finally {
      await killWorkers();
      await svc.close();
      await redis.stop();
    }
  }, 300_000);
});
