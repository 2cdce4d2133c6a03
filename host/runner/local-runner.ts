// LOCAL MODE: one call per stage, on this machine, tied to the window that asked.
//
// `run()` starts the stage CLI as a process-group leader and resolves only when the stage has
// ended and its whole process tree is gone. There is no job id and nothing to poll: progress,
// logs and readings stream to the caller's sink while the promise is pending. Threads are capped
// at LOCAL_MODE_MAX_THREADS for the whole tree, and all runs together stay within the app's CPU
// budget (cpu-budget.ts): a run that does not fit waits in line, visibly, and starts by itself.
// The tree dies with the window (endSession), with the app (shutdown, or stdin closing when this
// process is killed outright), on cancel and on timeout. See docs/local-mode.md.

import os from 'node:os';
import path from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createLineSplitter, parseStageLine, type StageEvent, type StageStartEvent } from '../../shared/progress.js';
import { ARTIFACT_DIR_NAME, LOCAL_MODE_MAX_THREADS, isProfile, isStageName, type StageName } from '../../shared/stages.js';
import type { Readings, RunStageResult, StageProgress, ThermalReading } from '../../shared/ipc.js';
import { alreadyRunningMessage, readActiveLock } from '../../pipeline/runtime/lock.js';
import { defaultThermalSource } from '../readings/thermal.js';
import { TreeSampler } from '../readings/tree-sampler.js';
import type { ThermalSource } from '../readings/types.js';
import {
  isProcessGone,
  killGroupsSync,
  killTree,
  listTree,
  listTreeLinuxSync,
  pauseTree,
  reniceTree,
  resumeTree,
  spawnGroup,
} from '../../pipeline/runtime/process-tree.js';
import { ThermalGuard } from './thermal-guard.js';
import { appCpuBudget, type BudgetTicket, type CpuBudget } from './cpu-budget.js';
import { budgetFreeLine, cancelledWaitingLine, waitingLine } from './wait-messages.js';
import { EventThrottle } from './throttle.js';
import { PREFIX, cancelledLine, capLine, completedLine, describeFailure, failedLine, paramsLine, startingLine } from './messages.js';
import type { ActiveRun, ActivityListener, LocalRunnerOptions, NodeCommand, RunStageRequest, RunnerEvent, RunnerSink } from './types.js';

export const DEFAULT_TIMEOUT_S = 3600;
const LOG_FLUSH_MS = 200;
const LOG_BATCH_MAX = 200;
/** Live events (progress + readings) per run: at most one per 100 ms = 10 per second. */
const LIVE_EVENT_GAP_MS = 100;

/** Environment that caps every common threading runtime in the tree (inherited by ffmpeg etc.). */
export function threadEnv(threads: number): Record<string, string> {
  const n = String(threads);
  return {
    UV_THREADPOOL_SIZE: n,
    OMP_NUM_THREADS: n,
    OPENBLAS_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    VECLIB_MAXIMUM_THREADS: n,
    NUMEXPR_NUM_THREADS: n,
    SCREENTIME_THREADS: n,
  };
}

/** The thread count local mode uses: the request, at most `cap`, at least 1. Pure. */
export function capThreads(requested: number | undefined, cap: number = LOCAL_MODE_MAX_THREADS): number {
  const want = requested === undefined || !Number.isFinite(requested) ? cap : Math.floor(requested);
  return Math.max(1, Math.min(want, cap));
}

/** CLI arguments of one local stage run. Pure. */
export function stageArgs(req: RunStageRequest, cpuThreads: number): string[] {
  // Absolute paths: the stage's working directory is not the caller's concern.
  const args = ['stage', req.stage, path.resolve(req.episodeDir), '--profile', req.profile];
  if (req.stride !== undefined) args.push('--stride', String(req.stride));
  args.push('--threads', String(cpuThreads));
  if (path.resolve(req.outDir) !== path.resolve(req.episodeDir, ARTIFACT_DIR_NAME)) args.push('--out', path.resolve(req.outDir));
  return args;
}

/** Why another process's active lock on the stage refuses this run, or null. */
function lockRefusal(req: RunStageRequest): string | null {
  try {
    const lock = readActiveLock(req.outDir, req.stage);
    return lock ? alreadyRunningMessage(req.stage, lock) : null;
  } catch {
    return null;
  }
}

