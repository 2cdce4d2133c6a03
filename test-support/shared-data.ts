// Where tests find the models and media that live beside the checkout (never in git).
// A test that needs a missing file must SKIP with a message that names it, never pass.

import { existsSync, mkdtempSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DIR = process.env.SCREENTIME_SHARED_DIR ?? path.resolve(REPO_ROOT, '..', 'shared');
export const MODELS_DIR = process.env.SCREENTIME_MODELS_DIR ?? path.join(SHARED_DIR, 'models');
export const MEDIA_DIR = process.env.SCREENTIME_MEDIA_DIR ?? path.join(SHARED_DIR, 'media');

/** The compiled CLI that stage processes run (`npm run build` makes it). */
export const CLI_JS = path.join(REPO_ROOT, 'dist', 'pipeline', 'cli', 'main.js');

export function mediaPath(name: string): string {
  return path.join(MEDIA_DIR, name);
}

/** Returns a reason to skip when any of the files is missing, else null. */
export function missing(...files: string[]): string | null {
  const absent = files.filter((f) => !existsSync(f));
  return absent.length ? `skipped: missing ${absent.join(', ')} (see ../shared/README.md)` : null;
}

/** Copies one media file into a fresh episode folder of its own; returns the folder. */
export function tempEpisode(mediaName: string, folderName = 'episode'): string {
  const root = mkdtempSync(path.join(tmpdir(), 'screentime-test-'));
  const dir = path.join(root, folderName);
  mkdirSync(dir, { recursive: true });
  copyFileSync(mediaPath(mediaName), path.join(dir, path.basename(mediaName)));
  return dir;
}

/** Temp episode folders one test file makes; `removeAll()` (in afterAll) deletes them together. */
export function episodeFolders(): { make(mediaName: string): string; removeAll(): void } {
  const roots: string[] = [];
  return {
    make(mediaName) {
      const dir = tempEpisode(mediaName);
      roots.push(path.dirname(dir));
      return dir;
    },
    removeAll() {
      for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
    },
  };
}
