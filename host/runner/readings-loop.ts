// The readings of one running stage, once per interval and never overlapping: list the tree
// (every pid seen is remembered, so a kill reaches members that left the group), lower the
// priority of threads the stage made before its nice applied, sample CPU / threads / memory and
// the thermal state, let the thermal guard pause or resume the tree, and hand the reading on.

import { listTree, pauseTree, reniceTree, resumeTree } from '../../pipeline/runtime/process-tree.js';
import type { ThermalReading } from '../../shared/ipc.js';
import { TreeSampler } from '../readings/tree-sampler.js';
import type { TreeSample } from '../readings/types.js';
import type { ThermalGuard } from './thermal-guard.js';

export interface ReadingsLoopOptions {
  /** The stage's process group leader. */
  pid: number;
  knownPids: Set<number>;
  intervalMs: number;
  guard: ThermalGuard;
  readThermal(): Promise<ThermalReading>;
  /** A kill is under way: the guard keeps out of it. */
  stopping(): boolean;
  /** The tree was paused (SIGSTOP) because of `reason`. */
  onPause(reason: string): void;
  /** The guard lets the tree go on (SIGCONT sent). */
  onResume(reason: string): void;
  /** One reading of a tree that still runs. */
  onReading(sample: TreeSample, thermal: ThermalReading): void;
}

export interface ReadingsLoop {
  stop(): void;
}

export function startReadingsLoop(o: ReadingsLoopOptions): ReadingsLoop {
  const sampler = new TreeSampler();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const tick = async () => {
    const pids = await listTree(o.pid);
    for (const p of pids) o.knownPids.add(p);
    reniceTree(pids);
    const [sample, thermal] = await Promise.all([sampler.sample(pids), o.readThermal()]);
    // The tree is already gone (the stage is ending): nothing to describe.
    if (stopped || sample.processes === 0) return;
    await guardTree(o, thermal);
    o.onReading(sample, thermal);
  };
  const next = () => {
    timer = setTimeout(() => {
      if (stopped) return;
      tick()
        .catch(() => {})
        .finally(() => {
          if (!stopped) next();
        });
    }, o.intervalMs);
  };
  next();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      sampler.dispose();
    },
  };
}

/** Applies the thermal guard's decision for this reading to the tree. */
async function guardTree(o: ReadingsLoopOptions, thermal: ThermalReading): Promise<void> {
  const action = o.stopping() ? null : o.guard.decide(thermal);
  if (action?.kind === 'pause' && (await pauseTree(o.pid))) {
    o.onPause(action.reason);
  } else if (action?.kind === 'resume') {
    await resumeTree(o.pid);
    o.onResume(action.reason);
  }
}
