// The desktop host's side of queue mode: submit an episode's stages to Redis, list and cancel jobs,
// and hear about every job change from BullMQ's QueueEvents (a Redis stream: no polling).
//
// A whole-episode submission is ONE JOB PER STAGE, chained: each job names the one before it
// (`after`) and the one after it (`next`); a chained job waits in `delayed` until its predecessor
// completed (the predecessor's worker promotes it at once), and fails with the predecessor's reason
// if that one failed or was cancelled. Why not a BullMQ FlowProducer (parent = later stage,
// child = earlier stage): BullMQ refuses `deduplication` on flow nodes that have children, and
// refusing a duplicate (episode, stage) while one is waiting or running is a requirement for
// every stage, not just the first. Plain jobs keep BullMQ's own atomic deduplication per stage,
// give every stage its own id, progress, logs and retry, and let a single stage be re-run later.
//
// Nothing vanishes silently: at connect time the service says when Redis would lose the queue on
// a restart (no AOF), and it remembers the jobs it saw waiting or running. After a reconnect (and
// on every list()) it looks for them; one Redis no longer has is listed as `lost`, with what the
// episode's manifest says about its stage, and resubmitLost() puts the lost part of its chain back
// (a stage that completed meanwhile is not run again; a run still going on is waited for).

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobInfo, QueueStatus } from '../shared/ipc.js';
import { MAX_STRIDE, STAGES, isProfile, isStageName, type Profile, type StageName } from '../shared/stages.js';
import { readManifest } from '../pipeline/runtime/manifest.js';
import {
  CANCEL_CHANNEL,
  CHAIN_HOLD_MS,
  JOB_ATTEMPTS,
  KEEP_COMPLETED,
  KEEP_FAILED,
  QUEUE_NAME,
  REACH_TIMEOUT_MS,
  RETRY_BACKOFF_MS,
  dedupIdFor,
  isStageJobData,
  jobOutDir,
  jobInfoState,
  persistenceWarning,
  progressFraction,
  redactRedisUrl,
  redisOptionsFromUrl,
  type RedisConnectionOptions,
  type StageJobData,
} from './common.js';
import { readPersistence, watchConnection, type ConnectionWatch } from './redis-health.js';

export interface SubmitRequest {
  episodeId: string;
  /** Episode folder as this machine sees it; workers map the prefix if they mount it elsewhere. */
  episodeDir: string;
  /** Artifact folder as this machine sees it; absent or null: <episodeDir>/screentime. */
  outDir?: string | null;
  stages: StageName[];
  profile: Profile;
  stride?: number | null;
  /** Per stage, the id of a lost job this submission stands in for (resubmitLost). */
  replaces?: Partial<Record<StageName, string>>;
}

/** A job this service saw waiting or running: enough to notice it is gone and to submit it again. */
export interface KnownJob {
  data: StageJobData;
  info: JobInfo;
}

