// The core both hosts assemble (electron/app.ts, host/web/serve.ts): one bridge over the settings
// and library of a data folder, the runner it made, and one shutdown.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EpisodeSummary, Wire } from '../shared/ipc.js';
import { CLI_JS, mediaPath, missing, tempEpisode } from '../test-support/shared-data.js';
import type { RunnerPort } from './bridge/types.js';
import { createHostCore, type HostCoreOptions } from './core.js';
import { SettingsStore } from './library/settings.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'screentime-core-'));
  roots.push(d);
  return d;
}

function value<T>(w: Wire<unknown>): T {
  if (!w.ok) throw new Error(w.error);
  return w.value as T;
}

const noQueue = async (): Promise<never> => {
  throw new Error('queue mode must not load without a Redis URL');
};

function options(o: Partial<HostCoreOptions> = {}): HostCoreOptions {
  return { host: 'web', version: '1.2.3', dataDir: dataDir(), localRunner: { cliPath: CLI_JS }, loadQueueService: noQueue, ...o };
}

/** Records shutdowns; runs nothing (only who stops it is under test). */
function callerRunner(): RunnerPort & { shutdowns: number } {
  const r = {
    shutdowns: 0,
    run: async () => { throw new Error('not used'); },
    cancel: async () => false,
    endSession: () => undefined,
    shutdown: async () => { r.shutdowns++; },
    active: () => [],
    onActivityChange: () => () => undefined,
  };
  return r;
}

describe('createHostCore', () => {
  it('answers the window from the settings of its data folder; queue mode stays unloaded without a Redis URL', async () => {
    const o = options();
    const core = createHostCore(o);
    const session = core.bridge.openSession(() => undefined, 'test');
    expect(value(await core.bridge.dispatch(session, 'app:info', undefined))).toEqual({ host: 'web', version: '1.2.3', platform: process.platform, canPickFolder: false });
    expect(value(await core.bridge.dispatch(session, 'settings:set', { thermalLimitC: 80 }))).toMatchObject({ thermalLimitC: 80 });
    // written where the next start reads it
    expect(JSON.parse(readFileSync(path.join(o.dataDir, 'settings.json'), 'utf8'))).toMatchObject({ thermalLimitC: 80 });
    expect(new SettingsStore(o.dataDir).get().thermalLimitC).toBe(80);
    expect(value(await core.bridge.dispatch(session, 'queue:status', undefined))).toMatchObject({ available: false, configured: false });
    await core.shutdown();
  });

  const skip = missing(CLI_JS, mediaPath('episode_gt.mp4'));
  it.skipIf(skip !== null)(`stops the runner it made: a stage asked for after shutdown is refused ${skip ?? ''}`, async () => {
    const core = createHostCore(options());
    const session = core.bridge.openSession(() => undefined, 'test');
    const ep = tempEpisode('episode_gt.mp4');
    roots.push(path.dirname(ep));
    const { added } = value<{ added: EpisodeSummary[] }>(await core.bridge.dispatch(session, 'library:add', { paths: [ep] }));
    expect(added).toHaveLength(1);
    const first = core.shutdown();
    expect(core.shutdown()).toBe(first);
    await first;
    const result = value(await core.bridge.dispatch(session, 'stage:run', { episodeId: added[0]!.episodeId, stage: 'detect_track', profile: 'balanced' }));
    expect(result).toMatchObject({ status: 'error', error: 'the app is shutting down' });
  });

  it('leaves a runner passed in to its caller, unless told to stop it too', async () => {
    const kept = callerRunner();
    await createHostCore(options({ runner: kept })).shutdown();
    expect(kept.shutdowns).toBe(0);
    const stopped = callerRunner();
    const core = createHostCore(options({ runner: stopped, shutdownGivenRunner: true }));
    await Promise.all([core.shutdown(), core.shutdown()]);
    expect(stopped.shutdowns).toBe(1);
  });
});
