// Process facts read from /proc, for tests that assert a process tree is gone.
// kill(pid, 0) is not enough on these machines: PID 1 reaps orphans late, so a dead orphan can
// look alive for 1-2 s. A zombie (State: Z) or a missing /proc entry both mean "gone".

import { readFileSync, readdirSync } from 'node:fs';

export function processState(pid: number): string | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^State:\s+(\S)/m.exec(status);
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

export function isGone(pid: number): boolean {
  const s = processState(pid);
  return s === null || s === 'Z' || s === 'X';
}

/** Parent pid from /proc/<pid>/stat, or null once the process is gone. */
export function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null; // exited while we looked
  }
}

/** Live descendants of pid (children, grandchildren, ...), from /proc/<pid>/stat ppid fields. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pp = parentOf(Number(name));
    if (pp !== null) parent.set(Number(name), pp);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, pp] of parent) if (pp === p) { out.push(child); queue.push(child); }
  }
  return out.filter((p) => !isGone(p));
}

/** Waits until every pid is gone; resolves with those still alive after `timeoutMs`. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter((p) => !isGone(p));
    if (alive.length === 0 || Date.now() > end) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * An ffmpeg that decodes (its arguments name an input), not one of the decoder's short `-h`
 * probes of the binary, which come and go as the stage starts.
 */
export function isDecodingFfmpeg(pid: number): boolean {
  if (commandName(pid) !== 'ffmpeg') return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('-i');
  } catch {
    return false;
  }
}

/** Command name of a pid (from /proc/<pid>/comm), or null. */
export function commandName(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}
