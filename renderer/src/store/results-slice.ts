// Results of an episode: identities, unsure tracks and screen time, review edits, export.

import type { Edit, Results } from '../../../shared/ipc.js';
import { finishExport } from '../lib/download.js';
import { pruneSelection } from './reducers.js';
import { bridgeOf, message, type Slice } from './slice.js';

export interface ResultsSlice {
  results: Record<string, Results>;
  /** Identity ids selected for a merge. */
  selection: number[];
  loadResults(episodeId: string): Promise<void>;
  edit(episodeId: string, edit: Edit): Promise<boolean>;
  /** Shows results the host answered after a change (an edit, an undo). */
  resultsChanged(episodeId: string, r: Results): void;
  setSelection(ids: number[]): void;
  exportResults(episodeId: string, format: 'csv' | 'json'): Promise<void>;
}

export const createResultsSlice: Slice<ResultsSlice> = (set, get) => ({
  results: {},
  selection: [],

  async loadResults(episodeId) {
    try {
      const r = await bridgeOf(get).invoke('results:get', { episodeId });
      set((s) => ({ results: { ...s.results, [episodeId]: r }, selection: s.selectedId === episodeId ? pruneSelection(s.selection, r) : s.selection }));
    } catch {
      /* no results yet */
    }
  },

  async edit(episodeId, edit) {
    try {
      get().resultsChanged(episodeId, await bridgeOf(get).invoke('results:edit', { episodeId, edit }));
      return true;
    } catch (e) {
      get().toast({ kind: 'error', title: 'The edit was not saved', detail: message(e) });
      return false;
    }
  },

  resultsChanged(episodeId, r) {
    set((s) => ({ results: { ...s.results, [episodeId]: r }, selection: pruneSelection(s.selection, r) }));
    // The library row shows the number of people, which merges, splits and ignores change.
    void bridgeOf(get)
      .invoke('library:list', undefined)
      .then((episodes) => set({ episodes }))
      .catch(() => undefined);
  },

  setSelection: (ids) => set({ selection: ids }),

  async exportResults(episodeId, format) {
    try {
      const done = finishExport(await bridgeOf(get).invoke('results:export', { episodeId, format }));
      if (done) get().toast(done);
    } catch (e) {
      get().toast({ kind: 'error', title: 'Export failed', detail: message(e) });
    }
  },
});
