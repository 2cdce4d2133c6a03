// The browser host: the same window and the same bridge as Electron, over HTTP + one WebSocket
// per page. Bound to 127.0.0.1 only, every data path needs a random token, one connection is one
// window session (docs/web-protocol.md). `npm run web` runs this file.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { WebSocketServer, type WebSocket } from 'ws';
import { createBridge, type Bridge } from '../bridge/bridge.js';
import type { QueuePort, RunnerPort, Session } from '../bridge/types.js';
import { LibraryStore } from '../library/store.js';
import { queueBinding } from '../bridge/queue-binding.js';
import { loadQueueService } from '../../queue/load-service.js';
import { SettingsStore } from '../library/settings.js';
import { resolveMedia } from '../library/media.js';
import { LocalRunner } from '../runner/index.js';
import { parseClientMessage, serverResponse, serverEvent } from './protocol.js';
import { webCsp, securityHeaders } from './csp.js';
import { contentTypeOf, staticFile } from '../window-files/static.js';
import { sendFile } from './send-file.js';
import { serveVideo } from '../media/video-route.js';

export { staticFile };

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/host/web -> dist */
const DIST = path.resolve(HERE, '..', '..');

export interface WebHostOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Where library.json and settings.json live (default ~/.config/screentime). */
  dataDir?: string;
  /** Built renderer (default dist/renderer). */
  rendererDir?: string;
  /** Default: 24 random bytes, base64url. */
  token?: string;
  /** Default: a LocalRunner on dist/pipeline/cli/main.js with the current Node. */
  runner?: RunnerPort;
  /** Extra environment for the default runner's stages (e.g. SCREENTIME_MODELS_DIR). */
  runnerEnv?: Record<string, string>;
  /** Queue mode, if configured. */
  queue?: () => QueuePort | null;
  /** Where the host writes its log lines (default: console.log). */
  log?: (line: string) => void;
}

export interface WebHost {
  /** http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  port: number;
  token: string;
  bridge: Bridge;
  /** Ends every session (killing their stages), shuts the runner down, closes the server. */
  close(): Promise<void>;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const xdg = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(xdg, 'screentime');
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(DIST, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Constant-time token comparison (a timing side channel would leak the token byte by byte). */
export function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The request target as a URL on our origin, or null when it does not parse. Node's HTTP parser
 * lets targets such as `//[` through, and `new URL` throws on them: unchecked, any local process
 * could stop the host with one request line.
 */
export function requestUrl(target: string | undefined, origin: string): URL | null {
  try {
    return new URL(target ?? '/', origin);
  } catch {
    return null;
  }
}

export async function startWebHost(options: WebHostOptions = {}): Promise<WebHost> {
  const log = options.log ?? ((l: string) => console.log(l));
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir());
  const rendererDir = path.resolve(options.rendererDir ?? path.join(DIST, 'renderer'));
  const token = options.token ?? randomBytes(24).toString('base64url');
  const settings = new SettingsStore(dataDir);
  const library = new LibraryStore(dataDir);
  const ownsRunner = !options.runner;
  const runner: RunnerPort =
    options.runner ??
    new LocalRunner({
      cliPath: path.join(DIST, 'pipeline', 'cli', 'main.js'),
      thermalLimitC: () => settings.get().thermalLimitC,
      env: options.runnerEnv ?? {},
    });

  const binding = options.queue ? null : queueBinding(settings, loadQueueService);
  const sockets = new Map<string, { session: Session; ws: WebSocket }>();
  const bridge = createBridge({
    host: 'web',
    version: readVersion(),
    platform: process.platform,
    library,
    settings,
    runner,
    stageEnv: options.runnerEnv ?? {},
    queue: options.queue ?? binding!.queue,
  });

  let port = 0;
  const origin = () => `http://127.0.0.1:${port}`;
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
  const hostAllowed = (h: string | undefined) => h === `127.0.0.1:${port}` || h === `localhost:${port}`;

  const serveMedia = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (!tokenMatches(url.searchParams.get('token'), token)) {
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
    const m = resolveMedia(library, episodeId, rel);
    if (!m.ok) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(m.error);
      return;
    }
    void sendFile(req, res, m.file, { 'Content-Type': m.contentType, 'Cache-Control': 'no-cache' });
  };

