import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { PEOPLE_SCHEMA_VERSION } from '../../shared/people.js';
import { REPO_ROOT, missing } from '../../test-support/shared-data.js';
import { addPerson, decodeVector, encodeVector, LIBRARY_FILE, LIBRARY_LOCK, LIBRARY_PREVIOUS, migrateLibrary, readLibrary, removePerson, setPerson, updateLibrary } from './library.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'screentime-people-'));

describe('people library store', () => {
  it('adds people, raises the revision on each write and keeps the previous version', () => {
    const dir = tmp();
    expect(readLibrary(dir).people).toEqual([]);
    const a = updateLibrary(dir, (lib) => addPerson(lib, 'Jessica', { show: 'FOTB' })).result;
    updateLibrary(dir, (lib) => addPerson(lib, 'Louis'));
    const lib = readLibrary(dir);
    expect(lib.schema_version).toBe(PEOPLE_SCHEMA_VERSION);
    expect(lib.revision).toBe(2);
    expect(lib.people.map((p) => p.name)).toEqual(['Jessica', 'Louis']);
    expect(lib.people[0]).toMatchObject({ person_id: a.person_id, show: 'FOTB', locked: false, learn: false, faces: [] });
    expect(JSON.parse(readFileSync(path.join(dir, LIBRARY_PREVIOUS), 'utf8')).revision).toBe(1);
    expect(existsSync(path.join(dir, LIBRARY_LOCK))).toBe(false);
  });

  it('refuses a second person of the same name in the same show, and a change that throws writes nothing', () => {
    const dir = tmp();
    updateLibrary(dir, (lib) => addPerson(lib, 'Evan'));
    expect(() => updateLibrary(dir, (lib) => addPerson(lib, 'evan'))).toThrow(/already in the library/);
    expect(readLibrary(dir).revision).toBe(1);
    updateLibrary(dir, (lib) => addPerson(lib, 'Evan', { show: 'Other show' }));
    expect(readLibrary(dir).people).toHaveLength(2);
  });

  it('a locked person refuses changes until unlocked; remove deletes the person', () => {
    const dir = tmp();
    const p = updateLibrary(dir, (lib) => addPerson(lib, 'Grandma')).result;
    setPerson(dir, p.person_id, { locked: true });
    expect(() => setPerson(dir, 'Grandma', { name: 'Jenny' })).toThrow(/locked/);
    expect(() => removePerson(dir, 'Grandma')).toThrow(/locked/);
    setPerson(dir, 'grandma', { locked: false });
    removePerson(dir, p.person_id);
    expect(readLibrary(dir).people).toEqual([]);
    expect(() => removePerson(dir, 'Grandma')).toThrow(/no person "Grandma"/);
  });

  it('a damaged index is refused with its path and left untouched; writes are refused too', () => {
    const dir = tmp();
    updateLibrary(dir, (lib) => addPerson(lib, 'Eddie'));
    updateLibrary(dir, (lib) => addPerson(lib, 'Emery'));
    const file = path.join(dir, LIBRARY_FILE);
    writeFileSync(file, '{"schema_version": 2, "revision": 3, "people": [');
    expect(() => readLibrary(dir)).toThrow(new RegExp(`${file.replace(/[/.]/g, '\\$&')}: not valid JSON.*left as it is.*${LIBRARY_PREVIOUS}`));
    expect(() => updateLibrary(dir, (lib) => addPerson(lib, 'Louis'))).toThrow(/not valid JSON/);
    expect(readFileSync(file, 'utf8')).toBe('{"schema_version": 2, "revision": 3, "people": [');
    // the previous version is whole and readable
    expect(migrateLibrary(JSON.parse(readFileSync(path.join(dir, LIBRARY_PREVIOUS), 'utf8')), 'prev').people.map((p) => p.name)).toEqual(['Eddie']);
    writeFileSync(file, JSON.stringify({ schema_version: 2, revision: 1, people: [{ person_id: 'p_1', name: 'X' }] }));
    expect(() => readLibrary(dir)).toThrow(/damaged: people\.0\.show/);
  });

  it('migrates schema version 1 (number-array embeddings) and refuses a newer version', () => {
    const v = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i));
    const v1 = {
      schema_version: 1,
      revision: 7,
      people: [{ person_id: 'p_a', name: 'Jessica', created_at: 't', updated_at: 't', faces: [{ face_id: 'f_a', chip: 'chips/f_a.jpg', embedding: [...v], source: { kind: 'photo', file: '/x.png', box: [1, 2, 3, 4] }, added_at: 't' }] }],
    };
    const lib = migrateLibrary(v1, 'old.json');
    expect(lib.schema_version).toBe(2);
    expect(lib.revision).toBe(7);
    expect(lib.people[0]).toMatchObject({ show: null, locked: false, learn: false });
    expect([...decodeVector(lib.people[0]!.faces[0]!.embedding)]).toEqual([...v]);
    expect(() => migrateLibrary({ ...v1, schema_version: 3 }, 'new.json')).toThrow(/new\.json: schema version 3 is newer/);
    expect(() => migrateLibrary({ people: [] }, 'x.json')).toThrow(/not a people library/);
    // and a version-1 index on disk is read as version 2, then written as 2
    const dir = tmp();
    writeFileSync(path.join(dir, LIBRARY_FILE), JSON.stringify(v1));
    updateLibrary(dir, (l) => addPerson(l, 'Louis'));
    const raw = JSON.parse(readFileSync(path.join(dir, LIBRARY_FILE), 'utf8'));
    expect(raw.schema_version).toBe(2);
    expect(raw.revision).toBe(8);
    expect(typeof raw.people[0].faces[0].embedding).toBe('string');
  });

  it('vectors survive base64 exactly', () => {
    const v = Float32Array.from([0.1, -2.5, 3e-8, 1]);
    expect([...decodeVector(encodeVector(v))]).toEqual([...v]);
  });

  it('takes over a lock left by a process that is gone', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, LIBRARY_LOCK), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), at: Date.now() }));
    updateLibrary(dir, (lib) => addPerson(lib, 'Evan'), { waitMs: 2000 });
    expect(readLibrary(dir).people).toHaveLength(1);
  });
});

const LIB_JS = path.join(REPO_ROOT, 'dist', 'pipeline', 'people', 'library.js');
const skipWriters = missing(LIB_JS);

describe('two writer processes at once', () => {
  it.skipIf(skipWriters)(`lose no update (${skipWriters ?? 'dist built'})`, async () => {
    const dir = tmp();
    const N = 40;
    // each process adds N people one update at a time, as fast as it can
    const script = `const { updateLibrary, addPerson } = await import(${JSON.stringify(LIB_JS)});
      for (let i = 0; i < ${N}; i++) updateLibrary(process.argv[1], (lib) => addPerson(lib, process.argv[2] + ' ' + i));`;
    const run = (tag: string) => execa(process.execPath, ['--input-type=module', '-e', script, dir, tag], { stdin: 'ignore' });
    const [a, b] = await Promise.all([run('A'), run('B')]);
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    const lib = readLibrary(dir);
    expect(lib.people).toHaveLength(2 * N);
    expect(lib.revision).toBe(2 * N);
    expect(new Set(lib.people.map((p) => p.name)).size).toBe(2 * N);
    expect(existsSync(path.join(dir, LIBRARY_LOCK))).toBe(false);
  });
});
