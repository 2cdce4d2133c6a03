// CPU, threads and memory of a stage's whole process tree, sampled once a second.
//
// CPU comes from pidusage per pid, summed (100 = one core). pidusage's first sample of a new pid
// reads 0 % (it has no earlier point to compare with): that sample is left out of the sum, and a
// tree where no pid has a second sample yet reports null rather than a false 0.

import { execFile } from 'node:child_process';
import pidusage from 'pidusage';
import { readThreadCount } from '../../pipeline/runtime/proc.js';
import type { TreeSample } from './types.js';


/** Counts threads in `ps -M -p <pid>` output (macOS): one line per thread after the header. Pure. */
export function parsePsMThreads(text: string): number | null {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  return lines.length > 1 ? lines.length - 1 : null;
}

/** Sums numbers from a list of text lines (PowerShell output, one count per line). Pure. */
export function sumNumberLines(text: string): number | null {
  let sum = 0;
  let any = false;
  for (const l of text.split(/\r?\n/)) {
    const t = l.trim();
    if (/^\d+$/.test(t)) {
      sum += Number(t);
      any = true;
    }
  }
  return any ? sum : null;
}

function execText(file: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 4000, windowsHide: true }, (err, stdout) => resolve(err ? null : String(stdout)));
  });
}

/** OS threads over the given pids, or null when the platform would not say. */
export async function countThreads(pids: number[]): Promise<number | null> {
  if (pids.length === 0) return null;
  if (process.platform === 'linux') {
    let sum = 0;
    let any = false;
    for (const pid of pids) {
      const n = readThreadCount(pid);
      if (n !== null) {
        sum += n;
        any = true;
      }
    }
    return any ? sum : null;
  }
  if (process.platform === 'darwin') {
    const counts = await Promise.all(pids.map(async (pid) => parsePsMThreads((await execText('ps', ['-M', '-p', String(pid)])) ?? '')));
    const known = counts.filter((n): n is number => n !== null);
    return known.length ? known.reduce((a, b) => a + b, 0) : null;
  }
  if (process.platform === 'win32') {
    const ids = pids.join(',');
    const text = await execText('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      `Get-Process -Id ${ids} -ErrorAction SilentlyContinue | ForEach-Object { $_.Threads.Count }`,
    ]);
    return text === null ? null : sumNumberLines(text);
  }
  return null;
}

/** Samples one tree over time; keeps which pids already had their first (meaningless) CPU sample. */
export class TreeSampler {
  private readonly seen = new Set<number>();

  async sample(pids: number[]): Promise<TreeSample> {
    const stats = await Promise.allSettled(pids.map((pid) => pidusage(pid)));
    let cpu = 0;
    let cpuKnown = false;
    let rss = 0;
    let rssKnown = false;
    const live: number[] = [];
    stats.forEach((r, i) => {
      const pid = pids[i]!;
      // A live process always has resident memory; 0 means it already exited (a zombie
      // waiting to be reaped), which is not part of the running tree any more.
      if (r.status !== 'fulfilled' || !(r.value.memory > 0)) return;
      live.push(pid);
      rss += r.value.memory;
      rssKnown = true;
      if (this.seen.has(pid)) {
        cpu += r.value.cpu;
        cpuKnown = true;
      } else {
        this.seen.add(pid);
      }
    });
    const threads = await countThreads(live);
    return {
      pids: live,
      cpuPercent: cpuKnown ? Math.round(cpu * 10) / 10 : null,
      threads,
      rssBytes: rssKnown ? rss : null,
      processes: live.length,
    };
  }

  /** Forgets pidusage's history of these pids (a finished run), so it does not grow. */
  dispose(): void {
    // pidusage keeps its own per-pid history with an expiry (maxage); clearing all of it would
    // disturb other runs' CPU figures, so only our own bookkeeping is dropped here.
    this.seen.clear();
  }
}
