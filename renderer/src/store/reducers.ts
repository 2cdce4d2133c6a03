// Pure state transitions of the window. The zustand store (app-store.ts) only wires these to the
// bridge, so every rule about what the window shows can be tested without a browser.

import type {
  AddEpisodesResult,
  EpisodeSummary,
  EventOf,
  JobInfo,
  QueueStatus,
  Readings,
  Results,
  RunStageResult,
  StageProgress,
  StageState,
  StageWaiting,
} from '../../../shared/ipc.js';
import type { IdentityRow, ScreentimeIdentity } from '../../../shared/artifacts.js';
import { STAGES, type StageName } from '../../../shared/stages.js';

export const MAX_LOG_LINES = 2000;
export const MAX_READINGS = 120;

/** What the window knows about the stage running (or last run) for one episode. */
export interface RunView {
  /** The stage running now, or null when idle. */
  active: StageName | null;
  /** The stage the progress, log and readings below belong to (stays after it ends). */
  shown: StageName | null;
  startedAt: number | null;
  progress: StageProgress | null;
  logs: string[];
  readings: Readings[];
  /** The last outcome of each stage run in this window. */
  outcomes: Partial<Record<StageName, RunStageResult>>;
  /** True while "Run all" walks the stages. */
  runAll: boolean;
  cancelRequested: boolean;
  /** While the active stage waits for the app's CPU budget: its place in line; null once it runs. */
  waiting: StageWaiting | null;
}

export const emptyRun: RunView = {
  active: null,
  shown: null,
  startedAt: null,
  progress: null,
  logs: [],
  readings: [],
  outcomes: {},
  runAll: false,
  cancelRequested: false,
  waiting: null,
};

export type Runs = Record<string, RunView>;

function patch(runs: Runs, episodeId: string, f: (r: RunView) => RunView): Runs {
  return { ...runs, [episodeId]: f(runs[episodeId] ?? emptyRun) };
}

/** A stage begins (from the window's own call or the host's `stage:started`): clear the live view. */
export function runBegan(runs: Runs, episodeId: string, stage: StageName, now: number): Runs {
  return patch(runs, episodeId, (r) => {
    // The host's start event after our own call must not wipe lines already received.
    if (r.active === stage) return r;
    return { ...r, active: stage, shown: stage, startedAt: now, progress: null, logs: [], readings: [], cancelRequested: false, waiting: null };
  });
}

/** The host holds the stage back for the CPU budget (another stage runs): show its place in line. */
export function runWaiting(runs: Runs, w: StageWaiting): Runs {
  return patch(runs, w.episodeId, (r) => {
    if (r.active !== null && r.active !== w.stage) return r;
    return { ...r, active: w.stage, shown: w.stage, waiting: w };
  });
}

/** The host's `stage:started`: a stage that waited in line now runs, so its clock starts now. */
export function runStarted(runs: Runs, episodeId: string, stage: StageName, now: number): Runs {
  const r = runs[episodeId];
  if (r?.active === stage && r.waiting !== null) return patch(runs, episodeId, (x) => ({ ...x, waiting: null, startedAt: now }));
  return runBegan(runs, episodeId, stage, now);
}

export function runProgress(runs: Runs, p: StageProgress): Runs {
  return patch(runs, p.episodeId, (r) => (r.active !== null && r.active !== p.stage ? r : { ...r, progress: p }));
}

export function runLog(runs: Runs, e: EventOf<'stage:log'>, max = MAX_LOG_LINES): Runs {
  if (e.lines.length === 0) return runs;
  return patch(runs, e.episodeId, (r) => {
    if (r.shown !== null && r.shown !== e.stage) return r;
    const logs = r.logs.concat(e.lines);
    return { ...r, logs: logs.length > max ? logs.slice(logs.length - max) : logs };
  });
}

export function runReadings(runs: Runs, reading: Readings, max = MAX_READINGS): Runs {
  return patch(runs, reading.episodeId, (r) => {
    if (r.active === null || r.active !== reading.stage) return r;
    const readings = r.readings.concat([reading]);
    return { ...r, readings: readings.length > max ? readings.slice(readings.length - max) : readings };
  });
}

/** A stage ended (the awaited call resolved, or the host's `stage:ended`); both may arrive. */
export function runEnded(runs: Runs, result: RunStageResult): Runs {
  return patch(runs, result.episodeId, (r) => {
    const logs = result.logs.length >= r.logs.length || r.shown !== result.stage ? result.logs.slice(-MAX_LOG_LINES) : r.logs;
    return {
      ...r,
      active: r.active === result.stage ? null : r.active,
      shown: result.stage,
      logs,
      outcomes: { ...r.outcomes, [result.stage]: result },
      cancelRequested: false,
      waiting: r.active === result.stage ? null : r.waiting,
    };
  });
}

export function runAllFlag(runs: Runs, episodeId: string, on: boolean): Runs {
  return patch(runs, episodeId, (r) => ({ ...r, runAll: on }));
}