interface Run {
  key: string;
  req: RunStageRequest;
  sink: RunnerSink;
  child: ChildProcessWithoutNullStreams | null;
  pid: number | null;
  startedAt: number;
  fraction: number;
  paused: boolean;
  /** Set when we end the run ourselves: cancel / session end / shutdown. */
  cancelReason: string | null;
  timedOutAfterS: number | null;
  killing: Promise<unknown> | null;
  done: Promise<RunStageResult>;
  knownPids: Set<number>;
  onPauseChange: ((paused: boolean) => void) | null;
  /** Its share of the CPU budget: held while the tree lives, or its place in the line. */
  ticket: BudgetTicket | null;
  /** 1-based place in the line while waiting for the budget; null otherwise. */
  waitingPlace: number | null;
  /** Set while waiting: takes the run out of the line and ends the wait unstarted. */
  leaveLine: (() => void) | null;
  /** Log lines written while waiting; the run's log starts with them. */
  earlyLogs: string[];
}

const liveRunners = new Set<LocalRunner>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL the groups, do not wait. (When this process is
  // SIGKILLed no handler runs; the stages then see their stdin close and exit by themselves.)
  process.on('exit', () => {
    for (const r of liveRunners) killGroupsSync(r.activePids());
  });
}

export class LocalRunner {
  private readonly runs = new Map<string, Run>();
  private readonly listeners = new Set<ActivityListener>();
  private readonly node: NodeCommand;
  private readonly thermal: ThermalSource;
  private readonly cap: number;
  private readonly budget: CpuBudget;
  private shuttingDown = false;

  constructor(private readonly opts: LocalRunnerOptions) {
    this.node = opts.node ?? { command: process.execPath, argsPrefix: [], env: {} };
    this.thermal = opts.thermal ?? defaultThermalSource();
    this.cap = opts.maxThreadsOverride ?? LOCAL_MODE_MAX_THREADS;
    this.budget = opts.cpuBudget ?? appCpuBudget;
    liveRunners.add(this);
    installExitHook();
  }

  /** Runs one stage; resolves when it has ended and its process tree is gone. Never rejects. */
  run(req: RunStageRequest, sink: RunnerSink): Promise<RunStageResult> {
    const cpuThreads = capThreads(req.threads, this.cap);
    const refuse = (error: string): Promise<RunStageResult> =>
      Promise.resolve(this.result(req, { status: 'error', error, logs: [failedLine(String(req.stage), error)], elapsedSeconds: 0, cpuThreads }));

    // Checks that start nothing. A refused run emits no events: the window that owns the real
    // run must not see a 'stage:ended' for it.
    if (!isStageName(req.stage)) return refuse(`unknown stage "${String(req.stage)}"`);
    if (!isProfile(req.profile)) return refuse(`unknown profile "${String(req.profile)}"`);
    if (!req.episodeDir || !req.outDir) return refuse('the episode folder is not known');
    if (this.shuttingDown) return refuse('the app is shutting down');
    const key = `${req.episodeId}\u0000${req.stage}`;
    const same = this.runs.get(key);
    if (same) {
      const where = same.waitingPlace !== null ? '; it is waiting for the CPU budget' : '';
      return refuse(`${req.stage} is already running for this episode (started in this app${where})`);
    }
    const locked = lockRefusal(req);
    if (locked) return refuse(locked);

    // Registered synchronously, before any await, so a second call in the same tick is refused.
    const run: Run = {
      key,
      req,
      sink,
      child: null,
      pid: null,
      startedAt: Date.now(),
      fraction: 0,
      paused: false,
      cancelReason: null,
      timedOutAfterS: null,
      killing: null,
      done: Promise.resolve(null as unknown as RunStageResult),
      knownPids: new Set(),
      onPauseChange: null,
      ticket: null,
      waitingPlace: null,
      leaveLine: null,
      earlyLogs: [],
    };
    this.runs.set(key, run);
    run.done = this.waitThenExecute(run, cpuThreads).finally(() => {
      // Given back only now, when the tree is gone: the next run's tree never overlaps this one.
      run.ticket?.release();
      this.runs.delete(key);
      this.notifyActivity();
    });
    this.notifyActivity();
    return run.done;
  }

  /** Cancels the run of (episodeId, stage); resolves true once it has ended, false when none ran. */
  async cancel(episodeId: string, stage: StageName, reason = 'cancelled by the user'): Promise<boolean> {
    const run = this.runs.get(`${episodeId}\u0000${stage}`);
    if (!run) return false;
    this.stop(run, reason);
    await run.done;
    return true;
  }

