// The window's one store, made of slices (one file each: shell, library, runs, queue, results,
// settings, review). State transitions live in reducers.ts and review.ts (pure, tested); the page
// itself (theme, localStorage, downloads) only in platform.ts. This file joins the slices and
// wires the host's events to them.

import { create } from 'zustand';
import type { ScreentimeBridge } from '../../../shared/ipc.js';
import { createLibrarySlice, type LibrarySlice } from './library-slice.js';
import { applyTheme, recalledMode } from './platform.js';
import { createQueueSlice, type QueueSlice } from './queue-slice.js';
import { markStage, queueAvailability, runEnded, runLog, runProgress, runReadings, runStarted, runWaiting } from './reducers.js';
import { createResultsSlice, type ResultsSlice } from './results-slice.js';
import { createReviewSlice, type ReviewSlice } from './review-slice.js';
import { createRunsSlice, type RunsSlice } from './runs-slice.js';
import { createSettingsSlice, type SettingsSlice } from './settings-slice.js';
import { createShellSlice, type ShellSlice } from './shell-slice.js';
import { message } from './slice.js';

export type { ExecutionMode } from './platform.js';
export type { RunOptions } from './runs-slice.js';
export { applyTheme };

export interface AppState extends ShellSlice, LibrarySlice, RunsSlice, QueueSlice, ResultsSlice, SettingsSlice, ReviewSlice {
  init(bridge: ScreentimeBridge): Promise<void>;
}

export const useApp = create<AppState>()((set, get, api) => ({
  ...createShellSlice(set, get, api),
  ...createLibrarySlice(set, get, api),
  ...createRunsSlice(set, get, api),
  ...createQueueSlice(set, get, api),
  ...createResultsSlice(set, get, api),
  ...createSettingsSlice(set, get, api),
  ...createReviewSlice(set, get, api),

  async init(b) {
    set({ bridge: b });
    b.on('stage:started', (e) => set((s) => ({ runs: runStarted(s.runs, e.episodeId, e.stage, Date.now()), episodes: markStage(s.episodes, e.episodeId, e.stage, 'running') })));
    b.on('stage:waiting', (w) => set((s) => ({ runs: runWaiting(s.runs, w) })));
    b.on('stage:progress', (p) => set((s) => ({ runs: runProgress(s.runs, p) })));
    b.on('stage:log', (l) => set((s) => ({ runs: runLog(s.runs, l) })));
    b.on('stage:readings', (r) => set((s) => ({ runs: runReadings(s.runs, r) })));
    b.on('stage:ended', (r) => set((s) => ({ runs: runEnded(s.runs, r) })));
    b.on('library:changed', (list) => set({ episodes: list, libraryLoaded: true }));
    b.on('queue:job', (j) => get().jobUpdated(j));
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
}));
