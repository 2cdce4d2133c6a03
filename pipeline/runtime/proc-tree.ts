// The process tree below this process, from /proc (Linux). Used as a backstop on cancel: a
// stage must kill its own children, but a decoder left behind would keep burning CPU after the
// window closed, so the runtime kills whatever is still below it.

import { readLiveProcTable } from './proc.js';

export function descendantPids(root: number = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of readLiveProcTable()) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
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
