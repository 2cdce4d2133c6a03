// `screentime worker --redis redis://host:port [--concurrency N] [--threads N] [--path-map FROM=TO ...]
//  [--name NAME] [--state-dir DIR] [--stop-grace SECONDS]`
// Runs until SIGTERM / SIGINT; resolves with the process exit code.

import { parseArgs } from 'node:util';
import { EXIT, WORKER_DEFAULT_THREADS } from '../shared/stages.js';
import { parsePathMapping } from './path-map.js';
import { startWorker, type WorkerOptions } from './worker.js';

export const WORKER_USAGE = `usage: screentime worker --redis redis://[user:password@]host:port[/db] [options]
  --redis URL          Redis to take jobs from (rediss:// for TLS); or env SCREENTIME_REDIS_URL
  --concurrency N      stage jobs run at once on this machine (default 1)
  --threads N          thread cap of each stage (default ${WORKER_DEFAULT_THREADS})
  --path-map FROM=TO   rewrite episode paths that start with FROM (repeatable)
  --name NAME          worker name shown on jobs; one running worker per name (default: host name)
  --models DIR         model folder for the stages (default: $SCREENTIME_MODELS_DIR, then the user cache)
  --state-dir DIR      where the worker records its running stages (default ~/.local/state/screentime)
  --stop-grace SEC     on SIGTERM, seconds running stages may finish before they are requeued (default 20)`;

/** Parses worker arguments (with or without the leading `worker`); throws a usage message. */
export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): WorkerOptions {
  const args = argv[0] === 'worker' ? argv.slice(1) : argv;
  const { values } = parseArgs({
    args,
    options: {
      redis: { type: 'string' },
      concurrency: { type: 'string' },
      threads: { type: 'string' },
      'path-map': { type: 'string', multiple: true },
      name: { type: 'string' },
      'state-dir': { type: 'string' },
      models: { type: 'string' },
      'stop-grace': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) throw new UsageError('');
  const redisUrl = values.redis ?? env.SCREENTIME_REDIS_URL;
  if (!redisUrl) throw new UsageError('--redis is required');
  const int = (v: string | undefined, what: string, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${what} must be a whole number from ${min} to ${max}, got ${v}`);
    return n;
  };
  const name = values.name;
  if (name !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError(`--name may use letters, digits, . _ - (up to 64), got ${name}`);
  const grace = int(values['stop-grace'], '--stop-grace', 0, 86_400);
  const opts: WorkerOptions = {
    redisUrl,
    concurrency: int(values.concurrency, '--concurrency', 1, 64),
    threads: int(values.threads, '--threads', 1, 256),
    pathMap: (values['path-map'] ?? []).map((s) => {
      try {
        return parsePathMapping(s);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }),
    name,
    stateDir: values['state-dir'],
    modelsDir: values.models,
    stopGraceMs: grace === undefined ? undefined : grace * 1000,
  };
  return opts;
}

export class UsageError extends Error {}

export async function runWorkerCli(argv: string[]): Promise<number> {
  let opts: WorkerOptions;
  try {
    opts = parseWorkerArgs(argv);
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`${msg ? `screentime worker: ${msg}\n` : ''}${WORKER_USAGE}\n`);
    return msg ? EXIT.USAGE : EXIT.OK;
  }
  let w;
  try {
    w = await startWorker(opts);
  } catch (e) {
    process.stderr.write(`screentime worker: ${(e as Error).message}\n`);
    return EXIT.BAD_INPUT;
  }
  const running = w;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    process.stderr.write(`screentime worker: ${sig}${signals > 1 ? ' again: returning running jobs now' : ''}\n`);
    void running.close(signals > 1 ? 0 : undefined);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await running.closed;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return EXIT.OK;
}
