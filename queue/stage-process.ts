// Runs one pipeline stage as a child process the way the desktop app does
// (`node dist/pipeline/cli/main.js stage <stage> <episodeDir> --profile P --stride N --threads N`),
// as the leader of its own process group so the whole tree (the stage, its ffmpeg) can be killed
// with one signal. Its stdin is a pipe we never write to: the stage treats stdin closing (and its
// stdout/stderr breaking) as "parent gone" and cancels, so a worker that dies (even by SIGKILL)
// takes its stages with it, and they still remove their temp files, lock and `running` record.

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLineSplitter, parseStageLine, type StageEvent } from '../shared/progress.js';
import type { Profile, StageName } from '../shared/stages.js';
import { killTree, parseProcStat, spawnGroup } from '../pipeline/runtime/process-tree.js';

/** The compiled pipeline CLI, beside this file in dist/ (dist/queue -> dist/pipeline/cli/main.js). */
export const DEFAULT_STAGE_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pipeline', 'cli', 'main.js');

export interface StageRunRequest {
  cli: string;
  stage: StageName;
  episodeDir: string;
  profile: Profile;
  stride: number | null;
  threads: number;
  /** Passed on as --models (else the stage searches $SCREENTIME_MODELS_DIR, resources, user cache). */
  modelsDir?: string;
  /** The queue job: recorded in the stage's lock, and makes a stage already completed with these settings report that run. */
  jobId?: string;
  onEvent(ev: StageEvent): void;
  onStderrLine(line: string): void;
}

export interface StageRun {
  pid: number;
  /** Same as pid: the child leads its own process group (POSIX). */
  pgid: number;
  /** Resolves when the child has exited and its output is fully read. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * One SIGTERM to the whole tree, SIGKILL after graceMs (default: the stage's stop budget,
   * 1.2 s; at most 1.5 s) for what is left; resolves when all are gone. A grace shorter than the
   * default may cut the stage's clean-up short (the next stage to start there finishes it).
   */
  kill(graceMs?: number): Promise<void>;
}

/** Argument vector of a stage run (no shell: spawned as an array). */
export function stageArgs(r: Pick<StageRunRequest, 'cli' | 'stage' | 'episodeDir' | 'profile' | 'stride' | 'threads' | 'modelsDir'>): string[] {
  const args = [r.cli, 'stage', r.stage, r.episodeDir, '--profile', r.profile, '--threads', String(r.threads)];
  if (r.stride !== null) args.push('--stride', String(r.stride));
  if (r.modelsDir) args.push('--models', r.modelsDir);
  return args;
}

/**
 * Environment of a stage run: the thread cap also reaches native pools that read env vars. For a
 * queue job, its id goes into the stage's lock (lock.ts), and a stage that already completed with
 * the same settings reports that run instead of repeating it (run-stage.ts), so a job handed out
 * twice runs once.
 */
export function stageEnv(threads: number, base: NodeJS.ProcessEnv = process.env, jobId?: string): NodeJS.ProcessEnv {
  const t = String(threads);
  const job = jobId ? { SCREENTIME_JOB_ID: jobId, SCREENTIME_REUSE_COMPLETED: '1' } : {};
  return { ...base, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, ...job };
}

export function startStage(r: StageRunRequest): StageRun {
  // The desktop's own helper: group leader, piped stdin kept open, below-normal priority.
  const child = spawnGroup(process.execPath, stageArgs(r), { env: stageEnv(r.threads, process.env, r.jobId) });
  if (child.pid === undefined) {
    // spawn failed (ENOENT etc.): surface it through `done`.
    const err = new Promise<never>((_, reject) => child.once('error', reject));
    return { pid: -1, pgid: -1, done: err, kill: async () => {} };
  }
  const pid = child.pid;
  const out = createLineSplitter((line) => {
    const ev = parseStageLine(line);
    if (ev) r.onEvent(ev);
  });
  const err = createLineSplitter((line) => {
    if (line.trim()) r.onStderrLine(line);
  });
  child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    // 'close' fires after stdio has ended, so no progress or log line is lost.
    child.once('close', (code, signal) => {
      out.end();
      err.end();
      resolve({ code, signal });
    });
  });
  return {
    pid,
    pgid: pid,
    done,
    kill: async (graceMs) => {
      await killTree(pid, { graceMs });
    },
  };
}

/** Signals a process group (one signal per member); quietly does nothing when it is already gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 0) return;
  try {
    if (process.platform === 'win32') {
      // No process groups: taskkill /T walks the tree.
      spawn('taskkill', ['/pid', String(pgid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } else {
      process.kill(-pgid, signal);
    }
  } catch {
    /* ESRCH: already gone */
  }
}

/**
 * True while any live process of the group exists. Linux: a /proc scan that ignores zombies (a
 * dead leader whose parent has not reaped it yet still "exists" for kill(-pgid, 0)). Elsewhere:
 * kill(-pgid, 0).
 */
export function groupAlive(pgid: number): boolean {
  if (pgid <= 0) return false;
  if (process.platform === 'linux') {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const st = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
        if (st && st.pgid === pgid && st.state !== 'Z' && st.state !== 'X') return true;
      } catch {
        /* exited while we looked */
      }
    }
    return false;
  }
  try {
    process.kill(process.platform === 'win32' ? pgid : -pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or null where
 * there is no /proc or the process is gone. A pid + start time names one process for good, so
 * a recorded pid that was reused by an unrelated process is never killed.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}