  /** Ends every run started by a window (reload, close, crash); resolves with how many were ended. */
  async endSession(sessionId: string, reason = 'the window that started it was closed or reloaded'): Promise<number> {
    const mine = [...this.runs.values()].filter((r) => r.req.sessionId === sessionId);
    for (const r of mine) this.stop(r, reason);
    await Promise.all(mine.map((r) => r.done));
    return mine.length;
  }

  /** Ends every run (the app quits) and refuses new ones. */
  async shutdown(reason = 'the app is quitting'): Promise<void> {
    this.shuttingDown = true;
    const all = [...this.runs.values()];
    for (const r of all) this.stop(r, reason);
    await Promise.all(all.map((r) => r.done));
    liveRunners.delete(this);
  }

  /** Running runs and, with `waitingPlace`, those waiting for the CPU budget (pid null). */
  active(): ActiveRun[] {
    return [...this.runs.values()].map((r) => ({
      episodeId: r.req.episodeId,
      stage: r.req.stage,
      sessionId: r.req.sessionId,
      fraction: r.fraction,
      pid: r.pid,
      startedAt: r.startedAt,
      paused: r.paused,
      ...(r.waitingPlace !== null ? { waitingPlace: r.waitingPlace } : {}),
    }));
  }

  /** Called with active() whenever a run starts, ends, progresses or pauses. Returns an unsubscribe. */
  onActivityChange(listener: ActivityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Group ids of running stages (the process 'exit' hook). */
  activePids(): number[] {
    return [...this.runs.values()].map((r) => r.pid).filter((p): p is number => p !== null);
  }

  private notifyActivity(): void {
    const snapshot = this.active();
    for (const l of this.listeners) {
      try {
        l(snapshot);
      } catch {
        /* a listener's problem is not the run's */
      }
    }
  }

  private stop(run: Run, reason: string): void {
    if (run.cancelReason === null && run.timedOutAfterS === null) run.cancelReason = reason;
    // Synchronous, so a shutdown or session end empties the line before any running tree ends
    // and frees budget that a doomed waiter could otherwise be granted.
    run.leaveLine?.();
    this.killRun(run);
  }

  private killRun(run: Run): void {
    if (run.killing || run.pid === null) return;
    run.killing = killTree(run.pid, { graceMs: this.opts.killGraceMs, knownPids: [...run.knownPids] });
  }

  private result(
    req: RunStageRequest,
    r: Pick<RunStageResult, 'status' | 'error' | 'logs' | 'elapsedSeconds' | 'cpuThreads'> & Partial<RunStageResult>,
  ): RunStageResult {
    return {
      stage: req.stage,
      episodeId: req.episodeId,
      episode: req.episodeName ?? path.basename(req.episodeDir ?? ''),
      device: req.device ?? 'cpu',
      profile: req.profile,
      stride: req.stride ?? null,
      exitCode: null,
      summary: null,
      ...r,
    };
  }

  private async execute(run: Run, cpuThreads: number): Promise<RunStageResult> {
    const { req } = run;
    const emit = (e: RunnerEvent) => this.emit(run, e);
    // Elapsed time and the timeout count from here: waiting in line is not the stage's time.
    run.startedAt = Date.now();
    const logs: string[] = [...run.earlyLogs];
    let pendingLog: string[] = [];
    const flushLog = () => {
      if (pendingLog.length === 0) return;
      const lines = pendingLog;
      pendingLog = [];
      emit({ event: 'stage:log', payload: { episodeId: req.episodeId, stage: req.stage, lines } });
    };
    const log = (line: string) => {
      logs.push(line);
      pendingLog.push(line);
      if (pendingLog.length >= LOG_BATCH_MAX) flushLog();
    };
    const logTimer = setInterval(flushLog, LOG_FLUSH_MS);
    const live = new EventThrottle<'progress' | 'readings'>(LIVE_EVENT_GAP_MS);

    let startEvent: StageStartEvent | null = null;
    let errorMessage: string | null = null;
    let summary: RunStageResult['summary'] = null;
    let lastStderr: string | null = null;
    // Stage lines that arrive before its `start` event wait, so the header lines come first and
    // state what the stage itself reported it runs with.
    let headerDone = false;
    const held: string[] = [];
    const finishHeader = () => {
      if (headerDone) return;
      headerDone = true;
      log(
        paramsLine({
          device: startEvent?.device ?? req.device ?? 'cpu',
          profile: startEvent?.profile ?? req.profile,
          stride: startEvent?.stride ?? req.stride ?? null,
          cpuThreads,
        }),
      );
      log(capLine(cpuThreads, req.threads));
      if (startEvent && startEvent.threads > cpuThreads) {
        log(`${PREFIX} warning: the stage reported ${startEvent.threads} threads, more than the cap of ${cpuThreads}`);
      }
      for (const l of held.splice(0)) log(l);
    };
    const stageLog = (line: string) => {
      if (headerDone) log(line);
      else held.push(line);
    };
    // A stage that never sends `start` (it failed early, or is an older CLI) must not hold its
    // log lines back for long.
    const headerTimer = setTimeout(finishHeader, 2000);

    log(startingLine(req.stage));
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, ...this.node.env, ...threadEnv(cpuThreads) };
    const args = [...this.node.argsPrefix, this.opts.cliPath, ...stageArgs(req, cpuThreads)];

    let child: ChildProcessWithoutNullStreams;
    try {
      // No cwd: a missing episode folder must reach the stage, which says so in words, instead of
      // failing the spawn with a misleading ENOENT about node itself.
      child = spawnGroup(this.node.command, args, { env });
    } catch (e) {
      clearInterval(logTimer);
      clearTimeout(headerTimer);
      const error = `could not start the stage: ${(e as Error).message}`;
      log(failedLine(req.stage, error));
      flushLog();
      const res = this.result(req, { status: 'error', error, logs, elapsedSeconds: 0, cpuThreads });
      emit({ event: 'stage:ended', payload: res });
      return res;
    }
    run.child = child;
    run.pid = child.pid ?? null;
    if (run.pid !== null) run.knownPids.add(run.pid);
    // A cancel that arrived while we were starting.
    if (run.cancelReason !== null) this.killRun(run);

    emit({
      event: 'stage:started',
      payload: { episodeId: req.episodeId, stage: req.stage, profile: req.profile, stride: req.stride ?? null, cpuThreads, device: req.device ?? 'cpu' },
    });
    this.notifyActivity();

    let spawnError: string | null = null;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (err) => {
        spawnError = err.message;
        resolve({ code: null, signal: null });
      });
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

