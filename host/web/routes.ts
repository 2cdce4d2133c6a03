// The browser host's HTTP side: the built window's files (with a strict CSP on the page) and the
// library's media (thumbnails) behind the token. Only GET and HEAD; the WebSocket lives at /ws
// (socket.ts) and a plain request there is told to upgrade.

import { existsSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { resolveMedia } from '../library/media.js';
import type { LibraryStore } from '../library/store.js';
import { contentTypeOf, staticFile } from '../window-files/static.js';
import { requestUrl, tokenMatches, type LocalAddress } from './access.js';
import { securityHeaders, webCsp } from './csp.js';
import { sendFile } from './send-file.js';
import { serveVideo } from '../media/video-route.js';

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

export interface RouteOptions {
  address: LocalAddress;
  token: string;
  /** The built window (dist/renderer). */
  rendererDir: string;
  library: LibraryStore;
}

/** The server's request listener. */
export function httpRoutes(o: RouteOptions): (req: Req, res: Res) => void {
  return (req, res) => {
    for (const [k, v] of Object.entries(securityHeaders())) res.setHeader(k, v);
    if (!o.address.hostAllowed(req.headers.host)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('Misdirected Request');
      return;
    }
    const url = requestUrl(req.url, o.address.origin);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad Request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname.startsWith('/media/')) return serveMedia(o, req, res, url);
    if (url.pathname.startsWith('/video/')) {
      if (!tokenMatches(url.searchParams.get('token'), o.token)) return void res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized');
      return void serveVideo(req, res, o.library, url.pathname.slice('/video/'.length));
    }
    if (url.pathname === '/ws') {
      res.writeHead(426).end('Upgrade Required');
      return;
    }
    serveStatic(o, req, res, url);
  };
}

/** `/media/<episodeId>/<path in the artifact folder>?token=...`: files of an episode in the library. */
function serveMedia(o: RouteOptions, req: Req, res: Res, url: URL): void {
  if (!tokenMatches(url.searchParams.get('token'), o.token)) {
    res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized');
    return;
  }
  const parts = url.pathname.slice('/media/'.length).split('/');
  const episodeId = parts.shift() ?? '';
  let rel: string;
  try {
    rel = parts.map((p) => decodeURIComponent(p)).join('/');
  } catch {
    res.writeHead(400).end();
    return;
  }
  const m = resolveMedia(o.library, episodeId, rel);
  if (!m.ok) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(m.error);
    return;
  }
  void sendFile(req, res, m.file, { 'Content-Type': m.contentType, 'Cache-Control': 'no-cache' });
}

/** The window's files; client-side routes fall back to index.html, missing assets are 404s. */
function serveStatic(o: RouteOptions, req: Req, res: Res, url: URL): void {
  const serve = windowFileFor(o.rendererDir, url.pathname);
  if (!serve) {
    const msg = existsSync(path.join(o.rendererDir, 'index.html')) ? 'Not found' : `The window is not built (${o.rendererDir}/index.html is missing): run npm run build`;
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(msg);
    return;
  }
  const type = contentTypeOf(serve);
  const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'no-cache' };
  if (type.startsWith('text/html')) headers['Content-Security-Policy'] = webCsp(o.address.port);
  void sendFile(req, res, serve, headers);
}

/** The file to serve for a path, or null (404). */
function windowFileFor(rendererDir: string, pathname: string): string | null {
  const file = staticFile(rendererDir, pathname);
  let st;
  try {
    st = file ? statSync(file) : null;
  } catch {
    st = null;
  }
  if (file && st?.isFile()) return file;
  if (path.extname(pathname)) return null;
  const index = path.join(rendererDir, 'index.html');
  return existsSync(index) ? index : null;
}
