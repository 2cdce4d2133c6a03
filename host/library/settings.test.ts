// Settings as the window and the queue see them: the Redis password stays out of settings.json
// and out of every answer to the window, and a masked password is only ever sent to the server
// it was saved for.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Wire } from '../../shared/ipc.js';
import { redisMissing, startTestRedis, type TestRedis } from '../../queue/test-redis.js';
import { loadQueueService } from '../../queue/load-service.js';
import { createBridge, type Bridge } from '../bridge/bridge.js';
import { queueBinding } from '../bridge/queue-binding.js';
import type { RunnerPort, Session } from '../bridge/types.js';
import { SECRETS_FILE, FileSecretStore, type SecretStore } from './secrets.js';
import { parseRedisUrl, REDIS_PASSWORD, SETTINGS_FILE, SettingsStore } from './settings.js';
import { LibraryStore } from './store.js';
import { idleRunner } from '../../test-support/idle-runner.js';

const idle: RunnerPort = idleRunner();

const PASSWORD = 's3cret-p@ss';
const URL_WITH_PASSWORD = `redis://:${encodeURIComponent(PASSWORD)}@queue.lan:6379/2`;
const modeOf = (file: string) => statSync(file).mode & 0o777;
const valueOf = (w: Wire<unknown>) => {
  if (!w.ok) throw new Error(w.error);
  return w.value as Record<string, unknown>;
};
const errorOf = (w: Wire<unknown>) => (w.ok ? `unexpected success: ${JSON.stringify(w.value)}` : w.error);

let dataDir: string;
let bridge: Bridge;
let session: Session;
const call = (channel: string, request?: unknown) => bridge.dispatch(session, channel, request);

