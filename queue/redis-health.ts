// What a worker and the desktop's QueueService need to know about the Redis they use, so that no
// job vanishes without a word: does it keep the queue across a restart (AOF / snapshots), did it
// restart (its run id changed), and when did the connection go down and come back.

import type { Redis } from 'ioredis';
import type { RedisPersistence } from './common.js';

/** CONFIG GET appendonly / save; `unknown` when CONFIG is denied (ACL, managed Redis). */
export async function readPersistence(r: Redis): Promise<RedisPersistence> {
  try {
    const aof = (await r.config('GET', 'appendonly')) as string[];
    const save = (await r.config('GET', 'save')) as string[];
    return { appendonly: String(aof[1] ?? ''), save: String(save[1] ?? '') };
  } catch (e) {
    return { unknown: (e as Error).message };
  }
}

/** The server's run id (new on every start), or null when INFO is denied. */
export async function redisRunId(r: Redis): Promise<string | null> {
  try {
    return /^run_id:(\w+)/m.exec(await r.info('server'))?.[1] ?? null;
  } catch {
    return null;
  }
}

export interface ConnectionWatch {
  /** Stops watching (call before closing the connection: a deliberate close is no outage). */
  stop(): void;
}

/**
 * Calls `down` when an established connection drops and `up` (with the outage's length) when it
 * is ready again; ioredis reconnects by itself, this only makes both moments visible.
 */
export function watchConnection(r: Redis, on: { down(): void; up(downForMs: number): void }): ConnectionWatch {
  let everReady = r.status === 'ready';
  let downSince: number | null = null;
  const onReady = () => {
    everReady = true;
    if (downSince === null) return;
    const ms = Date.now() - downSince;
    downSince = null;
    on.up(ms);
  };
  const onClose = () => {
    if (!everReady || downSince !== null) return;
    downSince = Date.now();
    on.down();
  };
  r.on('ready', onReady);
  r.on('close', onClose);
  return {
    stop() {
      r.off('ready', onReady);
      r.off('close', onClose);
    },
  };
}
