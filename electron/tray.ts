// Tray icon and taskbar progress: what is running, on which episode, how far. Fed by
// runner.onActivityChange; the text comes from host/bridge/activity.ts (pure, tested there).

import type { BrowserWindow, Menu as MenuType, MenuItemConstructorOptions, NativeImage, Tray as TrayType } from 'electron';
import { describeActivity, type ActivityView } from '../host/bridge/activity.js';
import type { RunnerPort } from '../host/bridge/types.js';
import type { ActiveRun } from '../host/runner/types.js';

export interface TrayDeps {
  Tray: new (image: NativeImage | string) => TrayType;
  Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): MenuType };
  icon: NativeImage | string;
  runner: RunnerPort;
  windows: () => BrowserWindow[];
  nameOf: (episodeId: string) => string;
  showWindow: () => void;
  quit: () => void;
}

export interface TrayController {
  tray: TrayType;
  view(): ActivityView;
  destroy(): void;
}

export function createTray(deps: TrayDeps): TrayController {
  const tray = new deps.Tray(deps.icon);
  let active: ActiveRun[] = [];
  let view = describeActivity(active, deps.nameOf);

  const render = () => {
    view = describeActivity(active, deps.nameOf);
    tray.setToolTip(view.tooltip);
    const template: MenuItemConstructorOptions[] = [
      { label: view.status, enabled: false },
      { type: 'separator' },
      { label: 'Show window', click: () => deps.showWindow() },
      {
        label: 'Cancel',
        enabled: view.canCancel,
        click: () => {
          for (const r of active) void deps.runner.cancel(r.episodeId, r.stage).catch(() => undefined);
        },
      },
      { type: 'separator' },
      { label: 'Quit Screentime', click: () => deps.quit() },
    ];
    // Linux (AppIndicator) only shows menu changes when the menu is set again; do it everywhere.
    tray.setContextMenu(deps.Menu.buildFromTemplate(template));
    for (const w of deps.windows()) if (!w.isDestroyed()) w.setProgressBar(view.progress);
  };

  render();
  tray.on('click', () => deps.showWindow());
  const off = deps.runner.onActivityChange((runs) => {
    active = [...runs];
    render();
  });
  return {
    tray,
    view: () => view,
    destroy() {
      off();
      for (const w of deps.windows()) if (!w.isDestroyed()) w.setProgressBar(-1);
      tray.destroy();
    },
  };
}
