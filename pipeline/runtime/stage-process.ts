// Running one stage as a child process: the single way local mode (host/runner/local-runner.ts)
// and the queue worker (queue/worker.ts) start a stage, read what it says and end it.
//
// `node <cli> stage <name> <episode> --profile P [--stride N] [--sampling S] --threads N [--out DIR] [--models DIR]`
// starts as the leader of its own process group (process-tree.ts spawnGroup), with the thread cap
// in its environment (thread-env.ts). Its stdin is a pipe we never write to: the stage treats
// stdin closing as "parent gone" and cancels, so a parent that dies (even by SIGKILL) takes its
// stages with it. stdout lines are the progress protocol (shared/progress.ts), parsed into typed
// events; every other line is a log line. `kill` ends the whole tree; `finished` resolves only
// when the leader has exited, whatever it left in its group is gone and its output is read.
// Node only: no Electron, no BullMQ.

import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import {
  createLineSplitter,
  parseStageLine,
  type StageErrorEvent,
  type StageEvent,
  type StageProgressEvent,
  type StageStartEvent,
  type StageSummaryEvent,
} from '../../shared/progress.js';
import { ARTIFACT_DIR_NAME, type Profile, type Sampling, type StageName } from '../../shared/stages.js';
import { killTree, liveGroupMembers, spawnGroup } from './process-tree.js';
import { threadEnv } from './thread-env.js';

/** What to run: one stage of one episode with these settings. */
export interface StageInvocation {
  stage: StageName;
  episodeDir: string;
  /** Artifact folder; --out is passed only when it is not <episodeDir>/screentime. */
  outDir?: string | null;
  profile: Profile;
  /** undefined or null: the profile's own stride. */
  stride?: number | null;
  /** detect_track only: passed on as --sampling; undefined or null: the default (stride). */
  sampling?: Sampling | null;
  /** Passed on as --models (else the stage searches $SCREENTIME_MODELS_DIR, resources, user cache). */
  modelsDir?: string;
  /** cluster only: passed on as --people, the library that names identities. */
  peopleDir?: string | null;
}

/** How to start Node for the CLI. Electron: { command: process.execPath, argsPrefix: [], env: { ELECTRON_RUN_AS_NODE: '1' } }. */
export interface NodeCommand {
  command: string;
  argsPrefix: string[];
  env: Record<string, string>;
}

export interface StageProcessOptions extends StageInvocation {
  /** Absolute path of the compiled CLI (dist/pipeline/cli/main.js). */
  cli: string;
  /** The thread cap of the whole tree: --threads and every variable of thread-env.ts. */
  threads: number;
  /** Default: this Node. */
  node?: NodeCommand;
  /** Added to this process's environment (e.g. SCREENTIME_MODELS_DIR). */
  env?: Record<string, string>;
  /** A queue job: recorded in the stage's lock; a stage already completed with these settings reports that run. */
  jobId?: string;
  /** Each protocol line of stdout, parsed. */
  onEvent?: (ev: StageEvent) => void;
  /** Each other non-empty line, stdout or stderr. */
  onLog?: (line: string, from: 'stdout' | 'stderr') => void;
}

export interface StageExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started (ENOENT and the like); code and signal are null then. */
  spawnError: string | null;
}

/** What the stage reported on its way, for the outcome. */
export interface StageReport {
  start: StageStartEvent | null;
  summary: StageSummaryEvent | null;
  error: StageErrorEvent | null;
  lastStderr: string | null;
}

export interface StageProcess {
  /** Leads its own process group (pgid = pid); null when the spawn failed. */
  readonly pid: number | null;
  /** Every pid seen in the tree (the leader, the stage's own report, the caller's readings). */
  readonly knownPids: Set<number>;
  readonly report: StageReport;
  /** Resolves when the leader has exited (or could not start). */
  readonly exited: Promise<StageExit>;
  /** Resolves once the leader exited, the rest of its group is gone and stdout/stderr are read. */
  readonly finished: Promise<StageExit>;
  /** True once kill() was called. */
  readonly killing: boolean;
  /**
   * One SIGTERM to the whole tree, SIGKILL after graceMs (default: the stage's stop budget; at
   * most 1.5 s) for what is left; resolves when all are gone. Called again: the same kill.
   */
  kill(graceMs?: number): Promise<void>;
}

/** CLI arguments of a stage run (no shell: spawned as an array). Absolute paths: the stage's working directory is nobody's concern. Pure. */
export function stageArgs(r: StageInvocation, threads: number): string[] {
  const args = ['stage', r.stage, path.resolve(r.episodeDir), '--profile', r.profile];
  if (r.stride !== undefined && r.stride !== null) args.push('--stride', String(r.stride));
  if (r.stage === 'detect_track' && r.sampling) args.push('--sampling', r.sampling);
  args.push('--threads', String(threads));
  if (r.outDir && path.resolve(r.outDir) !== path.resolve(r.episodeDir, ARTIFACT_DIR_NAME)) args.push('--out', path.resolve(r.outDir));
  if (r.modelsDir) args.push('--models', r.modelsDir);
  if (r.stage === 'cluster' && r.peopleDir) args.push('--people', path.resolve(r.peopleDir));
  return args;
}

