// Hands an export to the user: the browser host sends the content back and the window downloads
// it (store/platform.ts, the one module that touches the page); Electron has already written the
// file through its Save dialog and sends the path.

import type { ExportResult } from '../../../shared/ipc.js';
import { downloadText } from '../store/platform.js';

/** MIME type by file name, for the download. */
export function mimeFor(fileName: string): string {
  if (fileName.endsWith('.json')) return 'application/json';
  if (fileName.endsWith('.csv')) return 'text/csv';
  return 'text/plain';
}

/** Downloads or notes the saved file; returns the toast to show (null: the Save dialog was cancelled). */
export function finishExport(r: ExportResult): { kind: 'success'; title: string; detail?: string } | null {
  if (r.content !== null) {
    downloadText(r.fileName, r.content, mimeFor(r.fileName));
    return { kind: 'success', title: `Exported ${r.fileName}` };
  }
  return r.savedPath ? { kind: 'success', title: 'Exported', detail: r.savedPath } : null;
}
