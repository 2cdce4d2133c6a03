// Queue mode on this machine: (1) job round trip, add -> `completed` event, for the trivial `ping`
// job a worker answers at once (the queue's own overhead: Redis, the worker's fetch, the event
// stream), and (2) throughput of real short stages with 2 workers against 1.
// Prints ONE JSON object on stdout; progress goes to stderr. The main bench imports runQueueBench().
//
//   node dist/bench/queue-bench.js [--redis URL] [--round-trips N] [--jobs N] [--threads T]
//
// Without --redis it starts a private redis-server (queue/test-redis.ts) and stops it after.
// Workers are real `screentime worker` processes; each stage is capped at --threads (default 1,
// so two workers can use this machine's two cores where one worker uses one).

import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import { PING_JOB, QUEUE_NAME, percentile, redisOptionsFromUrl } from '../queue/common.js';
import { QueueService } from '../queue/service.js';
import { redisMissing, startTestRedis } from '../queue/test-redis.js';
import type { JobInfo } from '../shared/ipc.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO, 'dist', 'pipeline', 'cli', 'main.js');
const SHARED = process.env.SCREENTIME_SHARED_DIR ?? path.resolve(REPO, '..', 'shared');
const MEDIA = process.env.SCREENTIME_MEDIA_DIR ?? path.join(SHARED, 'media');
const MODELS = process.env.SCREENTIME_MODELS_DIR ?? path.join(SHARED, 'models');
const CLIP = path.join(MEDIA, 'short_hamilton_clip.mp4');

const log = (m: string) => process.stderr.write(`[queue-bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

export interface QueueBenchOptions {
  /** Use this Redis instead of starting a private one. */
  redisUrl?: string;
  roundTrips?: number;
  /** Stage jobs per throughput run (each run: 1 worker, then 2 workers). */
  jobs?: number;
  threads?: number;
}

export interface QueueBenchResult {
  machine: { cpus: number; platform: string };
  roundTrip: { jobs: number; p50Ms: number; p99Ms: number; meanMs: number; maxMs: number };
  throughput: {
    stage: 'detect_track';
    clip: string;
    jobs: number;
    threadsPerStage: number;
    oneWorker: { wallS: number; jobsPerMin: number };
    twoWorkers: { wallS: number; jobsPerMin: number };
    /** jobs/min with 2 workers divided by jobs/min with 1 (2.0 = perfect scaling). */
    ratio: number;
  } | null;
  skipped: string | null;
}

interface WorkerProc {
  proc: ChildProcess;
  exited: Promise<void>;
}

async function startWorkers(redisUrl: string, n: number, threads: number, stateDir: string): Promise<WorkerProc[]> {
  const out: WorkerProc[] = [];
  for (let i = 0; i < n; i++) {
    const proc = spawn(process.execPath, [CLI, 'worker', '--redis', redisUrl, '--name', `bench-${i + 1}`, '--threads', String(threads), '--state-dir', stateDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SCREENTIME_MODELS_DIR: MODELS },
    });
    let err = '';
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const end = Date.now() + 20_000;
    while (!/ready: redis/.test(err)) {
      if (proc.exitCode !== null || Date.now() > end) throw new Error(`bench worker did not start:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    out.push({ proc, exited });
  }
  return out;
}

async function stopWorkers(ws: WorkerProc[]): Promise<void> {
  for (const w of ws) w.proc.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.exited));
}

async function measureRoundTrip(redisUrl: string, n: number, stateDir: string): Promise<QueueBenchResult['roundTrip']> {
  const connection = redisOptionsFromUrl(redisUrl);
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const waiters = new Map<string, () => void>();
  // Listen by job id on the event stream (waitUntilFinished + removeOnComplete can race).
  events.on('completed', ({ jobId }) => waiters.get(jobId)?.());
  const workers = await startWorkers(redisUrl, 1, 1, stateDir);
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 10; i++) {
      const id = `ping-${process.pid}-${i}`;
      const t0 = performance.now();
      const done = new Promise<void>((r) => waiters.set(id, r));
      await queue.add(PING_JOB, {}, { jobId: id, removeOnComplete: true, removeOnFail: true });
      await done;
      waiters.delete(id);
      if (i >= 10) times.push(performance.now() - t0); // the first 10 warm up connections and scripts
    }
  } finally {
    await stopWorkers(workers);
    await events.close();
    await queue.close();
  }
  return {
    jobs: times.length,
    p50Ms: r3(percentile(times, 50)),
    p99Ms: r3(percentile(times, 99)),
    meanMs: r3(times.reduce((a, b) => a + b, 0) / times.length),
    maxMs: r3(Math.max(...times)),
  };
}

