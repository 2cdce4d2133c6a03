// Owning a stage's whole process tree: start it as a process-group leader, list it, pause it,
// and kill every process in it (the stage's own children such as ffmpeg included).
//
// Why a process group: killing only the direct child leaves its children running (measured
// here: a SIGKILLed Node child left its ffmpeg alive). A group signal reaches every member at
// once, even members already re-parented to PID 1 after the stage itself died.
//
// This is the parent's side of a stage (proc-tree.ts is the stage's own view of what it started;
// /proc itself is read through proc.ts). It lives in the pipeline runtime, below both of its
// users, local mode (host/runner) and the queue worker (queue/), which must not depend on each
// other; stage-process.ts starts a stage with it for both.

import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { STOP_GRACE_MS } from './stop.js';
import { isDeadState, readLiveProcTable, readProcStat, readProcState, readTaskIds } from './proc.js';

const IS_WIN = process.platform === 'win32';
const IS_LINUX = process.platform === 'linux';

/** Below-normal priority: nice 10 on POSIX, BELOW_NORMAL_PRIORITY_CLASS on Windows (same constant). */
export const STAGE_PRIORITY = os.constants.priority.PRIORITY_BELOW_NORMAL;

export interface SpawnGroupOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts `command args` as the leader of a new process group, stdin/stdout/stderr piped.
 * stdin stays open for the stage's whole life: the stage exits when it closes, which is how it
 * dies when this process is killed outright (the kernel closes our end of the pipe).
 */
export function spawnGroup(command: string, args: string[], opts: SpawnGroupOptions): ChildProcessWithoutNullStreams {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    // POSIX: setsid() -> the child leads its own group (pgid = pid). Windows: detached would
    // open a console window; taskkill /T walks the tree there instead.
    detached: !IS_WIN,
    windowsHide: true,
    shell: false,
  });
  if (child.pid !== undefined) {
    // Right after spawn, before the stage starts its own children, so they inherit it.
    setPriorityQuiet(child.pid, STAGE_PRIORITY);
  }
  // A write to a stage that already exited must not crash the host.
  child.stdin.on('error', () => {});
  return child;
}

function setPriorityQuiet(pid: number, prio: number): void {
  try {
    os.setPriority(pid, prio);
  } catch {
    /* exited already, or not allowed: priority is a courtesy, the thread cap is the guarantee */
  }
}

/**
 * Linux sets nice per thread; threads the stage made before setPriority ran keep the old value.
 * Called each readings tick: lowers every thread of the tree that is still above STAGE_PRIORITY.
 */
export function reniceTree(pids: number[]): number {
  if (!IS_LINUX) {
    for (const pid of pids) if (safeGetPriority(pid) < STAGE_PRIORITY) setPriorityQuiet(pid, STAGE_PRIORITY);
    return 0;
  }
  let changed = 0;
  for (const pid of pids) {
    for (const tid of readTaskIds(pid)) {
      if (safeGetPriority(tid) < STAGE_PRIORITY) {
        setPriorityQuiet(tid, STAGE_PRIORITY);
        changed++;
      }
    }
  }
  return changed;
}

function safeGetPriority(pid: number): number {
  try {
    return os.getPriority(pid);
  } catch {
    return STAGE_PRIORITY;
  }
}

function execText(file: string, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      resolve(err ? '' : String(stdout));
    });
  });
}

/** Parses `pid ppid` lines (ps output, or PowerShell's) into rows. */
export function parsePidPpid(text: string): Array<{ pid: number; ppid: number }> {
  const out: Array<{ pid: number; ppid: number }> = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]) });
  }
  return out;
}

/** Breadth-first descendants of root in a (pid, ppid) table, root first. Pure. */
export function treeFromTable(root: number, rows: Array<{ pid: number; ppid: number }>): number[] {
  const kids = new Map<number, number[]>();
  for (const r of rows) {
    if (r.pid === r.ppid) continue;
    const list = kids.get(r.ppid);
    if (list) list.push(r.pid);
    else kids.set(r.ppid, [r.pid]);
  }
  const out = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) {
    for (const c of kids.get(out[i]!) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        out.push(c);
      }
    }
  }
  return out;
}

