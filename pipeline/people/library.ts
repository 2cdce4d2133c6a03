// The people library on disk: one folder holding
//   people.json       the index (schema version, revision, people with their reference faces)
//   people.prev.json  the version before the last write (kept so a damaged index can be restored)
//   chips/<id>.jpg    the aligned face chip of each reference face
//   people.lock       present while one writer updates the index
// Plain files, not an embedded database: the index of 1,000 people x 20 faces is ~15 MB of JSON
// and reads in well under a second (docs/people.md), and plain files move with `cp` and sync.
//
// Every change goes through updateLibrary(): take the lock (O_EXCL; a lock whose process is gone
// is taken over), read the index fresh, apply the change, write the new index atomically (temp +
// fsync + rename), release. Two app windows and the CLI therefore never lose each other's updates.
// A damaged index is refused with its path and left as it is: nothing is written over it.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, constants, copyFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { PEOPLE_SCHEMA_VERSION, type PeopleLibraryFile, type Person, type PersonSummary } from '../../shared/people.js';
import { EXIT } from '../../shared/stages.js';
import { writeJsonAtomic } from '../runtime/atomic.js';
import { pidAlive } from '../runtime/lock.js';
import { StageError } from '../runtime/stage.js';

export const LIBRARY_FILE = 'people.json';
export const LIBRARY_PREVIOUS = 'people.prev.json';
export const LIBRARY_LOCK = 'people.lock';
export const CHIPS_DIR = 'chips';

/** How long a writer waits for another one to finish before giving up. */
export const LOCK_WAIT_MS = 20_000;
/** A lock from another machine (shared folder) older than this is taken over. */
export const FOREIGN_LOCK_STALE_MS = 60_000;

/** A problem with the library the user can act on (bad file, busy, unknown person). */
export class PeopleError extends StageError {
  constructor(message: string, exitCode: number = EXIT.BAD_INPUT) {
    super(message, exitCode);
    this.name = 'PeopleError';
  }
}

const box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const source = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('photo'), file: z.string(), box }),
  z.looseObject({ kind: z.literal('episode'), episode: z.string(), track_id: z.number().int(), frame_idx: z.number().int(), ts: z.number() }),
]);
const faceV2 = z.looseObject({ face_id: z.string().min(1), chip: z.string(), embedding: z.string(), source, added_at: z.string() });
const personV2 = z.looseObject({
  person_id: z.string().min(1),
  name: z.string().min(1),
  show: z.string().nullable(),
  locked: z.boolean(),
  learn: z.boolean(),
  // checked by checkFaces: zod on 20,000 faces costs a quarter of a second
  faces: z.array(z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
});
const libraryV2 = z.looseObject({ schema_version: z.literal(2), revision: z.number().int().nonnegative(), people: z.array(personV2) });

// Version 1 kept embeddings as JSON number arrays (three times the size, slow to parse at 20,000
// faces) and had neither `locked` nor `learn` nor `show`.
const faceV1 = z.looseObject({ face_id: z.string().min(1), chip: z.string(), embedding: z.array(z.number()), source, added_at: z.string() });
const libraryV1 = z.looseObject({
  schema_version: z.literal(1),
  revision: z.number().int().nonnegative(),
  people: z.array(z.looseObject({ person_id: z.string().min(1), name: z.string().min(1), faces: z.array(faceV1), created_at: z.string(), updated_at: z.string() })),
});

/**
 * The faces of one person: the common shape checked by hand (fast), anything unusual by zod (for
 * its message).
 */
function checkFaces(faces: readonly unknown[], where: string): void {
  faces.forEach((f, k) => {
    const o = f as Record<string, unknown> | null;
    const src = o?.source as Record<string, unknown> | null | undefined;
    const plain = o !== null && typeof o === 'object' && typeof o.face_id === 'string' && o.face_id !== '' && typeof o.chip === 'string'
      && typeof o.embedding === 'string' && typeof o.added_at === 'string' && src !== null && typeof src === 'object'
      && ((src.kind === 'photo' && typeof src.file === 'string' && Array.isArray(src.box) && src.box.length === 4 && src.box.every((x) => typeof x === 'number'))
        || (src.kind === 'episode' && typeof src.episode === 'string' && Number.isInteger(src.track_id) && Number.isInteger(src.frame_idx) && typeof src.ts === 'number'));
    if (plain) return;
    const r = faceV2.safeParse(f);
    throw new PeopleError(`${where}.${k}: ${r.success ? 'unexpected shape' : issue(r.error)}`);
  });
}

/** Float32 vector <-> base64 of its little-endian bytes. */
export function encodeVector(v: Float32Array): string {
  const b = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i]!, i * 4);
  return b.toString('base64');
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

export function decodeVector(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.length >> 2);
  // one copy of the bytes on little-endian machines (all the platforms the app ships for)
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(b.subarray(0, out.length * 4));
  else for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/** First zod problem as "field: message". */
