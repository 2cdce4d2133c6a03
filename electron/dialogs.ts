// The native dialogs the bridge asks for (library:pick, results:export), each attached to the
// window of the asking session so it opens over that window, or free-standing when it is gone.

import path from 'node:path';
import { app, dialog, type BrowserWindow } from 'electron';
import type { BridgeContext } from '../host/bridge/types.js';
import { writeFileAtomic } from '../pipeline/runtime/atomic.js';

type WindowOf = (sessionId: string) => BrowserWindow | null | undefined;

export function nativeDialogs(windowOf: WindowOf): Required<Pick<BridgeContext, 'pickPaths' | 'saveExport'>> {
  return {
    pickPaths: async (session) => {
      const win = windowOf(session.id);
      const opts = { title: 'Add episode folders', properties: ['openDirectory', 'multiSelections'] as Array<'openDirectory' | 'multiSelections'> };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? null : r.filePaths;
    },
    saveExport: async (session, fileName, content) => {
      const win = windowOf(session.id);
      const ext = path.extname(fileName).slice(1);
      const opts = { defaultPath: path.join(app.getPath('documents'), fileName), filters: [{ name: ext.toUpperCase(), extensions: [ext] }] };
      const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
      if (r.canceled || !r.filePath) return null;
      writeFileAtomic(r.filePath, content);
      return r.filePath;
    },
  };
}
