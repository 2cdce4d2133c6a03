// Secrets (the Redis password) live apart from the settings, behind a small port, so the core can
// keep them out of plain files without knowing where they end up: the Electron adapter seals them
// with the OS keychain (electron/secrets.ts), the browser host, which has no keychain, keeps them
// in a file only the user can read.

import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeJsonAtomic } from '../../pipeline/runtime/atomic.js';

export interface SecretStore {
  /** The secret, or null when none is stored or it can no longer be read. */
  get(name: string): string | null;
  /** Stores the secret, or forgets it with null. */
  set(name: string, value: string | null): void;
}

export const SECRETS_FILE = 'secrets.json';
/** Owner read/write only: settings and secrets are nobody else's business on a shared machine. */
export const PRIVATE_MODE = 0o600;

/** Narrows a file another user could read to the owner; a file that is gone needs nothing. */
export function keepPrivate(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, PRIVATE_MODE);
  } catch {
    /* absent */
  }
}

/** Secrets as a JSON object in one 0600 file; the file is removed once it holds none. */
export class FileSecretStore implements SecretStore {
  constructor(readonly file: string) {
    keepPrivate(file);
  }

  get(name: string): string | null {
    const v = this.read()[name];
    return typeof v === 'string' ? v : null;
  }

  set(name: string, value: string | null): void {
    const all = this.read();
    if (value === null) delete all[name];
    else all[name] = value;
    if (Object.keys(all).length === 0) rmSync(this.file, { force: true });
    else writeJsonAtomic(this.file, all, { mode: PRIVATE_MODE });
  }

  private read(): Record<string, unknown> {
    try {
      const v: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
    } catch {
      return {}; // absent or broken: no secrets
    }
  }
}
