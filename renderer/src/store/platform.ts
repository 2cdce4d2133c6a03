// The store's only contact with the page itself: the theme on <html>, the remembered run mode in
// localStorage, and file downloads. Slices call these; reducers never do, so they stay pure.

import type { Settings } from '../../../shared/ipc.js';

export type ExecutionMode = 'local' | 'queue';

const MODE_KEY = 'screentime.mode';

export function rememberMode(mode: ExecutionMode): void {
  try {
    localStorage.setItem(MODE_KEY, mode);
  } catch {
    /* storage unavailable: the window starts in local mode */
  }
}

export function recalledMode(): ExecutionMode {
  try {
    return localStorage.getItem(MODE_KEY) === 'queue' ? 'queue' : 'local';
  } catch {
    return 'local';
  }
}

export function applyTheme(theme: Settings['theme']): void {
  if (typeof document === 'undefined') return;
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

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