function issue(e: z.ZodError): string {
  const i = e.issues[0]!;
  return `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`;
}

/**
 * Any supported version of the library (or of an export's people) -> the current one.
 * `where` names the file in messages. A newer version than this program knows is refused.
 */
export function migrateLibrary(raw: unknown, where: string): PeopleLibraryFile {
  const version = (raw as { schema_version?: unknown } | null)?.schema_version;
  if (typeof version !== 'number') throw new PeopleError(`${where}: not a people library (no schema_version)`);
  if (version > PEOPLE_SCHEMA_VERSION) throw new PeopleError(`${where}: schema version ${version} is newer than this version of Screentime reads (${PEOPLE_SCHEMA_VERSION}); update Screentime`);
  if (version === 1) {
    const r = libraryV1.safeParse(raw);
    if (!r.success) throw new PeopleError(`${where}: damaged (schema version 1): ${issue(r.error)}`);
    return {
      schema_version: PEOPLE_SCHEMA_VERSION,
      revision: r.data.revision,
      people: r.data.people.map((p) => ({
        person_id: p.person_id,
        name: p.name,
        show: null,
        locked: false,
        learn: false,
        faces: p.faces.map((f) => ({ face_id: f.face_id, chip: f.chip, embedding: encodeVector(Float32Array.from(f.embedding)), source: f.source, added_at: f.added_at })),
        created_at: p.created_at,
        updated_at: p.updated_at,
      })),
    };
  }
  if (version !== 2) throw new PeopleError(`${where}: schema version ${version} is not one this version of Screentime reads (1-${PEOPLE_SCHEMA_VERSION})`);
  const r = libraryV2.safeParse(raw);
  if (!r.success) throw new PeopleError(`${where}: damaged: ${issue(r.error)}`);
  const lib = raw as PeopleLibraryFile;
  lib.people.forEach((p, i) => checkFaces(p.faces, `${where}: damaged: people.${i}.faces`));
  return lib;
}

export function emptyLibrary(): PeopleLibraryFile {
  return { schema_version: PEOPLE_SCHEMA_VERSION, revision: 0, people: [] };
}

/** The library in `dir` (empty when the folder or its index does not exist yet). */
export function readLibrary(dir: string): PeopleLibraryFile {
  const file = path.join(dir, LIBRARY_FILE);
  if (!existsSync(file)) return emptyLibrary();
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const prev = path.join(dir, LIBRARY_PREVIOUS);
    throw new PeopleError(`${file}: not valid JSON (${(e as Error).message}); the file was left as it is${existsSync(prev) ? `, the version before the last change is ${prev}` : ''}`);
  }
  return migrateLibrary(raw, file);
}

interface LockBody { pid: number; host: string; at: number }

/** Takes `people.lock`, waiting for another writer; a lock whose owner is gone is taken over. */
function acquire(dir: string, waitMs: number): () => void {
  const file = path.join(dir, LIBRARY_LOCK);
  const me: LockBody = { pid: process.pid, host: os.hostname(), at: Date.now() };
  const body = JSON.stringify(me);
  const deadline = Date.now() + waitMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      try { writeSync(fd, body); } finally { closeSync(fd); }
      return () => {
        // remove it only while it is still ours (a takeover after a long stall writes another body)
        try { if (readFileSync(file, 'utf8') === body) rmSync(file, { force: true }); } catch { /* gone already */ }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: LockBody | null;
    try { owner = JSON.parse(readFileSync(file, 'utf8')) as LockBody; } catch { owner = null; }
    // a lock file with no body yet is being written: wait a moment before calling it stale
    const stale = owner
      ? owner.host === me.host ? !pidAlive(owner.pid) : Date.now() - owner.at > FOREIGN_LOCK_STALE_MS
      : attempt > 50;
    if (stale) { rmSync(file, { force: true }); continue; }
    if (Date.now() > deadline) throw new PeopleError(`the people library ${dir} is being changed by another program${owner ? ` (pid ${owner.pid} on ${owner.host})` : ''}; try again`, EXIT.ALREADY_RUNNING);
    Atomics.wait(nap, 0, 0, 5 + Math.floor(Math.random() * 20));
  }
}

/**
 * Applies `change` to the current library under the lock and writes the result (revision + 1).
 * `change` may mutate the library it gets and returns a result for the caller. Nothing is written
 * when it throws.
 */
