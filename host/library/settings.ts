// User settings in `<dataDir>/settings.json` (0600). Kept in memory too: the runner reads the
// temperature limit every second. The Redis password is not in that file: it goes to a
// SecretStore (secrets.ts), and the window only ever sees it masked.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../../shared/ipc.js';
import { writeJsonAtomic } from '../../pipeline/runtime/atomic.js';
import { defaultPeopleDir } from '../../pipeline/people/location.js';
import { FileSecretStore, keepPrivate, PRIVATE_MODE, SECRETS_FILE, type SecretStore } from './secrets.js';

export const SETTINGS_FILE = 'settings.json';
export const DEFAULT_SETTINGS: Settings = { redisUrl: null, thermalLimitC: null, theme: 'system' };
/** Name of the Redis password in the SecretStore. */
export const REDIS_PASSWORD = 'redis-password';
/** What the window sees instead of the password; sent back unchanged, it keeps the saved one. */
export const PASSWORD_MASK = '***';

const HOST_LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`, 'i');
const IPV6 = /^\[[0-9a-f:.]+\]$/i;

/** The URL as it may appear in messages: never the password, even when the URL does not parse. */
export function redactRedisUrl(input: string): string {
  try {
    const u = new URL(input);
    if (u.password) u.password = PASSWORD_MASK;
    return u.href;
  } catch {
    return input.replace(/\/\/([^@/]*)@/, `//${PASSWORD_MASK}@`);
  }
}

/**
 * Checks a Redis URL from Settings: redis:// or rediss://, a host name or IP address, a port
 * 1-65535, an optional database number, nothing else. Messages never show the password.
 */
