// Atomic artifact writes: everything goes to `<file>.tmp-<pid>` first and is renamed over the
// real name only on commit, so a reader never sees half a file and a failed or cancelled run
// leaves the previous output in place.

import { createWriteStream, readdirSync, renameSync, rmSync, writeFileSync, fsyncSync, fchmodSync, openSync, closeSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../shared/stages.js';
import { StageError } from './stage.js';

export function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

/**
 * Why a file could not be written, for the errors the user can act on (free space, quota,
 * permissions). Node's own message for a failed write() names no file ("ENOSPC: no space left
 * on device, write"), and the one for open() names the temp file, not the artifact.
 */
const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
};

/**
 * A write that failed for a reason outside the program. It is a StageError with the OUTPUT exit
 * code, so a stage that hits it exits 5 with this message whichever of the four causes it was.
 */
export class OutputWriteError extends StageError {
  constructor(
    readonly path: string,
    readonly code: string,
    override readonly cause: unknown,
  ) {
    super(`cannot write ${path}: ${WRITE_FAILURES[code] ?? code} (${code})`, EXIT.OUTPUT);
    this.name = 'OutputWriteError';
  }
}

/** The error to throw for a failed write of `file`: named when its cause is one the user can fix. */
export function asWriteError(file: string, e: unknown): unknown {
  if (e instanceof OutputWriteError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code && code in WRITE_FAILURES ? new OutputWriteError(file, code, e) : e;
}

/** Removes a temp file without letting a second failure hide the first one. */
function removeQuietly(tmp: string): void {
  try {
    rmSync(tmp, { force: true });
  } catch {
    /* the write error is the one worth reporting */
  }
}

export interface WriteOptions {
  /** Mode of the new file (0o600 for settings and secrets); set before any byte is written. */
  mode?: number;
}

function writeTemp(tmp: string, data: string | Uint8Array, mode: number | undefined): void {
  const fd = openSync(tmp, 'w', mode ?? 0o666);
  try {
    // open() applies the umask and ignores the mode for a temp left by an earlier process with
    // our pid: fchmod makes the mode exact before the content is there.
    if (mode !== undefined) fchmodSync(fd, mode);
    writeFileSync(fd, data);
    // fsync before rename so a power cut cannot leave an empty file under the real name.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const tmp = tempPathFor(file);
  try {
    writeTemp(tmp, data, options.mode);
    renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw asWriteError(file, e);
  }
}

export function writeJsonAtomic(file: string, value: unknown, options: WriteOptions = {}): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** A streamed file that appears under its real name only on commit(). */
export interface AtomicWriter {
  readonly path: string;
  readonly tempPath: string;
  /** Resolves once the temp file is open. */
  ready(): Promise<void>;
  /** Resolves once the chunk is buffered; waits for 'drain' so memory stays flat. */
  write(chunk: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  /** Removes the temp file; safe to call after commit (does nothing then). */
  abort(): Promise<void>;
}

export function createAtomicWriter(file: string): AtomicWriter {
  const tmp = tempPathFor(file);
  const stream: WriteStream = createWriteStream(tmp);
  let failure: Error | null = null;
  let done = false;
  // Every error this writer hands out names the artifact, not the temp file or nothing at all;
  // a stream error is converted once (this listener runs first), so each caller sees the same one.
  const named = (e: unknown) => asWriteError(file, e) as Error;
  stream.on('error', (e) => { failure = named(e); });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('ready', () => resolve());
    stream.once('error', (e) => reject(failure ?? named(e)));
  });
  opened.catch(() => {});
  const end = () => new Promise<void>((resolve, reject) => {
    if (stream.closed || stream.destroyed) return failure ? reject(failure) : resolve();
    stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
  });
  return {
    path: file,
    tempPath: tmp,
    ready: () => opened,
    async write(chunk) {
      if (failure) throw failure;
      if (done) throw new Error(`write after commit/abort: ${file}`);
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => { stream.off('error', onErr); resolve(); };
          const onErr = (e: Error) => { stream.off('drain', onDrain); reject(failure ?? named(e)); };
          stream.once('drain', onDrain);
          stream.once('error', onErr);
        });
      }
    },
    async commit() {
      if (done) throw new Error(`already finished: ${file}`);
      done = true;
      try {
        await end();
        if (failure) throw failure;
        renameSync(tmp, file);
      } catch (e) {
        removeQuietly(tmp);
        throw named(e);
      }
    },
    async abort() {
      if (done) return;
      done = true;
      stream.destroy();
      await new Promise<void>((r) => (stream.closed ? r() : stream.once('close', () => r())));
      rmSync(tmp, { force: true });
    },
  };
}

/** JSON Lines on top of createAtomicWriter: one object per line. */
export interface JsonlWriter<T> {
  readonly path: string;
  readonly rows: number;
  write(row: T): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export function createJsonlWriter<T = unknown>(file: string): JsonlWriter<T> {
  const w = createAtomicWriter(file);
  let rows = 0;
  return {
    path: file,
    get rows() { return rows; },
    async write(row: T) {
      rows++;
      await w.write(`${JSON.stringify(row)}\n`);
    },
    commit: () => w.commit(),
    abort: () => w.abort(),
  };
}

/** Removes temp files this process left in `dir` (after a failure or cancel), recursively one level. */
export function removeOwnTempFiles(dir: string, pid = process.pid): number {
  const suffix = `.tmp-${pid}`;
  let n = 0;
  const sweep = (d: string, depth: number) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.name.endsWith(suffix)) { rmSync(p, { recursive: true, force: true }); n++; }
      else if (e.isDirectory() && depth > 0) sweep(p, depth - 1);
    }
  };
  sweep(dir, 1);
  return n;
}
