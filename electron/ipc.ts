// One ipcMain.handle per request channel. Every call is checked for a trusted sender, then goes
// through the same dispatch as the browser host (validation, allowlist, Wire<T> answers).

import type { IpcMain } from 'electron';
import { REQUEST_CHANNELS, type Wire } from '../shared/ipc.js';
import type { Bridge } from '../host/bridge/bridge.js';
import type { WindowSessions } from './windows.js';

export const UNTRUSTED_SENDER = 'Refused: the request did not come from a Screentime window';

export function registerIpc(ipcMain: IpcMain, bridge: Bridge, windows: WindowSessions): () => void {
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (event, request: unknown): Promise<Wire<unknown>> => {
      const session = windows.trustedSession(event);
      if (!session) return { ok: false, error: UNTRUSTED_SENDER };
      return bridge.dispatch(session, channel, request);
    });
  }
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}
