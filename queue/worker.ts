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

import os from 'node:os';
import { statSync } from 'node:fs';
import { DelayedError, Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { StageEvent, StageSummaryEvent, StageErrorEvent } from '../shared/progress.js';
import { EXIT, WORKER_DEFAULT_THREADS } from '../shared/stages.js';
import {
  CANCEL_CHANNEL,
  CHAIN_HOLD_MS,
  LOCK_DURATION_MS,
  MAX_STALLED_COUNT,
  PING_JOB,
  QUEUE_NAME,
  STALLED_INTERVAL_MS,
  isCancelReason,
  isStageJobData,
  redactRedisUrl,
  redisOptionsFromUrl,
  type StageJobData,
  type StageJobProgress,
  type StageJobResult,
} from './common.js';
import { mapEpisodePath, type PathMapping } from './path-map.js';
import { DEFAULT_STAGE_CLI, groupAlive, processStartTime, startStage, type StageRun } from './stage-process.js';
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

/** Abort reason used when the worker itself is stopping: the job goes back to waiting. */
const STOPPING = 'worker stopping';
/** After SIGTERM to a stage tree, SIGKILL follows for anything left (the longest killTree allows). */
const KILL_GRACE_MS = 1_500;

/** Exit codes whose failure will not change on a retry. */
const FINAL_CODES = new Set<number>([EXIT.USAGE, EXIT.BAD_INPUT, EXIT.MODEL, EXIT.CANCELLED]);

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const name = opts.name ?? os.hostname();
  const threads = opts.threads ?? WORKER_DEFAULT_THREADS;
  const concurrency = opts.concurrency ?? 1;
  const pathMap = opts.pathMap ?? [];
  const stageCli = opts.stageCli ?? process.env.SCREENTIME_STAGE_CLI ?? DEFAULT_STAGE_CLI;
  const stopGraceMs = opts.stopGraceMs ?? 20_000;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} [worker ${name}] ${line}\n`));
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new Error(`--threads must be a whole number from 1 to 256, got ${threads}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency must be a whole number from 1 to 64, got ${concurrency}`);
  const connection = redisOptionsFromUrl(opts.redisUrl);
  const where = redactRedisUrl(opts.redisUrl);

  // --- local state: one live worker per name, and sweep what a killed predecessor left behind ---
  const stateFile = stateFilePath(opts.stateDir ?? defaultStateDir(), name);
  const previous = readState(stateFile);
  if (otherWorkerAlive(previous)) {
    throw new Error(`a worker named ${name} is already running on this machine (pid ${previous!.workerPid}); give each worker its own --name`);
  }
  const swept = await sweepRecordedStages(previous);
  if (swept.length) log(`killed ${swept.length} stage process group(s) left running by a previous run of this worker: ${swept.join(', ')}`);
  const running = new Map<string, StageRun>();
  const saveState = () => {
    const stages: RecordedStage[] = [...running].map(([jobId, r]) => ({ jobId, pgid: r.pgid, startTime: processStartTime(r.pid) }));
    writeState(stateFile, { workerPid: process.pid, workerStartTime: processStartTime(process.pid), stages });
  };
  saveState();

  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', () => {}); // reported through the worker's own error handler below

  let lastErr = '';
  let lastErrAt = 0;
  const reportError = (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    // ioredis repeats the same error on every reconnect attempt: say it once per 10 s.
    if (msg !== lastErr || Date.now() - lastErrAt > 10_000) log(`Redis at ${where}: ${msg}`);
    lastErr = msg;
    lastErrAt = Date.now();
  };

  async function runStageJob(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<StageJobResult> {
    const data = job.data as unknown;
    if (!isStageJobData(data)) throw new UnrecoverableError(`not a screentime stage job: ${JSON.stringify(data).slice(0, 200)}`);
    if (data.cancelled) throw new UnrecoverableError('cancelled before it started');
    if (data.after) await waitForPredecessor(job, data, token);

    const episodeDir = mapEpisodePath(data.episodeDir, pathMap);
    if (!isDirectory(episodeDir)) {
      const mapped = episodeDir !== data.episodeDir ? ` (mapped from ${data.episodeDir})` : '';
      throw new UnrecoverableError(`episode folder not reachable from worker ${name}: ${episodeDir}${mapped}`);
    }
    const attempt = job.attemptsMade + 1;
    const took = `took job ${job.id}: ${data.stage} of ${episodeDir} (profile ${data.profile}, stride ${data.stride ?? 'default'}, threads ${threads}, attempt ${attempt})`;
    log(took);
    void job.log(`[worker ${name}] ${took}`).catch(() => {});

    let summary: StageSummaryEvent | null = null;
    let failure: StageErrorEvent | null = null;
    const tail: string[] = [];
    // Progress and log writes are queued in order; a failed write (Redis blip) must not fail the stage.
    let writes: Promise<unknown> = Promise.resolve();
    const send = (f: () => Promise<unknown>) => {
      writes = writes.then(f).catch(() => {});
    };
    const onEvent = (ev: StageEvent) => {
      if (ev.type === 'progress') {
        const p: StageJobProgress = {
          stage: ev.stage,
          fraction: ev.fraction,
          framesDone: ev.frames_done,
          framesTotal: ev.frames_total,
          fps: ev.fps,
          etaS: ev.eta_s,
          worker: name,
        };
        send(() => job.updateProgress(p as unknown as object));
      } else if (ev.type === 'summary') summary = ev;
      else if (ev.type === 'error') failure = ev;
      else if (ev.type === 'start') send(() => job.log(`[worker ${name}] stage started: pid ${ev.pid}, device ${ev.device}, threads ${ev.threads}`));
    };
    const onStderrLine = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      send(() => job.log(line));
    };

    const run = startStage({ cli: stageCli, stage: data.stage, episodeDir, profile: data.profile, stride: data.stride, threads, modelsDir: opts.modelsDir, onEvent, onStderrLine });
    running.set(job.id!, run);
    saveState();
    let killing: Promise<void> | null = null;
    const onAbort = () => {
      killing = run.kill(KILL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      exit = await run.done;
    } catch (e) {
      throw new Error(`could not start the stage process (${stageCli}): ${(e as Error).message}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Anything the stage left in its group (an ffmpeg that outlived it) goes with it.
      await (killing ?? (groupAlive(run.pgid) ? run.kill(0) : null));
      running.delete(job.id!);
      saveState();
    }
    await writes;

    if (signal?.aborted) {
      const reason = String(signal.reason ?? '');
      if (reason === STOPPING) {
        log(`returned job ${job.id} (${data.stage}) to the queue: worker stopping`);
        await job.log(`[worker ${name}] stopped before the stage finished; the job goes back to waiting`).catch(() => {});
        await job.moveToWait(token);
        throw new WaitingError();
      }
      log(`cancelled job ${job.id} (${data.stage})`);
      throw new UnrecoverableError(isCancelReason(reason) ? reason : 'cancelled by user');
    }
    const sum = summary as StageSummaryEvent | null;
    const err = failure as StageErrorEvent | null;
    if (exit.code === EXIT.OK && sum) {
      log(`finished job ${job.id}: ${data.stage} of ${episodeDir} in ${sum.elapsed_s.toFixed(1)} s`);
      return { stage: data.stage, status: 'completed', elapsedS: sum.elapsed_s, stats: sum.stats, worker: name, episodeDir, threads };
    }
    const how = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
    const message = err?.message ?? (tail.slice(-3).join(' | ') || 'no error message');
    log(`job ${job.id} (${data.stage}) failed: ${message} (${how})`);
    if (exit.code === EXIT.CANCELLED) throw new UnrecoverableError(`cancelled: the stage was stopped on worker ${name}`);
    const text = `${data.stage} failed on worker ${name}: ${message} (${how})`;
    throw exit.code !== null && FINAL_CODES.has(exit.code) ? new UnrecoverableError(text) : new Error(text);
  }

  /** A chained stage runs only once its predecessor completed; until then it waits in `delayed`. */
  async function waitForPredecessor(job: Job, data: StageJobData, token: string | undefined): Promise<void> {
    const check = async (): Promise<'go' | 'wait'> => {
      const prev = await Job.fromId(queue, data.after!);
      const state = prev ? await prev.getState() : 'missing';
      if (state === 'completed') return 'go';
      if (state === 'failed' || state === 'missing' || state === 'unknown') {
        const prevStage = (prev?.data as StageJobData | undefined)?.stage ?? 'the previous stage';
        if (prev && (isCancelReason(prev.failedReason) || (prev.data as StageJobData).cancelled)) {
          throw new UnrecoverableError(`cancelled: ${prevStage} was cancelled`);
        }
        // Down a chain, pass the first failure on as it is instead of nesting it.
        if (state === 'failed' && /^not run: /.test(prev!.failedReason ?? '')) throw new UnrecoverableError(prev!.failedReason);
        if (state === 'failed') throw new UnrecoverableError(`not run: ${prevStage} failed (${prev!.failedReason})`);
        throw new UnrecoverableError(`not run: ${prevStage} (job ${data.after}) is no longer in the queue`);
      }
      return 'wait';
    };
    if ((await check()) === 'go') return;
    await job.moveToDelayed(Date.now() + CHAIN_HOLD_MS, token);
    // The predecessor may have finished between the check and the move, after its worker tried to
    // promote us: look once more so we never sit out the whole hold for nothing.
    try {
      if ((await check()) === 'go') await job.promote();
    } catch {
      await job.promote().catch(() => {}); // it failed: run now to fail with its reason
    }
    throw new DelayedError();
  }

  // Three declared parameters: BullMQ passes the AbortSignal only to a processor whose length is 3.
  const processor = async function (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    if (job.name === PING_JOB) return { worker: name, at: Date.now() };
    return runStageJob(job, token, signal);
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection,
    concurrency,
    name,
    lockDuration: LOCK_DURATION_MS,
    stalledInterval: STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLED_COUNT,
    // Started below, once the cancel channel is subscribed: no job may run that cannot be cancelled.
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
  worker.on('stalled', (jobId) => log(`job ${jobId} had lost its worker; it is back in the queue`));

  // Cross-machine cancel: every worker hears every cancel; only the holder's cancelJob() matches.
  const sub = new Redis({ ...connection, maxRetriesPerRequest: null });
  sub.on('error', reportError);
  await sub.subscribe(CANCEL_CHANNEL).catch(reportError);
  sub.on('message', (_channel: string, jobId: string) => {
    if (worker.cancelJob(jobId, 'cancelled by user')) log(`cancel requested for job ${jobId}`);
  });

  log(
    `ready: redis ${where}, concurrency ${concurrency}, threads ${threads} per stage` +
      (pathMap.length ? `, path map ${pathMap.map((m) => `${m.from}=${m.to}`).join(', ')}` : '') +
      `, state ${stateFile}`,
  );
  void worker.run().catch(reportError);

  let closing: Promise<void> | null = null;
  let graceTimer: NodeJS.Timeout | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const returnRunning = () => {
    for (const jobId of running.keys()) worker.cancelJob(jobId, STOPPING);
  };
  const close = (graceMs = stopGraceMs): Promise<void> => {
    if (closing) {
      if (graceMs === 0) returnRunning(); // asked again: do not wait out the grace
      return closing;
    }
    log(running.size ? `stopping: ${running.size} running job(s) get ${Math.round(graceMs / 1000)} s to finish` : 'stopping');
    graceTimer = setTimeout(returnRunning, graceMs);
    closing = (async () => {
      await worker.close();
      clearTimeout(graceTimer);
      await sub.quit().catch(() => sub.disconnect());
      await queue.close().catch(() => {});
      saveState();
      log('stopped');
      resolveClosed();
    })();
    return closing;
  };
  return { name, stateFile, close, closed };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
