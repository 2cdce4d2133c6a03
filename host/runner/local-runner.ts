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
import type { StageEvent, StageProgressEvent } from '../../shared/progress.js';
import { LOCAL_MODE_MAX_THREADS, isProfile, isStageName, type StageName } from '../../shared/stages.js';
import type { Readings, RunStageResult, ThermalReading } from '../../shared/ipc.js';
import { alreadyRunningMessage, readActiveLock } from '../../pipeline/runtime/lock.js';
import { killGroupsSync } from '../../pipeline/runtime/process-tree.js';
import { progressFigures, startStageProcess, type StageExit, type StageProcess } from '../../pipeline/runtime/stage-process.js';
import { classifyStageEnd } from '../../pipeline/runtime/stage-outcome.js';
import { defaultThermalSource } from '../readings/thermal.js';
import type { ThermalSource, TreeSample } from '../readings/types.js';
import { ThermalGuard } from './thermal-guard.js';
import { appCpuBudget, type BudgetTicket, type CpuBudget } from './cpu-budget.js';
import { budgetFreeLine, cancelledWaitingLine, waitingLine } from './wait-messages.js';
import { EventThrottle } from './throttle.js';
import { PREFIX, cancelledLine, capLine, completedLine, failedLine, paramsLine, startingLine } from './messages.js';
import { RunLog } from './run-log.js';
import { ActiveTimeout } from './active-timeout.js';
import { startReadingsLoop } from './readings-loop.js';
import type { ActiveRun, ActivityListener, LocalRunnerOptions, NodeCommand, RunStageRequest, RunnerEvent, RunnerSink } from './types.js';

export const DEFAULT_TIMEOUT_S = 3600;
/** Live events (progress + readings) per run: at most one per 100 ms = 10 per second. */
const LIVE_EVENT_GAP_MS = 100;

