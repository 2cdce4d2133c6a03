// What the bridge needs from the rest of the desktop core, as narrow interfaces: the Electron
// adapter and the browser host both build a `BridgeContext` and hand it to `createDispatcher`.
// Plain Node: never imports electron.

import type { EventChannel, EventOf, ExportResult, JobInfo, QueueStatus } from '../../shared/ipc.js';
import type { Profile, StageName } from '../../shared/stages.js';
import type { ActiveRun, ActivityListener, RunStageRequest, RunStageResult, RunnerSink } from '../runner/types.js';
import type { LibraryStore } from '../library/store.js';
import type { SettingsStore } from '../library/settings.js';

/**
 * One window (Electron BrowserWindow) or one WebSocket connection (browser host). Stages a
 * session starts die when the session ends; events go to this session only.
 */
export interface Session {
  readonly id: string;
  send<E extends EventChannel>(event: E, payload: EventOf<E>): void;
}

/** The part of LocalRunner (host/runner) the bridge calls. */
export interface RunnerPort {
  run(req: RunStageRequest, sink: RunnerSink): Promise<RunStageResult>;
  /** Resolves true once the run has ended, false when none ran (LocalRunner.cancel). */
  cancel(episodeId: string, stage: StageName): Promise<boolean>;
  /** Resolves with how many runs it ended (LocalRunner); a runner with nothing to end returns nothing. */
  endSession(sessionId: string): Promise<number> | void;
  shutdown(): Promise<void>;
  active(): ActiveRun[];
  onActivityChange(listener: ActivityListener): () => void;
}

export interface QueueSubmitRequest {
  episodeId: string;
  episodeDir: string;
  outDir: string;
  episodeName: string;
  stages: StageName[];
  profile: Profile;
  stride?: number;
}

/**
 * Queue mode (queue/ QueueService), optional: without it queue:status answers
 * "Queue mode is not configured" and the other queue channels fail with that message.
 */
export interface QueuePort {
  status(): Promise<QueueStatus>;
  submit(req: QueueSubmitRequest): Promise<JobInfo[]>;
  list(): Promise<JobInfo[]>;
  cancel(jobId: string): Promise<{ cancelled: boolean }>;
  /** Submits again the lost part of a lost job's chain. */
  resubmitLost(jobId: string): Promise<JobInfo[]>;
  /** Job state changes; the bridge forwards them as 'queue:job' to every open session. */
  onJob?(listener: (job: JobInfo) => void): () => void;
}

export interface BridgeContext {
  host: 'electron' | 'web';
  version: string;
  platform: string;
  library: LibraryStore;
  settings: SettingsStore;
  runner: RunnerPort;
  /** Queue mode; null/undefined = not configured. May change when settings change. */
  queue?: () => QueuePort | null;
  /** Electron: the native folder dialog (null = cancelled). Absent in the browser host. */
  pickPaths?: (session: Session) => Promise<string[] | null>;
  /** Electron: a save dialog that writes `content` and returns the chosen path (null = cancelled). */
  saveExport?: (session: Session, fileName: string, content: string) => Promise<string | null>;
  /**
   * The extra environment the runner gives every stage (e.g. SCREENTIME_MODELS_DIR): the setup
   * check (app:check) resolves ffmpeg and the models with it, so it reports what stages will find.
   */
  stageEnv?: Record<string, string>;
  /** Every open session, for events that concern all windows (library:changed, queue:job). */
  sessions: () => Iterable<Session>;
}

export type { ExportResult };
