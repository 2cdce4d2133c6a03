import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { redisMissing, startTestRedis, type TestRedis } from '../../queue/test-redis.js';
import { loadQueueService } from '../../queue/load-service.js';
import { LibraryStore } from '../library/store.js';
import { SettingsStore } from '../library/settings.js';
import { createBridge } from './bridge.js';
import { queueBinding } from './queue-binding.js';
import type { RunnerPort } from './types.js';
import { idleRunner } from '../../test-support/idle-runner.js';

const idle: RunnerPort = idleRunner();

const why = redisMissing() ?? missing(mediaPath('short_hamilton_clip.mp4'));
describe('queue mode through the bridge', () => {
  let redis: TestRedis | null = null;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-qb-'));
  beforeAll(async () => {
    if (!why) redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(why)(`is off without a Redis URL and talks to Redis once one is set ${why ?? ''}`, async () => {
    const settings = new SettingsStore(dataDir);
    const binding = queueBinding(settings, loadQueueService);
    const bridge = createBridge({ host: 'web', version: 't', platform: 'linux', library: new LibraryStore(dataDir), settings, runner: idle, queue: binding.queue });
    const events: Array<{ event: string; payload: unknown }> = [];
    const s = bridge.openSession((event, payload) => events.push({ event, payload }));
    expect(await bridge.dispatch(s, 'queue:status', undefined)).toMatchObject({ ok: true, value: { configured: false, message: 'Queue mode is not configured: set a Redis URL in Settings' } });
    expect(await bridge.dispatch(s, 'settings:set', { redisUrl: redis!.url })).toMatchObject({ ok: true });
    const st = await bridge.dispatch(s, 'queue:status', undefined);
    expect(st).toMatchObject({ ok: true, value: { configured: true, reachable: true } });
    expect(await bridge.dispatch(s, 'queue:list', undefined)).toEqual({ ok: true, value: [] });
    // A job for an episode that is not in the library never reaches the queue.
    expect(await bridge.dispatch(s, 'queue:submit', { episodeId: '0123456789abcdef', stages: ['cluster'], profile: 'balanced' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Unknown episode/),
    });
    // A real submission for a library episode: jobs come back at once, job events reach the window.
    const ep = tempEpisode('short_hamilton_clip.mp4', 'Queued');
    const added = await bridge.dispatch(s, 'library:add', { paths: [ep] });
    if (!added.ok) throw new Error(added.error);
    const episodeId = (added.value as { added: Array<{ episodeId: string }> }).added[0]!.episodeId;
    const sub = await bridge.dispatch(s, 'queue:submit', { episodeId, stages: ['cluster', 'screentime'], profile: 'balanced' });
    if (!sub.ok) throw new Error(sub.error);
    const jobs = sub.value as Array<{ jobId: string; stage: string; episodeId: string }>;
    expect(jobs.map((j) => [j.stage, j.episodeId])).toEqual([['cluster', episodeId], ['screentime', episodeId]]);
    await vi.waitFor(() => expect(events.some((e) => e.event === 'queue:job' && (e.payload as { jobId: string }).jobId === jobs[0]!.jobId)).toBe(true), { timeout: 5000 });
    const again = await bridge.dispatch(s, 'queue:submit', { episodeId, stages: ['cluster'], profile: 'balanced' });
    expect(again.ok).toBe(false);
    expect(await bridge.dispatch(s, 'queue:cancel', { jobId: jobs[0]!.jobId })).toEqual({ ok: true, value: { cancelled: true } });
    // only a job Redis lost can be submitted again from the window
    expect(await bridge.dispatch(s, 'queue:resubmit', { jobId: jobs[1]!.jobId })).toEqual({ ok: false, error: `job ${jobs[1]!.jobId} is not a lost job` });
    rmSync(path.dirname(ep), { recursive: true, force: true });
    expect(await bridge.dispatch(s, 'settings:set', { redisUrl: null })).toMatchObject({ ok: true });
    expect(await bridge.dispatch(s, 'queue:list', undefined)).toEqual({ ok: false, error: 'Queue mode is not configured: set a Redis URL in Settings' });
    bridge.dispose();
    await binding.close();
  });
});
