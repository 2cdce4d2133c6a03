// The window's one store. State transitions live in reducers.ts (pure, tested); this file wires
// them to the bridge: requests, events, and the "Run all" sequence (one awaited `stage:run` per
// stage, stopping at the first that does not complete).

import { create } from 'zustand';
import type {
  AppInfo,
  EpisodeDetail,
  EpisodeSummary,
  Edit,
  JobInfo,
  QueueStatus,
  Results,
  RunStageResult,
  ScreentimeBridge,
  Settings,
  SetupCheck,
} from '../../../shared/ipc.js';
import { DEFAULT_PROFILE, STAGES, type Profile, type StageName } from '../../../shared/stages.js';
import type { ConnectionState } from '../bridge/ws-bridge.js';
import {
  addOutcomeToasts,
  cancelRequested,
  markStage,
  pruneSelection,
  queueAvailability,
  replaceEpisode,
  runAllFlag,
  runBegan,
  runEnded,
  runLog,
  runProgress,
  runReadings,
  runStarted,
  runWaiting,
  sortJobs,
  upsertJob,
  type Runs,
  type Toast,
} from './reducers.js';

export type ExecutionMode = 'local' | 'queue';

export interface RunOptions {
  profile: Profile;
  /** Every Nth frame; null lets the profile decide. */
  stride: number | null;
  device: 'cpu';
}

export interface AppState {
  bridge: ScreentimeBridge | null;
  fatal: string | null;
  connection: ConnectionState;
  appInfo: AppInfo | null;
  settings: Settings | null;
  queueStatus: QueueStatus | null;
  episodes: EpisodeSummary[];
  libraryLoaded: boolean;
  selectedId: string | null;
  details: Record<string, EpisodeDetail>;
  runs: Runs;
  results: Record<string, Results>;
  selection: number[];
  jobs: JobInfo[];
  toasts: Toast[];
  mode: ExecutionMode;
  options: RunOptions;
  tab: 'pipeline' | 'results';
  openDialog: boolean;
  settingsOpen: boolean;
  /** The last setup check (app:check), null until it answered. */
  setup: SetupCheck | null;
  setupChecking: boolean;
  setupOpen: boolean;

  init(bridge: ScreentimeBridge): Promise<void>;
  setFatal(message: string): void;
  setConnection(c: ConnectionState): void;
  toast(t: Omit<Toast, 'id'>): void;
  dismiss(id: number): void;
  addPaths(paths: string[]): Promise<void>;
  pickFolder(): Promise<void>;
  setOpenDialog(open: boolean): void;
  remove(episodeId: string): Promise<void>;
  select(episodeId: string | null): void;
  setTab(tab: 'pipeline' | 'results'): void;
  refreshEpisode(episodeId: string): Promise<void>;
  setMode(mode: ExecutionMode): void;
  setOptions(o: Partial<RunOptions>): void;
  runStage(episodeId: string, stage: StageName): Promise<RunStageResult>;
  runAll(episodeId: string): Promise<void>;
  cancel(episodeId: string): Promise<void>;
  submitQueue(episodeId: string, stages: StageName[]): Promise<void>;
  refreshJobs(): Promise<void>;
  cancelJob(jobId: string): Promise<void>;
  resubmitJob(jobId: string): Promise<void>;
  refreshQueueStatus(): Promise<void>;
  loadResults(episodeId: string): Promise<void>;
  edit(episodeId: string, edit: Edit): Promise<boolean>;
  setSelection(ids: number[]): void;
  exportResults(episodeId: string, format: 'csv' | 'json'): Promise<void>;
  setTheme(theme: Settings['theme']): Promise<void>;
  setSettingsOpen(open: boolean): void;
  saveSettings(patch: { redisUrl?: string | null; thermalLimitC?: number | null }): Promise<boolean>;
  checkSetup(): Promise<SetupCheck | null>;
  setSetupOpen(open: boolean): void;
}

