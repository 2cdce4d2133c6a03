// The browser host's WebSocket side: one connection per page at /ws?token=..., and one connection
// is one window session. Requests go to the bridge's dispatch; the session's events come back on
// the same socket only. Closing the socket is closing the window: the session's stages die with it.

import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bridge } from '../bridge/bridge.js';
import type { Session } from '../bridge/types.js';
import { requestUrl, tokenMatches, type LocalAddress } from './access.js';
import { parseClientMessage, serverEvent, serverResponse } from './protocol.js';

/**
 * Largest message a page may send: requests are small JSON, except a photo to enrol or a people
 * library to import, which travel in one request (their own caps are in shared/ipc-schemas.ts).
 */
const MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

export interface SocketOptions {
  address: LocalAddress;
  token: string;
  bridge: Bridge;
}

export interface WindowSockets {
  /** Ends every page's session and drops its connection. */
  endSessions(): void;
  close(): Promise<void>;
}

export function attachWindowSockets(server: http.Server, o: SocketOptions): WindowSockets {
  const open = new Map<string, { session: Session; ws: WebSocket }>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });

  server.on('upgrade', (req, socket, head) => {
    // From here on the socket is ours, errors included: a client that resets it while we refuse
    // would otherwise raise an unhandled ECONNRESET and stop the host.
    socket.on('error', () => socket.destroy());
    const refused = upgradeRefusal(o, req);
    if (refused) {
      socket.end(`HTTP/1.1 ${refused}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const session = o.bridge.openSession((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(serverEvent(event, payload));
    }, 'web');
    open.set(session.id, { session, ws });
    ws.on('message', (data, isBinary) => answer(o.bridge, session, ws, isBinary ? null : data.toString()));
    ws.on('close', () => {
      open.delete(session.id);
      o.bridge.closeSession(session);
    });
    ws.on('error', () => ws.terminate());
  });

  return {
    endSessions() {
      for (const { ws, session } of open.values()) {
        o.bridge.closeSession(session);
        ws.terminate();
      }
      open.clear();
    },
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}

/** Why an upgrade is refused ("401 Unauthorized"), or null to accept it. */
function upgradeRefusal(o: SocketOptions, req: http.IncomingMessage): string | null {
  if (!o.address.hostAllowed(req.headers.host)) return '421 Misdirected Request';
  const url = requestUrl(req.url, o.address.origin);
  if (!url) return '400 Bad Request';
  if (url.pathname !== '/ws') return '404 Not Found';
  if (!tokenMatches(url.searchParams.get('token'), o.token)) return '401 Unauthorized';
  // A page of another origin that somehow learnt the token still cannot drive the host.
  if (!o.address.originAllowed(req.headers.origin)) return '403 Forbidden';
  return null;
}

/** One text frame from the page: a malformed one is answered on the same socket, never thrown. */
function answer(bridge: Bridge, session: Session, ws: WebSocket, text: string | null): void {
  const msg = parseClientMessage(text);
  if (!msg.ok) {
    ws.send(serverResponse(msg.id, { ok: false, error: msg.error }));
    return;
  }
  void bridge.dispatch(session, msg.channel, msg.request).then((response) => {
    if (ws.readyState === ws.OPEN) ws.send(serverResponse(msg.id, response));
  });
}
