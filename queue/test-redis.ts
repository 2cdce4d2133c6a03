// A private, throw-away redis-server for tests and the queue benchmark: its own port, folder and
// pid file, no persistence unless asked; stopped by its pid (never by name: other Redis servers
// may be running). halt() + restart() play a Redis outage (and, without AOF, a Redis that loses its data).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_SERVER = process.env.SCREENTIME_REDIS_SERVER ?? '/usr/bin/redis-server';

/** A reason to skip when redis-server is absent, else null. */
export function redisMissing(): string | null {
  if (existsSync(REDIS_SERVER)) return null;
  const which = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  return which.status === 0 ? null : `skipped: redis-server not installed (apt-get install redis-server, or set SCREENTIME_REDIS_SERVER)`;
}

function serverBinary(): string {
  if (existsSync(REDIS_SERVER)) return REDIS_SERVER;
  return spawnSync('which', ['redis-server'], { encoding: 'utf8' }).stdout.trim();
}

/** A TCP port nobody listens on right now (bound then released by the OS). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** The server's pid (a new one after restart()). */
  readonly pid: number;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
  /** Stops the server (SIGTERM) but keeps its folder: with AOF on, its data survives. */
  halt(): Promise<void>;
  /** Starts the server again on the same port and folder. */
  restart(): Promise<void>;
}

export interface TestRedisOptions {
  password?: string;
  /** Append-only file on (the setting docs/queue.md asks for); default off, like a bare install. */
  appendonly?: boolean;
}

export async function startTestRedis(opts: TestRedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'screentime-redis-'));
  const port = await freePort();
  const pidFile = path.join(dir, 'redis.pid');
  const args = [
    '--bind', '127.0.0.1', '--port', String(port), '--daemonize', 'yes',
    '--pidfile', pidFile, '--logfile', path.join(dir, 'redis.log'), '--dir', dir,
    '--save', '', '--appendonly', opts.appendonly ? 'yes' : 'no',
  ];
  if (opts.appendonly) args.push('--appendfsync', 'always');
  if (opts.password) args.push('--requirepass', opts.password);
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;
  let pid = await launch(args, port, pidFile, dir, opts.password);
  const halt = async () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const stopEnd = Date.now() + 5_000;
    while (Date.now() < stopEnd) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    url,
    port,
    dir,
    get pid() {
      return pid;
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    halt,
    async restart() {
      pid = await launch(args, port, pidFile, dir, opts.password);
    },
  };
}

/** Starts redis-server (daemonized) and waits for PING; returns its pid. */
async function launch(args: string[], port: number, pidFile: string, dir: string, password?: string): Promise<number> {
  rmSync(pidFile, { force: true });
  execFileSync(serverBinary(), args, { stdio: 'ignore' });
  const end = Date.now() + 10_000;
  for (;;) {
    const r = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') break;
    } catch {
      /* not up yet (or still loading its AOF) */
    } finally {
      r.disconnect();
    }
    if (Date.now() > end) throw new Error(`redis-server on port ${port} did not answer PING within 10 s (see ${dir}/redis.log)`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
  return Number(readFileSync(pidFile, 'utf8').trim());
}
