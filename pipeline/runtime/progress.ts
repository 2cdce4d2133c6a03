// Turns a stage's progress(done, total) calls into `progress` events: at most one per interval
// (default 100 ms, i.e. <= 10/s), always the last one, with a rate averaged over a sliding window.

import type { StageProgressEvent } from '../../shared/progress.js';
import type { StageName } from '../../shared/stages.js';

export interface ProgressReporterOptions {
  intervalMs?: number;
  /** Window of the rate average, ms. */
  windowMs?: number;
  now?: () => number;
}

export function createProgressReporter(stage: StageName, emit: (e: StageProgressEvent) => void, o: ProgressReporterOptions = {}) {
  const interval = o.intervalMs ?? 100;
  const windowMs = o.windowMs ?? 5000;
  const now = o.now ?? (() => performance.now());
  const samples: Array<[number, number]> = [];
  let lastEmit = -Infinity;
  let lastDone = -1;
  let lastTotal = -1;
  let pending: [number, number] | null = null;
  const reporter = {
    /** Emits the latest report if the throttle held it back (call when the stage has finished). */
    flush(): void {
      if (pending) reporter.report(pending[0], pending[1], true);
    },
    report(done: number, total: number, force = false): void {
      const t = now();
      if (!Number.isFinite(done) || done < 0) return;
      if (!force) samples.push([t, done]);
      while (samples.length > 2 && samples[0]![0] < t - windowMs) samples.shift();
      const finished = total > 0 && done >= total;
      if (!finished && !force && t - lastEmit < interval) {
        pending = [done, total];
        return;
      }
      pending = null;
      if (done === lastDone && total === lastTotal) return;
      lastEmit = t;
      lastDone = done;
      lastTotal = total;
      const [t0, d0] = samples[0]!;
      const dt = (t - t0) / 1000;
      const fps = dt > 0 ? Math.max(0, (done - d0) / dt) : 0;
      const left = Math.max(0, total - done);
      emit({
        type: 'progress',
        stage,
        frames_done: done,
        frames_total: total,
        fps: Math.round(fps * 10) / 10,
        eta_s: fps > 0 && total > 0 ? Math.round((left / fps) * 10) / 10 : finished ? 0 : null,
        fraction: total > 0 ? Math.min(1, Math.max(0, done / total)) : 0,
      });
    },
  };
  return reporter;
}
