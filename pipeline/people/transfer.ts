// One file to move a people library to another machine or a queue worker: the index with every
// chip inside (base64 JPEG). Import adds people it does not have and faces a person lacks (by id),
// so importing twice, or importing into a library that shares people, duplicates nothing.
// An export of an older schema version is migrated; a newer one is refused before anything changes.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PEOPLE_EXPORT_FORMAT, PEOPLE_SCHEMA_VERSION, type Person } from '../../shared/people.js';
import { writeFileAtomic, writeJsonAtomic } from '../runtime/atomic.js';
import { chipPath, migrateLibrary, PeopleError, readLibrary, updateLibrary } from './library.js';

interface ExportFile {
  format: typeof PEOPLE_EXPORT_FORMAT;
  schema_version: number;
  exported_at: string;
  revision: number;
  people: Person[];
  /** face_id -> base64 JPEG chip */
  chips: Record<string, string>;
}

/** Writes the whole library to one file (atomically). Returns how many people and faces it holds. */
export function exportLibrary(dir: string, file: string): { people: number; faces: number } {
  const lib = readLibrary(dir);
  const chips: Record<string, string> = {};
  for (const p of lib.people) {
    for (const f of p.faces) {
      const abs = path.join(dir, f.chip);
      if (existsSync(abs)) chips[f.face_id] = readFileSync(abs).toString('base64');
    }
  }
  const out: ExportFile = { format: PEOPLE_EXPORT_FORMAT, schema_version: PEOPLE_SCHEMA_VERSION, exported_at: new Date().toISOString(), revision: lib.revision, people: lib.people, chips };
  writeJsonAtomic(file, out);
  return { people: lib.people.length, faces: lib.people.reduce((s, p) => s + p.faces.length, 0) };
}

const exportTop = z.looseObject({ format: z.literal(PEOPLE_EXPORT_FORMAT), schema_version: z.number().int(), chips: z.record(z.string(), z.string()) });

/** Reads and checks an export file: the right format, a version this program reads, every field. */
export function readExport(file: string): { people: Person[]; chips: Record<string, string> } {
  if (!existsSync(file)) throw new PeopleError(`${file}: no such file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PeopleError(`${file}: not a people library export (not valid JSON: ${(e as Error).message})`);
  }
  const top = exportTop.safeParse(raw);
  if (!top.success) throw new PeopleError(`${file}: not a people library export (expected "format": "${PEOPLE_EXPORT_FORMAT}" with chips)`);
  const lib = migrateLibrary({ schema_version: top.data.schema_version, revision: 0, people: (raw as { people?: unknown }).people }, file);
  return { people: lib.people, chips: top.data.chips };
}

/** Adds the export's people and faces to the library in `dir`. */
export function importLibrary(dir: string, file: string): { peopleAdded: number; facesAdded: number } {
  const incoming = readExport(file);
  const faceIds = incoming.people.flatMap((p) => p.faces.map((f) => f.face_id));
  const missingChip = faceIds.find((id) => incoming.chips[id] === undefined);
  if (missingChip) throw new PeopleError(`${file}: face ${missingChip} has no chip in the file`);
  mkdirSync(path.join(dir, 'chips'), { recursive: true });
  const written: string[] = [];
  try {
    return updateLibrary(dir, (lib) => {
      let peopleAdded = 0, facesAdded = 0;
      const now = new Date().toISOString();
      for (const p of incoming.people) {
        let mine = lib.people.find((q) => q.person_id === p.person_id);
        if (!mine) {
          mine = { ...p, faces: [] };
          lib.people.push(mine);
          peopleAdded++;
        }
        for (const f of p.faces) {
          if (mine.faces.some((g) => g.face_id === f.face_id)) continue;
          const c = chipPath(dir, f.face_id);
          writeFileAtomic(c.abs, Buffer.from(incoming.chips[f.face_id]!, 'base64'));
          written.push(c.abs);
          mine.faces.push({ ...f, chip: c.rel });
          mine.updated_at = now;
          facesAdded++;
        }
      }
      return { peopleAdded, facesAdded };
    }).result;
  } catch (e) {
    for (const f of written) rmSync(f, { force: true });
    throw e;
  }
}
