// The worker's side of Redis besides BullMQ itself: errors said once in words, cancels heard on
// the cancel channel, and outages watched on a connection of its own (so the checks never wait
// behind BullMQ's blocking reads) with what a return means for the jobs running here.

import { Redis } from 'ioredis';
import type { Queue, Worker } from 'bullmq';
import { formatDuration } from '../shared/progress.js';
import { CANCEL_CHANNEL, lostClaim, persistenceWarning, type RedisConnectionOptions } from './common.js';
import { readPersistence, redisRunId, watchConnection } from './redis-health.js';
import type { RunningJob } from './stage-job.js';

export interface WorkerRedisContext {
  connection: RedisConnectionOptions;
  /** The Redis URL without its password, for messages. */
  where: string;
  running: Map<string, RunningJob>;
  log(line: string): void;
}

/**
 * Reports Redis errors: ioredis repeats the same error on every reconnect attempt (said once per
 * 10 s), and BullMQ repeats a lost claim on every lock renewal (said once per job, in words that
 * tell what happens next).
 */
export function redisErrorReporter(ctx: WorkerRedisContext): (e: unknown) => void {
  let lastErr = '';
  let lastErrAt = 0;
  const claimsReported = new Set<string>();
  const reportLostClaim = (jobId: string, when: 'renewing' | 'finishing') => {
    const key = `${jobId}|${when}`;
    if (claimsReported.has(key)) return;
    if (claimsReported.size > 1000) claimsReported.clear();
    claimsReported.add(key);
    ctx.log(lostClaimLine(jobId, when, ctx.running.has(jobId)));
  };
  return (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    const claim = lostClaim(msg);
    if (claim) return reportLostClaim(claim.jobId, claim.when);
    if (msg !== lastErr || Date.now() - lastErrAt > 10_000) ctx.log(`Redis at ${ctx.where}: ${msg}`);
    lastErr = msg;
    lastErrAt = Date.now();
  };
}

function lostClaimLine(jobId: string, when: 'renewing' | 'finishing', runsHere: boolean): string {
  if (when === 'renewing') {
    const goesOn = runsHere ? 'its stage goes on here; a worker that gets the job again waits for it and reports its outcome' : 'the job may be handed out again';
    return `job ${jobId}: this worker's claim on it expired in Redis (Redis was unreachable or restarted); ${goesOn}`;
  }
  return `job ${jobId}: ended here, but Redis no longer holds this worker's claim on it, so this worker cannot record the outcome; the worker that has the job now reports it, or, if Redis lost the job, a resubmission does (what completed on disk is not run again)`;
}

/** Cross-machine cancel: every worker hears every cancel; only the holder's cancelJob() matches. */
export async function listenForCancels(ctx: WorkerRedisContext, worker: Worker, reportError: (e: unknown) => void): Promise<Redis> {
  const sub = new Redis({ ...ctx.connection, maxRetriesPerRequest: null });
  sub.on('error', reportError);
  await sub.subscribe(CANCEL_CHANNEL).catch(reportError);
  sub.on('message', (_channel: string, jobId: string) => {
    if (worker.cancelJob(jobId, 'cancelled by user')) ctx.log(`cancel requested for job ${jobId}`);
  });
  return sub;
}

export interface RedisWatch {
  stop(): Promise<void>;
}

/**
 * Says when Redis goes away and when it is back, whether it restarted meanwhile, whether its
 * persistence would lose jobs, and which running jobs its return affects. Resolves after the
 * first check, so a worker says before it takes jobs whether a Redis restart would lose them.
 */
export async function watchRedis(ctx: WorkerRedisContext, queue: Queue, reportError: (e: unknown) => void): Promise<RedisWatch> {
  const health = new Redis({ ...ctx.connection, maxRetriesPerRequest: null });
  health.on('error', reportError);
  let runId: string | null = null;
  const check = async (afterOutage: boolean) => {
    const id = await redisRunId(health);
    const restarted = afterOutage && runId !== null && id !== null && id !== runId;
    runId = id ?? runId;
    const warning = persistenceWarning(await readPersistence(health), ctx.where);
    if (restarted) ctx.log(`Redis at ${ctx.where} restarted while it was away`);
    if (warning && (!afterOutage || restarted)) ctx.log(`warning: ${warning}`);
    if (afterOutage) await reportJobsAfterOutage(ctx, queue);
  };
  const watch = watchConnection(health, {
    down: () => ctx.log(`lost the connection to Redis at ${ctx.where}: ${ctx.running.size} running stage(s) go on; reconnecting`),
    up: (ms) => {
      ctx.log(`reconnected to Redis at ${ctx.where} after ${formatDuration(ms / 1000)}`);
      void check(true).catch(reportError);
    },
  });
  await check(false).catch(reportError);
  return {
    async stop() {
      watch.stop();
      await health.quit().catch(() => health.disconnect());
    },
  };
}

/** After an outage: which of the jobs running here Redis lost, or handed back to the queue. */
async function reportJobsAfterOutage(ctx: WorkerRedisContext, queue: Queue): Promise<void> {
  for (const [jobId, r] of ctx.running) {
    const state = await queue.getJobState(jobId).catch(() => 'unknown');
    if (state === 'unknown') {
      ctx.log(`job ${jobId} (${r.stage} of ${r.episodeDir}) is no longer in Redis (it restarted without its data): the stage goes on and its result stays on disk, but the queue cannot record it; resubmit it from the app (what completed is not run again)`);
    } else if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      ctx.log(`job ${jobId} (${r.stage}) went back to the queue while Redis was away: the worker that takes it waits for the run here and reports its outcome`);
    }
  }
}
