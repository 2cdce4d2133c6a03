// Hands an export to the user: the browser host sends the content back and the window downloads
// it; Electron has already written the file through its Save dialog and sends the path.

import type { ExportResult } from '../../../shared/ipc.js';

export function downloadText(fileName: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before the URL is released.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

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
