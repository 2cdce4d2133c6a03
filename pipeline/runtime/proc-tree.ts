// The process tree below this process, from /proc (Linux). Used as a backstop on cancel: a
// stage must kill its own children, but a decoder left behind would keep burning CPU after the
// window closed, so the runtime kills whatever is still below it.

import { readdirSync, readFileSync } from 'node:fs';

export function descendantPids(root: number = process.pid): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z' || rest[0] === 'X') continue;
      const ppid = Number(rest[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      /* exited while we looked */
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export function killDescendants(signal: NodeJS.Signals = 'SIGKILL', root: number = process.pid): number {
  let n = 0;
  for (const pid of descendantPids(root)) {
    try {
      process.kill(pid, signal);
      n++;
    } catch {
      /* already gone */
    }
  }
  return n;
}
