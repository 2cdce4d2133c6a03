// Local runs: one awaited `stage:run` per stage, "Run all" stopping at the first stage that does
// not complete, cancel, and the run options.

import type { RunStageResult } from '../../../shared/ipc.js';
import { DEFAULT_PROFILE, STAGES, type Profile, type StageName } from '../../../shared/stages.js';
import { rememberMode, type ExecutionMode } from './platform.js';
import { cancelRequested, markStage, runAllFlag, runBegan, runEnded, type Runs } from './reducers.js';
import { bridgeOf, message, type Slice } from './slice.js';

export interface RunOptions {
  profile: Profile;
  /** Every Nth frame; null lets the profile decide. */
  stride: number | null;
  device: 'cpu';
}

export interface RunsSlice {
  runs: Runs;
  mode: ExecutionMode;
  options: RunOptions;
  setMode(mode: ExecutionMode): void;
  setOptions(o: Partial<RunOptions>): void;
  runStage(episodeId: string, stage: StageName): Promise<RunStageResult>;
  runAll(episodeId: string): Promise<void>;
  cancel(episodeId: string): Promise<void>;
}

export const createRunsSlice: Slice<RunsSlice> = (set, get) => ({
  runs: {},
  mode: 'local',
  options: { profile: DEFAULT_PROFILE, stride: null, device: 'cpu' },

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
      result = await bridgeOf(get).invoke('stage:run', {
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
      await bridgeOf(get).invoke('stage:cancel', { episodeId, stage: run.active });
    } catch (e) {
      get().toast({ kind: 'error', title: 'Could not cancel', detail: message(e) });
    }
  },
});
