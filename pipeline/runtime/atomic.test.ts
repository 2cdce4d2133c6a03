import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { asWriteError, createAtomicWriter, createJsonlWriter, OutputWriteError, removeOwnTempFiles, writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { describeError } from './run-stage.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'screentime-atomic-'));

describe('atomic writes', () => {
  it('writeJsonAtomic replaces the file and leaves no temp', () => {
    const d = tmp();
    const f = path.join(d, 'a.json');
    writeFileSync(f, 'old');
    writeJsonAtomic(f, { a: 1 });
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ a: 1 });
    expect(readdirSync(d)).toEqual(['a.json']);
  });

  it('JSONL: invisible until commit, previous file kept until then', async () => {
    const d = tmp();
    const f = path.join(d, 'rows.jsonl');
    writeFileSync(f, '{"old":true}\n');
    const w = createJsonlWriter<{ i: number }>(f);
    for (let i = 0; i < 50_000; i++) await w.write({ i });
    expect(readFileSync(f, 'utf8')).toBe('{"old":true}\n');
    expect(existsSync(`${f}.tmp-${process.pid}`)).toBe(true);
    await w.commit();
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    expect(lines.length).toBe(50_000);
    expect(JSON.parse(lines[49_999]!)).toEqual({ i: 49_999 });
    expect(w.rows).toBe(50_000);
    expect(readdirSync(d)).toEqual(['rows.jsonl']);
  });

  it('abort removes the temp and keeps the previous output', async () => {
    const d = tmp();
    const f = path.join(d, 'rows.jsonl');
    writeFileSync(f, 'previous\n');
    const w = createJsonlWriter(f);
    await w.write({ a: 1 });
    await w.abort();
    expect(readFileSync(f, 'utf8')).toBe('previous\n');
    expect(readdirSync(d)).toEqual(['rows.jsonl']);
    await expect(w.write({ a: 2 })).rejects.toThrow(/after commit\/abort/);
  });

  it('binary writer and the sweep of this process temp files', async () => {
    const d = tmp();
    const w = createAtomicWriter(path.join(d, 'e.f32'));
    await w.write(new Uint8Array(new Float32Array([1, 2, 3]).buffer));
    await w.ready();
    writeFileSync(path.join(d, `other.tmp-${process.pid}`), 'x');
    writeFileSync(path.join(d, 'other.tmp-1'), 'someone else');
    expect(removeOwnTempFiles(d)).toBe(2);
    expect(readdirSync(d)).toEqual(['other.tmp-1']);
  });
});

// Write failures the user can act on must name the artifact, and map to exit code 5 (OUTPUT).
// A real small file system shows them as they happen: a 64 KB tmpfs for "disk full" and a
// read-only one, mounted here when this process may mount (root), otherwise skipped.
function mountTmpfs(options: string): { dir: string; why: null } | { dir: null; why: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'screentime-atomic-mnt-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return { dir, why: null };
  rmdirSync(dir);
  const detail = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  return { dir: null, why: `skipped: cannot mount a tmpfs (${options}) here, mounting needs root: ${detail}` };
}

function unmount(dir: string | null): void {
  if (!dir) return;
  // Lazy as a fallback: a descriptor still open after a failed test must not keep the mount.
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
  rmdirSync(dir);
}

/** What the stage runtime reports for an error: its exit code and one-line message. */
const exitFor = (e: unknown) => describeError(e);

const caught = async (f: () => unknown): Promise<unknown> => {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
};

