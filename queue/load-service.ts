// The queue service for the app's queue binding (host/bridge/queue-binding.ts). The app passes
// this loader in, so the host core needs no import of queue/, and BullMQ and ioredis load only
// once Settings hold a Redis URL: this module itself pulls in nothing but a type.

import type { QueueService } from './service.js';

export const loadQueueService = async (): Promise<QueueService> => new (await import('./service.js')).QueueService();