export function cancelRequested(runs: Runs, episodeId: string): Runs {
  return patch(runs, episodeId, (r) => ({ ...r, cancelRequested: true }));
}

/** Shows a stage as running in the library list before the host's next listing arrives. */
export function markStage(episodes: EpisodeSummary[], episodeId: string, stage: StageName, state: StageState): EpisodeSummary[] {
  return episodes.map((e) => (e.episodeId === episodeId ? { ...e, stages: { ...e.stages, [stage]: state } } : e));
}

export function replaceEpisode(episodes: EpisodeSummary[], ep: EpisodeSummary): EpisodeSummary[] {
  const i = episodes.findIndex((e) => e.episodeId === ep.episodeId);
  if (i < 0) return episodes.concat([ep]);
  const copy = episodes.slice();
  copy[i] = ep;
  return copy;
}

/** Jobs in the order they were queued, pipeline order within one submission. */
export function sortJobs(jobs: JobInfo[]): JobInfo[] {
  return [...jobs].sort((a, b) => a.createdAt - b.createdAt || STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
}

/** An update replaces the job with the same id. */
export function upsertJob(jobs: JobInfo[], job: JobInfo): JobInfo[] {
  return sortJobs([...jobs.filter((j) => j.jobId !== job.jobId), job]);
}

export function jobsFor(jobs: JobInfo[], episodeId: string): JobInfo[] {
  return jobs.filter((j) => j.episodeId === episodeId);
}

export const JOB_ACTIVE: ReadonlySet<JobInfo['state']> = new Set(['waiting', 'active', 'delayed']);

/** Queue mode is offered only when the host says it can reach a configured queue. */
export function queueAvailability(status: QueueStatus | null): { enabled: boolean; reason: string } {
  if (!status) return { enabled: false, reason: 'Checking the queue…' };
  if (!status.available) return { enabled: false, reason: status.message || 'Queue mode is not available in this build.' };
  if (!status.configured) return { enabled: false, reason: status.message || 'No queue is configured (set a Redis URL in settings).' };
  if (!status.reachable) return { enabled: false, reason: status.message || 'The queue is configured but cannot be reached.' };
  return { enabled: true, reason: status.message || 'Queue is reachable.' };
}

export interface Toast {
  id: number;
  kind: 'error' | 'info' | 'success';
  title: string;
  detail?: string;
}

/** Messages for an add: one per rejected item, naming it and why, plus a short success note. */
export function addOutcomeToasts(res: AddEpisodesResult): Array<Omit<Toast, 'id'>> {
  const out: Array<Omit<Toast, 'id'>> = [];
  for (const r of res.rejected) {
    // The host's reason usually names the path already; add it only when it does not.
    const reason = r.reason ? r.reason.charAt(0).toUpperCase() + r.reason.slice(1) : 'Not an episode folder or video file';
    out.push({ kind: 'error', title: `Could not add “${baseName(r.path)}”`, detail: reason.includes(r.path) ? reason : `${reason} (${r.path})` });
  }
  if (res.added.length === 1) out.push({ kind: 'success', title: `Added “${res.added[0]!.name}”` });
  else if (res.added.length > 1) out.push({ kind: 'success', title: `Added ${res.added.length} episodes` });
  return out;
}

export function baseName(p: string): string {
  const parts = p.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

/** One identity as the results view shows it: the row joined with its screen time. */
export interface IdentityView {
  row: IdentityRow;
  visibleS: number;
  segments: Array<[number, number]>;
  nTracks: number;
}

/** Identities with their screen time, longest on screen first; ignored ones last. */
export function identityViews(results: Results | null | undefined): IdentityView[] {
  if (!results) return [];
  const st = new Map<number, ScreentimeIdentity>();
  for (const s of results.screentime?.identities ?? []) st.set(s.identity_id, s);
  const views = results.identities.map((row) => {
    const s = st.get(row.identity_id);
    return { row, visibleS: s?.visible_s ?? 0, segments: s?.segments ?? [], nTracks: s?.n_tracks ?? row.track_ids.length };
  });
  return views.sort(
    (a, b) => Number(a.row.ignored) - Number(b.row.ignored) || b.visibleS - a.visibleS || a.row.identity_id - b.row.identity_id,
  );
}

/** Pages of a long list (hundreds of identities): page index clamped into range. */
export function pageSlice<T>(items: T[], page: number, perPage: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { items: items.slice(p * perPage, p * perPage + perPage), page: p, pages };
}

/** Selected identity ids that still exist after an edit (a merge removes some). */
export function pruneSelection(selected: number[], results: Results): number[] {
  const ids = new Set(results.identities.map((i) => i.identity_id));
  return selected.filter((id) => ids.has(id));
}

export function toggleId(selected: number[], id: number): number[] {
  return selected.includes(id) ? selected.filter((x) => x !== id) : selected.concat([id]);
}
