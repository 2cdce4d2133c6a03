// The desktop core both hosts assemble the same way: settings, the episode library, the local-mode
// runner, queue mode behind the settings, and the bridge the windows talk to; and one shutdown
// that undoes it in order. The Electron adapter (electron/app.ts) and the browser host
// (host/web/serve.ts) each add only what is theirs: windows, dialogs and protocols, or HTTP and
// WebSockets.
//
// Below queue/ in the layers: the app on top passes the queue loader (queue/load-service.ts).

import { createBridge, type Bridge } from './bridge/bridge.js';
import { queueBinding, type QueueServiceLoader } from './bridge/queue-binding.js';
import type { BridgeContext, QueuePort, RunnerPort } from './bridge/types.js';
import type { SecretStore } from './library/secrets.js';
import { SettingsStore } from './library/settings.js';
import { LibraryStore } from './library/store.js';
import { LocalRunner, type LocalRunnerOptions } from './runner/index.js';

export interface HostCoreOptions {
  host: BridgeContext['host'];
  version: string;
  /** Where library.json, settings.json and the secrets live. */
  dataDir: string;
  /** Where the Redis password is kept (default: a private file in dataDir). */
  secrets?: SecretStore;
  /**
   * A runner made elsewhere (tests). Without it the core makes a LocalRunner from `localRunner`,
   * reading the thermal limit from the settings and giving every stage `stageEnv`.
   */
  runner?: RunnerPort;
  /** The stage CLI and the Node that runs it, and the thermal source, for the core's own LocalRunner. */
  localRunner: Pick<LocalRunnerOptions, 'cliPath' | 'node' | 'thermal'>;
  /**
   * shutdown() stops the runner the core made. A runner passed in is the caller's, unless this is
   * set: quitting the desktop app must kill every stage tree, whoever made the runner.
   */
  shutdownGivenRunner?: boolean;
  /** Extra environment for every stage (e.g. SCREENTIME_MODELS_DIR); the setup check sees it too. */
  stageEnv?: Record<string, string>;
  /** Queue mode made elsewhere (tests). Without it, queue mode follows the settings' Redis URL. */
  queue?: () => QueuePort | null;
  /** Loads queue mode on first use (queue/load-service.ts); used when `queue` is not given. */
  loadQueueService: QueueServiceLoader;
  /** The host's native dialogs (Electron); the browser host has none. */
  pickPaths?: BridgeContext['pickPaths'];
  saveExport?: BridgeContext['saveExport'];
}

export interface HostCore {
  settings: SettingsStore;
  library: LibraryStore;
  runner: RunnerPort;
  bridge: Bridge;
  /**
   * Kills every stage tree (the runner), disconnects queue mode, stops forwarding its events.
   * Idempotent: every call returns the same promise. The hosts end their windows' sessions first.
   */
  shutdown(): Promise<void>;
}

export function createHostCore(o: HostCoreOptions): HostCore {
  const settings = new SettingsStore(o.dataDir, o.secrets);
  const library = new LibraryStore(o.dataDir);
  const stageEnv = o.stageEnv ?? {};
  const runner: RunnerPort =
    o.runner ??
    new LocalRunner({
      ...o.localRunner,
      thermalLimitC: () => settings.get().thermalLimitC,
      env: stageEnv,
    });
  const stopsRunner = !o.runner || o.shutdownGivenRunner === true;
  const binding = o.queue ? null : queueBinding(settings, o.loadQueueService);
  const bridge = createBridge({
    host: o.host,
    version: o.version,
    platform: process.platform,
    library,
    settings,
    runner,
    stageEnv,
    queue: o.queue ?? binding!.queue,
    pickPaths: o.pickPaths,
    saveExport: o.saveExport,
  });

  let shuttingDown: Promise<void> | null = null;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      try {
        if (stopsRunner) await runner.shutdown().catch(() => undefined);
        await binding?.close();
      } finally {
        bridge.dispose();
      }
    })());

  return { settings, library, runner, bridge, shutdown };
}