describe('write failures name the file', () => {
  const full = mountTmpfs('size=64k');
  const readOnly = mountTmpfs('ro,size=64k');
  afterAll(() => {
    unmount(full.dir);
    unmount(readOnly.dir);
  });

  it.skipIf(full.why)(`disk full, writeFileAtomic: names the file, keeps the previous one, exit 5 ${full.why ?? ''}`, async () => {
    const d = full.dir!;
    const f = path.join(d, 'manifest.json');
    writeFileSync(f, 'previous');
    const e = await caught(() => writeFileAtomic(f, Buffer.alloc(256 * 1024, 1)));
    expect(e).toBeInstanceOf(OutputWriteError);
    expect((e as OutputWriteError).code).toBe('ENOSPC');
    expect(exitFor(e)).toEqual({ code: EXIT.OUTPUT, message: `cannot write ${f}: no space left on the device (ENOSPC)` });
    expect(readFileSync(f, 'utf8')).toBe('previous');
    expect(readdirSync(d)).toEqual(['manifest.json']);
    rmSync(f);
  });

  it.skipIf(full.why)(`disk full, streamed JSONL: write or commit names the file, the temp goes ${full.why ?? ''}`, async () => {
    const d = full.dir!;
    const f = path.join(d, 'detections.jsonl');
    const w = createJsonlWriter<{ i: number; pad: string }>(f);
    const pad = 'x'.repeat(1000);
    const e = await caught(async () => {
      for (let i = 0; i < 1000; i++) await w.write({ i, pad });
      await w.commit();
    });
    await w.abort();
    expect(exitFor(e)).toEqual({ code: EXIT.OUTPUT, message: `cannot write ${f}: no space left on the device (ENOSPC)` });
    expect(readdirSync(d)).toEqual([]);
  });

  it.skipIf(readOnly.why)(`read-only file system: both writers name the file, not the temp ${readOnly.why ?? ''}`, async () => {
    const f = path.join(readOnly.dir!, 'clusters.json');
    const e1 = await caught(() => writeJsonAtomic(f, { a: 1 }));
    expect(exitFor(e1)).toEqual({ code: EXIT.OUTPUT, message: `cannot write ${f}: read-only file system (EROFS)` });
    const w = createAtomicWriter(f);
    const e2 = await caught(() => w.ready());
    expect((e2 as Error).message).toBe(`cannot write ${f}: read-only file system (EROFS)`);
    expect(await caught(() => w.write('x'))).toBe(e2);
    await w.abort();
  });

  const root = process.getuid?.() === 0;
  it.skipIf(root)(`no permission on the folder: names the file ${root ? 'skipped: root may write any folder whatever its mode' : ''}`, async () => {
    const d = tmp();
    chmodSync(d, 0o555);
    try {
      const f = path.join(d, 'screentime.csv');
      expect(exitFor(await caught(() => writeFileAtomic(f, 'a,b\n')))).toEqual({ code: EXIT.OUTPUT, message: `cannot write ${f}: permission denied (EACCES)` });
    } finally {
      chmodSync(d, 0o755);
    }
  });

  it('a quota error is named like a full disk (no quota to exceed here: the mapping alone)', () => {
    const quota = Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
    expect(exitFor(asWriteError('/shows/ep1/screentime/embeddings.f32', quota))).toEqual({
      code: EXIT.OUTPUT,
      message: 'cannot write /shows/ep1/screentime/embeddings.f32: disk quota exceeded (EDQUOT)',
    });
  });

  it('other failures pass through unchanged: they are not the user\'s to fix', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'file'), 'x');
    // A parent that is a file: ENOTDIR, a bug in the caller rather than a full or locked disk.
    const e = (() => {
      try {
        writeFileAtomic(path.join(d, 'file', 'a.json'), 'x');
      } catch (err) {
        return err;
      }
    })();
    expect(e).not.toBeInstanceOf(OutputWriteError);
    expect((e as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });
});

describe('file mode', () => {
  it('writeJsonAtomic with mode 0600 gives a private file, also over a readable one', () => {
    const d = tmp();
    const f = path.join(d, 'settings.json');
    writeFileSync(f, '{}', { mode: 0o644 });
    chmodSync(f, 0o644);
    // A temp left by an earlier process with this pid must not keep its wider mode either.
    writeFileSync(`${f}.tmp-${process.pid}`, 'stale', { mode: 0o666 });
    chmodSync(`${f}.tmp-${process.pid}`, 0o666);
    writeJsonAtomic(f, { secret: false }, { mode: 0o600 });
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ secret: false });
    expect(readdirSync(d)).toEqual(['settings.json']);
  });
});
