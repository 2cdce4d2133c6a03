// A queue worker: takes stage jobs from Redis and runs each one as the SAME stage child process the
// desktop app runs in local mode, in its own process group, with the worker's thread cap.
// Progress lines become job progress, stderr lines become job logs, the summary is the result.
//
// Lifetimes, the part that is easy to get wrong:
// - cancel: the desktop publishes the job id on CANCEL_CHANNEL; the worker holding the job aborts
//   it (BullMQ's AbortSignal) and kills the stage's process group.
// - worker SIGTERM: stop taking jobs; running stages get `stopGraceMs` to finish, then they are
//   killed and their jobs go back to waiting for another worker. A second SIGTERM skips the grace.
// - worker SIGKILL: the lock (LOCK_DURATION_MS) expires and another worker's stalled check requeues
//   the job; the stage child sees its stdin close and stops; on restart the worker sweeps any
//   process group it had recorded in its state file.
// - one job, one run: the queue can hand a job out again while its first run still goes on (Redis
//   was unreachable for longer than the job's lock). The stage's own lock is a lease naming the
//   job (pipeline/runtime/lock.ts), so the worker that gets the job again sees that run, waits
//   for it and reports its outcome; a stage that already completed with the job's settings is not
//   run again (the stage reports the completed run). A run whose host died loses its lease and is
//   taken over.
// - Redis outages: the worker says when the connection drops and when it is back, and then which
//   of its running jobs Redis no longer has (a restart without persistence).

import os from 'node:os';
import { Job, Queue, Worker } from 'bullmq';
import { WORKER_DEFAULT_THREADS } from '../shared/stages.js';
import {
  EARLIER_RUN_WAIT_MS,
  LOCK_DURATION_MS,
  MAX_STALLED_COUNT,
  PING_JOB,
  QUEUE_NAME,
  STALLED_INTERVAL_MS,
  isStageJobData,
  redactRedisUrl,
  redisOptionsFromUrl,
  type RedisConnectionOptions,
} from './common.js';
import type { PathMapping } from './path-map.js';
import { DEFAULT_STAGE_CLI, processStartTime } from './stage-process.js';
import { STOPPING, StageJobs, type RunningJob } from './stage-job.js';
import { listenForCancels, redisErrorReporter, watchRedis, type WorkerRedisContext } from './worker-redis.js';
import {
  defaultStateDir,
  otherWorkerAlive,
  readState,
  stateFilePath,
  sweepRecordedStages,
  writeState,
  type RecordedStage,
} from './state-file.js';

export interface WorkerOptions {
  redisUrl: string;
  /** Stage jobs run at the same time on this worker (default 1). */
  concurrency?: number;
  /** Thread cap of each stage (default WORKER_DEFAULT_THREADS). */
  threads?: number;
  pathMap?: PathMapping[];
  /** Shown as the job's worker; names the local state file (default: the host name). */
  name?: string;
  stateDir?: string;
  /** The pipeline CLI (default: dist/pipeline/cli/main.js beside this file). */
  stageCli?: string;
  /** Model folder passed to each stage as --models. */
  modelsDir?: string;
  /** On stop, how long running stages may go on before they are returned to the queue. */
  stopGraceMs?: number;
  /** How long a job handed out again waits for its earlier run that still holds the stage's lease. */
  earlierRunWaitMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  name: string;
  stateFile: string;
  /** Stops taking jobs, lets running ones finish for `graceMs` (default stopGraceMs), returns the rest. */
  close(graceMs?: number): Promise<void>;
  /** Resolves once the worker has fully stopped. */
  closed: Promise<void>;
}

/** The options with their defaults, checked. */
interface WorkerSettings {
  name: string;
  threads: number;
  concurrency: number;
  pathMap: PathMapping[];
  stageCli: string;
  modelsDir?: string;
  stopGraceMs: number;
  earlierRunWaitMs: number;
  connection: RedisConnectionOptions;
  where: string;
  stateFile: string;
  log(line: string): void;
}

