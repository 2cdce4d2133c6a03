// Public types of local mode: one call per stage that resolves when the stage has ended.

import type { EventOf, RunStageResult, Readings } from '../../shared/ipc.js';
import type { Profile, StageName } from '../../shared/stages.js';
import type { ThermalSource } from '../readings/types.js';
import type { CpuBudget } from './cpu-budget.js';
import type { NodeCommand } from '../../pipeline/runtime/stage-process.js';

export type { RunStageResult, Readings };

export type { NodeCommand } from '../../pipeline/runtime/stage-process.js';

export interface LocalRunnerOptions {
  /** Absolute path of dist/pipeline/cli/main.js. */
  cliPath: string;
  /** Defaults to the current Node: { command: process.execPath, argsPrefix: [], env: {} }. */
  node?: NodeCommand;
  /** Defaults to the Linux sysfs reader (reads 'unavailable' where no sensor exists). */
  thermal?: ThermalSource;
  /** The user's temperature limit in degrees C (settings), read each second; null = none. */
  thermalLimitC?: () => number | null;
  /** Extra environment for every stage (e.g. SCREENTIME_MODELS_DIR). */
  env?: Record<string, string>;
  /** Readings period, ms (default 1000). */
  readingsIntervalMs?: number;
  /** SIGTERM -> SIGKILL grace, ms (default 1200, at most 1500). */
  killGraceMs?: number;
  /** Thermal guard: resume when the temperature is this many degrees C below the limit (default 5). */
  thermalHysteresisC?: number;
  /**
   * Internal override of the thread cap, for tests and benchmarks only. The public local cap is
   * LOCAL_MODE_MAX_THREADS (2); the bridge must not set this.
   */
  maxThreadsOverride?: number;
  /**
   * The CPU budget the runs share (host/runner/cpu-budget.ts). Defaults to the one budget of this
   * process, so every runner in the app together stays within LOCAL_CPU_BUDGET_THREADS.
   */
  cpuBudget?: CpuBudget;
}

export interface RunStageRequest {
  episodeId: string;
  /** Folder holding the video. */
  episodeDir: string;
  /** Artifact folder (usually <episodeDir>/screentime). */
  outDir: string;
  stage: StageName;
  profile: Profile;
  stride?: number;
  device?: 'cpu';
  /** Requested threads; capped at LOCAL_MODE_MAX_THREADS. */
  threads?: number;
  /** Default 3600. Time spent paused by the thermal guard does not count. */
  timeoutS?: number;
  /** The window (or WebSocket connection) that asked; endSession(sessionId) kills its runs. */
  sessionId: string;
  /** Display name of the episode for the result (default: basename of episodeDir). */
  episodeName?: string;
  /** cluster only: the people library that names identities (`--people`). */
  peopleDir?: string;
}

/** Names of the events a run emits, with the payload types of shared/ipc.ts EventMap. */
export type RunnerEventName = 'stage:waiting' | 'stage:started' | 'stage:progress' | 'stage:log' | 'stage:readings' | 'stage:ended';
export type RunnerEvent = { [E in RunnerEventName]: { event: E; payload: EventOf<E> } }[RunnerEventName];
/** Receives every event of one run, in order; 'stage:ended' is last. Must not throw. */
export type RunnerSink = (e: RunnerEvent) => void;

export interface ActiveRun {
  episodeId: string;
  stage: StageName;
  sessionId: string;
  /** 0..1, from the latest progress event (0 before the first). */
  fraction: number;
  pid: number | null;
  startedAt: number;
  paused: boolean;
  /** Place in the line for the CPU budget (1 = starts next) while the run waits; pid is null then. */
  waitingPlace?: number;
}

export type ActivityListener = (active: ActiveRun[]) => void;
