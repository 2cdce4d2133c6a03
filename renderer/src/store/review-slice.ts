// Review tools: undo / redo of the episode's edits, several edits as one step (bulk assign), the
// person the keyboard is on, and what the video player plays.

import type { Edit } from '../../../shared/ipc.js';
import { bridgeOf, message, type Slice } from './slice.js';

/** What the player shows: the episode, where to start (artifact clock) and whose face to follow. */
export interface PlayerTarget {
  episodeId: string;
  at: number;
  identityId: number | null;
  /** Tracks whose boxes are drawn (one track, or all of the person's). */
  trackIds: number[];
  /** Changes on every request, so asking for the same moment again seeks again. */
  seq: number;
}

export interface ReviewSlice {
  player: PlayerTarget | null;
  /** The identity the keyboard is on (next / previous person, accept, reject, merge). */
  focusedId: number | null;
  undo(episodeId: string): Promise<boolean>;
  redo(episodeId: string): Promise<boolean>;
  /** Several edits as one step of the undo log. */
  editMany(episodeId: string, edits: Edit[]): Promise<boolean>;
  playFrom(target: Omit<PlayerTarget, 'seq'>): void;
  closePlayer(): void;
  setFocused(id: number | null): void;
}

let playSeq = 1;

export const createReviewSlice: Slice<ReviewSlice> = (set, get) => {
  const step = async (episodeId: string, what: 'undo' | 'redo' | 'edits', edits: Edit[] = []) => {
    try {
      const b = bridgeOf(get);
      const r =
        what === 'undo'
          ? await b.invoke('results:undo', { episodeId })
          : what === 'redo'
            ? await b.invoke('results:redo', { episodeId })
            : await b.invoke('results:edits', { episodeId, edits });
      get().resultsChanged(episodeId, r);
      return true;
    } catch (e) {
      const title = what === 'undo' ? 'Could not undo' : what === 'redo' ? 'Could not redo' : 'The edits were not saved';
      get().toast({ kind: 'error', title, detail: message(e) });
      return false;
    }
  };

  return {
    player: null,
    focusedId: null,
    undo: (episodeId) => step(episodeId, 'undo'),
    redo: (episodeId) => step(episodeId, 'redo'),
    editMany: (episodeId, edits) => step(episodeId, 'edits', edits),
    playFrom: (target) => set({ player: { ...target, seq: playSeq++ } }),
    closePlayer: () => set({ player: null }),
    setFocused: (id) => set({ focusedId: id }),
  };
};
