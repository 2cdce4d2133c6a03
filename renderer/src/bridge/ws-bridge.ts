// The browser host's `ScreentimeBridge`: the same interface Electron's preload exposes, carried
// over one WebSocket (docs/web-protocol.md). One connection is one window: when the page closes or
// reloads, the socket closes and the host ends that window's local runs, exactly like Electron.
//
//   client -> server  {"id": n, "channel": "...", "request": ...}
//   server -> client  {"id": n, "response": {"ok": true, "value": ...} | {"ok": false, "error": "..."}}
//   server -> client  {"event": "...", "payload": ...}

import type { EventChannel, EventOf, RequestChannel, RequestOf, ResponseOf, ScreentimeBridge, Wire } from '../../../shared/ipc.js';

/** The slice of the WebSocket API this client uses (browser WebSocket and the `ws` package both fit). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface WsBridgeOptions {
  /** Page origin, e.g. "http://127.0.0.1:5123". */
  origin: string;
  token: string;
  createSocket?: SocketFactory;
  /** Called when the connection state changes, so the window can say it lost its host. */
  onConnectionChange?: (state: ConnectionState) => void;
  /** Milliseconds before retrying a lost connection; 0 disables reconnecting. */
  reconnectMs?: number;
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface WsBridge extends ScreentimeBridge {
  close(): void;
  readonly state: ConnectionState;
}

const OPEN = 1;

/** ws(s)://host/ws?token=T for a page served from `origin`. */
export function socketUrl(origin: string, token: string): string {
  const u = new URL(origin);
  const scheme = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${u.host}/ws?token=${encodeURIComponent(token)}`;
}

/** /media/<episodeId>/<relPath>?token=T, each path segment escaped (relPath uses "/"). */
export function mediaPath(episodeId: string, relPath: string, token: string): string {
  const segs = relPath.split(/[\\/]+/).filter((s) => s && s !== '.' && s !== '..');
  return `/media/${encodeURIComponent(episodeId)}/${segs.map(encodeURIComponent).join('/')}?token=${encodeURIComponent(token)}`;
}

/** The episode's video on the browser host (`/video/<id>`, HTTP Range). */
export function videoPath(episodeId: string, token: string): string {
  return `/video/${encodeURIComponent(episodeId)}?token=${encodeURIComponent(token)}`;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** A server frame, checked just enough to route it. */
export function parseServerFrame(data: unknown):
  | { kind: 'response'; id: number; response: Wire<unknown> }
  | { kind: 'event'; event: string; payload: unknown }
  | null {
  if (typeof data !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.id === 'number' && o.response && typeof o.response === 'object') {
    const r = o.response as Record<string, unknown>;
    if (r.ok === true) return { kind: 'response', id: o.id, response: { ok: true, value: r.value } };
    if (r.ok === false) return { kind: 'response', id: o.id, response: { ok: false, error: typeof r.error === 'string' ? r.error : 'Unknown error' } };
    return null;
  }
  if (typeof o.event === 'string') return { kind: 'event', event: o.event, payload: o.payload };
  return null;
}

export function createWsBridge(opts: WsBridgeOptions): WsBridge {
  const url = socketUrl(opts.origin, opts.token);
  const createSocket: SocketFactory = opts.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike);
  const reconnectMs = opts.reconnectMs ?? 1500;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  // Requests made before the socket opens wait here, in order.
  let outbox: string[] = [];
  let nextId = 1;
  let socket: SocketLike;
  let state: ConnectionState = 'connecting';
  let closedByUs = false;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const setState = (s: ConnectionState) => {
    if (state === s) return;
    state = s;
    opts.onConnectionChange?.(s);
  };

  const connect = () => {
    setState('connecting');
    socket = createSocket(url);
    socket.onopen = () => {
      setState('open');
      const queued = outbox;
      outbox = [];
      for (const m of queued) socket.send(m);
    };
    socket.onmessage = (ev) => {
      const frame = parseServerFrame(ev.data);
      if (!frame) return;
      if (frame.kind === 'response') {
        const p = pending.get(frame.id);
        if (!p) return;
        pending.delete(frame.id);
        if (frame.response.ok) p.resolve(frame.response.value);
        else p.reject(new Error(frame.response.error));
        return;
      }
      const set = listeners.get(frame.event);
      if (set) for (const l of [...set]) l(frame.payload);
    };
    socket.onerror = () => {
      /* onclose follows and carries the consequence */
    };
    socket.onclose = () => {
      // The host ended this window's session with the socket: nothing in flight can still answer.
      for (const [, p] of pending) p.reject(new Error('Lost the connection to the Screentime host.'));
      pending.clear();
      setState('closed');
      if (!closedByUs && reconnectMs > 0) retry = setTimeout(connect, reconnectMs);
    };
  };
  connect();

  return {
    get state() {
      return state;
    },
    invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
      return new Promise<ResponseOf<C>>((resolve, reject) => {
        if (closedByUs) {
          reject(new Error('The connection to the Screentime host is closed.'));
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        // JSON has no `undefined`: void requests travel as null.
        const msg = JSON.stringify({ id, channel, request: request === undefined ? null : request });
        if (socket.readyState === OPEN) socket.send(msg);
        else outbox.push(msg);
      });
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
    pathForFile(): string | null {
      // A browser never reveals a dropped file's path; the drop handler falls back to text/uri-list.
      return null;
    },
    mediaUrl(episodeId: string, relPath: string): string {
      return mediaPath(episodeId, relPath, opts.token);
    },
    videoUrl(episodeId: string): string {
      return videoPath(episodeId, opts.token);
    },
    close() {
      closedByUs = true;
      if (retry) clearTimeout(retry);
      socket.close(1000, 'closed by the window');
    },
  };
}
