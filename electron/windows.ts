// Ties each window to a bridge session, the way the browser host ties a WebSocket connection to
// one: a main-frame navigation (reload), a crashed renderer, or a closed window ends the session,
// and with it every stage the window started (runner.endSession). Events go to the window whose
// session produced them, and never to a page that replaced it.

import type { BrowserWindow, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Bridge } from '../host/bridge/bridge.js';
import type { Session } from '../host/bridge/types.js';
import { isAppUrl } from './security.js';

export interface WindowState {
  win: BrowserWindow;
  wc: WebContents;
  session: Session | null;
}

export class WindowSessions {
  private readonly byContents = new Map<number, WindowState>();

  constructor(private readonly bridge: Bridge) {}

  /** Registers a window; call right after creating it, before it loads. */
  attach(win: BrowserWindow): WindowState {
    const wc = win.webContents;
    const state: WindowState = { win, wc, session: null };
    this.byContents.set(wc.id, state);
    this.renew(state);

    wc.on('did-start-navigation', (details) => {
      // A new document replaces the page: the old page's stages die, the new page gets a new session.
      if (details.isMainFrame && !details.isSameDocument) this.renew(state);
    });
    wc.on('render-process-gone', () => this.end(state));
    wc.once('destroyed', () => this.forget(state));
    win.once('closed', () => this.forget(state));
    return state;
  }

  private renew(state: WindowState): void {
    this.end(state);
    const session = this.bridge.openSession((event, payload) => {
      // Only the page this session belongs to may receive its events.
      if (state.session === session && !state.wc.isDestroyed()) state.wc.send(event, payload);
    }, `window${state.wc.id}`);
    state.session = session;
  }

  private end(state: WindowState): void {
    if (state.session) this.bridge.closeSession(state.session);
    state.session = null;
  }

  private forget(state: WindowState): void {
    this.end(state);
    this.byContents.delete(state.wc.id);
  }

  /** The state of one of our windows, or undefined for any other webContents. */
  forContents(wc: WebContents): WindowState | undefined {
    return this.byContents.get(wc.id);
  }

  windowOf(sessionId: string): BrowserWindow | null {
    for (const s of this.byContents.values()) if (s.session?.id === sessionId) return s.win;
    return null;
  }

  windows(): BrowserWindow[] {
    return [...this.byContents.values()].map((s) => s.win);
  }

  /**
   * The trusted-sender check: the message comes from the MAIN frame of one of our windows, and
   * that frame shows our own app:// page (not a page it was navigated to, not an iframe).
   */
  trustedSession(event: IpcMainInvokeEvent): Session | null {
    const state = this.byContents.get(event.sender.id);
    if (!state || state.wc !== event.sender || !state.session) return null;
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null || !isAppUrl(frame.url)) return null;
    return state.session;
  }
}