function workerSettings(opts: WorkerOptions): WorkerSettings {
  const name = opts.name ?? os.hostname();
  const threads = opts.threads ?? WORKER_DEFAULT_THREADS;
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new Error(`--threads must be a whole number from 1 to 256, got ${threads}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency must be a whole number from 1 to 64, got ${concurrency}`);
  return {
    name,
    threads,
    concurrency,
    pathMap: opts.pathMap ?? [],
    stageCli: opts.stageCli ?? process.env.SCREENTIME_STAGE_CLI ?? DEFAULT_STAGE_CLI,
    modelsDir: opts.modelsDir,
    stopGraceMs: opts.stopGraceMs ?? 20_000,
    earlierRunWaitMs: opts.earlierRunWaitMs ?? EARLIER_RUN_WAIT_MS,
    connection: redisOptionsFromUrl(opts.redisUrl),
    where: redactRedisUrl(opts.redisUrl),
    stateFile: stateFilePath(opts.stateDir ?? defaultStateDir(), name),
    log: opts.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} [worker ${name}] ${line}\n`)),
  };
}

/** The stage processes running here, recorded in the local state file on every change. */
interface LocalState {
  running: Map<string, RunningJob>;
  save(): void;
}

/** One live worker per name on this machine; sweeps what a killed predecessor left behind. */
async function claimLocalState(cfg: WorkerSettings): Promise<LocalState> {
  const previous = readState(cfg.stateFile);
  if (otherWorkerAlive(previous)) {
    throw new Error(`a worker named ${cfg.name} is already running on this machine (pid ${previous!.workerPid}); give each worker its own --name`);
  }
  const swept = await sweepRecordedStages(previous);
  if (swept.length) cfg.log(`killed ${swept.length} stage process group(s) left running by a previous run of this worker: ${swept.join(', ')}`);
  const running = new Map<string, RunningJob>();
  const save = () => {
    const stages: RecordedStage[] = [...running].map(([jobId, r]) => ({ jobId, pgid: r.run.pgid, startTime: processStartTime(r.run.pid) }));
    writeState(cfg.stateFile, { workerPid: process.pid, workerStartTime: processStartTime(process.pid), stages });
  };
  save();
  return { running, save };
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const cfg = workerSettings(opts);
  const local = await claimLocalState(cfg);
  const redisCtx: WorkerRedisContext = { connection: cfg.connection, where: cfg.where, running: local.running, log: cfg.log };
  const reportError = redisErrorReporter(redisCtx);
  const queue = new Queue(QUEUE_NAME, { connection: cfg.connection });
  queue.on('error', () => {}); // reported through the worker's own error handler
  const jobs = new StageJobs({ ...cfg, queue, running: local.running, saveState: local.save });
  const worker = bullWorker(cfg, jobs, queue, reportError);
  const sub = await listenForCancels(redisCtx, worker, reportError);
  // Before taking jobs: say now if a Redis restart would lose them.
  const health = await watchRedis(redisCtx, queue, reportError);
  cfg.log(
    `ready: redis ${cfg.where}, concurrency ${cfg.concurrency}, threads ${cfg.threads} per stage` +
      (cfg.pathMap.length ? `, path map ${cfg.pathMap.map((m) => `${m.from}=${m.to}`).join(', ')}` : '') +
      `, state ${cfg.stateFile}`,
  );
  void worker.run().catch(reportError);
  return closer(cfg, local, worker, async () => {
    await sub.quit().catch(() => sub.disconnect());
    await health.stop();
    await queue.close().catch(() => {});
  });
}

/** The BullMQ worker, not yet running: started once the cancel channel is subscribed, so no job runs that cannot be cancelled. */
function bullWorker(cfg: WorkerSettings, jobs: StageJobs, queue: Queue, reportError: (e: unknown) => void): Worker {
  // Three declared parameters: BullMQ passes the AbortSignal only to a processor whose length is 3.
  const processor = async function (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<object> {
    if (job.name === PING_JOB) return { worker: cfg.name, at: Date.now() };
    return jobs.run(job, token, signal);
  };
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: cfg.connection,
    concurrency: cfg.concurrency,
    name: cfg.name,
    lockDuration: LOCK_DURATION_MS,
    stalledInterval: STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: false,
  });
  worker.on('error', reportError);
  // When a stage ends (either way), wake the stage chained after it instead of letting it sit out
  // its hold: it will run, or fail with this stage's reason.
  const wakeNext = (job: Job | undefined) => {
    const next = job && isStageJobData(job.data) ? job.data.next : null;
    if (!next) return;
    void Job.fromId(queue, next)
      .then(async (j) => {
        if (j && (await j.isDelayed())) await j.promote();
      })
      .catch(() => {});
  };
  worker.on('completed', (job) => wakeNext(job));
  worker.on('failed', (job) => wakeNext(job));
  worker.on('stalled', (jobId) => cfg.log(`job ${jobId} had lost its worker; it is back in the queue`));
  return worker;
}

/**
 * Stopping: take no more jobs, give running stages the grace to finish, then return them to the
 * queue (a second close with grace 0 returns them at once), close the connections, record that
 * nothing runs here any more.
 */
function closer(cfg: WorkerSettings, local: LocalState, worker: Worker, closeConnections: () => Promise<void>): RunningWorker {
  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const returnRunning = () => {
    for (const jobId of local.running.keys()) worker.cancelJob(jobId, STOPPING);
  };
  const close = (graceMs = cfg.stopGraceMs): Promise<void> => {
    if (closing) {
      if (graceMs === 0) returnRunning(); // asked again: do not wait out the grace
      return closing;
    }
    const n = local.running.size;
    cfg.log(n ? `stopping: ${n} running job(s) get ${Math.round(graceMs / 1000)} s to finish` : 'stopping');
    const graceTimer = setTimeout(returnRunning, graceMs);
    closing = (async () => {
      await worker.close();
      clearTimeout(graceTimer);
      await closeConnections();
      local.save();
      cfg.log('stopped');
      resolveClosed();
    })();
    return closing;
  };
  return { name: cfg.name, stateFile: cfg.stateFile, close, closed };
}
