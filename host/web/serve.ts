// The browser host: the same window and the same bridge as Electron, over HTTP + one WebSocket
// per page. Bound to 127.0.0.1 only, every data path needs a random token, one connection is one
// window session (docs/web-protocol.md). `npm run web` runs this file.
//
// The core (settings, library, runner, queue mode, bridge) is host/core.ts, as in Electron; this
// file adds the server: routes.ts (HTTP), socket.ts (WebSocket), access.ts (token, Host, Origin)
// and cli.ts (the command line).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadQueueService } from '../../queue/load-service.js';
import type { Bridge } from '../bridge/bridge.js';
import type { QueuePort, RunnerPort } from '../bridge/types.js';
import { createHostCore } from '../core.js';
import { LocalAddress } from './access.js';
import { runWebHostCli } from './cli.js';
import { httpRoutes } from './routes.js';
import { attachWindowSockets } from './socket.js';

export { staticFile } from '../window-files/static.js';
export { requestUrl, tokenMatches } from './access.js';
export { parseCliArgs } from './cli.js';

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

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
}

export async function startWebHost(options: WebHostOptions = {}): Promise<WebHost> {
  const log = options.log ?? ((l: string) => console.log(l));
  const rendererDir = path.resolve(options.rendererDir ?? path.join(DIST, 'renderer'));
  const token = options.token ?? randomBytes(24).toString('base64url');
  const core = createHostCore({
    host: 'web',
    version: readVersion(),
    dataDir: path.resolve(options.dataDir ?? defaultDataDir()),
    runner: options.runner,
    localRunner: { cliPath: path.join(DIST, 'pipeline', 'cli', 'main.js') },
    stageEnv: options.runnerEnv,
    queue: options.queue,
    loadQueueService,
  });

  const address = new LocalAddress();
  const server = http.createServer(httpRoutes({ address, token, rendererDir, library: core.library }));
  const sockets = attachWindowSockets(server, { address, token, bridge: core.bridge });
  address.port = await listen(server, options.port ?? 0);
  const url = `${address.origin}/?token=${token}`;

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      sockets.endSessions();
      await core.shutdown();
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());
  log(`Screentime is at ${url}`);
  return { url, port: address.port, token, bridge: core.bridge, close };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  runWebHostCli(process.argv.slice(2), startWebHost).catch((e: unknown) => {
    console.error(`Screentime could not start: ${(e as Error).message}`);
    process.exit(1);
  });
}
