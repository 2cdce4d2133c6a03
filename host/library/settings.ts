// User settings in `<dataDir>/settings.json`. Kept in memory too: the runner reads the
// temperature limit every second.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../../shared/ipc.js';
import { writeJsonAtomic } from '../../pipeline/runtime/atomic.js';

export const SETTINGS_FILE = 'settings.json';
export const DEFAULT_SETTINGS: Settings = { redisUrl: null, thermalLimitC: null, theme: 'system' };

/** Keeps only well-formed values from a settings file (it may be old or hand-edited). */
export function sanitizeSettings(v: unknown): Settings {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const out: Settings = { ...DEFAULT_SETTINGS };
  if (typeof o.redisUrl === 'string' && o.redisUrl.length <= 2048) out.redisUrl = o.redisUrl;
  if (typeof o.thermalLimitC === 'number' && o.thermalLimitC >= 40 && o.thermalLimitC <= 110) out.thermalLimitC = o.thermalLimitC;
  if (o.theme === 'light' || o.theme === 'dark' || o.theme === 'system') out.theme = o.theme;
  return out;
}

export class SettingsStore {
  readonly file: string;
  private current: Settings;
  private listeners = new Set<(s: Settings) => void>();

  constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, SETTINGS_FILE);
    let raw: unknown = null;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      /* absent or broken: defaults */
    }
    this.current = sanitizeSettings(raw);
  }

  get(): Settings {
    return { ...this.current };
  }

  /** Merges a validated partial update (undefined fields stay as they are) and saves it. */
  set(patch: Partial<Settings>): Settings {
    const next = { ...this.current };
    if (patch.redisUrl !== undefined) next.redisUrl = patch.redisUrl === null || patch.redisUrl.trim() === '' ? null : patch.redisUrl.trim();
    if (patch.thermalLimitC !== undefined) next.thermalLimitC = patch.thermalLimitC;
    if (patch.theme !== undefined) next.theme = patch.theme;
    mkdirSync(this.dataDir, { recursive: true });
    writeJsonAtomic(this.file, next);
    this.current = next;
    for (const l of this.listeners) l(this.get());
    return this.get();
  }

  onChange(listener: (s: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