  const serveStatic = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const file = staticFile(rendererDir, url.pathname);
    let st;
    try {
      st = file ? statSync(file) : null;
    } catch {
      st = null;
    }
    // Client-side routes fall back to index.html; missing assets are 404s.
    let serve = file && st?.isFile() ? file : null;
    if (!serve && !path.extname(url.pathname)) {
      const index = path.join(rendererDir, 'index.html');
      if (existsSync(index)) serve = index;
    }
    if (!serve) {
      const msg = existsSync(path.join(rendererDir, 'index.html')) ? 'Not found' : `The window is not built (${rendererDir}/index.html is missing): run npm run build`;
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(msg);
      return;
    }
    const type = contentTypeOf(serve);
    const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'no-cache' };
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = webCsp(port);
    void sendFile(req, res, serve, headers);
  };

  const server = http.createServer((req, res) => {
    for (const [k, v] of Object.entries(securityHeaders())) res.setHeader(k, v);
    if (!hostAllowed(req.headers.host)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('Misdirected Request');
      return;
    }
    const url = requestUrl(req.url, origin());
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad Request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname.startsWith('/media/')) return serveMedia(req, res, url);
    if (url.pathname.startsWith('/video/')) {
      if (!tokenMatches(url.searchParams.get('token'), token)) return void res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized');
      return void serveVideo(req, res, library, url.pathname.slice('/video/'.length));
    }
    if (url.pathname === '/ws') {
      res.writeHead(426).end('Upgrade Required');
      return;
    }
    serveStatic(req, res, url);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    // From here on the socket is ours, errors included: a client that resets it while we refuse
    // would otherwise raise an unhandled ECONNRESET and stop the host.
    socket.on('error', () => socket.destroy());
    const reqOrigin = req.headers.origin;
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req.headers.host)) return refuse(421, 'Misdirected Request');
    const url = requestUrl(req.url, origin());
    if (!url) return refuse(400, 'Bad Request');
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    if (!tokenMatches(url.searchParams.get('token'), token)) return refuse(401, 'Unauthorized');
    // A page of another origin that somehow learnt the token still cannot drive the host.
    if (reqOrigin !== undefined && reqOrigin !== origin() && reqOrigin !== `http://localhost:${port}`) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const session = bridge.openSession((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(serverEvent(event, payload));
    }, 'web');
    sockets.set(session.id, { session, ws });
    ws.on('message', (data, isBinary) => {
      const msg = parseClientMessage(isBinary ? null : data.toString());
      if (!msg.ok) {
        ws.send(serverResponse(msg.id, { ok: false, error: msg.error }));
        return;
      }
      void bridge.dispatch(session, msg.channel, msg.request).then((response) => {
        if (ws.readyState === ws.OPEN) ws.send(serverResponse(msg.id, response));
      });
    });
    // Closing the socket is closing the window: the session's stages die with it.
    ws.on('close', () => {
      sockets.delete(session.id);
      bridge.closeSession(session);
    });
    ws.on('error', () => ws.terminate());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `${origin()}/?token=${token}`;

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      for (const { ws, session } of sockets.values()) {
        bridge.closeSession(session);
        ws.terminate();
      }
      sockets.clear();
      bridge.dispose();
      if (ownsRunner) await runner.shutdown();
      await binding?.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());
  log(`Screentime is at ${url}`);
  return { url, port, token, bridge, close };
}

interface CliArgs {
  port?: number;
  dataDir?: string;
  open: boolean;
}

export function parseCliArgs(argv: string[]): CliArgs | { error: string } {
  const out: CliArgs = { open: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--port') {
      const v = value();
      const n = Number(v);
      if (!v || !Number.isInteger(n) || n < 0 || n > 65535) return { error: `--port must be a number 0-65535 (got ${v ?? 'nothing'})` };
      out.port = n;
    } else if (flag === '--data-dir') {
      const v = value();
      if (!v) return { error: '--data-dir needs a folder' };
      out.dataDir = path.resolve(v);
    } else if (flag === '--open') out.open = true;
    else if (flag === '--help' || flag === '-h') return { error: 'usage: screentime-web [--port N] [--data-dir DIR] [--open]' };
    else return { error: `unknown option ${a}; usage: screentime-web [--port N] [--data-dir DIR] [--open]` };
  }
  return out;
}

function openBrowser(url: string): void {
  // Argument arrays only: the URL never passes through a shell.
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['explorer.exe', [url]] : ['xdg-open', [url]];
  try {
    spawn(cmd, args as string[], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  } catch {
    /* no browser opener: the URL is printed anyway */
  }
}

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  if ('error' in args) {
    console.error(args.error);
    process.exit(2);
  }
  const host = await startWebHost({ port: args.port ?? 0, dataDir: args.dataDir });
  if (args.open) openBrowser(host.url);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void host.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(`Screentime could not start: ${(e as Error).message}`);
    process.exit(1);
  });
}
