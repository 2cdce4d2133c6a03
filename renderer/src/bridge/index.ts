// Chooses the window's bridge: Electron's preload sets `window.screentime`; otherwise this page is
// served by the browser host and talks to it over a WebSocket, authenticated by `?token=`
// (docs/web-protocol.md).

import type { ScreentimeBridge } from '../../../shared/ipc.js';
import { createWsBridge, type ConnectionState } from './ws-bridge.js';

declare global {
  interface Window {
    screentime?: ScreentimeBridge;
  }
}

const TOKEN_KEY = 'screentime.token';

/** The token from the address, else the one this tab kept (so a reload still works). */
export function pageToken(search: string, stored: string | null): string | null {
  const fromUrl = new URLSearchParams(search).get('token');
  return fromUrl && fromUrl.length > 0 ? fromUrl : stored;
}

export function createBridge(onConnectionChange: (s: ConnectionState) => void): ScreentimeBridge {
  if (window.screentime) return window.screentime;
  let stored: string | null = null;
  try {
    stored = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    stored = null;
  }
  const token = pageToken(window.location.search, stored);
  if (!token) throw new Error('This page was opened without its access token. Open the address the Screentime host printed, including “?token=…”.');
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    /* storage disabled: the address still carries the token */
  }
  // No silent reconnect: a closed socket ended this window's session (and its runs) on the host,
  // so the window says so and offers a reload instead of pretending nothing happened.
  return createWsBridge({ origin: window.location.origin, token, onConnectionChange, reconnectMs: 0 });
}