async function measureThroughput(redisUrl: string, workersN: number, jobs: number, threads: number, stateDir: string, tag: string): Promise<number> {
  const root = mkdtempSync(path.join(tmpdir(), 'screentime-qbench-'));
  const dirs: string[] = [];
  for (let i = 0; i < jobs; i++) {
    const d = path.join(root, `ep${i}`);
    mkdirSync(d);
    copyFileSync(CLIP, path.join(d, path.basename(CLIP)));
    dirs.push(d);
  }
  const svc = new QueueService({ submittedBy: 'queue-bench' });
  await svc.configure(redisUrl);
  const ended = new Map<string, JobInfo>();
  let wake: () => void = () => {};
  svc.onJob((j) => {
    if (j.state === 'completed' || j.state === 'failed' || j.state === 'cancelled') {
      ended.set(j.jobId, j);
      wake();
    }
  });
  const workers = await startWorkers(redisUrl, workersN, threads, stateDir);
  try {
    await svc.list(); // connected and listening before the clock starts
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      const [job] = await svc.submit({ episodeId: `${tag}-${i}`, episodeDir: dirs[i]!, stages: ['detect_track'], profile: 'balanced' });
      ids.push(job!.jobId);
    }
    while (!ids.every((id) => ended.has(id))) await new Promise<void>((r) => (wake = r));
    const wall = (performance.now() - t0) / 1000;
    const failed = ids.map((id) => ended.get(id)!).filter((j) => j.state !== 'completed');
    if (failed.length) throw new Error(`bench job failed: ${failed[0]!.error}`);
    return wall;
  } finally {
    await stopWorkers(workers);
    await svc.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function runQueueBench(opts: QueueBenchOptions = {}): Promise<QueueBenchResult> {
  const machine = { cpus: os.cpus().length, platform: process.platform };
  const noRedis = opts.redisUrl ? null : redisMissing();
  if (noRedis) return { machine, roundTrip: { jobs: 0, p50Ms: NaN, p99Ms: NaN, meanMs: NaN, maxMs: NaN }, throughput: null, skipped: noRedis };
  if (!existsSync(CLI)) throw new Error(`missing ${CLI}: run npm run build:node first`);
  const server = opts.redisUrl ? null : await startTestRedis();
  const redisUrl = opts.redisUrl ?? server!.url;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'screentime-qbench-state-'));
  try {
    const n = opts.roundTrips ?? 200;
    log(`round trip: ${n} ping jobs through one worker process`);
    const roundTrip = await measureRoundTrip(redisUrl, n, stateDir);
    log(`round trip p50 ${roundTrip.p50Ms} ms, p99 ${roundTrip.p99Ms} ms`);

    const jobs = opts.jobs ?? 6;
    const threads = opts.threads ?? 1;
    let throughput: QueueBenchResult['throughput'] = null;
    let skipped: string | null = null;
    if (jobs <= 0) {
      skipped = 'throughput not measured (--jobs 0)';
    } else if (!existsSync(CLIP) || !existsSync(path.join(MODELS, 'yunet_n_dynamic.onnx'))) {
      skipped = `throughput skipped: missing ${CLIP} or models in ${MODELS}`;
      log(skipped);
    } else {
      const tag = `b${Date.now()}`;
      log(`throughput: ${jobs} detect_track jobs on ${path.basename(CLIP)}, ${threads} thread(s) per stage, 1 worker`);
      const one = await measureThroughput(redisUrl, 1, jobs, threads, stateDir, `${tag}-1`);
      log(`1 worker: ${r1(one)} s; now 2 workers`);
      const two = await measureThroughput(redisUrl, 2, jobs, threads, stateDir, `${tag}-2`);
      log(`2 workers: ${r1(two)} s`);
      throughput = {
        stage: 'detect_track',
        clip: path.basename(CLIP),
        jobs,
        threadsPerStage: threads,
        oneWorker: { wallS: r1(one), jobsPerMin: r1((jobs / one) * 60) },
        twoWorkers: { wallS: r1(two), jobsPerMin: r1((jobs / two) * 60) },
        ratio: r3(one / two),
      };
    }
    return { machine, roundTrip, throughput, skipped };
  } finally {
    await server?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { redis: { type: 'string' }, 'round-trips': { type: 'string' }, jobs: { type: 'string' }, threads: { type: 'string' } },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  runQueueBench({ redisUrl: values.redis, roundTrips: num(values['round-trips']), jobs: num(values.jobs), threads: num(values.threads) }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`queue-bench: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
