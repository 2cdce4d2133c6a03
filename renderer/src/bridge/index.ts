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

/** `href` without its `token` parameter, so the token leaves the address bar, history and bookmarks. */
export function addressWithoutToken(href: string): string {
  const u = new URL(href);
  u.searchParams.delete('token');
  return u.href;
}

/** Keeps the token for this tab; false when storage is disabled. */
function keepToken(token: string): boolean {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
    return true;
  } catch {
    return false;
  }
}

export function createBridge(onConnectionChange: (s: ConnectionState) => void): ScreentimeBridge {
  if (window.screentime) return window.screentime;
  let stored: string | null = null;
  try {
    stored = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    /* storage blocked: the address has to carry the token */
  }
  const token = pageToken(window.location.search, stored);
  if (!token) throw new Error('This page was opened without its access token. Open the address the Screentime host printed, including “?token=…”.');
  // Only once the tab has kept it: without storage the address is what makes a reload work.
  if (keepToken(token) && new URLSearchParams(window.location.search).has('token')) {
    history.replaceState(history.state, '', addressWithoutToken(window.location.href));
  }
  // No silent reconnect: a closed socket ended this window's session (and its runs) on the host,
  // so the window says so and offers a reload instead of pretending nothing happened.
  return createWsBridge({ origin: window.location.origin, token, onConnectionChange, reconnectMs: 0 });
}
