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
import { statSync } from 'node:fs';
import path from 'node:path';
import { DelayedError, Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { StageEvent, StageSummaryEvent, StageErrorEvent } from '../shared/progress.js';
import { formatDuration } from '../shared/progress.js';
import { ARTIFACT_DIR_NAME, EXIT, WORKER_DEFAULT_THREADS, type StageName } from '../shared/stages.js';
import { listLocks, lockOwnerAlive, type LockInfo } from '../pipeline/runtime/lock.js';
import { readManifest } from '../pipeline/runtime/manifest.js';
import {
  CANCEL_CHANNEL,
  CHAIN_HOLD_MS,
  EARLIER_RUN_POLL_MS,
  EARLIER_RUN_WAIT_MS,
  LOCK_DURATION_MS,
  MAX_STALLED_COUNT,
  PING_JOB,
  QUEUE_NAME,
  STALLED_INTERVAL_MS,
  isCancelReason,
  isStageJobData,
  lostClaim,
  persistenceWarning,
  redactRedisUrl,
  redisOptionsFromUrl,
  type StageJobData,
  type StageJobProgress,
  type StageJobResult,
} from './common.js';
import { mapEpisodePath, type PathMapping } from './path-map.js';
import { readPersistence, redisRunId, watchConnection } from './redis-health.js';
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

/** Abort reason used when the worker itself is stopping: the job goes back to waiting. */
const STOPPING = 'worker stopping';
/** After SIGTERM to a stage tree, SIGKILL follows for anything left (the longest killTree allows). */
const KILL_GRACE_MS = 1_500;

/** Exit codes whose failure will not change on a retry. */
const FINAL_CODES = new Set<number>([EXIT.USAGE, EXIT.BAD_INPUT, EXIT.MODEL, EXIT.CANCELLED]);

/** A stage process this worker runs, by job id. */
interface RunningJob {
  run: StageRun;
  stage: StageName;
  episodeDir: string;
}

/** How one stage process ended, and what it reported on the way. */
interface StageRunOutcome {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  summary: StageSummaryEvent | null;
  failure: StageErrorEvent | null;
  /** Its last stderr lines, for a failure without an error event. */
  tail: string[];
}

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
  const running = new Map<string, RunningJob>();
  const saveState = () => {
    const stages: RecordedStage[] = [...running].map(([jobId, r]) => ({ jobId, pgid: r.run.pgid, startTime: processStartTime(r.run.pid) }));
    writeState(stateFile, { workerPid: process.pid, workerStartTime: processStartTime(process.pid), stages });
  };
  saveState();
  const earlierRunWaitMs = opts.earlierRunWaitMs ?? EARLIER_RUN_WAIT_MS;

  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', () => {}); // reported through the worker's own error handler below

  let lastErr = '';
  let lastErrAt = 0;
  const reportError = (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    const claim = lostClaim(msg);
    if (claim) return reportLostClaim(claim.jobId, claim.when);
    // ioredis repeats the same error on every reconnect attempt: say it once per 10 s.
    if (msg !== lastErr || Date.now() - lastErrAt > 10_000) log(`Redis at ${where}: ${msg}`);
    lastErr = msg;
    lastErrAt = Date.now();
  };

  // BullMQ repeats a lost claim on every lock renewal: say it once per job, in words that tell
  // what happens next.
  const claimsReported = new Set<string>();
  const reportLostClaim = (jobId: string, when: 'renewing' | 'finishing') => {
    const key = `${jobId}|${when}`;
    if (claimsReported.has(key)) return;
    if (claimsReported.size > 1000) claimsReported.clear();
    claimsReported.add(key);
    if (when === 'renewing') {
      const goesOn = running.has(jobId) ? 'its stage goes on here; a worker that gets the job again waits for it and reports its outcome' : 'the job may be handed out again';
      log(`job ${jobId}: this worker's claim on it expired in Redis (Redis was unreachable or restarted); ${goesOn}`);
    } else {
      log(`job ${jobId}: ended here, but Redis no longer holds this worker's claim on it, so this worker cannot record the outcome; the worker that has the job now reports it, or, if Redis lost the job, a resubmission does (what completed on disk is not run again)`);
    }
  };

  /** Writes a line to the worker's log and to the job's own log. */
  const say = (job: Job, line: string) => {
    log(line);
    void job.log(`[worker ${name}] ${line}`).catch(() => {});
  };

  async function runStageJob(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<StageJobResult> {
    const data = job.data as unknown;
    if (!isStageJobData(data)) throw new UnrecoverableError(`not a screentime stage job: ${JSON.stringify(data).slice(0, 200)}`);
    if (data.cancelled) throw new UnrecoverableError('cancelled before it started');
    if (data.after) await waitForPredecessor(job, data, token);
    const episodeDir = reachableEpisodeDir(data);
    const attempt = job.attemptsMade + 1;
    say(job, `took job ${job.id}: ${data.stage} of ${episodeDir} (profile ${data.profile}, stride ${data.stride ?? 'default'}, threads ${threads}, attempt ${attempt})`);
    const outDir = path.join(episodeDir, ARTIFACT_DIR_NAME);
    for (let round = 0; ; round++) {
      await waitForEarlierRun(job, data, outDir, signal);
      if (signal?.aborted) return abandon(job, data, signal, token);
      const ran = await runStageOnce(job, data, episodeDir, signal);
      if (signal?.aborted) return abandon(job, data, signal, token);
      // The earlier run of this job took the lock between our look and the stage's start: wait for it after all.
      if (ran.exit.code === EXIT.ALREADY_RUNNING && round === 0 && earlierRunOf(job, data, outDir)) continue;
      return outcome(job, data, episodeDir, ran);
    }
  }

  function reachableEpisodeDir(data: StageJobData): string {
    const episodeDir = mapEpisodePath(data.episodeDir, pathMap);
    if (isDirectory(episodeDir)) return episodeDir;
    const mapped = episodeDir !== data.episodeDir ? ` (mapped from ${data.episodeDir})` : '';
    throw new UnrecoverableError(`episode folder not reachable from worker ${name}: ${episodeDir}${mapped}`);
  }

  /** A live run of this very job (or of the lost job it replaces) holding the stage's lock, or null. */
  function earlierRunOf(job: Job, data: StageJobData, outDir: string): LockInfo | null {
    const ids = new Set([job.id!, ...(data.replaces ? [data.replaces] : [])]);
    const lock = listLocks(outDir).find((l) => l.info.stage === data.stage)?.info;
    return lock?.job_id && ids.has(lock.job_id) && lockOwnerAlive(lock) ? lock : null;
  }

  /**
   * The queue hands a job out again when it lost track of it (Redis was unreachable for longer than
   * the job's lock, or restarted), while the first run may still be going on. That run holds the
   * stage's lease under this job's id: wait for it to end (bounded), then let the stage report it
   * (completed: not run again) or run it (it failed, or its host died and its lease expired).
   */
  async function waitForEarlierRun(job: Job, data: StageJobData, outDir: string, signal: AbortSignal | undefined): Promise<void> {
    let lease = earlierRunOf(job, data, outDir);
    if (!lease) return;
    const whose = lease.job_id === job.id
      ? `of job ${job.id} is already running (pid ${lease.pid} on ${lease.host}, since ${lease.started_at}): the queue handed the job out again after losing track of it (Redis was unreachable or restarted)`
      : `of job ${lease.job_id}, which Redis lost and this job replaces, is still running (pid ${lease.pid} on ${lease.host}, since ${lease.started_at})`;
    say(job, `${data.stage} ${whose}; waiting for that run to end instead of starting a second one (at most ${formatDuration(earlierRunWaitMs / 1000)})`);
    const t0 = Date.now();
    let last = lease;
    while (lease && !signal?.aborted) {
      if (Date.now() - t0 > earlierRunWaitMs) {
        throw new UnrecoverableError(`${data.stage} of this job was still running on ${lease.host} (pid ${lease.pid}) after ${formatDuration(earlierRunWaitMs / 1000)} of waiting; stop that run, then submit again`);
      }
      await pause(EARLIER_RUN_POLL_MS, signal);
      last = lease;
      lease = earlierRunOf(job, data, outDir);
    }
    if (!signal?.aborted) say(job, earlierRunEnded(data, outDir, last, Date.now() - t0));
  }

  /** Spawns the stage once and collects what it reported. */
  async function runStageOnce(job: Job, data: StageJobData, episodeDir: string, signal: AbortSignal | undefined): Promise<StageRunOutcome> {
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

    const run = startStage({ cli: stageCli, stage: data.stage, episodeDir, profile: data.profile, stride: data.stride, threads, modelsDir: opts.modelsDir, jobId: job.id!, onEvent, onStderrLine });
    running.set(job.id!, { run, stage: data.stage, episodeDir });
    saveState();
    let killing: Promise<void> | null = null;
    const onAbort = () => {
      killing = run.kill(KILL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let exit: StageRunOutcome['exit'];
    try {
      exit = await run.done;
    } catch (e) {
      throw new Error(`could not start the stage process (${stageCli}): ${(e as Error).message}`, { cause: e });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Anything the stage left in its group (an ffmpeg that outlived it) goes with it.
      await (killing ?? (groupAlive(run.pgid) ? run.kill(0) : null));
      running.delete(job.id!);
      saveState();
    }
    await writes;
    return { exit, summary, failure, tail };
  }

  /** A job stopped from outside: back to the queue when the worker stops, else cancelled. */
  async function abandon(job: Job, data: StageJobData, signal: AbortSignal, token: string | undefined): Promise<never> {
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

  /** The job's result from how the stage ended; throws what BullMQ records as the failure. */
  function outcome(job: Job, data: StageJobData, episodeDir: string, ran: StageRunOutcome): StageJobResult {
    const { exit, summary: sum, failure: err, tail } = ran;
    if (exit.code === EXIT.OK && sum) {
      const how = sum.reused ? 'already completed on disk with these settings, not run again' : `in ${sum.elapsed_s.toFixed(1)} s`;
      log(`finished job ${job.id}: ${data.stage} of ${episodeDir} ${how}`);
      const result: StageJobResult = { stage: data.stage, status: 'completed', elapsedS: sum.elapsed_s, stats: sum.stats, worker: name, episodeDir, threads };
      return sum.reused ? { ...result, reused: true } : result;
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

  // Outages: say when Redis goes away and when it is back, and what its return means for the jobs
  // running here. A connection of its own, so the checks never wait behind BullMQ's blocking reads.
  const health = new Redis({ ...connection, maxRetriesPerRequest: null });
  health.on('error', reportError);
  let runId: string | null = null;
  const checkRedis = async (afterOutage: boolean) => {
    const id = await redisRunId(health);
    const restarted = afterOutage && runId !== null && id !== null && id !== runId;
    runId = id ?? runId;
    const warning = persistenceWarning(await readPersistence(health), where);
    if (restarted) log(`Redis at ${where} restarted while it was away`);
    if (warning && (!afterOutage || restarted)) log(`warning: ${warning}`);
    if (afterOutage) await reportJobsAfterOutage();
  };
  const reportJobsAfterOutage = async () => {
    for (const [jobId, r] of running) {
      const state = await queue.getJobState(jobId).catch(() => 'unknown');
      if (state === 'unknown') {
        log(`job ${jobId} (${r.stage} of ${r.episodeDir}) is no longer in Redis (it restarted without its data): the stage goes on and its result stays on disk, but the queue cannot record it; resubmit it from the app (what completed is not run again)`);
      } else if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        log(`job ${jobId} (${r.stage}) went back to the queue while Redis was away: the worker that takes it waits for the run here and reports its outcome`);
      }
    }
  };
  const watch = watchConnection(health, {
    down: () => log(`lost the connection to Redis at ${where}: ${running.size} running stage(s) go on; reconnecting`),
    up: (ms) => {
      log(`reconnected to Redis at ${where} after ${formatDuration(ms / 1000)}`);
      void checkRedis(true).catch(reportError);
    },
  });

  // Before taking jobs: say now if a Redis restart would lose them.
  await checkRedis(false).catch(reportError);
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
      watch.stop();
      await health.quit().catch(() => health.disconnect());
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

/** Waits `ms`, or less if the signal aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What became of the run a re-delivered job waited for, read from the stage's manifest record. */
function earlierRunEnded(data: StageJobData, outDir: string, run: LockInfo, waitedMs: number): string {
  const rec = readManifest(outDir)?.stages[data.stage];
  const sameRun = rec?.pid === run.pid && rec?.host === run.host;
  const after = `after ${formatDuration(waitedMs / 1000)} of waiting`;
  if (sameRun && rec?.status === 'completed') return `the earlier run of ${data.stage} completed ${after}: reporting it (the stage is not run again)`;
  if (sameRun && rec?.status === 'running') return `the earlier run of ${data.stage} (pid ${run.pid} on ${run.host}) is gone without finishing ${after} (its lease expired): running the stage here, it takes the lock over`;
  return `the earlier run of ${data.stage} ended ${after} (${sameRun ? `recorded ${rec!.status}` : 'no record of its end'}): running the stage here`;
}

