// One stage job on a worker, from taking it to its result: wait for the stage chained before it,
// find the episode and artifact folders from here, wait for an earlier run of the same job that
// still holds the stage's lease, run the stage process (pipeline/runtime/stage-process.ts, as local
// mode does), and turn how it ended into the job's result or failure. queue/worker.ts owns the
// BullMQ worker and the connection; this file owns what happens to one job.

import { statSync } from 'node:fs';
import { DelayedError, Job, UnrecoverableError, WaitingError, type Queue } from 'bullmq';
import type { StageEvent } from '../shared/progress.js';
import { formatDuration } from '../shared/progress.js';
import { EXIT, type StageName } from '../shared/stages.js';
import { listLocks, lockOwnerAlive, type LockInfo } from '../pipeline/runtime/lock.js';
import { readManifest } from '../pipeline/runtime/manifest.js';
import { classifyStageEnd } from '../pipeline/runtime/stage-outcome.js';
import { progressFigures } from '../pipeline/runtime/stage-process.js';
import {
  CHAIN_HOLD_MS,
  EARLIER_RUN_POLL_MS,
  isCancelReason,
  isStageJobData,
  jobOutDir,
  type StageJobData,
  type StageJobProgress,
  type StageJobResult,
} from './common.js';
import { mapEpisodePath, type PathMapping } from './path-map.js';
import { startStage, type StageRun } from './stage-process.js';

/** Abort reason used when the worker itself is stopping: the job goes back to waiting. */
export const STOPPING = 'worker stopping';
/** After SIGTERM to a stage tree, SIGKILL follows for anything left (the longest killTree allows). */
const KILL_GRACE_MS = 1_500;
/** Exit codes whose failure will not change on a retry. */
const FINAL_CODES = new Set<number>([EXIT.USAGE, EXIT.BAD_INPUT, EXIT.MODEL, EXIT.CANCELLED]);

/** A stage process this worker runs, by job id. */
export interface RunningJob {
  run: StageRun;
  stage: StageName;
  episodeDir: string;
}

/** What the job code needs from the worker that runs it. */
export interface StageJobContext {
  name: string;
  threads: number;
  pathMap: PathMapping[];
  stageCli: string;
  modelsDir?: string;
  earlierRunWaitMs: number;
  queue: Queue;
  /** Stage processes running now, by job id; the state file records them. */
  running: Map<string, RunningJob>;
  saveState(): void;
  log(line: string): void;
}

/** The folders of a job as this worker reaches them. */
interface JobDirs {
  episodeDir: string;
  outDir: string;
}

/** How one stage process ended. */
interface StageRunOutcome {
  run: StageRun;
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

export class StageJobs {
  constructor(private readonly ctx: StageJobContext) {}