export function parseRedisUrl(input: string): URL {
  const shown = redactRedisUrl(input);
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new Error(`Not a Redis URL: ${shown} (expected redis://host:port or rediss://host:port)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`Not a Redis URL: ${shown} (expected redis://host:port or rediss://host:port)`);
  if (!HOST_NAME.test(u.hostname) && !IPV6.test(u.hostname)) throw new Error(`Redis URL has a bad host name: ${shown}`);
  if (u.port === '0') throw new Error(`Redis URL has a bad port: ${shown} (1 to 65535)`);
  if (!/^(\/\d{0,5})?$/.test(u.pathname)) throw new Error(`Redis URL database must be a number: ${shown}`);
  if (u.search || u.hash) throw new Error(`Redis URL takes no ?options or #fragment: ${shown}`);
  return u;
}

/** The URL with another password (or none, with ''). */
function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.href;
}

/** Which server (and user) a password belongs to: scheme, user, host, port. */
function serverOf(u: URL): string {
  const user = u.username ? `${u.username}@` : '';
  return `${u.protocol}//${user}${u.hostname.toLowerCase()}:${u.port || '6379'}`;
}

/** Keeps only well-formed values from a settings file (it may be old or hand-edited). */
export function sanitizeSettings(v: unknown): Settings {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const out: Settings = { ...DEFAULT_SETTINGS };
  if (typeof o.redisUrl === 'string' && o.redisUrl.length <= 2048 && validRedisUrl(o.redisUrl)) out.redisUrl = o.redisUrl;
  if (typeof o.thermalLimitC === 'number' && o.thermalLimitC >= 40 && o.thermalLimitC <= 110) out.thermalLimitC = o.thermalLimitC;
  if (o.theme === 'light' || o.theme === 'dark' || o.theme === 'system') out.theme = o.theme;
  if (typeof o.peopleDir === 'string' && o.peopleDir.length <= 4096 && path.isAbsolute(o.peopleDir)) out.peopleDir = o.peopleDir;
  return out;
}

function validRedisUrl(url: string): boolean {
  try {
    parseRedisUrl(url);
    return true;
  } catch {
    return false;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null; // absent or broken: defaults
  }
}

export class SettingsStore {
  readonly file: string;
  /** As saved: the Redis URL without its password. */
  private current: Settings;
  private password: string | null;
  private listeners = new Set<(s: Settings) => void>();

  constructor(
    readonly dataDir: string,
    private readonly secrets: SecretStore = new FileSecretStore(path.join(dataDir, SECRETS_FILE)),
  ) {
    this.file = path.join(dataDir, SETTINGS_FILE);
    const saved = sanitizeSettings(readJson(this.file));
    const inFile = saved.redisUrl ? new URL(saved.redisUrl).password : '';
    this.current = { ...saved, redisUrl: saved.redisUrl && withPassword(saved.redisUrl, '') };
    this.password = saved.redisUrl ? this.secrets.get(REDIS_PASSWORD) : null;
    if (inFile) this.moveOutOfFile(inFile);
    else keepPrivate(this.file);
  }

  /** What the window may see: the Redis password masked, `hasPassword` when there is one. */
  get(): Settings {
    if (!this.current.redisUrl || !this.password) return { ...this.current };
    return { ...this.current, redisUrl: withPassword(this.current.redisUrl, PASSWORD_MASK), hasPassword: true };
  }

  /** The Redis URL with its password, for the queue connection only: never send it to a window. */
  redisUrl(): string | null {
    const url = this.current.redisUrl;
    return url && this.password ? withPassword(url, this.password) : url;
  }

  /** Merges a validated partial update (undefined fields stay as they are) and saves it. */
  set(patch: Partial<Settings>): Settings {
    const next = { ...this.current };
    let password = this.password;
    if (patch.redisUrl !== undefined) ({ url: next.redisUrl, password } = this.resolveRedisUrl(patch.redisUrl));
    if (patch.thermalLimitC !== undefined) next.thermalLimitC = patch.thermalLimitC;
    if (patch.theme !== undefined) next.theme = patch.theme;
    if (patch.peopleDir !== undefined) {
      if (patch.peopleDir !== null && !path.isAbsolute(patch.peopleDir)) throw new Error(`The people library folder must be an absolute path: ${patch.peopleDir}`);
      if (patch.peopleDir === null) delete next.peopleDir;
      else next.peopleDir = path.resolve(patch.peopleDir);
    }
    this.save(next, password);
    for (const l of this.listeners) l(this.get());
    return this.get();
  }

  /** The people library folder in use: the one chosen in Settings, else the user's default. */
  peopleDir(): string {
    return this.current.peopleDir ?? defaultPeopleDir();
  }

  onChange(listener: (s: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Splits a URL from the window into what is saved in the file and the password. The mask keeps
   * the saved password only for the server it was saved for: otherwise a window could send it to
   * a server of its choosing by changing the host and leaving the mask in place.
   */
  private resolveRedisUrl(input: string | null): { url: string | null; password: string | null } {
    const trimmed = input?.trim() ?? '';
    if (!trimmed) return { url: null, password: null };
    const u = parseRedisUrl(trimmed);
    const url = withPassword(u.href, '');
    if (u.password !== PASSWORD_MASK) return { url, password: u.password || null };
    if (!this.password || !this.current.redisUrl) {
      throw new Error(`There is no saved Redis password to keep: type the password instead of ${PASSWORD_MASK}`);
    }
    const saved = serverOf(new URL(this.current.redisUrl));
    if (saved !== serverOf(u)) {
      throw new Error(`The saved Redis password is for ${saved}: type the password for ${serverOf(u)} instead of ${PASSWORD_MASK}`);
    }
    return { url, password: this.password };
  }

  /** Saves the password first, then the file; puts the old password back if the file fails. */
  private save(next: Settings, password: string | null): void {
    const before = this.password;
    if (password !== before) this.secrets.set(REDIS_PASSWORD, password);
    try {
      mkdirSync(this.dataDir, { recursive: true });
      writeJsonAtomic(this.file, next, { mode: PRIVATE_MODE });
    } catch (e) {
      if (password !== before) this.restorePassword(before);
      throw e;
    }
    this.current = next;
    this.password = password;
  }

  private restorePassword(before: string | null): void {
    try {
      this.secrets.set(REDIS_PASSWORD, before);
    } catch {
      /* the failed settings write is the error worth reporting */
    }
  }

  /** Earlier versions kept the password in settings.json: move it to the secret store. */
  private moveOutOfFile(password: string): void {
    this.password = null;
    try {
      this.save(this.current, password);
    } catch {
      // Read-only data folder or no keychain: keep working with it in memory; the file stays
      // as it was until the next save succeeds, readable by its owner only.
      this.password = password;
      keepPrivate(this.file);
    }
  }
}
