import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAtomicWriter, createJsonlWriter, removeOwnTempFiles, writeJsonAtomic } from './atomic.js';

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