let toastSeq = 1;
let lastStatusAt = 0;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const useApp = create<AppState>()((set, get) => {
  const bridge = (): ScreentimeBridge => {
    const b = get().bridge;
    if (!b) throw new Error('Not connected to the Screentime host yet.');
    return b;
  };

  return {
    bridge: null,
    fatal: null,
    connection: 'connecting',
    appInfo: null,
    settings: null,
    queueStatus: null,
    episodes: [],
    libraryLoaded: false,
    selectedId: null,
    details: {},
    runs: {},
    results: {},
    selection: [],
    jobs: [],
    toasts: [],
    mode: 'local',
    options: { profile: DEFAULT_PROFILE, stride: null, device: 'cpu' },
    tab: 'pipeline',
    openDialog: false,
    settingsOpen: false,
    setup: null,
    setupChecking: false,
    setupOpen: false,

    async init(b) {
      set({ bridge: b });
      b.on('stage:started', (e) => set((s) => ({ runs: runStarted(s.runs, e.episodeId, e.stage, Date.now()), episodes: markStage(s.episodes, e.episodeId, e.stage, 'running') })));
      b.on('stage:waiting', (w) => set((s) => ({ runs: runWaiting(s.runs, w) })));
      b.on('stage:progress', (p) => set((s) => ({ runs: runProgress(s.runs, p) })));
      b.on('stage:log', (l) => set((s) => ({ runs: runLog(s.runs, l) })));
      b.on('stage:readings', (r) => set((s) => ({ runs: runReadings(s.runs, r) })));
      b.on('stage:ended', (r) => set((s) => ({ runs: runEnded(s.runs, r) })));
      b.on('library:changed', (list) => set({ episodes: list, libraryLoaded: true }));
      b.on('queue:job', (j) => {
        set((s) => ({ jobs: upsertJob(s.jobs, j) }));
        // The status line counts waiting and running jobs; refresh it, at most every 2 s.
        const now = Date.now();
        if (now - lastStatusAt > 2000) {
          lastStatusAt = now;
          void get().refreshQueueStatus();
        }
        // A finished queue job changes the episode's artifacts: show the new state.
        if (j.state === 'completed' || j.state === 'failed') void get().refreshEpisode(j.episodeId);
      });
      try {
        const [appInfo, settings, episodes] = await Promise.all([
          b.invoke('app:info', undefined),
          b.invoke('settings:get', undefined),
          b.invoke('library:list', undefined),
        ]);
        set({ appInfo, settings, episodes, libraryLoaded: true });
        applyTheme(settings.theme);
        if (episodes.length > 0 && !get().selectedId) get().select(episodes[0]!.episodeId);
      } catch (e) {
        set({ fatal: `Could not load the library: ${message(e)}` });
        return;
      }
      // First start (or anything broken since): show what the pipeline still lacks before the
      // user's first run fails on it.
      void get()
        .checkSetup()
        .then((c) => {
          if (c && !c.ok) set({ setupOpen: true });
        });
      await get().refreshQueueStatus();
      // Queue jobs outlive the window: come back in queue mode if that is how it was left.
      if (recalledMode() === 'queue' && queueAvailability(get().queueStatus).enabled) set({ mode: 'queue' });
      await get().refreshJobs();
    },

    setFatal: (m) => set({ fatal: m }),
    setConnection: (c) => {
      const was = get().connection;
      set({ connection: c });
      // After a reconnect the host holds a new session: re-read what it knows.
      if (was === 'closed' && c === 'open') {
        const b = get().bridge;
        if (b) void b.invoke('library:list', undefined).then((episodes) => set({ episodes })).catch(() => undefined);
      }
    },

    toast(t) {
      const id = toastSeq++;
      set((s) => ({ toasts: s.toasts.concat([{ ...t, id }]).slice(-6) }));
      // Errors stay until dismissed: the user must be able to read which item failed and why.
      if (t.kind !== 'error') setTimeout(() => get().dismiss(id), 4000);
    },
    dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),

    async addPaths(paths) {
      if (paths.length === 0) return;
      try {
        const res = await bridge().invoke('library:add', { paths });
        const list = await bridge().invoke('library:list', undefined);
        set({ episodes: list });
        for (const t of addOutcomeToasts(res)) get().toast(t);
        const first = res.added[0];
        if (first) get().select(first.episodeId);
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not add', detail: message(e) });
      }
    },

    async pickFolder() {
      const info = get().appInfo;
      if (!info?.canPickFolder) {
        set({ openDialog: true });
        return;
      }
      try {
        const res = await bridge().invoke('library:pick', undefined);
        const list = await bridge().invoke('library:list', undefined);
        set({ episodes: list });
        for (const t of addOutcomeToasts(res)) get().toast(t);
        const first = res.added[0];
        if (first) get().select(first.episodeId);
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not open the folder', detail: message(e) });
      }
    },
    setOpenDialog: (open) => set({ openDialog: open }),

    async remove(episodeId) {
      try {
        const list = await bridge().invoke('library:remove', { episodeId });
        set((s) => ({ episodes: list, selectedId: s.selectedId === episodeId ? (list[0]?.episodeId ?? null) : s.selectedId }));
        const sel = get().selectedId;
        if (sel) void get().refreshEpisode(sel);
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not remove the episode', detail: message(e) });
      }
    },

    select(episodeId) {
      set({ selectedId: episodeId, selection: [] });
      if (episodeId) void get().refreshEpisode(episodeId);
    },
    setTab: (tab) => set({ tab }),

    async refreshEpisode(episodeId) {
      try {
        const d = await bridge().invoke('episode:get', { episodeId });
        set((s) => ({ details: { ...s.details, [episodeId]: d }, episodes: replaceEpisode(s.episodes, d) }));
        if (d.stages.cluster === 'completed' || d.stages.screentime === 'completed') await get().loadResults(episodeId);
      } catch {
        /* the episode may have been removed meanwhile; the list shows the truth */
      }
    },

    setMode(mode) {
      set({ mode });
      rememberMode(mode);
      if (mode === 'queue') void get().refreshJobs();
    },
    setOptions: (o) => set((s) => ({ options: { ...s.options, ...o } })),

    async runStage(episodeId, stage) {
      const { options } = get();
      set((s) => ({ runs: runBegan(s.runs, episodeId, stage, Date.now()), episodes: markStage(s.episodes, episodeId, stage, 'running') }));
      let result: RunStageResult;
      try {
        result = await bridge().invoke('stage:run', {
          episodeId,
          stage,
          profile: options.profile,
          ...(options.stride ? { stride: options.stride } : {}),
          device: options.device,
        });
      } catch (e) {
        // The call itself failed (refused, connection lost): record it as this stage's outcome so
        // the window says what happened instead of spinning.
        const logs = get().runs[episodeId]?.logs ?? [];
        result = {
          status: 'error',
          stage,
          episodeId,
          episode: '',
          logs,
          elapsedSeconds: 0,
          device: options.device,
          profile: options.profile,
          stride: options.stride,
          cpuThreads: 0,
          exitCode: null,
          error: message(e),
          summary: null,
        };
      }
      set((s) => ({ runs: runEnded(s.runs, result) }));
      await get().refreshEpisode(episodeId);
      return result;
    },

    async runAll(episodeId) {
      if (get().runs[episodeId]?.runAll || get().runs[episodeId]?.active) return;
      set((s) => ({ runs: runAllFlag(s.runs, episodeId, true) }));
      try {
        for (const stage of STAGES) {
          const r = await get().runStage(episodeId, stage);
          if (r.status !== 'completed') break;
        }
      } finally {
        set((s) => ({ runs: runAllFlag(s.runs, episodeId, false) }));
      }
      if (get().results[episodeId]) set({ tab: get().selectedId === episodeId ? 'results' : get().tab });
    },

    async cancel(episodeId) {
      const run = get().runs[episodeId];
      if (!run?.active) return;
      set((s) => ({ runs: cancelRequested(s.runs, episodeId) }));
      try {
        await bridge().invoke('stage:cancel', { episodeId, stage: run.active });
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not cancel', detail: message(e) });
      }
    },

    async submitQueue(episodeId, stages) {
      const { options } = get();
      try {
        const jobs = await bridge().invoke('queue:submit', {
          episodeId,
          stages,
          profile: options.profile,
          ...(options.stride ? { stride: options.stride } : {}),
        });
        set((s) => ({ jobs: jobs.reduce(upsertJob, s.jobs) }));
        get().toast({ kind: 'info', title: `Queued ${jobs.length} job${jobs.length === 1 ? '' : 's'}` });
        void get().refreshQueueStatus();
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not queue the run', detail: message(e) });
      }
    },

    async refreshJobs() {
      const qs = get().queueStatus;
      if (!qs?.available || !qs.configured) return;
      try {
        const jobs = await bridge().invoke('queue:list', undefined);
        set({ jobs: sortJobs(jobs) });
      } catch {
        /* status shows whether the queue is reachable */
      }
    },

    async cancelJob(jobId) {
      try {
        await bridge().invoke('queue:cancel', { jobId });
        await get().refreshJobs();
        void get().refreshQueueStatus();
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not cancel the job', detail: message(e) });
      }
    },

    async resubmitJob(jobId) {
      try {
        const jobs = await bridge().invoke('queue:resubmit', { jobId });
        get().toast({ kind: 'success', title: `Submitted again: ${jobs.length} job${jobs.length === 1 ? '' : 's'}` });
        await get().refreshJobs();
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not submit the job again', detail: message(e) });
      }
    },

    async refreshQueueStatus() {
      try {
        const queueStatus = await bridge().invoke('queue:status', undefined);
        set({ queueStatus });
        if (get().mode === 'queue' && !(queueStatus.available && queueStatus.configured && queueStatus.reachable)) set({ mode: 'local' });
      } catch (e) {
        set({ queueStatus: { available: false, configured: false, reachable: false, message: message(e) } });
      }
    },

    async loadResults(episodeId) {
      try {
        const r = await bridge().invoke('results:get', { episodeId });
        set((s) => ({ results: { ...s.results, [episodeId]: r }, selection: s.selectedId === episodeId ? pruneSelection(s.selection, r) : s.selection }));
      } catch {
        /* no results yet */
      }
    },

    async edit(episodeId, edit) {
      try {
        const r = await bridge().invoke('results:edit', { episodeId, edit });
        set((s) => ({ results: { ...s.results, [episodeId]: r }, selection: pruneSelection(s.selection, r) }));
        // The library row shows the number of people, which merges, splits and ignores change.
        void bridge()
          .invoke('library:list', undefined)
          .then((episodes) => set({ episodes }))
          .catch(() => undefined);
        return true;
      } catch (e) {
        get().toast({ kind: 'error', title: 'The edit was not saved', detail: message(e) });
        return false;
      }
    },
    setSelection: (ids) => set({ selection: ids }),

    async exportResults(episodeId, format) {
      try {
        const r = await bridge().invoke('results:export', { episodeId, format });
        if (r.content !== null) {
          downloadText(r.fileName, r.content, format === 'csv' ? 'text/csv' : 'application/json');
          get().toast({ kind: 'success', title: `Exported ${r.fileName}` });
        } else if (r.savedPath) {
          get().toast({ kind: 'success', title: 'Exported', detail: r.savedPath });
        }
      } catch (e) {
        get().toast({ kind: 'error', title: 'Export failed', detail: message(e) });
      }
    },

    setSettingsOpen: (open) => set({ settingsOpen: open }),

    async checkSetup() {
      set({ setupChecking: true });
      try {
        const setup = await bridge().invoke('app:check', undefined);
        set({ setup });
        return setup;
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not check the setup', detail: message(e) });
        return null;
      } finally {
        set({ setupChecking: false });
      }
    },
    setSetupOpen: (open) => set({ setupOpen: open }),

    async saveSettings(patch) {
      try {
        const settings = await bridge().invoke('settings:set', patch);
        set({ settings });
        // A new Redis URL changes whether queue mode can be offered.
        await get().refreshQueueStatus();
        await get().refreshJobs();
        return true;
      } catch (e) {
        get().toast({ kind: 'error', title: 'Settings were not saved', detail: message(e) });
        return false;
      }
    },

    async setTheme(theme) {
      applyTheme(theme);
      set((s) => ({ settings: s.settings ? { ...s.settings, theme } : s.settings }));
      try {
        const settings = await bridge().invoke('settings:set', { theme });
        set({ settings });
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not save the theme', detail: message(e) });
      }
    },
  };
});

const MODE_KEY = 'screentime.mode';

function rememberMode(mode: ExecutionMode): void {
  try {
    localStorage.setItem(MODE_KEY, mode);
  } catch {
    /* storage unavailable: the window starts in local mode */
  }
}

function recalledMode(): ExecutionMode {
  try {
    return localStorage.getItem(MODE_KEY) === 'queue' ? 'queue' : 'local';
  } catch {
    return 'local';
  }
}

export function applyTheme(theme: Settings['theme']): void {
  if (typeof document === 'undefined') return;
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function downloadText(fileName: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before the URL is released.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

