// The episode library: the list, the selected episode and its details, adding and removing.

import type { AddEpisodesResult, EpisodeDetail, EpisodeSummary } from '../../../shared/ipc.js';
import { addOutcomeToasts, replaceEpisode } from './reducers.js';
import { bridgeOf, message, type Slice } from './slice.js';

export interface LibrarySlice {
  episodes: EpisodeSummary[];
  libraryLoaded: boolean;
  selectedId: string | null;
  details: Record<string, EpisodeDetail>;
  tab: 'pipeline' | 'results';
  openDialog: boolean;
  addPaths(paths: string[]): Promise<void>;
  pickFolder(): Promise<void>;
  setOpenDialog(open: boolean): void;
  remove(episodeId: string): Promise<void>;
  select(episodeId: string | null): void;
  setTab(tab: 'pipeline' | 'results'): void;
  refreshEpisode(episodeId: string): Promise<void>;
}

export const createLibrarySlice: Slice<LibrarySlice> = (set, get) => {
  /** After an add (dropped, typed or picked): the new list, one message per outcome, the first added selected. */
  const added = async (res: AddEpisodesResult) => {
    const list = await bridgeOf(get).invoke('library:list', undefined);
    set({ episodes: list });
    for (const t of addOutcomeToasts(res)) get().toast(t);
    const first = res.added[0];
    if (first) get().select(first.episodeId);
  };

  return {
    episodes: [],
    libraryLoaded: false,
    selectedId: null,
    details: {},
    tab: 'pipeline',
    openDialog: false,

    async addPaths(paths) {
      if (paths.length === 0) return;
      try {
        await added(await bridgeOf(get).invoke('library:add', { paths }));
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
        await added(await bridgeOf(get).invoke('library:pick', undefined));
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not open the folder', detail: message(e) });
      }
    },
    setOpenDialog: (open) => set({ openDialog: open }),

    async remove(episodeId) {
      try {
        const list = await bridgeOf(get).invoke('library:remove', { episodeId });
        set((s) => ({ episodes: list, selectedId: s.selectedId === episodeId ? (list[0]?.episodeId ?? null) : s.selectedId }));
        const sel = get().selectedId;
        if (sel) void get().refreshEpisode(sel);
      } catch (e) {
        get().toast({ kind: 'error', title: 'Could not remove the episode', detail: message(e) });
      }
    },

    select(episodeId) {
      set({ selectedId: episodeId, selection: [], player: null, focusedId: null });
      if (episodeId) void get().refreshEpisode(episodeId);
    },
    setTab: (tab) => set({ tab }),

    async refreshEpisode(episodeId) {
      try {
        const d = await bridgeOf(get).invoke('episode:get', { episodeId });
        set((s) => ({ details: { ...s.details, [episodeId]: d }, episodes: replaceEpisode(s.episodes, d) }));
        if (d.stages.cluster === 'completed' || d.stages.screentime === 'completed') await get().loadResults(episodeId);
      } catch {
        /* the episode may have been removed meanwhile; the list shows the truth */
      }
    },
  };
};
