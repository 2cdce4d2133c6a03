// Contracts of the readings module (plain Node, never imports electron).

import type { ThermalReading } from '../../shared/ipc.js';

export type { ThermalReading };
export type ThermalState = ThermalReading['state'];

/** Anything that can tell how hot the machine is. Never throws: a failure reads 'unavailable'. */
export interface ThermalSource {
  read(): Promise<ThermalReading>;
}

/** One sample of a process tree (the stage and all its descendants). */
export interface TreeSample {
  pids: number[];
  /** Sum over the tree, 100 = one core; null when no pid has a second sample yet. */
  cpuPercent: number | null;
  /** OS threads over the tree, null when the platform would not say. */
  threads: number | null;
  rssBytes: number | null;
  processes: number;
}
