// Settings (Redis URL, thermal limit, theme) and the setup check.

import type { Settings, SetupCheck } from '../../../shared/ipc.js';
import { applyTheme } from './platform.js';
import { bridgeOf, message, type Slice } from './slice.js';

export interface SettingsSlice {
  settings: Settings | null;
  settingsOpen: boolean;
  /** The last setup check (app:check), null until it answered. */
  setup: SetupCheck | null;
  setupChecking: boolean;
  setupOpen: boolean;
  setTheme(theme: Settings['theme']): Promise<void>;
  setSettingsOpen(open: boolean): void;
  saveSettings(patch: { redisUrl?: string | null; thermalLimitC?: number | null }): Promise<boolean>;
  checkSetup(): Promise<SetupCheck | null>;
  setSetupOpen(open: boolean): void;
}

export const createSettingsSlice: Slice<SettingsSlice> = (set, get) => ({
  settings: null,
  settingsOpen: false,
  setup: null,
  setupChecking: false,
  setupOpen: false,

  setSettingsOpen: (open) => set({ settingsOpen: open }),

  async checkSetup() {
    set({ setupChecking: true });
    try {
      const setup = await bridgeOf(get).invoke('app:check', undefined);
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
      const settings = await bridgeOf(get).invoke('settings:set', patch);
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
      const settings = await bridgeOf(get).invoke('settings:set', { theme });
      set({ settings });
    } catch (e) {
      get().toast({ kind: 'error', title: 'Could not save the theme', detail: message(e) });
    }
  },
});
