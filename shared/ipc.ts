// The typed IPC contract between the window and the main process, in one place:
//   request channel -> request type -> response type, and event channel -> payload type.
// Electron's preload implements `ScreentimeBridge` over ipcRenderer; the browser host's client
// implements the same interface over a WebSocket (docs/web-protocol.md). The window only ever
// talks to a `ScreentimeBridge`.

import type { z } from 'zod';
import type { requestSchemas, EditSchema } from './ipc-schemas.js';
import type { IdentityRow, ScreentimeFile, UnsureTrack, VideoFacts } from './artifacts.js';
import type { ShowReport } from './report.js';
import type { Profile, StageName } from './stages.js';
import type { PersonSummary } from './people.js';

export type Edit = z.infer<typeof EditSchema>;

export type StageState = 'not_run' | 'running' | 'completed' | 'failed' | 'cancelled' | 'stale' | 'interrupted';

export interface EpisodeSummary {
  episodeId: string;
  name: string;
  dir: string;
  video: VideoFacts | null;
  /** Why the episode cannot be used right now (video gone, folder unreadable), or null. */
  problem: string | null;
  stages: Record<StageName, StageState>;
  identityCount: number | null;
}

export interface EpisodeDetail extends EpisodeSummary {
  artifactDir: string;
  stageInfo: Partial<Record<StageName, { elapsedS: number | null; finishedAt: string | null; stats: Record<string, unknown>; error: string | null }>>;
}

export interface AddEpisodesResult {
  added: EpisodeSummary[];
  rejected: Array<{ path: string; reason: string }>;
}

export interface RunStageResult {
  status: 'completed' | 'error' | 'cancelled';
  stage: StageName;
  episodeId: string;
  episode: string;
  logs: string[];
  elapsedSeconds: number;
  device: string;
  profile: Profile;
  stride: number | null;
  cpuThreads: number;
  exitCode: number | null;
  error: string | null;
  summary: Record<string, number | string | boolean | null> | null;
}

export interface ThermalReading {
  state: 'nominal' | 'fair' | 'serious' | 'critical' | 'unavailable';
  maxTempC: number | null;
  /** CPU speed limit in percent (macOS / Windows), null when unknown. */
  speedLimit: number | null;
  source: string;
}

export interface Readings {
  episodeId: string;
  stage: StageName;
  at: number;
  /** Sum over the stage's process tree, 100 = one core; null on the first sample. */
  cpuPercent: number | null;
  threads: number | null;
  rssBytes: number | null;
  processes: number;
  loadAvg: [number, number, number];
  cpuCount: number;
  thermal: ThermalReading;
  /** True while the thermal guard holds the stage paused. */
  paused: boolean;
  /** Local mode: every running stage of the app together (the fields above are this stage's tree). */
  app?: AppCpuUse;
}

/** The whole app's use of its local-mode CPU budget (host/runner/cpu-budget.ts). */
export interface AppCpuUse {
  /** Stages running now. */
  stages: number;
  /** Sum of their trees' cpuPercent (latest reading of each), null until one has a value. */
  cpuPercent: number | null;
  /** Sum of their trees' OS threads, null until one has a value. */
  threads: number | null;
  /** Compute threads held by running stages, of budgetThreads. */
  threadsInUse: number;
  budgetThreads: number;
  /** Runs waiting for the budget. */
  waiting: number;
}

/** A local run held back until the app's CPU budget has room for it (docs/local-mode.md). */
export interface StageWaiting {
  episodeId: string;
  stage: StageName;
  /** Place in the line: 1 = starts next. */
  place: number;
  /** Compute threads the run will use once it starts. */
  cpuThreads: number;
  /** Compute threads all local stages may use together, and those running stages hold now. */
  budgetThreads: number;
  threadsInUse: number;
}

export interface Results {
  episodeId: string;
  identities: IdentityRow[];
  /** Tracks the pipeline would not give to anyone: they count for nobody until assigned. */
  unsure: UnsureTrack[];
  screentime: ScreentimeFile | null;
  /** Steps the user can undo and redo (edits.json's log); absent before the first edit. */
  history?: EditHistory;
}

export interface EditHistory {
  undo: number;
  redo: number;
  /** What the next undo / redo would do, in words; null when there is none. */
  nextUndo: string | null;
  nextRedo: string | null;
}

/** One track for the per-track strip and for playing from it (tracks.jsonl + prototypes.jsonl). */
export interface TrackInfo {
  trackId: number;
  thumb: string | null;
  firstTs: number;
  lastTs: number;
  nDetections: number;
}

/** Face boxes of one track over time (detections.jsonl): [ts, x1, y1, x2, y2] in video pixels. */
export interface TrackBoxes {
  trackId: number;
  boxes: Array<[number, number, number, number, number]>;
}

export interface ExportResult {
  /** Electron: the file the user chose (null when they cancelled). */
  savedPath: string | null;
  /** Browser host: the content to download. */
  fileName: string;
  content: string | null;
}