/** Log lines carried in each JobInfo (the tail; the job keeps all of them in Redis). */
const LOG_TAIL = 30;
/** list() returns at most this many of the most recent jobs. */
const LIST_LIMIT = 100;
/** Any queue operation gives up after this (Redis went away mid-call: never hang the window). */
const OP_TIMEOUT_MS = 5_000;

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** One short-lived connection: connect + PING within `timeoutMs`, no retries. */
export async function probeRedis(url: string, timeoutMs = REACH_TIMEOUT_MS): Promise<ProbeResult> {
  const r = new Redis({
    ...redisOptionsFromUrl(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastErr: unknown;
  r.on('error', (e) => (lastErr = e));
  try {
    await withTimeout(
      r.connect().then(() => r.ping()),
      timeoutMs + 250,
      `timed out after ${Math.round(timeoutMs / 1000)} s`,
    );
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: describeRedisError(lastErr ?? e) };
  } finally {
    r.disconnect();
  }
}

/** ECONNREFUSED / ENOTFOUND / ETIMEDOUT when the socket says so, else Redis' own words (WRONGPASS ...). */
export function describeRedisError(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code && /^E[A-Z]+$/.test(err.code)) return err.code;
  const msg = err?.message ?? String(e);
  if (/connect ETIMEDOUT|timed out/i.test(msg)) return msg.includes('timed out after') ? msg : 'ETIMEDOUT';
  return msg.replace(/^ReplyError: /, '');
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

interface Connected {
  url: string;
  where: string;
  connection: RedisConnectionOptions;
  queue: Queue;
  events: QueueEvents;
  /** Publishes cancel requests; its status also tells whether Redis is there right now. */
  pub: Redis;
  /** Reports outages and reconnections of `pub`. */
  watch: ConnectionWatch;
}

export class QueueService {
  private url: string | null = null;
  private conn: Connected | null = null;
  private connecting: Promise<Connected> | null = null;
  private readonly listeners = new Set<(job: JobInfo) => void>();
  /** Per-job coalescing of event lookups: one in flight, one more if something changed meanwhile. */
  private readonly pending = new Map<string, { again: boolean }>();
  private readonly submittedBy: string;
  private readonly log: (line: string) => void;
  /** Jobs seen waiting or running, by id: the ones whose disappearance would go unnoticed. */
  private readonly live = new Map<string, KnownJob>();
  /** Jobs that Redis no longer has, by id, as the window lists them. */
  private readonly lost = new Map<string, KnownJob>();
  /** Why a Redis restart would lose jobs (no AOF), or null. */
  private persistence: string | null = null;
  private lostCheck: Promise<void> | null = null;

  constructor(opts: { submittedBy?: string; log?: (line: string) => void } = {}) {
    this.submittedBy = opts.submittedBy ?? os.hostname();
    this.log = opts.log ?? ((line) => console.warn(`[queue] ${line}`));
  }

  /** Sets (or clears, with null) the Redis URL. Throws on a malformed URL; never connects here. */
  async configure(redisUrl: string | null): Promise<void> {
    const url = redisUrl?.trim() || null;
    if (url) redisOptionsFromUrl(url); // validate now, with a clear message
    if (url === this.url) return;
    await this.disconnect();
    // What was seen on another Redis says nothing about this one.
    this.live.clear();
    this.lost.clear();
    this.persistence = null;
    this.url = url;
  }

  get configuredUrl(): string | null {
    return this.url;
  }

  async status(): Promise<QueueStatus> {
    if (!this.url) {
      return { available: true, configured: false, reachable: false, message: 'Queue mode is off: set a Redis URL (redis://host:6379) in Settings.' };
    }
    const where = redactRedisUrl(this.url);
    const probe = await probeRedis(this.url);
    if (!probe.ok) return { available: true, configured: true, reachable: false, message: `Cannot reach Redis at ${where}: ${probe.reason}` };
    try {
      const c = await this.ensure();
      const counts = await withTimeout(c.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), REACH_TIMEOUT_MS, 'timed out');
      const workers = await withTimeout(c.queue.getWorkersCount(), REACH_TIMEOUT_MS, 'timed out').catch(() => null);
      const waiting = (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
      const w = workers === null ? '' : `${workers} worker${workers === 1 ? '' : 's'} online, `;
      const lost = this.lost.size ? ` ${this.lost.size} job${this.lost.size === 1 ? '' : 's'} lost (no longer in Redis): resubmit them.` : '';
      const warning = this.persistence ? ` Warning: ${this.persistence}.` : '';
      return { available: true, configured: true, reachable: true, message: `Connected to Redis at ${where}: ${w}${counts.active ?? 0} running, ${waiting} waiting.${lost}${warning}` };
    } catch (e) {
      return { available: true, configured: true, reachable: false, message: `Cannot reach Redis at ${where}: ${describeRedisError(e)}` };
    }
  }

  /** Adds one job per stage (chained in pipeline order) and returns their ids at once. */
  async submit(req: SubmitRequest): Promise<JobInfo[]> {
    const stages = normaliseStages(req.stages);
    if (typeof req.episodeId !== 'string' || !req.episodeId) throw new Error('episodeId is required');
    if (typeof req.episodeDir !== 'string' || !req.episodeDir) throw new Error('episodeDir is required');
    if (!isProfile(req.profile)) throw new Error(`unknown profile: ${String(req.profile)}`);
    const stride = req.stride ?? null;
    if (stride !== null && (!Number.isInteger(stride) || stride < 1 || stride > MAX_STRIDE)) throw new Error(`stride must be a whole number from 1 to ${MAX_STRIDE}, got ${stride}`);
    const c = await this.ensureReachable();
    return withTimeout(this.submitOn(c, { ...req, stages, stride }), OP_TIMEOUT_MS * 2, `Redis at ${c.where} did not answer in time`);
  }

  private async submitOn(c: Connected, req: SubmitRequest & { stride: number | null }): Promise<JobInfo[]> {
    // Refuse before adding anything, so a half-added chain never exists.
    for (const stage of req.stages) {
      const held = await this.liveDuplicate(c, req.episodeId, stage);
      if (held) throw new Error(duplicateMessage(stage, held.id, held.state));
    }
    const ids = req.stages.map(() => randomUUID());
    const added: Job[] = [];
    try {
      for (let i = 0; i < req.stages.length; i++) {
        const stage = req.stages[i]!;
        const data: StageJobData = {
          v: 1,
          episodeId: req.episodeId,
          episodeDir: req.episodeDir,
          ...(req.outDir ? { outDir: req.outDir } : {}),
          stage,
          profile: req.profile,
          stride: req.stride,
          after: i > 0 ? ids[i - 1]! : null,
          next: i < ids.length - 1 ? ids[i + 1]! : null,
          submittedBy: this.submittedBy,
          ...(req.replaces?.[stage] ? { replaces: req.replaces[stage] } : {}),
        };
        const job = await c.queue.add(stage, data, {
          jobId: ids[i],
          deduplication: { id: dedupIdFor(req.episodeId, stage) },
          ...(i > 0 ? { delay: CHAIN_HOLD_MS } : {}),
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'fixed', delay: RETRY_BACKOFF_MS },
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        });
        if (job.id !== ids[i]) {
          // Another desktop added the same (episode, stage) between our check and our add:
          // BullMQ kept theirs and handed us back its id.
          throw new Error(duplicateMessage(stage, job.id ?? '?', 'waiting'));
        }
        added.push(job);
      }
    } catch (e) {
      await Promise.all(added.map((j) => this.cancelJob(c, j.id!)));
      throw e;
    }
    return Promise.all(added.map((j) => this.info(c, j.id!).then((x) => x ?? toJobInfo(j, 'waiting', []))));
  }

  private async liveDuplicate(c: Connected, episodeId: string, stage: StageName): Promise<{ id: string; state: string } | null> {
    const dedupId = dedupIdFor(episodeId, stage);
    const id = await c.queue.getDeduplicationJobId(dedupId);
    if (!id) return null;
    const job = await c.queue.getJob(id);
    const state = job ? await job.getState() : 'missing';
    if (LIVE_STATES.has(state)) return { id, state };
    // A key left behind by a job that is gone or finished would block every future add.
    await c.queue.removeDeduplicationKey(dedupId).catch(() => 0);
    return null;
  }

  /** The most recent jobs, newest first, read from Redis (so a reload or restart shows them). */
  async list(): Promise<JobInfo[]> {
    const c = await this.ensureReachable();
    return withTimeout(
      (async () => {
        const jobs = await c.queue.getJobs(['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'completed', 'failed'], 0, LIST_LIMIT - 1);
        const recent = jobs
          .filter((j): j is Job => Boolean(j && j.id) && isStageJobData(j.data))
          .sort((a, b) => b.timestamp - a.timestamp)
          .slice(0, LIST_LIMIT);
        const infos = (await Promise.all(recent.map((j) => this.info(c, j.id!)))).filter((x): x is JobInfo => x !== null);
        await this.findLost(c);
        const lost = [...this.lost.values()].map((k) => k.info);
        return [...infos, ...lost].sort((a, b) => b.createdAt - a.createdAt).slice(0, LIST_LIMIT);
      })(),
      OP_TIMEOUT_MS,
      `Redis at ${c.where} did not answer in time`,
    );
  }

  /** One job, looked up by id; null when Redis no longer has it. */
  async get(jobId: string): Promise<JobInfo | null> {
    const gone = this.lost.get(jobId);
    if (gone) return gone.info;
    const c = await this.ensureReachable();
    return withTimeout(this.info(c, jobId), OP_TIMEOUT_MS, `Redis at ${c.where} did not answer in time`);
  }

  /**
   * Cancels a job wherever it is: a running one is stopped by the worker that holds it (pub/sub),
   * a waiting one is failed as cancelled by the first worker that takes it. Stages chained after
   * it are cancelled too (they could not run without it).
   */
  async cancel(jobId: string): Promise<{ cancelled: boolean }> {
    if (typeof jobId !== 'string' || !jobId || jobId.includes(':')) throw new Error(`not a job id: ${String(jobId)}`);
    if (this.lost.has(jobId)) return { cancelled: this.dismissLost(jobId) };
    const c = await this.ensureReachable();
    return { cancelled: await withTimeout(this.cancelJob(c, jobId), OP_TIMEOUT_MS, `Redis at ${c.where} did not answer in time`) };
  }

  private async cancelJob(c: Connected, jobId: string): Promise<boolean> {
    let cancelled = false;
    let id: string | null = jobId;
    for (let hops = 0; id && hops < STAGES.length; hops++) {
      const job: Job | undefined = await c.queue.getJob(id);
      if (!job || !isStageJobData(job.data)) break;
      const state = await job.getState();
      if (!LIVE_STATES.has(state)) {
        if (hops === 0) return false; // already finished: nothing to cancel
        break;
      }
      // The flag first (a worker that takes it from now on fails it at once), then the message
      // (the worker that holds it right now kills the stage).
      await job.updateData({ ...job.data, cancelled: true });
      await c.pub.publish(CANCEL_CHANNEL, id);
      if (state === 'delayed') await job.promote().catch(() => {});
      cancelled = true;
      id = job.data.next;
    }
    return cancelled;
  }

  /**
   * Submits the lost part of a lost job's chain again (the lost job and the lost stages chained
   * before and after it), in pipeline order, and forgets the lost entries. Each new job names the
   * one it replaces: a run of the lost job that still goes on is waited for, not repeated, and a
   * stage that completed on disk with the same settings is not run again.
   */
  async resubmitLost(jobId: string): Promise<JobInfo[]> {
    const start = this.lost.get(jobId);
    if (!start) throw new Error(`job ${jobId} is not a lost job`);
    const chain = this.lostChain(start);
    const replaces: Partial<Record<StageName, string>> = {};
    for (const k of chain) replaces[k.data.stage] = k.info.jobId;
    const { episodeId, episodeDir, outDir, profile, stride } = start.data;
    const jobs = await this.submit({ episodeId, episodeDir, outDir, profile, stride, stages: chain.map((k) => k.data.stage), replaces });
    for (const k of chain) this.lost.delete(k.info.jobId);
    return jobs;
  }

  /** Called with every job change (waiting, active, progress, completed, failed, lost). Returns an unsubscribe. */
  onJob(listener: (job: JobInfo) => void): () => void {
    this.listeners.add(listener);
    // Start listening as soon as someone cares, if Redis is there; status()/list() retry later.
    if (this.url && !this.conn) void this.ensureReachable().catch(() => {});
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.disconnect();
    this.url = null;
    this.live.clear();
    this.lost.clear();
  }

  // --- internals ---

  /** The lost job and the lost jobs chained to it, in pipeline order. */
  private lostChain(start: KnownJob): KnownJob[] {
    const chain = [start];
    for (let k = start; k.data.after && this.lost.has(k.data.after); ) chain.unshift((k = this.lost.get(k.data.after)!));
    for (let k = start; k.data.next && this.lost.has(k.data.next); ) chain.push((k = this.lost.get(k.data.next)!));
    return chain.sort((a, b) => STAGES.indexOf(a.data.stage) - STAGES.indexOf(b.data.stage));
  }

  /** Cancelling a lost job just forgets it (and the lost stages chained after it). */
  private dismissLost(jobId: string): boolean {
    let id: string | null = jobId;
    while (id && this.lost.has(id)) {
      const k: KnownJob = this.lost.get(id)!;
      this.lost.delete(id);
      this.emit({ ...k.info, state: 'cancelled', error: 'cancelled: it was lost (no longer in Redis) and was not resubmitted' });
      id = k.data.next;
    }
    return true;
  }

  /** Keeps track of jobs that are waiting or running, and lets go of finished ones. */
  private remember(data: StageJobData, info: JobInfo): void {
    this.lost.delete(info.jobId); // Redis has it (again): whatever it says now is the truth
    if (info.state === 'waiting' || info.state === 'active' || info.state === 'delayed') this.live.set(info.jobId, { data, info });
    else this.live.delete(info.jobId);
  }

  /**
   * Looks for every job seen waiting or running: those Redis no longer has (it restarted without
   * persistence, or its data was flushed) become `lost` and are announced. One check at a time.
   */
  private findLost(c: Connected): Promise<void> {
    this.lostCheck ??= (async () => {
      const known = [...this.live.values()];
      const states = await Promise.all(known.map((k) => c.queue.getJobState(k.info.jobId)));
      const gone = known.filter((_, i) => states[i] === 'unknown');
      for (const k of gone) this.markLost(k);
      if (gone.length) this.log(`${gone.length} job(s) are no longer in Redis at ${c.where} (it restarted without its data?): ${gone.map((k) => `${k.data.stage} ${k.info.jobId}`).join(', ')}; listed as lost, resubmit them`);
    })().finally(() => {
      this.lostCheck = null;
    });
    return this.lostCheck;
  }

  private markLost(k: KnownJob): void {
    this.live.delete(k.info.jobId);
    const info: JobInfo = { ...k.info, state: 'lost', error: lostMessage(k) };
    this.lost.set(info.jobId, { data: k.data, info });
    this.emit(info);
  }

  private emit(info: JobInfo): void {
    for (const l of this.listeners) l(info);
  }

  /** After an outage: say so, look at the persistence again (a restart may change it) and for lost jobs. */
  private async afterReconnect(c: Connected, downForMs: number): Promise<void> {
    this.log(`reconnected to Redis at ${c.where} after ${(downForMs / 1000).toFixed(1)} s`);
    await this.checkPersistence(c);
    await this.findLost(c);
  }

  private async checkPersistence(c: Connected): Promise<void> {
    const warning = persistenceWarning(await readPersistence(c.pub), c.where);
    if (warning && warning !== this.persistence) this.log(`warning: ${warning}`);
    this.persistence = warning;
  }

  private async ensureReachable(): Promise<Connected> {
    if (!this.url) throw new Error('Queue mode is off: set a Redis URL in Settings first.');
    if (this.conn?.pub.status !== 'ready') {
      const probe = await probeRedis(this.url);
      if (!probe.ok) throw new Error(`Cannot reach Redis at ${redactRedisUrl(this.url)}: ${probe.reason}`);
    }
    return this.ensure();
  }

  private ensure(): Promise<Connected> {
    if (this.conn) return Promise.resolve(this.conn);
    if (this.connecting) return this.connecting;
    const url = this.url!;
    this.connecting = (async () => {
      const connection = redisOptionsFromUrl(url);
      const queue = new Queue(QUEUE_NAME, { connection });
      const events = new QueueEvents(QUEUE_NAME, { connection });
      // Without listeners an 'error' event would throw; reconnects are ioredis' job.
      const pub = new Redis({ ...connection, maxRetriesPerRequest: 1 });
      queue.on('error', () => {});
      events.on('error', () => {});
      pub.on('error', () => {});
      for (const ev of ['waiting', 'active', 'progress', 'completed', 'failed', 'delayed', 'retries-exhausted'] as const) {
        events.on(ev as 'waiting', ({ jobId }: { jobId: string }) => this.changed(jobId));
      }
      const where = redactRedisUrl(url);
      const watch = watchConnection(pub, {
        down: () => this.log(`lost the connection to Redis at ${where}; reconnecting`),
        up: (ms) => void this.afterReconnect(c, ms).catch((e) => this.log(`after reconnecting to Redis at ${where}: ${describeRedisError(e)}`)),
      });
      const c: Connected = { url, where, connection, queue, events, pub, watch };
      try {
        await withTimeout(Promise.all([queue.waitUntilReady(), events.waitUntilReady(), pub.ping()]), OP_TIMEOUT_MS, 'timed out');
        await withTimeout(this.checkPersistence(c), OP_TIMEOUT_MS, 'timed out');
      } catch (e) {
        await closeConnected(c);
        throw e;
      }
      if (this.url !== url) {
        await closeConnected(c);
        throw new Error('the Redis URL changed while connecting');
      }
      this.conn = c;
      return c;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async disconnect(): Promise<void> {
    const c = this.conn ?? (this.connecting ? await this.connecting.catch(() => null) : null);
    this.conn = null;
    if (c) await closeConnected(c);
  }

  private changed(jobId: string): void {
    if (this.listeners.size === 0) return;
    const p = this.pending.get(jobId);
    if (p) {
      p.again = true;
      return;
    }
    const entry = { again: false };
    this.pending.set(jobId, entry);
    const run = async (): Promise<void> => {
      const c = this.conn;
      if (!c) return;
      const info = await this.info(c, jobId).catch(() => null);
      if (info) this.emit(info);
      if (entry.again) {
        entry.again = false;
        return run();
      }
    };
    void run().finally(() => this.pending.delete(jobId));
  }

  private async info(c: Connected, jobId: string): Promise<JobInfo | null> {
    // State first, then the job hash: BullMQ writes the outcome (failedReason, finishedOn) in the same
    // script that moves the state, so a job read after a `failed` state always carries its reason.
    let state: string = await c.queue.getJobState(jobId);
    const job = await c.queue.getJob(jobId);
    if (!job || !isStageJobData(job.data)) return null;
    if (job.finishedOn && state !== 'completed' && state !== 'failed') state = await job.getState();
    const logs = await c.queue.getJobLogs(jobId, 0, LOG_TAIL - 1, false);
    const info = toJobInfo(job, state, logs.logs.reverse());
    this.remember(job.data, info);
    return info;
  }
}

async function closeConnected(c: Connected): Promise<void> {
  c.watch.stop();
  await Promise.all([c.events.close().catch(() => {}), c.queue.close().catch(() => {}), c.pub.quit().catch(() => c.pub.disconnect())]);
}

/** A BullMQ job + its state + log tail as the window's JobInfo. */
export function toJobInfo(job: Job, bullState: string, logs: string[]): JobInfo {
  const data = job.data as StageJobData;
  const progress = job.progress as unknown;
  const ret = job.returnvalue as { worker?: unknown } | null | undefined;
  const fromProgress = progress && typeof progress === 'object' ? (progress as { worker?: unknown }).worker : undefined;
  const worker = job.processedBy ?? (typeof ret?.worker === 'string' ? ret.worker : typeof fromProgress === 'string' ? fromProgress : null);
  const state = jobInfoState(bullState, { failedReason: job.failedReason, cancelled: data.cancelled, attemptsMade: job.attemptsMade });
  return {
    jobId: job.id!,
    episodeId: data.episodeId,
    episode: data.episodeDir,
    stage: data.stage,
    state,
    worker: worker ?? null,
    progress: state === 'completed' ? 1 : progressFraction(progress),
    logs,
    error: state === 'failed' || state === 'cancelled' ? job.failedReason || (data.cancelled ? 'cancelled' : null) : null,
    createdAt: job.timestamp,
    finishedAt: job.finishedOn ?? null,
  };
}

/** Stages in pipeline order, each once; throws on an unknown name or an empty list. */
export function normaliseStages(stages: readonly unknown[]): StageName[] {
  if (!Array.isArray(stages) || stages.length === 0) throw new Error('choose at least one stage');
  for (const s of stages) if (!isStageName(s)) throw new Error(`unknown stage: ${String(s)}`);
  return STAGES.filter((s) => stages.includes(s));
}

/**
 * Why a job is listed as lost, with what the episode's manifest says about its stage now (the
 * desktop sees the episode folder): a run that went on without the queue may have completed.
 */
export function lostMessage(k: KnownJob, outDir = jobOutDir(k.data)): string {
  const was = k.info.state === 'active' ? `running${k.info.worker ? ` on ${k.info.worker}` : ''}` : 'waiting';
  const rec = readManifest(outDir)?.stages[k.data.stage];
  const since = rec?.started_at ? Date.parse(rec.started_at) >= k.info.createdAt : false;
  let disk = '';
  if (rec && since && rec.status === 'completed') disk = ` Its stage completed on disk at ${rec.finished_at}.`;
  else if (rec && since && rec.status === 'running') disk = ` Its stage is still running on disk (pid ${rec.pid} on ${rec.host}).`;
  return `lost: Redis no longer has this job (it restarted without its data?); it was ${was}.${disk} Resubmit it: what completed is not run again.`;
}

function duplicateMessage(stage: StageName, jobId: string, state: string): string {
  const how = state === 'active' ? 'is running' : 'is already queued';
  return `${stage} for this episode ${how} (job ${jobId}); wait for it or cancel it first.`;
}
