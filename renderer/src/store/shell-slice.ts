// The connection to the host, the fatal banner and the toasts.

import type { AppInfo, ScreentimeBridge } from '../../../shared/ipc.js';
import type { ConnectionState } from '../bridge/ws-bridge.js';
import type { Toast } from './reducers.js';
import type { Slice } from './slice.js';

export interface ShellSlice {
  bridge: ScreentimeBridge | null;
  fatal: string | null;
  connection: ConnectionState;
  appInfo: AppInfo | null;
  toasts: Toast[];
  setFatal(message: string): void;
  setConnection(c: ConnectionState): void;
  toast(t: Omit<Toast, 'id'>): void;
  dismiss(id: number): void;
}

let toastSeq = 1;

export const createShellSlice: Slice<ShellSlice> = (set, get) => ({
  bridge: null,
  fatal: null,
  connection: 'connecting',
  appInfo: null,
  toasts: [],

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
});
