// Artifact media (face thumbnails) for the window: only image files inside the artifact folder
// of an episode in the library. Used by the browser host's /media route and Electron's
// screentime-media: protocol, so both refuse the same things.

import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LibraryStore } from './store.js';

const MEDIA_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
};

export type MediaResult = { ok: true; file: string; contentType: string; size: number } | { ok: false; error: string };

/**
 * Checks a relative path without touching the disk: no absolute paths, no `..` segments, no
 * backslashes or NUL, an image extension. Returns the normalised relative path or an error.
 */
export function checkRelPath(rel: string): { ok: true; rel: string } | { ok: false; error: string } {
  if (!rel || rel.length > 1024) return { ok: false, error: 'bad media path' };
  if (rel.includes('\0') || rel.includes('\\')) return { ok: false, error: 'bad media path' };
  if (rel.startsWith('/') || path.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) return { ok: false, error: 'media path must be relative' };
  const segs = rel.split('/');
  if (segs.some((s) => s === '..' || s === '.' || s === '')) return { ok: false, error: 'media path must stay inside the artifact folder' };
  const ext = path.extname(rel).toLowerCase();
  if (!MEDIA_TYPES[ext]) return { ok: false, error: 'only images are served' };
  return { ok: true, rel: segs.join('/') };
}

export function resolveMedia(library: LibraryStore, episodeId: string, relPath: string): MediaResult {
  if (!library.has(episodeId)) return { ok: false, error: 'unknown episode' };
  const checked = checkRelPath(relPath);
  if (!checked.ok) return checked;
  const outDir = library.get(episodeId).outDir;
  try {
    // Resolve symlinks on both sides: a link inside the artifact folder must not point out of it.
    const root = realpathSync(outDir);
    const file = realpathSync(path.join(outDir, checked.rel));
    const inside = path.relative(root, file);
    if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return { ok: false, error: 'media path must stay inside the artifact folder' };
    const st = statSync(file);
    if (!st.isFile()) return { ok: false, error: 'not a file' };
    return { ok: true, file, contentType: MEDIA_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', size: st.size };
  } catch {
    return { ok: false, error: 'not found' };
  }
}
