// The desktop SecretStore against a stand-in for safeStorage (no Electron binary runs in tests):
// what reaches the disk is the sealed form only, in a 0600 file.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECRETS_FILE } from '../host/library/secrets.js';
import { SETTINGS_FILE, SettingsStore } from '../host/library/settings.js';
import { desktopSecretStore, SafeStorageSecretStore, SEALED_SECRETS_FILE, type SafeStorageLike } from './secrets.js';

/**
 * Seals by XOR with a key, after one byte naming the key; like safeStorage, opening with another
 * key throws. Enough to tell sealed bytes from the clear text.
 */
function fakeSafeStorage(available = true, key = 0x5a): SafeStorageLike & { sealed: number } {
  const fake = {
    sealed: 0,
    isEncryptionAvailable: () => available,
    encryptString(plain: string) {
      fake.sealed++;
      return Buffer.from([key, ...Buffer.from(plain, 'utf8').map((b) => b ^ key)]);
    },
    decryptString(buf: Buffer) {
      if (buf[0] !== key) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(buf.subarray(1).map((b) => b ^ key)).toString('utf8');
    },
  };
  return fake;
}

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-secrets-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('desktop secret store', () => {
  it('seals the Redis password with safeStorage: neither file on disk holds it in clear', () => {
    const safe = fakeSafeStorage();
    const settings = new SettingsStore(dataDir, desktopSecretStore(dataDir, safe));
    settings.set({ redisUrl: 'redis://:hunter2-long@queue.lan:6379' });
    expect(safe.sealed).toBe(1);
    const sealedFile = path.join(dataDir, SEALED_SECRETS_FILE);
    expect(readFileSync(sealedFile, 'utf8')).not.toContain('hunter2');
    expect(readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')).not.toContain('hunter2');
    expect(statSync(sealedFile).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(dataDir, SECRETS_FILE))).toBe(false);
    // Unsealed again at the next start.
    expect(new SettingsStore(dataDir, desktopSecretStore(dataDir, fakeSafeStorage())).redisUrl()).toBe('redis://:hunter2-long@queue.lan:6379');
  });

  it('a secret sealed under another key reads as none: the user types it again', () => {
    new SafeStorageSecretStore(path.join(dataDir, SEALED_SECRETS_FILE), fakeSafeStorage(true, 1)).set('x', 'pw');
    expect(new SafeStorageSecretStore(path.join(dataDir, SEALED_SECRETS_FILE), fakeSafeStorage(true, 1)).get('x')).toBe('pw');
    expect(new SafeStorageSecretStore(path.join(dataDir, SEALED_SECRETS_FILE), fakeSafeStorage(true, 2)).get('x')).toBeNull();
  });

  it('without OS encryption it keeps secrets in the private 0600 file, as the browser host does', () => {
    const settings = new SettingsStore(dataDir, desktopSecretStore(dataDir, fakeSafeStorage(false)));
    settings.set({ redisUrl: 'redis://:pw@queue.lan' });
    const file = path.join(dataDir, SECRETS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')).not.toContain('pw@');
    expect(existsSync(path.join(dataDir, SEALED_SECRETS_FILE))).toBe(false);
  });
});
