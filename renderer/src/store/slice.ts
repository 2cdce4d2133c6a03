// What every slice of the store shares: the slice type over the whole state, the bridge getter
// and error wording.

import type { StateCreator } from 'zustand';
import type { ScreentimeBridge } from '../../../shared/ipc.js';
import type { AppState } from './app-store.js';

/** A slice sees (and may set) the whole state: actions of one slice call those of another. */
export type Slice<T> = StateCreator<AppState, [], [], T>;

export function bridgeOf(get: () => AppState): ScreentimeBridge {
  const b = get().bridge;
  if (!b) throw new Error('Not connected to the Screentime host yet.');
  return b;
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