export interface Settings {
  /** From the host: any password is masked as `***`; sending `***` back keeps the saved one. */
  redisUrl: string | null;
  /** From the host: true when a Redis password is saved (absent otherwise). */
  hasPassword?: boolean;
  thermalLimitC: number | null;
  theme: 'system' | 'light' | 'dark';
  /** Folder of the people library (docs/people.md); absent or null: the user's default folder. */
  peopleDir?: string | null;
}

/** A person as the People dialog lists them: the first face as a data: URL, the number of faces. */
export type PersonView = Omit<PersonSummary, 'faces'> & { faces: number; thumb: string | null };

/** `people:*`: the library the app uses and who is in it (`problem`: why it cannot be read). */
export interface PeopleView {
  dir: string;
  revision: number;
  people: PersonView[];
  problem: string | null;
}

/** `people:enrol`: faces added, or the photo shows several faces and the user must pick one. */
export type EnrolResult =
  | { added: number; view: PeopleView; choose: null }
  | { added: 0; view: PeopleView; choose: { photo: string; faces: Array<{ index: number; thumb: string }> } };

export interface QueueStatus {
  available: boolean;
  configured: boolean;
  reachable: boolean;
  message: string;
}

export interface JobInfo {
  jobId: string;
  episodeId: string;
  episode: string;
  stage: StageName;
  /** `lost`: Redis no longer has the job (it restarted without persistence); the queue service can submit it again. */
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled' | 'delayed' | 'unknown' | 'lost';
  worker: string | null;
  progress: number | null;
  logs: string[];
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface AppInfo {
  host: 'electron' | 'web';
  version: string;
  platform: string;
  canPickFolder: boolean;
}

/**
 * The state of one thing the pipeline needs. `will_download`: a model not on this computer yet
 * that the first stage needing it downloads (so the first run needs the network); the rest as
 * named. Anything but `ok` comes with a `problem` and a `fix` in words.
 */
export type SetupState = 'ok' | 'will_download' | 'missing' | 'wrong_checksum' | 'failed';

/** ffmpeg or ffprobe as a stage would run it (pipeline/video/ffmpeg-path.ts). */
export interface ToolCheck {
  tool: 'ffmpeg' | 'ffprobe';
  /** `env`: SCREENTIME_FFMPEG / SCREENTIME_FFPROBE; `bundled`: the build the app carries; `path`: found on PATH. */
  source: 'env' | 'bundled' | 'path' | 'missing';
  /** The file that runs (a PATH name resolved to its file), null when none was found. */
  path: string | null;
  /** First line of `<tool> -version`, null when it did not run. */
  version: string | null;
  state: 'ok' | 'missing' | 'failed';
  problem: string | null;
  fix: string | null;
}

/** One model file a stage loads (pipeline/models/registry.ts). */
export interface ModelCheck {
  file: string;
  description: string;
  /** The stage that loads it. */
  stage: StageName;
  /** `folder`: searched in the models folders (and downloadable); `bundled`: ships inside the app. */
  kind: 'folder' | 'bundled';
  /** Folders searched, in order; the first that holds the file decides. */
  lookedIn: string[];
  /** The file a stage would load, null when absent. */
  path: string | null;
  present: boolean;
  /** Its sha256 equals the pinned one. */
  verified: boolean;
  /** Absent, and the first stage that needs it would download it (into `downloadDir`). */
  downloadsOnFirstUse: boolean;
  downloadDir: string | null;
  state: SetupState;
  problem: string | null;
  fix: string | null;
}

/** `app:check`: what the pipeline needs on this computer, checked without downloading anything. */
export interface SetupCheck {
  /** Every row is `ok`. */
  ok: boolean;
  tools: ToolCheck[];
  models: ModelCheck[];
}

type Req<C extends keyof typeof requestSchemas> = z.infer<(typeof requestSchemas)[C]>;

/** channel -> [request, response] */
export interface RequestMap {
  'app:info': [Req<'app:info'>, AppInfo];
  /** ffmpeg, ffprobe and the models: found where, which version, checksum verified. */
  'app:check': [Req<'app:check'>, SetupCheck];
  'library:list': [Req<'library:list'>, EpisodeSummary[]];
  'library:add': [Req<'library:add'>, AddEpisodesResult];
  'library:pick': [Req<'library:pick'>, AddEpisodesResult];
  'library:remove': [Req<'library:remove'>, EpisodeSummary[]];
  'episode:get': [Req<'episode:get'>, EpisodeDetail];
  'stage:run': [Req<'stage:run'>, RunStageResult];
  'stage:cancel': [Req<'stage:cancel'>, { cancelled: boolean }];
  'results:get': [Req<'results:get'>, Results];
  'results:edit': [Req<'results:edit'>, Results];
  'results:export': [Req<'results:export'>, ExportResult];
  /** A CMX3600 EDL or a marker CSV of the per-person segments, saved like the CSV/JSON export. */
  'results:export-segments': [Req<'results:export-segments'>, ExportResult];
  /** Screen time per person per episode of the chosen episodes (people joined by library id or name). */
  'report:show': [Req<'report:show'>, ShowReport];
  'report:export': [Req<'report:export'>, ExportResult];
  'settings:get': [Req<'settings:get'>, Settings];
  'settings:set': [Req<'settings:set'>, Settings];
  'queue:status': [Req<'queue:status'>, QueueStatus];
  'queue:submit': [Req<'queue:submit'>, JobInfo[]];
  'queue:list': [Req<'queue:list'>, JobInfo[]];
  'queue:cancel': [Req<'queue:cancel'>, { cancelled: boolean }];
  /** A job Redis lost (state `lost`): its chain is submitted again; returns the new jobs. */
  'queue:resubmit': [Req<'queue:resubmit'>, JobInfo[]];
  'people:list': [Req<'people:list'>, PeopleView];
  'people:add': [Req<'people:add'>, PeopleView];
  'people:update': [Req<'people:update'>, PeopleView];
  'people:remove': [Req<'people:remove'>, PeopleView];
  /** Photos (bytes from a drop or a file chooser) -> one face each, found as the pipeline finds them. */
  'people:enrol': [Req<'people:enrol'>, EnrolResult];
  /** "Add to people library": the best faces of an identity of an episode. */
  'people:enrolIdentity': [Req<'people:enrolIdentity'>, EnrolResult];
  'people:export': [Req<'people:export'>, ExportResult];
  'people:import': [Req<'people:import'>, PeopleView & { peopleAdded: number; facesAdded: number }];
  /** Several edits as one step of the undo log. */
  'results:edits': [Req<'results:edits'>, Results];
  /** Undo / redo the last step of the episode's edit log (kept in edits.json, so after a restart too). */
  'results:undo': [Req<'results:undo'>, Results];
  'results:redo': [Req<'results:redo'>, Results];
  'results:tracks': [Req<'results:tracks'>, TrackInfo[]];
  'results:boxes': [Req<'results:boxes'>, TrackBoxes[]];
}
export type RequestChannel = keyof RequestMap;
export type RequestOf<C extends RequestChannel> = RequestMap[C][0];
export type ResponseOf<C extends RequestChannel> = RequestMap[C][1];

export interface StageProgress {
  episodeId: string;
  stage: StageName;
  framesDone: number;
  framesTotal: number;
  fps: number;
  etaS: number | null;
  fraction: number;
}

/** event channel -> payload */
export interface EventMap {
  'stage:started': { episodeId: string; stage: StageName; profile: Profile; stride: number | null; cpuThreads: number; device: string };
  'stage:progress': StageProgress;
  'stage:log': { episodeId: string; stage: StageName; lines: string[] };
  'stage:readings': Readings;
  'stage:ended': RunStageResult;
  'stage:waiting': StageWaiting;
  'library:changed': EpisodeSummary[];
  'queue:job': JobInfo;
}
export type EventChannel = keyof EventMap;
export type EventOf<E extends EventChannel> = EventMap[E];

export const REQUEST_CHANNELS = [
  'app:info', 'app:check', 'library:list', 'library:add', 'library:pick', 'library:remove', 'episode:get',
  'stage:run', 'stage:cancel', 'results:get', 'results:edit', 'results:export',
  'settings:get', 'settings:set', 'queue:status', 'queue:submit', 'queue:list', 'queue:cancel', 'queue:resubmit',
  'results:export-segments', 'report:show', 'report:export',
  'people:list', 'people:add', 'people:update', 'people:remove', 'people:enrol', 'people:enrolIdentity', 'people:export', 'people:import',
  'results:edits', 'results:undo', 'results:redo', 'results:tracks', 'results:boxes',
] as const satisfies readonly RequestChannel[];

export const EVENT_CHANNELS = [
  'stage:started', 'stage:progress', 'stage:log', 'stage:readings', 'stage:ended', 'library:changed', 'queue:job',
  'stage:waiting',
] as const satisfies readonly EventChannel[];

/** Every response crosses the boundary wrapped, so errors arrive as plain messages. */
export type Wire<T> = { ok: true; value: T } | { ok: false; error: string };

/** What the window sees as `window.screentime` (Electron) or builds over a WebSocket (browser). */
export interface ScreentimeBridge {
  invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void;
  /** Absolute path of a dropped file or folder, when the host can know it (Electron). */
  pathForFile(file: File): string | null;
  /** URL the window can load an artifact image from (thumbnails). */
  mediaUrl(episodeId: string, relPath: string): string;
  /** URL the window can play the episode's video from (HTTP Range, see docs/security.md). */
  videoUrl(episodeId: string): string;
}

// Compile-time proof that the channel lists above name every channel exactly once.
type Missing<All, Listed> = Exclude<All, Listed>;
const allRequestsListed: Missing<RequestChannel, (typeof REQUEST_CHANNELS)[number]> extends never ? true : false = true;
const allEventsListed: Missing<EventChannel, (typeof EVENT_CHANNELS)[number]> extends never ? true : false = true;
void allRequestsListed;
void allEventsListed;