/** The thread count local mode uses: the request, at most `cap`, at least 1. Pure. */
export function capThreads(requested: number | undefined, cap: number = LOCAL_MODE_MAX_THREADS): number {
  const want = requested === undefined || !Number.isFinite(requested) ? cap : Math.floor(requested);
  return Math.max(1, Math.min(want, cap));
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
  /** The stage process once started. */
  proc: StageProcess | null;
  pid: number | null;
  startedAt: number;
  fraction: number;
  paused: boolean;
  /** Set when we end the run ourselves: cancel / session end / shutdown. */
  cancelReason: string | null;
  timedOutAfterS: number | null;
  done: Promise<RunStageResult>;
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
      proc: null,
      pid: null,
      startedAt: Date.now(),
      fraction: 0,
      paused: false,
      cancelReason: null,
      timedOutAfterS: null,
      done: Promise.resolve(null as unknown as RunStageResult),
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
    void run.proc?.kill(this.opts.killGraceMs);
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

  /** Starts the stage and follows it to its end: log, live events, timeout, readings, outcome. */
  private async execute(run: Run, cpuThreads: number): Promise<RunStageResult> {
    const { req } = run;
    // Elapsed time and the timeout count from here: waiting in line is not the stage's time.
    run.startedAt = Date.now();
    const log = new RunLog(run.earlyLogs, (lines) => this.emit(run, { event: 'stage:log', payload: { episodeId: req.episodeId, stage: req.stage, lines } }), () =>
      this.headerLines(run, cpuThreads),
    );
    const live = new EventThrottle<'progress' | 'readings'>(LIVE_EVENT_GAP_MS);
    log.add(startingLine(req.stage));
    const proc = this.startStage(run, cpuThreads, log, live);
    const timeout = new ActiveTimeout(req.timeoutS ?? DEFAULT_TIMEOUT_S, () => {
      if (run.cancelReason !== null) return;
      run.timedOutAfterS = req.timeoutS ?? DEFAULT_TIMEOUT_S;
      this.killRun(run);
    });
    const readings = proc.pid === null ? null : this.watchTree(run, proc, log, live, timeout);

    const exit = await proc.finished;
    readings?.stop();
    timeout.stop();
    return this.finish(run, cpuThreads, exit, log, live);
  }

  /** Spawns the stage; its events and lines go to the run's log and live events. */
  private startStage(run: Run, cpuThreads: number, log: RunLog, live: EventThrottle<'progress' | 'readings'>): StageProcess {
    const { req } = run;
    const proc = startStageProcess({
      cli: this.opts.cliPath,
      node: this.node,
      env: this.opts.env,
      threads: cpuThreads,
      stage: req.stage,
      episodeDir: req.episodeDir,
      outDir: req.outDir,
      profile: req.profile,
      stride: req.stride,
      peopleDir: req.peopleDir,
      onEvent: (ev) => this.onStageEvent(run, ev, log, live),
      onLog: (line) => log.addStage(line),
    });
    run.proc = proc;
    run.pid = proc.pid;
    // A cancel that arrived while we were starting.
    if (run.cancelReason !== null) this.killRun(run);
    this.emit(run, {
      event: 'stage:started',
      payload: { episodeId: req.episodeId, stage: req.stage, profile: req.profile, stride: req.stride ?? null, cpuThreads, device: req.device ?? 'cpu' },
    });
    this.notifyActivity();
    return proc;
  }

  /** The header lines of the log: what the stage itself reported it runs with, when it did. */
  private headerLines(run: Run, cpuThreads: number): string[] {
    const { req } = run;
    const start = run.proc?.report.start ?? null;
    const lines = [
      paramsLine({ device: start?.device ?? req.device ?? 'cpu', profile: start?.profile ?? req.profile, stride: start?.stride ?? req.stride ?? null, cpuThreads }),
      capLine(cpuThreads, req.threads),
    ];
    if (start && start.threads > cpuThreads) lines.push(`${PREFIX} warning: the stage reported ${start.threads} threads, more than the cap of ${cpuThreads}`);
    return lines;
  }

  private onStageEvent(run: Run, ev: StageEvent, log: RunLog, live: EventThrottle<'progress' | 'readings'>): void {
    if (ev.type === 'start') log.writeHeader();
    else if (ev.type === 'progress') this.onProgress(run, ev, live);
  }

  private onProgress(run: Run, ev: StageProgressEvent, live: EventThrottle<'progress' | 'readings'>): void {
    const figures = progressFigures(ev);
    run.fraction = figures.fraction;
    const payload = { episodeId: run.req.episodeId, stage: run.req.stage, ...figures };
    live.push('progress', () => {
      this.emit(run, { event: 'stage:progress', payload });
      this.notifyActivity();
    });
  }

  /** Readings and the thermal guard for the running tree, once per interval. */
  private watchTree(run: Run, proc: StageProcess, log: RunLog, live: EventThrottle<'progress' | 'readings'>, timeout: ActiveTimeout) {
    const stage = run.req.stage;
    return startReadingsLoop({
      pid: proc.pid!,
      knownPids: proc.knownPids,
      intervalMs: this.opts.readingsIntervalMs ?? 1000,
      guard: new ThermalGuard({ limitC: this.opts.thermalLimitC, hysteresisC: this.opts.thermalHysteresisC }),
      readThermal: () => this.readThermal(),
      stopping: () => proc.killing,
      onPause: (reason) => {
        run.paused = true;
        timeout.pause();
        log.add(`Thermal guard: paused ${stage} because ${reason}`);
        this.notifyActivity();
      },
      onResume: (reason) => {
        if (!run.paused) return;
        run.paused = false;
        timeout.resume();
        log.add(`Thermal guard: resumed ${stage}, ${reason}`);
        this.notifyActivity();
      },
      onReading: (sample, thermal) => {
        run.ticket?.report({ cpuPercent: sample.cpuPercent, threads: sample.threads });
        const readings = this.readingsOf(run, sample, thermal);
        live.push('readings', () => this.emit(run, { event: 'stage:readings', payload: readings }));
      },
    });
  }

  private readingsOf(run: Run, sample: TreeSample, thermal: ThermalReading): Readings {
    const load = os.loadavg();
    return {
      episodeId: run.req.episodeId,
      stage: run.req.stage,
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
  }

  /** The stage has ended and its tree is gone: the outcome, its last log line and 'stage:ended'. */
  private async finish(run: Run, cpuThreads: number, exit: StageExit, log: RunLog, live: EventThrottle<'progress' | 'readings'>): Promise<RunStageResult> {
    const { req } = run;
    const report = run.proc!.report;
    log.writeHeader();
    const elapsedSeconds = Math.round((Date.now() - run.startedAt) / 100) / 10;
    const end = classifyStageEnd({
      stage: req.stage,
      exitCode: exit.code,
      signal: exit.signal,
      spawnError: exit.spawnError,
      summarized: report.summary !== null,
      errorMessage: report.error?.message ?? null,
      lastStderr: report.lastStderr,
      cancelReason: run.cancelReason,
      timedOutAfterS: run.timedOutAfterS,
    });
    if (end.status === 'completed') log.add(completedLine(req.stage, elapsedSeconds));
    else if (end.status === 'cancelled') log.add(cancelledLine(req.stage, end.error, elapsedSeconds));
    else log.add(failedLine(req.stage, end.error));
    await live.flush();
    log.close();
    const res = this.result(req, {
      status: end.status,
      error: end.error,
      logs: log.lines,
      elapsedSeconds,
      cpuThreads,
      device: report.start?.device ?? req.device ?? 'cpu',
      stride: report.start?.stride ?? req.stride ?? null,
      exitCode: exit.code,
      summary: end.status === 'completed' ? report.summary!.stats : null,
    });
    this.emit(run, { event: 'stage:ended', payload: res });
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
}