export function updateLibrary<T>(dir: string, change: (lib: PeopleLibraryFile) => T, opts: { waitMs?: number } = {}): { library: PeopleLibraryFile; result: T } {
  mkdirSync(dir, { recursive: true });
  const release = acquire(dir, opts.waitMs ?? LOCK_WAIT_MS);
  try {
    const lib = readLibrary(dir);
    const result = change(lib);
    lib.revision += 1;
    lib.schema_version = PEOPLE_SCHEMA_VERSION;
    const file = path.join(dir, LIBRARY_FILE);
    const prevTmp = path.join(dir, `${LIBRARY_PREVIOUS}.tmp-${process.pid}`);
    const hadFile = existsSync(file);
    if (hadFile) copyFileSync(file, prevTmp);
    try {
      writeJsonAtomic(file, lib);
      // the previous version goes into place only after the new one is whole
      if (hadFile) renameSync(prevTmp, path.join(dir, LIBRARY_PREVIOUS));
    } finally {
      rmSync(prevTmp, { force: true });
    }
    return { library: lib, result };
  } finally {
    release();
  }
}

export function findPerson(lib: PeopleLibraryFile, ref: string): Person {
  const byId = lib.people.find((p) => p.person_id === ref);
  if (byId) return byId;
  const byName = lib.people.filter((p) => p.name.toLowerCase() === ref.toLowerCase());
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new PeopleError(`${byName.length} people are called "${ref}" (${byName.map((p) => `${p.person_id}${p.show ? ` in ${p.show}` : ''}`).join(', ')}); use the person id`);
  throw new PeopleError(`no person "${ref}" in the library`);
}

export function requireUnlocked(p: Person): void {
  if (p.locked) throw new PeopleError(`${p.name} (${p.person_id}) is locked; unlock the person to change them`);
}

export function newId(prefix: 'p' | 'f'): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

export function summarize(p: Person): PersonSummary {
  return { person_id: p.person_id, name: p.name, show: p.show, locked: p.locked, learn: p.learn, faces: p.faces.map((f) => ({ face_id: f.face_id, chip: f.chip, source: f.source })) };
}

/** Adds a person; a name is unique within a show. */
export function addPerson(lib: PeopleLibraryFile, name: string, opts: { show?: string | null; learn?: boolean } = {}): Person {
  const n = name.trim();
  if (!n) throw new PeopleError('a person needs a name');
  if (n.length > 120) throw new PeopleError('a name has at most 120 characters');
  const show = opts.show?.trim() || null;
  if (lib.people.some((p) => p.name.toLowerCase() === n.toLowerCase() && p.show === show)) throw new PeopleError(`"${n}" is already in the library${show ? ` for ${show}` : ''}`);
  const now = new Date().toISOString();
  const p: Person = { person_id: newId('p'), name: n, show, locked: false, learn: opts.learn ?? false, faces: [], created_at: now, updated_at: now };
  lib.people.push(p);
  return p;
}

/** Where the chip of a reference face lives: relative (as the index stores it) and absolute. */
export function chipPath(dir: string, faceId: string): { rel: string; abs: string } {
  const rel = `${CHIPS_DIR}/${faceId}.jpg`;
  return { rel, abs: path.join(dir, rel) };
}

/** Removes a person, or one of their faces; returns the chip files to delete once the index is written. */
export function removeFromLibrary(lib: PeopleLibraryFile, ref: string, faceId?: string): { person: Person; chips: string[]; removedPerson: boolean } {
  const p = findPerson(lib, ref);
  requireUnlocked(p);
  if (faceId === undefined) {
    lib.people = lib.people.filter((q) => q !== p);
    return { person: p, chips: p.faces.map((f) => f.chip), removedPerson: true };
  }
  const f = p.faces.find((x) => x.face_id === faceId);
  if (!f) throw new PeopleError(`${p.name} has no face ${faceId}`);
  p.faces = p.faces.filter((x) => x !== f);
  p.updated_at = new Date().toISOString();
  return { person: p, chips: [f.chip], removedPerson: false };
}

/** updateLibrary + removeFromLibrary + deleting the chips afterwards. */
export function removePerson(dir: string, ref: string, faceId?: string): { person: Person; removedPerson: boolean } {
  const r = updateLibrary(dir, (lib) => removeFromLibrary(lib, ref, faceId)).result;
  for (const c of r.chips) rmSync(path.join(dir, c), { force: true });
  return { person: r.person, removedPerson: r.removedPerson };
}

/** Changes a person's flags or name. */
export function setPerson(dir: string, ref: string, change: { locked?: boolean; learn?: boolean; name?: string; show?: string | null }): Person {
  return updateLibrary(dir, (lib) => {
    const p = findPerson(lib, ref);
    // unlocking is the one change a locked person accepts
    if (p.locked && (change.locked !== false || change.name !== undefined || change.show !== undefined)) requireUnlocked(p);
    if (change.name !== undefined) {
      const n = change.name.trim();
      if (!n || n.length > 120) throw new PeopleError('a name has 1 to 120 characters');
      p.name = n;
    }
    if (change.show !== undefined) p.show = change.show?.trim() || null;
    if (change.locked !== undefined) p.locked = change.locked;
    if (change.learn !== undefined) p.learn = change.learn;
    p.updated_at = new Date().toISOString();
    return p;
  }).result;
}
