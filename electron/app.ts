// The Electron adapter: windows, IPC, protocols, dialogs, tray and the app lifetime, wired to the
// plain-Node core (host/core.ts, the same the browser host assembles). Everything with logic lives
// in host/ or in the small modules beside this file; this one only connects them.

import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  powerMonitor,
  protocol,
  safeStorage,
  session as electronSession,
  Tray,
} from 'electron';
import type { Bridge } from '../host/bridge/bridge.js';
import type { QueuePort, RunnerPort } from '../host/bridge/types.js';
import { createHostCore } from '../host/core.js';
import { loadQueueService } from '../queue/load-service.js';
import { ExternalThermalSource } from '../host/runner/index.js';
import { nativeDialogs } from './dialogs.js';
import { registerIpc } from './ipc.js';
import { desktopSecretStore } from './secrets.js';
import { PRIVILEGED_SCHEMES, appProtocolHandler, mediaProtocolHandler } from './protocols.js';
import { APP_SCHEME, APP_URL, MEDIA_SCHEME, hardenSession, hardenWebContents } from './security.js';
import { feedThermal } from './thermal.js';
import { createTray, type TrayController } from './tray.js';
import { WindowSessions } from './windows.js';

export interface AppOptions {
  /** Tests inject a runner; the app makes a LocalRunner on the packaged CLI. */
  runner?: RunnerPort;
  /** Queue mode, when configured. */
  queue?: () => QueuePort | null;
}

export interface AppHandle {
  bridge: Bridge;
  runner: RunnerPort;
  windows: WindowSessions;
  tray: TrayController | null;
  createWindow(): BrowserWindow;
}

/** Where the built parts live: `<app>/dist/...` in development and inside app.asar when packaged. */
export function appPaths(appPath: string, resourcesPath: string, packaged: boolean) {
  const dist = path.join(appPath, 'dist');
  return {
    dist,
    renderer: path.join(dist, 'renderer'),
    preload: path.join(dist, 'electron', 'preload.cjs'),
    cli: path.join(dist, 'pipeline', 'cli', 'main.js'),
    // Icons are shipped as extra resources in a package, read from build/ in development.
    icons: packaged ? path.join(resourcesPath, 'icons') : path.join(appPath, 'build', 'icons'),
    models: packaged ? path.join(resourcesPath, 'models') : null,
  };
}

// Before 'ready': the schemes our window and its images are served from.
// the media scheme streams (stream: true) so the player can seek in a video served with Range
protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES);

export async function startApp(options: AppOptions = {}): Promise<AppHandle | null> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  // Linux taskbar progress needs the .desktop file name to match (electron-builder installs
  // screentime.desktop). setDesktopName exists on Linux but is not in electron.d.ts; package.json
  // "desktopName" is the documented twin.
  (app as typeof app & { setDesktopName?: (name: string) => void }).setDesktopName?.('screentime.desktop');
  await app.whenReady();

  const paths = appPaths(app.getAppPath(), process.resourcesPath, app.isPackaged);
  const dataDir = app.getPath('userData');

  let thermal: ExternalThermalSource | undefined;
  if (process.platform === 'darwin' || process.platform === 'win32') {
    thermal = new ExternalThermalSource('electron');
    feedThermal(powerMonitor, thermal, process.platform);
  }
  const core = createHostCore({
    host: 'electron',
    version: app.getVersion(),
    dataDir,
    // After 'ready': safeStorage can only tell whether the OS seals secrets once the app is ready.
    secrets: desktopSecretStore(dataDir, safeStorage),
    runner: options.runner,
    // Quitting kills every stage tree, also those of a runner the caller made.
    shutdownGivenRunner: true,
    localRunner: {
      cliPath: paths.cli,
      // The stage CLI runs on Electron's own Node: no separate Node install on the user's machine.
      node: { command: process.execPath, argsPrefix: [], env: { ELECTRON_RUN_AS_NODE: '1' } },
      thermal,
    },
    // The models carried by a packaged app; the setup check sees the same environment as the stages.
    stageEnv: paths.models && existsSync(paths.models) ? { SCREENTIME_MODELS_DIR: paths.models } : {},
    queue: options.queue,
    loadQueueService,
    // The dialogs look up the window of a session; the sessions need the bridge first.
    ...nativeDialogs((sessionId) => windows.windowOf(sessionId)),
  });
  const { bridge, library, runner } = core;
  const windows = new WindowSessions(bridge);

  hardenSession(electronSession.defaultSession);
  app.on('web-contents-created', (_e, wc) => hardenWebContents(wc));
  protocol.handle(APP_SCHEME, appProtocolHandler(paths.renderer));
  protocol.handle(MEDIA_SCHEME, mediaProtocolHandler(library));
  registerIpc(ipcMain, bridge, windows);

  const iconFile = (name: string) => path.join(paths.icons, name);
  const createWindow = (): BrowserWindow => {
    const win = new BrowserWindow({
      width: 1280,
      height: 820,
      minWidth: 900,
      minHeight: 600,
      show: false,
      title: 'Screentime',
      icon: iconFile('256x256.png'),
      webPreferences: {
        preload: paths.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: false,
      },
    });
    windows.attach(win);
    win.once('ready-to-show', () => win.show());
    void win.loadURL(APP_URL);
    return win;
  };
  const showWindow = () => {
    const win = windows.windows().find((w) => !w.isDestroyed()) ?? createWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  createWindow();

  let tray: TrayController | null = null;
  try {
    tray = createTray({
      Tray,
      Menu,
      icon: nativeImage.createFromPath(iconFile(process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png')),
      runner,
      windows: () => windows.windows(),
      nameOf: (id) => (library.has(id) ? library.get(id).name : id),
      showWindow,
      quit: () => app.quit(),
    });
  } catch {
    /* no tray on this desktop (some Linux sessions): the window still shows progress */
  }

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Quitting kills every stage tree first; the quit resumes once they are gone.
  let shutDown = false;
  let shuttingDown: Promise<void> | null = null;
  const shutdown = () =>
    (shuttingDown ??= core.shutdown().finally(() => {
      shutDown = true;
      tray?.destroy();
    }));
  app.on('before-quit', () => void shutdown());
  app.on('will-quit', (event) => {
    if (shutDown) return;
    event.preventDefault();
    void shutdown().then(() => app.quit());
  });

  return { bridge, runner, windows, tray, createWindow };
}
