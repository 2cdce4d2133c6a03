// Queue mode behind the optional QueuePort: the bridge sees a queue only while Settings hold a
// Redis URL, and the queue module (BullMQ, ioredis) is loaded only then. Without a URL every
// queue channel answers "Queue mode is not configured".
//
// The host core sits below queue/ (README: Layers), so it never imports it: the app on top
// (electron/app.ts, host/web/serve.ts) passes the loader, queue/load-service.ts, to host/core.ts.

import type { JobInfo } from '../../shared/ipc.js';
import type { SettingsStore } from '../library/settings.js';
import type { QueuePort, QueueSubmitRequest } from './types.js';

/** The part of queue/service.ts QueueService used here. */
export interface QueueServiceLike {
  configure(redisUrl: string | null): Promise<void>;
  status(): ReturnType<QueuePort['status']>;
  submit(req: Pick<QueueSubmitRequest, 'episodeId' | 'episodeDir' | 'outDir' | 'stages' | 'profile' | 'stride'>): Promise<JobInfo[]>;
  list(): Promise<JobInfo[]>;
  cancel(jobId: string): Promise<{ cancelled: boolean }>;
  resubmitLost(jobId: string): Promise<JobInfo[]>;
  onJob(listener: (job: JobInfo) => void): () => void;
  close(): Promise<void>;
}

export interface QueueBinding {
  queue: () => QueuePort | null;
  close(): Promise<void>;
}

/** Makes the queue service on first use; called at most once per binding. */
export type QueueServiceLoader = () => Promise<QueueServiceLike>;

export function queueBinding(settings: SettingsStore, load: QueueServiceLoader): QueueBinding {
  let service: Promise<QueueServiceLike> | null = null;
  const get = async (): Promise<QueueServiceLike> => {
    service ??= load();
    const s = await service;
    // Follows the Settings: a changed URL reconnects, the same URL is a no-op. The URL carries the
    // saved password; Settings never hand it to the window.
    await s.configure(settings.redisUrl());
    return s;
  };
  const port: QueuePort = {
    status: async () => (await get()).status(),
    // The artifact folder goes with the job: a worker writes where local mode would (--out).
    submit: async (req) => (await get()).submit({ episodeId: req.episodeId, episodeDir: req.episodeDir, outDir: req.outDir, stages: req.stages, profile: req.profile, stride: req.stride }),
    list: async () => (await get()).list(),
    cancel: async (jobId) => (await get()).cancel(jobId),
    resubmitLost: async (jobId) => (await get()).resubmitLost(jobId),
    onJob(listener) {
      let off: (() => void) | null = null;
      let stopped = false;
      void get()
        .then((s) => {
          if (!stopped) off = s.onJob(listener);
        })
        .catch(() => undefined);
      return () => {
        stopped = true;
        off?.();
      };
    },
  };
  return {
    queue: () => (settings.redisUrl() ? port : null),
    async close() {
      if (service) await (await service).close().catch(() => undefined);
    },
  };
}
