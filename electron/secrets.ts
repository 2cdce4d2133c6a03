// The desktop app's SecretStore: secrets sealed with Electron's safeStorage (macOS Keychain,
// Windows DPAPI, the Linux secret service), so the file on disk holds only ciphertext. Without
// a keychain it falls back to the browser host's private file (host/library/secrets.ts).

import path from 'node:path';
import type { SafeStorage } from 'electron';
import { FileSecretStore, SECRETS_FILE, type SecretStore } from '../host/library/secrets.js';

/** The part of Electron's safeStorage used here (tests pass a fake). */
export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>;

/** Sealed secrets: base64 of safeStorage ciphertext, in a 0600 file. */
export const SEALED_SECRETS_FILE = 'secrets.sealed.json';

export class SafeStorageSecretStore implements SecretStore {
  private readonly sealed: FileSecretStore;

  constructor(
    file: string,
    private readonly safe: SafeStorageLike,
  ) {
    this.sealed = new FileSecretStore(file);
  }

  get(name: string): string | null {
    const sealed = this.sealed.get(name);
    if (sealed === null) return null;
    try {
      return this.safe.decryptString(Buffer.from(sealed, 'base64'));
    } catch {
      // Sealed under another login or keychain: unreadable here, the user types it again.
      return null;
    }
  }

  set(name: string, value: string | null): void {
    this.sealed.set(name, value === null ? null : this.safe.encryptString(value).toString('base64'));
  }
}

/**
 * safeStorage when the OS can seal (after app 'ready'); otherwise a 0600 file, which is what the
 * browser host does anyway and still keeps the secret out of settings.json.
 */
export function desktopSecretStore(dataDir: string, safe: SafeStorageLike): SecretStore {
  if (safe.isEncryptionAvailable()) return new SafeStorageSecretStore(path.join(dataDir, SEALED_SECRETS_FILE), safe);
  return new FileSecretStore(path.join(dataDir, SECRETS_FILE));
}