    const onEvent = (ev: StageEvent) => {
      if (ev.type === 'start') {
        startEvent = ev;
        if (Number.isInteger(ev.pid)) run.knownPids.add(ev.pid);
        finishHeader();
      } else if (ev.type === 'progress') {
        run.fraction = Math.max(0, Math.min(1, ev.fraction));
        const payload: StageProgress = {
          episodeId: req.episodeId,
          stage: req.stage,
          framesDone: ev.frames_done,
          framesTotal: ev.frames_total,
          fps: ev.fps,
          etaS: ev.eta_s,
          fraction: run.fraction,
        };
        live.push('progress', () => {
          emit({ event: 'stage:progress', payload });
          this.notifyActivity();
        });
      } else if (ev.type === 'summary') {
        summary = ev.stats;
      } else if (ev.type === 'error') {
        errorMessage = ev.message;
      }
    };
    const out = createLineSplitter((line) => {
      const ev = parseStageLine(line);
      if (ev) onEvent(ev);
      else if (line.trim()) stageLog(line);
    });
    const err = createLineSplitter((line) => {
      if (!line.trim()) return;
      lastStderr = line;
      stageLog(line);
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => out.push(c));
    child.stderr.on('data', (c: string) => err.push(c));

    // Timeout on active time: the thermal guard's pauses are the host's own doing and do not count.
    const timeoutS = req.timeoutS ?? DEFAULT_TIMEOUT_S;
    let remainingMs = timeoutS * 1000;
    let timerFrom = Date.now();
    let timeoutTimer: NodeJS.Timeout | null = null;
    const armTimeout = () => {
      timerFrom = Date.now();
      timeoutTimer = setTimeout(() => {
        if (run.cancelReason !== null) return;
        run.timedOutAfterS = timeoutS;
        this.killRun(run);
      }, Math.max(0, remainingMs));
    };
    const disarmTimeout = () => {
      if (timeoutTimer) clearTimeout(timeoutTimer);
      timeoutTimer = null;
      remainingMs -= Date.now() - timerFrom;
    };
    armTimeout();

    // Readings + thermal guard, once per interval, never overlapping.
    const sampler = new TreeSampler();
    const guard = new ThermalGuard({ limitC: this.opts.thermalLimitC, hysteresisC: this.opts.thermalHysteresisC });
    const interval = this.opts.readingsIntervalMs ?? 1000;
    let readingsStopped = false;
    let readingsTimer: NodeJS.Timeout | null = null;
    const tick = async () => {
      if (readingsStopped || run.pid === null) return;
      const pids = await listTree(run.pid);
      for (const p of pids) run.knownPids.add(p);
      reniceTree(pids);
      const [sample, thermal] = await Promise.all([sampler.sample(pids), this.readThermal()]);
      // The tree is already gone (the stage is ending): nothing to describe.
      if (readingsStopped || sample.processes === 0) return;
      run.ticket?.report({ cpuPercent: sample.cpuPercent, threads: sample.threads });
      const action = run.killing ? null : guard.decide(thermal);
      if (action?.kind === 'pause' && (await pauseTree(run.pid))) {
        run.paused = true;
        disarmTimeout();
        log(`Thermal guard: paused ${req.stage} because ${action.reason}`);
        this.notifyActivity();
      } else if (action?.kind === 'resume') {
        await resumeTree(run.pid);
        if (run.paused) {
          run.paused = false;
          armTimeout();
          log(`Thermal guard: resumed ${req.stage}, ${action.reason}`);
          this.notifyActivity();
        }
      }
      const load = os.loadavg();
      const readings: Readings = {
        episodeId: req.episodeId,
        stage: req.stage,
        at: Date.now(),
        cpuPercent: sample.cpuPercent,
        threads: sample.threads,
        rssBytes: sample.rssBytes,
        processes: sample.processes,
        loadAvg: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0],
        cpuCount: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
        thermal,
        paused: run.paused,
        app: this.budget.usage(),
      };
      live.push('readings', () => emit({ event: 'stage:readings', payload: readings }));
    };
    const loop = () => {
      readingsTimer = setTimeout(() => {
        tick()
          .catch(() => {})
          .finally(() => {
            if (!readingsStopped) loop();
          });
      }, interval);
    };
    loop();