/**
 * The live processes of the tree rooted at `pid` (root first; empty when the root is gone).
 * On Linux it also includes members of the root's process group that were re-parented away
 * (the root died first), because those are still ours.
 */
export async function listTree(pid: number): Promise<number[]> {
  if (IS_LINUX) return listTreeLinuxSync(pid);
  if (IS_WIN) {
    const text = await execText('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId)" }',
    ]);
    const rows = parsePidPpid(text);
    if (!rows.some((r) => r.pid === pid)) return [];
    return treeFromTable(pid, rows);
  }
  const text = await execText('ps', ['-A', '-o', 'pid=,ppid=']);
  const rows = parsePidPpid(text);
  if (!rows.some((r) => r.pid === pid)) return [];
  return treeFromTable(pid, rows);
}

export function listTreeLinuxSync(pid: number, pgid: number = pid): number[] {
  const rows = readLiveProcTable();
  const tree = rows.some((r) => r.pid === pid) ? treeFromTable(pid, rows) : [];
  const seen = new Set(tree);
  for (const r of rows) {
    if (r.pgid === pgid && !seen.has(r.pid)) {
      // Re-parented members of the group, and their own descendants.
      for (const p of treeFromTable(r.pid, rows)) {
        if (!seen.has(p)) {
          seen.add(p);
          tree.push(p);
        }
      }
    }
  }
  return tree;
}

