// Entry point of the desktop app (package.json "main": dist/electron/main.js).

import { app, dialog } from 'electron';
import { startApp } from './app.js';

startApp().catch((e: unknown) => {
  dialog.showErrorBox('Screentime could not start', (e as Error)?.message ?? String(e));
  app.exit(1);
});