    // ---- wait for the end ----
    const { code, signal } = await exited;
    // The leader is gone; anything left in its group (a decoder the stage failed to stop) goes too.
    if (run.pid !== null) {
      const stragglers = this.groupMembers(run.pid);
      if (stragglers.length > 0 && !run.killing) {
        run.killing = killTree(run.pid, { graceMs: 300, knownPids: stragglers });
      }
    }
    if (run.killing) await run.killing;
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1500))]);
    out.end();
    err.end();
    readingsStopped = true;
    if (readingsTimer) clearTimeout(readingsTimer);
    if (timeoutTimer) clearTimeout(timeoutTimer);
    sampler.dispose();
    clearTimeout(headerTimer);
    if (!headerDone) finishHeader();

    const elapsedSeconds = Math.round((Date.now() - run.startedAt) / 100) / 10;
    let status: RunStageResult['status'];
    let error: string | null = null;
    if (code === 0 && summary !== null) {
      status = 'completed';
      log(completedLine(req.stage, elapsedSeconds));
    } else if (run.timedOutAfterS !== null) {
      status = 'error';
      error = `${req.stage} timed out after ${run.timedOutAfterS} s and was stopped`;
      log(failedLine(req.stage, error));
    } else if (run.cancelReason !== null) {
      status = 'cancelled';
      error = run.cancelReason;
      log(cancelledLine(req.stage, run.cancelReason, elapsedSeconds));
    } else if (code === 0) {
      // Exit 0 without a summary is not a success the window can trust.
      status = 'error';
      error = 'the stage ended without reporting a result';
      log(failedLine(req.stage, error));
    } else {
      status = 'error';
      error = spawnError
        ? `could not start the stage: ${spawnError}`
        : describeFailure({ errorMessage, lastStderr, exitCode: code, signal });
      log(failedLine(req.stage, error));
    }
    await live.flush();
    clearInterval(logTimer);
    flushLog();
    const started = startEvent as StageStartEvent | null;
    const res = this.result(req, {
      status,
      error,
      logs,
      elapsedSeconds,
      cpuThreads,
      device: started?.device ?? req.device ?? 'cpu',
      stride: started?.stride ?? req.stride ?? null,
      exitCode: code,
      summary: status === 'completed' ? summary : null,
    });
    emit({ event: 'stage:ended', payload: res });
    return res;
  }

  private emit(run: Run, e: RunnerEvent): void {
    try {
      run.sink(e);
    } catch {
      /* the sink must not break the run */
    }
  }

  /** Waits for the CPU budget, then runs the stage; a run stopped while waiting never starts. */
  private async waitThenExecute(run: Run, cpuThreads: number): Promise<RunStageResult> {
    const queuedAt = Date.now();
    const granted = await this.waitForBudget(run, cpuThreads);
    const waitedS = Math.round((Date.now() - queuedAt) / 100) / 10;
    // A stop can land between the grant and this line: it must still start nothing.
    if (!granted || run.cancelReason !== null) {
      const reason = run.cancelReason ?? 'stopped while waiting for the CPU budget';
      const waited = run.earlyLogs.length > 0;
      const line = waited ? cancelledWaitingLine(run.req.stage, reason, waitedS) : cancelledLine(run.req.stage, reason, 0);
      return this.endUnstarted(run, cpuThreads, 'cancelled', reason, line);
    }
    if (run.earlyLogs.length === 0) return this.execute(run, cpuThreads);
    this.logEarly(run, budgetFreeLine(waitedS));
    // Another app instance may have taken the stage while this one waited.
    const locked = lockRefusal(run.req);
    if (locked) return this.endUnstarted(run, cpuThreads, 'error', locked, failedLine(run.req.stage, locked));
    return this.execute(run, cpuThreads);
  }

  /** Resolves true when the run holds its threads, false when it was stopped while waiting. */
  private waitForBudget(run: Run, cpuThreads: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const finish = (granted: boolean) => {
        run.leaveLine = null;
        run.waitingPlace = null;
        resolve(granted);
      };
      const ticket = this.budget.request(cpuThreads, {
        onGrant: () => finish(true),
        onPlace: (place) => this.announceWaiting(run, cpuThreads, place),
      });
      run.ticket = ticket;
      const place = ticket.place();
      if (ticket.granted || place === null) return finish(true);
      run.leaveLine = () => {
        ticket.release();
        finish(false);
      };
      this.announceWaiting(run, cpuThreads, place);
    });
  }

  /** Tells the window (event + log, first time) and the tray where the run stands in line. */
  private announceWaiting(run: Run, cpuThreads: number, place: number): void {
    const { req } = run;
    const first = run.waitingPlace === null;
    run.waitingPlace = place;
    const facts = { place, cpuThreads, threadsInUse: this.budget.threadsInUse(), budgetThreads: this.budget.totalThreads };
    this.emit(run, { event: 'stage:waiting', payload: { episodeId: req.episodeId, stage: req.stage, ...facts } });
    if (first) this.logEarly(run, waitingLine(req.stage, facts));
    this.notifyActivity();
  }

  /** A log line before the stage starts: streamed now, and kept for the run's full log. */
  private logEarly(run: Run, line: string): void {
    run.earlyLogs.push(line);
    this.emit(run, { event: 'stage:log', payload: { episodeId: run.req.episodeId, stage: run.req.stage, lines: [line] } });
  }

  /** Ends a run that never spawned a process; it still ends with 'stage:ended' like any other. */
  private endUnstarted(run: Run, cpuThreads: number, status: 'cancelled' | 'error', error: string, lastLine: string): RunStageResult {
    this.logEarly(run, lastLine);
    const res = this.result(run.req, { status, error, logs: [...run.earlyLogs], elapsedSeconds: 0, cpuThreads });
    this.emit(run, { event: 'stage:ended', payload: res });
    return res;
  }

  private async readThermal(): Promise<ThermalReading> {
    try {
      return await this.thermal.read();
    } catch {
      return { state: 'unavailable', maxTempC: null, speedLimit: null, source: 'error' };
    }
  }

  /** Live members of the group led by pgid (its leader already exited). */
  private groupMembers(pgid: number): number[] {
    if (process.platform === 'linux') return listTreeLinuxSync(pgid, pgid).filter((p) => !isProcessGone(p));
    if (process.platform === 'win32') return [];
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
}