/** True when pid no longer runs. Linux reads /proc State (a zombie counts as gone: PID 1 reaps late). */
export function isProcessGone(pid: number): boolean {
  if (IS_LINUX) {
    const state = readProcState(pid);
    return state === null || isDeadState(state);
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function signalQuiet(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    /* ESRCH: already gone; EPERM: not ours */
  }
}

/**
 * Sends a signal to the group led by pgid and to each listed pid (members that left the group).
 * For signals that are idempotent (SIGKILL, SIGSTOP, SIGCONT): a member gets it twice.
 */
export function signalTree(pgid: number, pids: number[], sig: NodeJS.Signals): void {
  if (IS_WIN) return;
  signalQuiet(-pgid, sig);
  for (const p of pids) signalQuiet(p, sig);
}

/** Process group of a pid from /proc, or null (gone, or no /proc). */
function pgidOf(pid: number): number | null {
  return readProcStat(pid)?.pgid ?? null;
}

/**
 * Where a stop's SIGTERM goes: the group once, plus each tree member known to have left the
 * group (a child that called setsid), which the group signal misses. Never a member of the group
 * by pid as well: a stage that got SIGTERM twice could take the second one as a second, separate
 * request. Off Linux the group is not known per pid; members outside it get the SIGKILL. Pure.
 */
export function termTargets(pgid: number, pids: number[], groupOf: (pid: number) => number | null): number[] {
  const outside = pids.filter((p) => {
    const g = groupOf(p);
    return g !== null && g !== pgid;
  });
  return [-pgid, ...outside];
}

export interface KillTreeResult {
  /** Pids seen in the tree when the kill began. */
  pids: number[];
  /** Whether SIGKILL was needed after the grace period. */
  forced: boolean;
  /** Pids still alive when we gave up (should be empty). */
  survivors: number[];
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Default SIGTERM -> SIGKILL grace: the stage's own stop budget (pipeline/runtime/stop.ts: it
 * gives itself 0.8 s to stop, then cleans up, measured at well under 0.2 s), so the SIGKILL never
 * lands in the middle of the clean-up. Grace + SIGKILL keep the tree's end within ~1.3 s, inside
 * the 3 s lifetime bound.
 */
export const DEFAULT_KILL_GRACE_MS = STOP_GRACE_MS;
/** The longest grace a caller may ask for: the lifetime bound must hold whatever it passes. */
export const MAX_KILL_GRACE_MS = 1500;

/**
 * Kills the whole tree rooted at pid (a group leader from spawnGroup): one SIGTERM (+SIGCONT, so
 * a tree paused by the thermal guard can act on it), then SIGKILL after `graceMs` (default
 * DEFAULT_KILL_GRACE_MS, at most MAX_KILL_GRACE_MS) for whatever is left, then a /proc walk for
 * stragglers. Windows: taskkill /T /F.
 */
export async function killTree(pid: number, opts: { graceMs?: number; knownPids?: number[] } = {}): Promise<KillTreeResult> {
  const t0 = Date.now();
  const grace = Math.min(Math.max(opts.graceMs ?? DEFAULT_KILL_GRACE_MS, 0), MAX_KILL_GRACE_MS);
  if (IS_WIN) {
    const pids = await listTree(pid);
    await execText('taskkill', ['/T', '/F', '/PID', String(pid)], 10_000);
    return { pids, forced: true, survivors: pids.filter((p) => !isProcessGone(p)), ms: Date.now() - t0 };
  }
  const snapshot = new Set<number>([pid, ...(opts.knownPids ?? []), ...(await listTree(pid))]);
  const pids = [...snapshot];
  for (const target of termTargets(pid, pids, IS_LINUX ? pgidOf : () => null)) signalQuiet(target, 'SIGTERM');
  signalTree(pid, pids, 'SIGCONT');
  const alive = () => {
    // Fresh look each time: the stage may have started a child between snapshot and signal.
    if (IS_LINUX) for (const p of listTreeLinuxSync(pid)) snapshot.add(p);
    return [...snapshot].filter((p) => !isProcessGone(p));
  };
  const termEnd = Date.now() + grace;
  while (Date.now() < termEnd) {
    if (alive().length === 0) return { pids, forced: false, survivors: [], ms: Date.now() - t0 };
    await sleep(25);
  }
  let forced = false;
  const killEnd = Date.now() + 2000;
  for (;;) {
    const left = alive();
    if (left.length === 0) break;
    forced = true;
    signalTree(pid, left, 'SIGKILL');
    if (Date.now() > killEnd) break;
    await sleep(25);
  }
  return { pids, forced, survivors: alive(), ms: Date.now() - t0 };
}

/**
 * SIGSTOP to the whole tree (the thermal guard). Returns false where the platform has no way to
 * suspend a tree from here (Windows).
 */
export async function pauseTree(pid: number): Promise<boolean> {
  if (IS_WIN) return false;
  signalTree(pid, await listTree(pid), 'SIGSTOP');
  return true;
}

/** SIGCONT to the whole tree. */
export async function resumeTree(pid: number): Promise<boolean> {
  if (IS_WIN) return false;
  signalTree(pid, await listTree(pid), 'SIGCONT');
  return true;
}

/**
 * Last resort when this process is exiting (process 'exit' handler: synchronous only): SIGKILL
 * to each group. The stages would also notice their stdin closing, this just does not wait.
 */
export function killGroupsSync(pgids: number[]): void {
  if (IS_WIN) return;
  for (const g of pgids) signalQuiet(-g, 'SIGKILL');
}

/**
 * Live processes of the group led by pgid and their descendants, the leader included while it
 * runs: what a stage left behind once it exited (a decoder it failed to stop). Off Linux the
 * members are not known one by one: [pgid] while the group exists, nothing on Windows.
 */
export function liveGroupMembers(pgid: number): number[] {
  if (pgid <= 0 || IS_WIN) return [];
  if (IS_LINUX) return listTreeLinuxSync(pgid, pgid).filter((p) => !isProcessGone(p));
  try {
    process.kill(-pgid, 0);
    return [pgid];
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? [pgid] : [];
  }
}

/**
 * True while any live process of the group exists. Linux: a /proc scan that ignores zombies (a
 * dead leader whose parent has not reaped it yet still "exists" for kill(-pgid, 0)). Elsewhere:
 * kill(-pgid, 0) (kill(pid, 0) on Windows, which has no groups).
 */
export function groupAlive(pgid: number): boolean {
  if (pgid <= 0) return false;
  if (IS_LINUX) return readLiveProcTable().some((r) => r.pgid === pgid);
  try {
    process.kill(IS_WIN ? pgid : -pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
