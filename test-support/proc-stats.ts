// More process facts from /proc, for the soak run (bench/soak.ts): who a process is (start time,
// process group, command line), what it holds (open fds, RSS), and who else is alive that
// matches. Linux only, like the rest of the /proc checks (proc.ts).

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isGone } from './proc.js';

/** A pid plus its start time: a pid alone may be reused by an unrelated process later on. */
export interface ProcId {
  pid: number;
  start: number;
}

/** Fields after the command name of /proc/<pid>/stat (the name may hold spaces and parens). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Start time in clock ticks since boot (stat field 22), or null when gone. */
export function startTime(pid: number): number | null {
  const v = Number(statFields(pid)?.[19]);
  return Number.isFinite(v) ? v : null;
}

/** Process group id (stat field 5), or null when gone. */
export function processGroup(pid: number): number | null {
  const v = Number(statFields(pid)?.[2]);
  return Number.isFinite(v) ? v : null;
}

export function procId(pid: number): ProcId | null {
  const start = startTime(pid);
  return start === null ? null : { pid, start };
}

/** Still the same live process (not a zombie, not a reused pid)? */
export function stillAlive(p: ProcId): boolean {
  return !isGone(p.pid) && startTime(p.pid) === p.start;
}

export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
  } catch {
    return [];
  }
}

export function livePids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => !isGone(p));
}

/** Live members of a process group (a detached stage leads its own group; ffmpeg stays in it). */
export function groupMembers(pgid: number): number[] {
  return livePids().filter((p) => processGroup(p) === pgid);
}

/** Live processes with an argument containing `needle` (e.g. an episode folder). */
export function pidsWithArg(needle: string): number[] {
  return livePids().filter((p) => p !== process.pid && commandLine(p).some((a) => a.includes(needle)));
}

/** Number of open file descriptors of pid, or null when it is gone or unreadable. */
export function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * What pid's fds point at, counted by kind: `socket`, `pipe`, `anon_inode:[eventfd]`,
 * `/proc/<pid>/stat`, or the file path itself. Growth in one kind says which resource leaks.
 */
export function fdKinds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    // One key for every /proc/<pid>/x, however many pids: the count is what matters.
    const kind = /^(socket|pipe):/.exec(target)?.[1] ?? target.replace(/^\/proc\/\d+\//, '/proc/<pid>/');
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/** Resident set size in bytes (VmRSS), or null when gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