/**
 * Environment of a stage run: the thread cap reaches every native pool in the tree. A queue job's
 * id goes into the stage's lock (lock.ts), and a stage that already completed with the same
 * settings reports that run instead of repeating it (run-stage.ts), so a job handed out twice runs once.
 */
export function stageEnv(threads: number, base: NodeJS.ProcessEnv, jobId?: string): NodeJS.ProcessEnv {
  const job = jobId ? { SCREENTIME_JOB_ID: jobId, SCREENTIME_REUSE_COMPLETED: '1' } : {};
  return { ...base, ...threadEnv(threads), ...job };
}

/** The progress figures of a progress event, the fraction kept within 0..1. Pure. */
export function progressFigures(ev: StageProgressEvent): { framesDone: number; framesTotal: number; fps: number; etaS: number | null; fraction: number } {
  return { framesDone: ev.frames_done, framesTotal: ev.frames_total, fps: ev.fps, etaS: ev.eta_s, fraction: Math.max(0, Math.min(1, ev.fraction)) };
}

/** Grace for what a stage left in its group after it exited: it had its chance to stop them. */
const LEFTOVER_GRACE_MS = 300;
/** How long to wait for stdout/stderr to close after the tree is gone (a grandchild may hold them). */
const CLOSE_WAIT_MS = 1500;

/** Starts the stage; never throws (a failed spawn ends at once with `spawnError`). */
export function startStageProcess(o: StageProcessOptions): StageProcess {
  const node = o.node ?? { command: process.execPath, argsPrefix: [], env: {} };
  const env = stageEnv(o.threads, { ...process.env, ...o.env, ...node.env }, o.jobId);
  const args = [...node.argsPrefix, o.cli, ...stageArgs(o, o.threads)];
  let child: ChildProcessWithoutNullStreams;
  try {
    // No cwd: a missing episode folder must reach the stage, which says so in words, instead of
    // failing the spawn with a misleading ENOENT about node itself.
    child = spawnGroup(node.command, args, { env });
  } catch (e) {
    return notStarted((e as Error).message);
  }
  return watchChild(child, o);
}

function notStarted(message: string): StageProcess {
  const exit = Promise.resolve<StageExit>({ code: null, signal: null, spawnError: message });
  const report: StageReport = { start: null, summary: null, error: null, lastStderr: null };
  return { pid: null, knownPids: new Set(), report, exited: exit, finished: exit, killing: false, kill: async () => {} };
}

function watchChild(child: ChildProcessWithoutNullStreams, o: StageProcessOptions): StageProcess {
  const pid = child.pid ?? null;
  const knownPids = new Set<number>(pid !== null ? [pid] : []);
  const report: StageReport = { start: null, summary: null, error: null, lastStderr: null };
  const streams = readStreams(child, report, knownPids, o);
  const exited = exitOf(child);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let killing: Promise<unknown> | null = null;
  const kill = (graceMs?: number): Promise<void> => {
    if (pid === null) return Promise.resolve();
    killing ??= killTree(pid, { graceMs, knownPids: [...knownPids] });
    return killing.then(() => undefined);
  };
  const finished = exited.then(async (exit) => {
    // The leader is gone; anything left in its group goes too (unless a kill already sees to it).
    const left = pid === null ? [] : liveGroupMembers(pid);
    if (left.length > 0 && !killing) killing = killTree(pid!, { graceMs: LEFTOVER_GRACE_MS, knownPids: left });
    if (killing) await killing;
    await Promise.race([closed, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]);
    streams.end();
    return exit;
  });
  return {
    pid,
    knownPids,
    report,
    exited,
    finished,
    get killing() {
      return killing !== null;
    },
    kill,
  };
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<StageExit> {
  return new Promise<StageExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, spawnError: null }));
    child.once('error', (err) => resolve({ code: null, signal: null, spawnError: err.message }));
  });
}

/** Splits stdout and stderr into lines: events and log lines to the caller, the report kept. */
function readStreams(child: ChildProcessWithoutNullStreams, report: StageReport, knownPids: Set<number>, o: StageProcessOptions): { end(): void } {
  const onEvent = (ev: StageEvent) => {
    if (ev.type === 'start') {
      report.start = ev;
      if (Number.isInteger(ev.pid)) knownPids.add(ev.pid);
    } else if (ev.type === 'summary') report.summary = ev;
    else if (ev.type === 'error') report.error = ev;
    o.onEvent?.(ev);
  };
  const out = createLineSplitter((line) => {
    const ev = parseStageLine(line);
    if (ev) onEvent(ev);
    else if (line.trim()) o.onLog?.(line, 'stdout');
  });
  const err = createLineSplitter((line) => {
    if (!line.trim()) return;
    report.lastStderr = line;
    o.onLog?.(line, 'stderr');
  });
  child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
  return {
    end() {
      out.end();
      err.end();
    },
  };
}
