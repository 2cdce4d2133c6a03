// Atomic artifact writes: everything goes to `<file>.tmp-<pid>` first and is renamed over the
// real name only on commit, so a reader never sees half a file and a failed or cancelled run
// leaves the previous output in place.

import { createWriteStream, readdirSync, renameSync, rmSync, writeFileSync, fsyncSync, openSync, closeSync, type WriteStream } from 'node:fs';
import path from 'node:path';

export function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(file);
  try {
    writeFileSync(tmp, data);
    // fsync before rename so a power cut cannot leave an empty file under the real name.
    const fd = openSync(tmp, 'r+');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
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
  stream.on('error', (e) => { failure = e; });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('ready', () => resolve());
    stream.once('error', reject);
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
          const onErr = (e: Error) => { stream.off('drain', onDrain); reject(e); };
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
        rmSync(tmp, { force: true });
        throw e;
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