function openBridge(settings: SettingsStore): void {
  bridge?.dispose();
  bridge = createBridge({ host: 'web', version: 't', platform: process.platform, library: new LibraryStore(dataDir), settings, runner: idle });
  session = bridge.openSession(() => undefined);
}

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-settings-'));
  openBridge(new SettingsStore(dataDir));
});
afterEach(() => {
  bridge.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the Redis password', () => {
  it('is kept out of settings.json (0600) and in a separate 0600 secrets file', async () => {
    valueOf(await call('settings:set', { redisUrl: URL_WITH_PASSWORD, theme: 'dark' }));
    const settingsFile = path.join(dataDir, SETTINGS_FILE);
    const secretsFile = path.join(dataDir, SECRETS_FILE);
    expect(readFileSync(settingsFile, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(settingsFile, 'utf8')).not.toContain(encodeURIComponent(PASSWORD));
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toMatchObject({ redisUrl: 'redis://queue.lan:6379/2', theme: 'dark' });
    expect(modeOf(settingsFile)).toBe(0o600);
    expect(modeOf(secretsFile)).toBe(0o600);
    expect(new SettingsStore(dataDir).redisUrl()).toBe(URL_WITH_PASSWORD);
  });

  it('never reaches the window: settings:get and settings:set answer it masked, with hasPassword', async () => {
    const masked = { redisUrl: 'redis://:***@queue.lan:6379/2', hasPassword: true, thermalLimitC: null, theme: 'system' };
    expect(valueOf(await call('settings:set', { redisUrl: URL_WITH_PASSWORD }))).toEqual(masked);
    expect(valueOf(await call('settings:get'))).toEqual(masked);
    // After a restart too (the password now comes from the secret store).
    openBridge(new SettingsStore(dataDir));
    const got = await call('settings:get');
    expect(valueOf(got)).toEqual(masked);
    expect(JSON.stringify(got)).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('a masked password sent back unchanged keeps the saved one (other fields may change)', async () => {
    valueOf(await call('settings:set', { redisUrl: URL_WITH_PASSWORD }));
    valueOf(await call('settings:set', { redisUrl: 'redis://:***@queue.lan:6379/2', thermalLimitC: 80 }));
    valueOf(await call('settings:set', { theme: 'light' }));
    // Another database on the same server is the same server: the password goes with it.
    valueOf(await call('settings:set', { redisUrl: 'redis://:***@QUEUE.lan/5' }));
    const s = new SettingsStore(dataDir);
    expect(s.redisUrl()).toBe(`redis://:${encodeURIComponent(PASSWORD)}@QUEUE.lan/5`);
    expect(s.get()).toMatchObject({ thermalLimitC: 80, theme: 'light', hasPassword: true });
  });

  it('a masked password is never sent to another server, user or scheme: type it again', async () => {
    valueOf(await call('settings:set', { redisUrl: URL_WITH_PASSWORD }));
    for (const other of ['redis://:***@evil.example:6379/2', 'redis://:***@queue.lan:6380/2', 'redis://admin:***@queue.lan:6379/2', 'rediss://:***@queue.lan:6379/2']) {
      expect(errorOf(await call('settings:set', { redisUrl: other }))).toMatch(/^The saved Redis password is for redis:\/\/queue\.lan:6379: type the password for .* instead of \*\*\*$/);
    }
    expect(new SettingsStore(dataDir).redisUrl()).toBe(URL_WITH_PASSWORD);
  });

  it('a masked password with nothing saved is refused; a URL without one forgets the saved one', async () => {
    expect(errorOf(await call('settings:set', { redisUrl: 'redis://:***@queue.lan:6379' }))).toBe(
      'There is no saved Redis password to keep: type the password instead of ***',
    );
    valueOf(await call('settings:set', { redisUrl: URL_WITH_PASSWORD }));
    expect(valueOf(await call('settings:set', { redisUrl: 'redis://queue.lan:6379' }))).toEqual({ redisUrl: 'redis://queue.lan:6379', thermalLimitC: null, theme: 'system' });
    expect(existsSync(path.join(dataDir, SECRETS_FILE))).toBe(false);
    valueOf(await call('settings:set', { redisUrl: null }));
    expect(new SettingsStore(dataDir).redisUrl()).toBeNull();
  });

  it('a password written in clear by an earlier version moves out of settings.json on start', () => {
    const settingsFile = path.join(dataDir, SETTINGS_FILE);
    writeFileSync(settingsFile, JSON.stringify({ redisUrl: URL_WITH_PASSWORD, thermalLimitC: 85, theme: 'dark' }));
    chmodSync(settingsFile, 0o644);
    const s = new SettingsStore(dataDir);
    expect(readFileSync(settingsFile, 'utf8')).not.toContain(encodeURIComponent(PASSWORD));
    expect(modeOf(settingsFile)).toBe(0o600);
    expect(s.redisUrl()).toBe(URL_WITH_PASSWORD);
    expect(s.get()).toEqual({ redisUrl: 'redis://:***@queue.lan:6379/2', hasPassword: true, thermalLimitC: 85, theme: 'dark' });
  });

  it('goes to the injected secret store (the Electron adapter passes a safeStorage one)', async () => {
    const kept = new Map<string, string>();
    const store: SecretStore = { get: (n) => kept.get(n) ?? null, set: (n, v) => void (v === null ? kept.delete(n) : kept.set(n, v)) };
    openBridge(new SettingsStore(dataDir, store));
    valueOf(await call('settings:set', { redisUrl: 'rediss://worker:pw%2Fx@10.0.0.5:6380' }));
    expect(kept.get(REDIS_PASSWORD)).toBe('pw%2Fx');
    expect(existsSync(path.join(dataDir, SECRETS_FILE))).toBe(false);
    expect(readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')).not.toContain('pw%2Fx');
    expect(new SettingsStore(dataDir, store).redisUrl()).toBe('rediss://worker:pw%2Fx@10.0.0.5:6380');
  });

  it('is put back as it was when settings.json cannot be written', async () => {
    const kept = new FileSecretStore(path.join(dataDir, 'kept.json'));
    const s = new SettingsStore(dataDir, kept);
    s.set({ redisUrl: URL_WITH_PASSWORD });
    // settings.json replaced by a folder: the rename over it fails (EISDIR) after the secret was saved.
    rmSync(path.join(dataDir, SETTINGS_FILE));
    mkdirSync(path.join(dataDir, SETTINGS_FILE));
    expect(() => s.set({ redisUrl: 'redis://:other@queue.lan:6379/2' })).toThrow();
    expect(kept.get(REDIS_PASSWORD)).toBe(encodeURIComponent(PASSWORD));
    expect(s.redisUrl()).toBe(URL_WITH_PASSWORD);
  });
});

describe('the Redis URL the window may set', () => {
  it.each([
    ['http://queue.lan:6379', /^Not a Redis URL: http:\/\/queue\.lan:6379\/ \(expected redis:\/\/host:port or rediss:\/\/host:port\)$/],
    ['queue.lan:6379', /^Not a Redis URL/],
    ['redis://', /^Redis URL has a bad host name/],
    ['redis://bad_host!:6379', /^Redis URL has a bad host name|^Not a Redis URL/],
    ['redis://a..b:6379', /^Redis URL has a bad host name/],
    ['redis://queue.lan:0', /^Redis URL has a bad port/],
    ['redis://queue.lan:70000', /^Not a Redis URL/],
    ['redis://queue.lan:6379/zero', /^Redis URL database must be a number/],
    ['redis://queue.lan:6379/0?family=6', /^Redis URL takes no \?options or #fragment/],
  ])('refuses %s', async (url, message) => {
    expect(errorOf(await call('settings:set', { redisUrl: url }))).toMatch(message);
    expect(existsSync(path.join(dataDir, SETTINGS_FILE))).toBe(false);
  });

  it('never echoes a password in a refusal', async () => {
    for (const url of ['http://:hunter2@queue.lan', 'redis://:hunter2@bad host', 'redis://:hunter2@queue.lan:0', 'redis://:hunter2@queue.lan/x']) {
      const error = errorOf(await call('settings:set', { redisUrl: url }));
      expect(error).not.toContain('hunter2');
      expect(error).toContain('***');
    }
  });

  it.each(['redis://127.0.0.1:6379', 'rediss://queue.studio.example:6380/3', 'redis://[::1]:6379', 'redis://user:pw@queue-1.lan', 'redis://localhost'])('accepts %s', (url) => {
    expect(parseRedisUrl(url).protocol).toMatch(/^rediss?:$/);
  });

  it('a hand-edited settings.json with a URL the window could not set is ignored', () => {
    writeFileSync(path.join(dataDir, SETTINGS_FILE), JSON.stringify({ redisUrl: 'http://169.254.169.254/latest', theme: 'dark' }));
    expect(new SettingsStore(dataDir).get()).toEqual({ redisUrl: null, thermalLimitC: null, theme: 'dark' });
  });
});

const noRedis = redisMissing();
describe('queue mode with a password-protected Redis', () => {
  let redis: TestRedis | null = null;
  beforeAll(async () => {
    if (!noRedis) redis = await startTestRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.skipIf(noRedis)(`connects with the saved password while the window only sees it masked ${noRedis ?? ''}`, async () => {
    const connect = async () => {
      const settings = new SettingsStore(dataDir);
      const binding = queueBinding(settings, loadQueueService);
      bridge.dispose();
      bridge = createBridge({ host: 'web', version: 't', platform: process.platform, library: new LibraryStore(dataDir), settings, runner: idle, queue: binding.queue });
      session = bridge.openSession(() => undefined);
      return binding;
    };
    let binding = await connect();
    const set = valueOf(await call('settings:set', { redisUrl: redis!.url }));
    expect(set).toMatchObject({ redisUrl: `redis://:***@127.0.0.1:${redis!.port}`, hasPassword: true });
    expect(valueOf(await call('queue:status'))).toMatchObject({ configured: true, reachable: true });
    // Saving the dialog unchanged (masked URL) keeps the connection working, after a restart too.
    valueOf(await call('settings:set', { redisUrl: set.redisUrl }));
    await binding.close();
    binding = await connect();
    const status = valueOf(await call('queue:status'));
    expect(status).toMatchObject({ configured: true, reachable: true });
    expect(JSON.stringify(status)).not.toContain(encodeURIComponent(PASSWORD));
    await binding.close();
  });
});
