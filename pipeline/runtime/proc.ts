// Everything this app reads from Linux's /proc, in one place: pure parsers of the text (tested
// beside this file) and thin readers that fetch the text and say null when the process is gone
// or there is no /proc (macOS, Windows). Process trees (process-tree.ts), the stage's own
// clean-up (proc-tree.ts), stage locks (lock.ts), readings (host/readings) and the queue worker's
// state file all read process state through here.

import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/<pid>/stat that we use. */
export interface ProcStat {
  state: string;
  ppid: number;
  pgid: number;
}

/** One process of the table: its pid and stat fields. */
export interface ProcRow extends ProcStat {
  pid: number;
}

/** The fields after the command name: the comm field may hold spaces and parentheses. Pure. */
function fieldsAfterComm(stat: string): string[] | null {
  const close = stat.lastIndexOf(')');
  return close < 0 ? null : stat.slice(close + 2).split(' ');
}

/** One line of /proc/<pid>/stat, parsed. Pure. */
export function parseProcStat(stat: string): ProcStat | null {
  const rest = fieldsAfterComm(stat);
  if (!rest) return null;
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  if (!Number.isInteger(ppid) || !Number.isInteger(pgid)) return null;
  return { state: rest[0] ?? '?', ppid, pgid };
}

/**
 * Start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null. Pure. A pid and
 * its start time name one process for good: a recorded pid reused by another process differs.
 */
export function parseStartTime(stat: string): number | null {
  const v = fieldsAfterComm(stat)?.[19];
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** The one-letter `State:` of a /proc/<pid>/status text, or null. Pure. */
export function parseStatusState(status: string): string | null {
  return /^State:\s+(\S)/m.exec(status)?.[1] ?? null;
}

/** `Threads:` of a /proc/<pid>/status text, or null. Pure. */
export function parseThreadsFromStatus(status: string): number | null {
  const m = /^Threads:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** Zombie (Z) or dead (X, x): the process has ended and only waits to be reaped. Pure. */
export function isDeadState(state: string | null): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

function readProcText(pid: number | string, file: 'stat' | 'status'): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

function readParsed<T>(pid: number, file: 'stat' | 'status', parse: (text: string) => T | null): T | null {
  const text = readProcText(pid, file);
  return text === null ? null : parse(text);
}

/** Stat fields of a pid, or null (gone, or no /proc). */
export function readProcStat(pid: number): ProcStat | null {
  return readParsed(pid, 'stat', parseProcStat);
}

/** Start time of a pid in clock ticks since boot, or null (gone, or no /proc). */
export function readStartTime(pid: number): number | null {
  return readParsed(pid, 'stat', parseStartTime);
}

/** The `State:` letter of a pid, or null (gone, or no /proc). */
export function readProcState(pid: number): string | null {
  return readParsed(pid, 'status', parseStatusState);
}

/** OS threads of a pid, or null (gone, or no /proc). */
export function readThreadCount(pid: number): number | null {
  return readParsed(pid, 'status', parseThreadsFromStatus);
}

/** Thread ids of a pid (/proc/<pid>/task), empty when gone. */
export function readTaskIds(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** Every process of the machine with its stat fields (dead ones included); empty without /proc. */
export function readProcTable(): ProcRow[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const rows: ProcRow[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const text = readProcText(name, 'stat');
    const st = text === null ? null : parseProcStat(text);
    if (st) rows.push({ pid: Number(name), ...st });
  }
  return rows;
}

/** The processes of the machine that still run (zombies left out). */
export function readLiveProcTable(): ProcRow[] {
  return readProcTable().filter((r) => !isDeadState(r.state));
}
