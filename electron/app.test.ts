// The Electron adapter's wiring, against a mocked 'electron' module (no Electron binary runs
// here; docs/security.md). The core it wires (dispatch, library, runner) is tested for real in
// host/.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REQUEST_CHANNELS } from '../shared/ipc.js';
import { episodeIdFor } from '../host/library/store.js';
import type { ActiveRun, ActivityListener, RunnerSink } from '../host/runner/types.js';

const fake = vi.hoisted(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EventEmitter: EE } = require('node:events') as typeof import('node:events');
  let nextId = 1;
  class WebContents extends EE {
    id = nextId++;
    destroyed = false;
    send = vi.fn();
    openHandler: ((d: unknown) => unknown) | null = null;
    isDestroyed() {
      return this.destroyed;
    }
    setWindowOpenHandler(h: (d: unknown) => unknown) {
      this.openHandler = h;
    }
  }
  class BrowserWindow extends EE {
    static all: BrowserWindow[] = [];
    webContents = new WebContents();
    loadURL = vi.fn(async () => undefined);
    setProgressBar = vi.fn();
    show = vi.fn();
    focus = vi.fn();
    restore = vi.fn();
    constructor(readonly options: Record<string, unknown>) {
      super();
      BrowserWindow.all.push(this);
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
  }
  class Tray extends EE {
    static last: Tray | null = null;
    setToolTip = vi.fn();
    setContextMenu = vi.fn();
    destroy = vi.fn();
    constructor(readonly image: unknown) {
      super();
      Tray.last = this;
    }
  }
  const handlers = new Map<string, (event: unknown, request: unknown) => Promise<unknown>>();
  const app = Object.assign(new EE(), {
    paths: { appPath: '', userData: '' },
    requestSingleInstanceLock: vi.fn(() => true),
    quit: vi.fn(),
    exit: vi.fn(),
    whenReady: vi.fn(async () => undefined),
    getAppPath: () => app.paths.appPath,
    getPath: (name: string) => (name === 'userData' ? app.paths.userData : path.join(app.paths.userData, name)),
    getVersion: () => '0.1.0-test',
    isPackaged: false,
    setDesktopName: vi.fn(),
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  const defaultSession = {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    webRequest: { onHeadersReceived: vi.fn() },
  };
  // Seals by reversing the bytes after a marker: enough to see that only sealed bytes hit the disk.
  const safeStorage = {
    isEncryptionAvailable: vi.fn(() => true),
    encryptString: vi.fn((plain: string) => Buffer.concat([Buffer.from('sealed:'), Buffer.from(plain, 'utf8').reverse()])),
    decryptString: vi.fn((buf: Buffer) => Buffer.from(buf.subarray('sealed:'.length)).reverse().toString('utf8')),
  };
  return {
    WebContents,
    BrowserWindow,
    Tray,
    handlers,
    app,
    defaultSession,
    safeStorage,
    module: {
      app,
      safeStorage,
      BrowserWindow,
      Tray,
      ipcMain: {
        handle: vi.fn((ch: string, fn: (event: unknown, request: unknown) => Promise<unknown>) => handlers.set(ch, fn)),
        removeHandler: vi.fn((ch: string) => handlers.delete(ch)),
      },
      protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
      session: { defaultSession },
      dialog: { showOpenDialog: vi.fn(), showSaveDialog: vi.fn(), showErrorBox: vi.fn() },
      Menu: { buildFromTemplate: vi.fn((template: unknown[]) => ({ template })) },
      nativeImage: { createFromPath: vi.fn((p: string) => ({ path: p })) },
      powerMonitor: Object.assign(new EE(), { getCurrentThermalState: () => 'nominal' }),
    },
  };
});
vi.mock('electron', () => fake.module);

// Records what the adapter asks of the runner; the real LocalRunner is exercised in host/.
const runner = {
  ended: [] as string[],
  shutdowns: 0,
  sinks: [] as RunnerSink[],
  requests: [] as unknown[],
  listener: null as ActivityListener | null,
  finish: null as ((v: never) => void) | null,
  run(req: unknown, sink: RunnerSink) {
    runner.requests.push(req);
    runner.sinks.push(sink);
    return new Promise<never>((resolve) => (runner.finish = resolve));
  },
  cancel: vi.fn(async () => true),
  endSession(id: string) {
    runner.ended.push(id);
  },
  async shutdown() {
    runner.shutdowns++;
  },
  active: (): ActiveRun[] => [],
  onActivityChange(l: ActivityListener) {
    runner.listener = l;
    return () => (runner.listener = null);
  },
};

const root = mkdtempSync(path.join(tmpdir(), 'screentime-electron-'));
fake.app.paths.appPath = path.join(root, 'app');
fake.app.paths.userData = path.join(root, 'userData');
// One episode in the library before the app starts: the allowlist the window can name.
const epDir = path.join(root, 'Episode 1');
mkdirSync(epDir, { recursive: true });
writeFileSync(path.join(epDir, 'v.mp4'), 'x');
const episodeId = episodeIdFor(epDir);
mkdirSync(fake.app.paths.userData, { recursive: true });
writeFileSync(
  path.join(fake.app.paths.userData, 'library.json'),
  JSON.stringify({ version: 1, episodes: [{ episodeId, name: 'Episode 1', dir: epDir, videoPath: path.join(epDir, 'v.mp4'), outDir: path.join(epDir, 'screentime'), addedAt: '', video: null, videoStat: null }] }),
);

type App = Awaited<ReturnType<typeof import('./app.js').startApp>>;
let handle: NonNullable<App>;
let win: InstanceType<typeof fake.BrowserWindow>;
const appFrame = { url: 'app://screentime/index.html', parent: null };
const invoke = (channel: string, request: unknown, event: Record<string, unknown> = { sender: win.webContents, senderFrame: appFrame }) =>
  fake.handlers.get(channel)!(event, request) as Promise<{ ok: boolean; value?: unknown; error?: string }>;
const sessionId = () => handle.windows.forContents(win.webContents as never)!.session?.id ?? null;

beforeAll(async () => {
  const { startApp } = await import('./app.js');
  const h = await startApp({ runner });
  if (!h) throw new Error('startApp returned null');
  handle = h;
  win = fake.BrowserWindow.all[0]!;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('electron adapter', () => {
  it('registers the privileged schemes, the single-instance lock and the desktop name', () => {
    expect(fake.module.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
      { scheme: 'screentime-media', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
    ]);
    expect(fake.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(fake.app.setDesktopName).toHaveBeenCalledWith('screentime.desktop');
    expect(fake.module.protocol.handle.mock.calls.map((c) => c[0])).toEqual(['app', 'screentime-media']);
  });

  it('creates a sandboxed, isolated window on the app:// URL', () => {
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(prefs.preload).toBe(path.join(root, 'app', 'dist', 'electron', 'preload.cjs'));
    expect(win.loadURL).toHaveBeenCalledWith('app://screentime/index.html');
  });

  it('handles every request channel', () => {
    expect([...fake.handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
  });

  it('dispatches for our window and refuses every other sender', async () => {
    expect(await invoke('app:info', undefined)).toEqual({
      ok: true,
      value: { host: 'electron', version: '0.1.0-test', platform: process.platform, canPickFolder: true },
    });
    const refused = { ok: false, error: 'Refused: the request did not come from a Screentime window' };
    expect(await invoke('app:info', undefined, { sender: win.webContents, senderFrame: { url: 'https://evil.example/', parent: null } })).toEqual(refused);
    expect(await invoke('app:info', undefined, { sender: win.webContents, senderFrame: { url: 'file:///etc/passwd', parent: null } })).toEqual(refused);
    expect(await invoke('app:info', undefined, { sender: win.webContents, senderFrame: { url: 'app://screentime/x', parent: {} } })).toEqual(refused);
    expect(await invoke('app:info', undefined, { sender: win.webContents, senderFrame: null })).toEqual(refused);
    expect(await invoke('app:info', undefined, { sender: new fake.WebContents(), senderFrame: appFrame })).toEqual(refused);
    expect(await invoke('stage:run', { episodeId: 'xyz' })).toMatchObject({ ok: false, error: expect.stringMatching(/^Invalid request for stage:run/) });
  });

  it('runs stages in the asking window\'s session and sends their events to that page only', async () => {
    const s1 = sessionId()!;
    const pending = invoke('stage:run', { episodeId, stage: 'detect_track', profile: 'balanced', stride: 2 });
    await vi.waitFor(() => expect(runner.sinks).toHaveLength(1));
    expect(runner.requests[0]).toMatchObject({ episodeId, sessionId: s1, episodeDir: epDir, outDir: path.join(epDir, 'screentime'), stride: 2 });
    const sink = runner.sinks[0]!;
    sink({ event: 'stage:log', payload: { episodeId, stage: 'detect_track', lines: ['hello'] } });
    expect(win.webContents.send).toHaveBeenLastCalledWith('stage:log', { episodeId, stage: 'detect_track', lines: ['hello'] });
    const calls = win.webContents.send.mock.calls.length;
    win.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false, url: 'app://screentime/index.html' });
    sink({ event: 'stage:log', payload: { episodeId, stage: 'detect_track', lines: ['late'] } });
    expect(win.webContents.send.mock.calls.length).toBe(calls);
    expect(runner.ended).toContain(s1);
    runner.finish!({ status: 'cancelled' } as never);
    expect(await pending).toMatchObject({ ok: true, value: { status: 'cancelled' } });
  });

  it('picks folders and saves exports with native dialogs tied to the asking window', async () => {
    const dialog = fake.module.dialog;
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await invoke('library:pick', undefined)).toEqual({ ok: true, value: { added: [], rejected: [] } });
    expect(dialog.showOpenDialog).toHaveBeenLastCalledWith(win, { title: 'Add episode folders', properties: ['openDirectory', 'multiSelections'] });
    const empty = path.join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [empty] });
    expect(await invoke('library:pick', undefined)).toEqual({ ok: true, value: { added: [], rejected: [{ path: empty, reason: expect.stringMatching(/^no video in .*empty/) }] } });
    // Export: the results of a finished episode, written where the user chose.
    const out = path.join(epDir, 'screentime');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'identities.json'), JSON.stringify({ identities: [] }));
    writeFileSync(path.join(out, 'screentime.json'), JSON.stringify({ duration_s: 10, gap_tolerance_s: 0.5, identities: [{ identity_id: 0, label: 'Ann', visible_s: 4, segments: [[1, 5]], n_tracks: 1 }] }));
    const target = path.join(root, 'chosen.csv');
    dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: target });
    expect(await invoke('results:export', { episodeId, format: 'csv' })).toEqual({ ok: true, value: { savedPath: target, fileName: 'Episode_1-screentime.csv', content: null } });
    expect(readFileSync(target, 'utf8')).toContain('0,Ann,4.000,1,1,1.000,5.000,1.000-5.000');
    dialog.showSaveDialog.mockResolvedValueOnce({ canceled: true, filePath: '' });
    expect(await invoke('results:export', { episodeId, format: 'json' })).toEqual({ ok: true, value: { savedPath: null, fileName: 'Episode_1-screentime.json', content: null } });
  });

  it('keeps the Redis password sealed with safeStorage and answers the window with it masked', async () => {
    const url = 'redis://:hunter2-long@queue.lan:6379';
    const masked = { redisUrl: 'redis://:***@queue.lan:6379', hasPassword: true, thermalLimitC: null, theme: 'system' };
    expect(await invoke('settings:set', { redisUrl: url })).toEqual({ ok: true, value: masked });
    expect(await invoke('settings:get', undefined)).toEqual({ ok: true, value: masked });
    expect(fake.safeStorage.encryptString).toHaveBeenCalledWith('hunter2-long');
    const userData = fake.app.paths.userData;
    for (const f of readdirSync(userData).filter((n) => statSync(path.join(userData, n)).isFile())) {
      expect(readFileSync(path.join(userData, f), 'utf8'), f).not.toContain('hunter2');
    }
    expect(statSync(path.join(userData, 'settings.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(userData, 'secrets.sealed.json')).mode & 0o777).toBe(0o600);
    expect(await invoke('settings:set', { redisUrl: null })).toMatchObject({ ok: true, value: { redisUrl: null } });
  });

  it('ends the window session on a reload, a crash and when the window is destroyed', () => {
    runner.ended.length = 0;
    const s1 = sessionId()!;
    win.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true, url: 'app://screentime/index.html#x' });
    win.webContents.emit('did-start-navigation', { isMainFrame: false, isSameDocument: false, url: 'app://screentime/frame' });
    expect(runner.ended).toEqual([]);
    win.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false, url: 'app://screentime/index.html' });
    const s2 = sessionId()!;
    expect(runner.ended).toEqual([s1]);
    expect(s2).not.toBe(s1);
    win.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 });
    expect(runner.ended).toEqual([s1, s2]);
    expect(sessionId()).toBeNull();
    // After a crash, requests from that contents are refused until a new page loads.
    win.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false, url: 'app://screentime/index.html' });
    const s3 = sessionId()!;
    win.webContents.emit('destroyed');
    expect(runner.ended).toEqual([s1, s2, s3]);
    expect(handle.windows.forContents(win.webContents as never)).toBeUndefined();
  });

  it('hardens every webContents: no navigation away, no new windows, no permissions, a CSP on every response', () => {
    const wc = new fake.WebContents();
    fake.app.emit('web-contents-created', {}, wc);
    const away = { url: 'https://evil.example/', preventDefault: vi.fn() };
    wc.emit('will-navigate', away);
    expect(away.preventDefault).toHaveBeenCalled();
    const own = { url: 'app://screentime/index.html', preventDefault: vi.fn() };
    wc.emit('will-navigate', own);
    expect(own.preventDefault).not.toHaveBeenCalled();
    expect(wc.openHandler?.({ url: 'https://x.example' })).toEqual({ action: 'deny' });
    const perm = fake.defaultSession.setPermissionRequestHandler.mock.calls[0]![0] as (wc: unknown, p: string, cb: (ok: boolean) => void) => void;
    const cb = vi.fn();
    perm(wc, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
    const headers = fake.defaultSession.webRequest.onHeadersReceived.mock.calls[0]![0] as (d: unknown, cb: (r: unknown) => void) => void;
    const hcb = vi.fn();
    headers({ responseHeaders: { a: ['b'] } }, hcb);
    expect(hcb.mock.calls[0]![0]).toEqual({ responseHeaders: { a: ['b'], 'Content-Security-Policy': [expect.stringContaining("script-src 'self'")] } });
  });

  it('shows the running stage in the tray and the taskbar, and clears it when idle', () => {
    const tray = fake.Tray.last!;
    const menus = tray.setContextMenu.mock.calls.length;
    const w2 = handle.createWindow() as unknown as InstanceType<typeof fake.BrowserWindow>;
    runner.listener!([{ episodeId, stage: 'detect_track', sessionId: 's', fraction: 0.42, pid: 1, startedAt: 0, paused: false }]);
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Screentime: detect_track · Episode 1 · 42%');
    expect(tray.setContextMenu.mock.calls.length).toBe(menus + 1);
    const template = (tray.setContextMenu.mock.calls.at(-1)![0] as { template: Array<{ label?: string; enabled?: boolean; click?: () => void }> }).template;
    expect(template.map((t) => t.label).filter(Boolean)).toEqual(['detect_track · Episode 1 · 42%', 'Show window', 'Cancel', 'Quit Screentime']);
    expect(w2.setProgressBar).toHaveBeenLastCalledWith(0.42);
    template.find((t) => t.label === 'Cancel')!.click!();
    expect(runner.cancel).toHaveBeenCalledWith(episodeId, 'detect_track');
    runner.listener!([]);
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Screentime: idle');
    expect(w2.setProgressBar).toHaveBeenLastCalledWith(-1);
  });

  it('shuts the runner down before the app quits', async () => {
    const event = { preventDefault: vi.fn() };
    fake.app.emit('will-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(runner.shutdowns).toBe(1);
    await vi.waitFor(() => expect(fake.app.quit).toHaveBeenCalled());
    const again = { preventDefault: vi.fn() };
    fake.app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
    expect(runner.shutdowns).toBe(1);
  });
});