  /** Runs a stage job to its result; throws what BullMQ records as the failure. */
  async run(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<StageJobResult> {
    const data = job.data as unknown;
    if (!isStageJobData(data)) throw new UnrecoverableError(`not a screentime stage job: ${JSON.stringify(data).slice(0, 200)}`);
    if (data.cancelled) throw new UnrecoverableError('cancelled before it started');
    if (data.after) await this.waitForPredecessor(job, data, token);
    const dirs = this.reachableDirs(data);
    const attempt = job.attemptsMade + 1;
    this.say(job, `took job ${job.id}: ${data.stage} of ${dirs.episodeDir} (profile ${data.profile}, stride ${data.stride ?? 'default'}, threads ${this.ctx.threads}, attempt ${attempt})`);
    for (let round = 0; ; round++) {
      await this.waitForEarlierRun(job, data, dirs.outDir, signal);
      if (signal?.aborted) return this.abandon(job, data, signal, token);
      const ran = await this.runStageOnce(job, data, dirs, signal);
      if (signal?.aborted) return this.abandon(job, data, signal, token);
      // The earlier run of this job took the lock between our look and the stage's start: wait for it after all.
      if (ran.exit.code === EXIT.ALREADY_RUNNING && round === 0 && this.earlierRunOf(job, data, dirs.outDir)) continue;
      return this.outcome(job, data, dirs.episodeDir, ran);
    }
  }

  /** Writes a line to the worker's log and to the job's own log. */
  private say(job: Job, line: string): void {
    this.ctx.log(line);
    void job.log(`[worker ${this.ctx.name}] ${line}`).catch(() => {});
  }

  /** The episode and artifact folders through the path map; the episode folder must be there. */
  private reachableDirs(data: StageJobData): JobDirs {
    const { name, pathMap } = this.ctx;
    const episodeDir = mapEpisodePath(data.episodeDir, pathMap);
    if (!isDirectory(episodeDir)) {
      const mapped = episodeDir !== data.episodeDir ? ` (mapped from ${data.episodeDir})` : '';
      throw new UnrecoverableError(`episode folder not reachable from worker ${name}: ${episodeDir}${mapped}`);
    }
    // A custom artifact folder maps like the episode folder; the stage creates it when missing.
    const outDir = mapEpisodePath(jobOutDir({ episodeDir: data.episodeDir, outDir: data.outDir }), pathMap);
    return { episodeDir, outDir };
  }

  /** A live run of this very job (or of the lost job it replaces) holding the stage's lock, or null. */
  private earlierRunOf(job: Job, data: StageJobData, outDir: string): LockInfo | null {
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
  private async waitForEarlierRun(job: Job, data: StageJobData, outDir: string, signal: AbortSignal | undefined): Promise<void> {
    const waitMs = this.ctx.earlierRunWaitMs;
    let lease = this.earlierRunOf(job, data, outDir);
    if (!lease) return;
    this.say(job, `${data.stage} ${earlierRunWhose(job, lease)}; waiting for that run to end instead of starting a second one (at most ${formatDuration(waitMs / 1000)})`);
    const t0 = Date.now();
    let last = lease;
    while (lease && !signal?.aborted) {
      if (Date.now() - t0 > waitMs) {
        throw new UnrecoverableError(`${data.stage} of this job was still running on ${lease.host} (pid ${lease.pid}) after ${formatDuration(waitMs / 1000)} of waiting; stop that run, then submit again`);
      }
      await pause(EARLIER_RUN_POLL_MS, signal);
      last = lease;
      lease = this.earlierRunOf(job, data, outDir);
    }
    if (!signal?.aborted) this.say(job, earlierRunEnded(data, outDir, last, Date.now() - t0));
  }

  /** Spawns the stage once, streams what it says to the job, and waits until its tree is gone. */
  private async runStageOnce(job: Job, data: StageJobData, dirs: JobDirs, signal: AbortSignal | undefined): Promise<StageRunOutcome> {
    const { ctx } = this;
    const jobLog = new JobWrites(job);
    const run = startStage({
      cli: ctx.stageCli,
      stage: data.stage,
      episodeDir: dirs.episodeDir,
      outDir: dirs.outDir,
      profile: data.profile,
      stride: data.stride,
      threads: ctx.threads,
      modelsDir: ctx.modelsDir,
      jobId: job.id!,
      onEvent: (ev) => this.onStageEvent(jobLog, ev),
      onStderrLine: (line) => jobLog.send(() => job.log(line)),
    });
    ctx.running.set(job.id!, { run, stage: data.stage, episodeDir: dirs.episodeDir });
    ctx.saveState();
    const onAbort = () => void run.kill(KILL_GRACE_MS);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // Resolves once the stage and anything it left in its group are gone.
      const exit = await run.done;
      await jobLog.settled();
      return { run, exit };
    } catch (e) {
      throw new Error(`could not start the stage process (${ctx.stageCli}): ${(e as Error).message}`, { cause: e });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      ctx.running.delete(job.id!);
      ctx.saveState();
    }
  }

  /** Progress becomes job progress; the start is noted in the job's log. */
  private onStageEvent(jobLog: JobWrites, ev: StageEvent): void {
    const { job } = jobLog;
    if (ev.type === 'progress') {
      const p: StageJobProgress = { stage: ev.stage, ...progressFigures(ev), worker: this.ctx.name };
      jobLog.send(() => job.updateProgress(p as unknown as object));
    } else if (ev.type === 'start') {
      jobLog.send(() => job.log(`[worker ${this.ctx.name}] stage started: pid ${ev.pid}, device ${ev.device}, threads ${ev.threads}`));
    }
  }

  /** A job stopped from outside: back to the queue when the worker stops, else cancelled. */
  private async abandon(job: Job, data: StageJobData, signal: AbortSignal, token: string | undefined): Promise<never> {
    const reason = String(signal.reason ?? '');
    if (reason === STOPPING) {
      this.ctx.log(`returned job ${job.id} (${data.stage}) to the queue: worker stopping`);
      await job.log(`[worker ${this.ctx.name}] stopped before the stage finished; the job goes back to waiting`).catch(() => {});
      await job.moveToWait(token);
      throw new WaitingError();
    }
    this.ctx.log(`cancelled job ${job.id} (${data.stage})`);
    throw new UnrecoverableError(isCancelReason(reason) ? reason : 'cancelled by user');
  }

  /** The job's result from how the stage ended; throws what BullMQ records as the failure. */
  private outcome(job: Job, data: StageJobData, episodeDir: string, { run, exit }: StageRunOutcome): StageJobResult {
    const { name, threads, log } = this.ctx;
    const { summary, error, lastStderr } = run.report;
    const end = classifyStageEnd({
      stage: data.stage,
      exitCode: exit.code,
      signal: exit.signal,
      spawnError: null,
      summarized: summary !== null,
      errorMessage: error?.message ?? null,
      lastStderr,
      cancelReason: null,
      timedOutAfterS: null,
    });
    if (end.status === 'completed' && summary) {
      const how = summary.reused ? 'already completed on disk with these settings, not run again' : `in ${summary.elapsed_s.toFixed(1)} s`;
      log(`finished job ${job.id}: ${data.stage} of ${episodeDir} ${how}`);
      const result: StageJobResult = { stage: data.stage, status: 'completed', elapsedS: summary.elapsed_s, stats: summary.stats, worker: name, episodeDir, threads };
      return summary.reused ? { ...result, reused: true } : result;
    }
    const how = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
    log(`job ${job.id} (${data.stage}) failed: ${end.error} (${how})`);
    if (exit.code === EXIT.CANCELLED) throw new UnrecoverableError(`cancelled: the stage was stopped on worker ${name}`);
    const text = `${data.stage} failed on worker ${name}: ${end.error} (${how})`;
    throw exit.code !== null && FINAL_CODES.has(exit.code) ? new UnrecoverableError(text) : new Error(text);
  }

  /** A chained stage runs only once its predecessor completed; until then it waits in `delayed`. */
  private async waitForPredecessor(job: Job, data: StageJobData, token: string | undefined): Promise<void> {
    if ((await predecessorState(this.ctx.queue, data)) === 'go') return;
    await job.moveToDelayed(Date.now() + CHAIN_HOLD_MS, token);
    // The predecessor may have finished between the check and the move, after its worker tried to
    // promote us: look once more so we never sit out the whole hold for nothing.
    try {
      if ((await predecessorState(this.ctx.queue, data)) === 'go') await job.promote();
    } catch {
      await job.promote().catch(() => {}); // it failed: run now to fail with its reason
    }
    throw new DelayedError();
  }
}

/** 'go' once the stage before this one completed, 'wait' while it may still; throws when it never will. */
async function predecessorState(queue: Queue, data: StageJobData): Promise<'go' | 'wait'> {
  const prev = await Job.fromId(queue, data.after!);
  const state = prev ? await prev.getState() : 'missing';
  if (state === 'completed') return 'go';
  if (state !== 'failed' && state !== 'missing' && state !== 'unknown') return 'wait';
  const prevStage = (prev?.data as StageJobData | undefined)?.stage ?? 'the previous stage';
  if (prev && (isCancelReason(prev.failedReason) || (prev.data as StageJobData).cancelled)) {
    throw new UnrecoverableError(`cancelled: ${prevStage} was cancelled`);
  }
  // Down a chain, pass the first failure on as it is instead of nesting it.
  if (state === 'failed' && /^not run: /.test(prev!.failedReason ?? '')) throw new UnrecoverableError(prev!.failedReason);
  if (state === 'failed') throw new UnrecoverableError(`not run: ${prevStage} failed (${prev!.failedReason})`);
  throw new UnrecoverableError(`not run: ${prevStage} (job ${data.after}) is no longer in the queue`);
}

/** Progress and log writes to a job, in order; a failed write (Redis blip) must not fail the stage. */
class JobWrites {
  private writes: Promise<unknown> = Promise.resolve();
  constructor(readonly job: Job) {}
  send(write: () => Promise<unknown>): void {
    this.writes = this.writes.then(write).catch(() => {});
  }
  settled(): Promise<unknown> {
    return this.writes;
  }
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

/** Whose run holds the lease a re-delivered job found, in words. */
function earlierRunWhose(job: Job, lease: LockInfo): string {
  return lease.job_id === job.id
    ? `of job ${job.id} is already running (pid ${lease.pid} on ${lease.host}, since ${lease.started_at}): the queue handed the job out again after losing track of it (Redis was unreachable or restarted)`
    : `of job ${lease.job_id}, which Redis lost and this job replaces, is still running (pid ${lease.pid} on ${lease.host}, since ${lease.started_at})`;
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
