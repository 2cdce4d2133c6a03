// The people library for the window: what the People dialog shows, and enrolment from photo bytes
// (a drop or a file chooser gives the window bytes, not a path). Photos are written to a private
// temp folder, read with the pipeline's detector and embedder (pipeline/people/photo.ts), and
// removed again whatever happens.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { EnrolResult, PeopleView, PersonView } from '../../shared/ipc.js';
import type { Person } from '../../shared/people.js';
import { ChooseFaceError, enrolIdentity, enrolPhotos } from '../../pipeline/people/enrol.js';
import { addPerson, readLibrary, removePerson, setPerson, summarize, updateLibrary } from '../../pipeline/people/library.js';
import { openPhotoFaceReader } from '../../pipeline/people/photo.js';

function personView(dir: string, p: Person): PersonView {
  const { faces, ...rest } = summarize(p);
  const first = faces[0] ? path.join(dir, faces[0].chip) : null;
  const thumb = first && existsSync(first) ? `data:image/jpeg;base64,${readFileSync(first).toString('base64')}` : null;
  return { ...rest, faces: faces.length, thumb };
}

/** The library as the window lists it; a damaged index is shown as a problem, not thrown. */
export function peopleView(dir: string): PeopleView {
  try {
    const lib = readLibrary(dir);
    return { dir, revision: lib.revision, people: lib.people.map((p) => personView(dir, p)).sort((a, b) => a.name.localeCompare(b.name)), problem: null };
  } catch (e) {
    return { dir, revision: -1, people: [], problem: (e as Error).message };
  }
}

export function addPersonTo(dir: string, name: string, show: string | null, learn: boolean): PeopleView {
  updateLibrary(dir, (lib) => addPerson(lib, name, { show, learn }));
  return peopleView(dir);
}

export function updatePersonIn(dir: string, personId: string, change: { name?: string; locked?: boolean; learn?: boolean }): PeopleView {
  setPerson(dir, personId, change);
  return peopleView(dir);
}

export function removePersonFrom(dir: string, personId: string): PeopleView {
  removePerson(dir, personId);
  return peopleView(dir);
}

/** The faces of a group photo, cut out for the window to choose from. */
async function faceChoices(file: string, faces: ChooseFaceError['faces']): Promise<Array<{ index: number; thumb: string }>> {
  const img = sharp(file).rotate();
  const meta = await sharp(file).rotate().toBuffer({ resolveWithObject: true }).then((r) => r.info);
  const out: Array<{ index: number; thumb: string }> = [];
  for (const f of faces.slice(0, 60)) {
    const [x1, y1, x2, y2] = f.box;
    const pad = 0.2 * Math.max(x2 - x1, y2 - y1);
    const left = Math.max(0, Math.floor(x1 - pad)), top = Math.max(0, Math.floor(y1 - pad));
    const width = Math.max(1, Math.min(meta.width - left, Math.ceil(x2 - x1 + 2 * pad))), height = Math.max(1, Math.min(meta.height - top, Math.ceil(y2 - y1 + 2 * pad)));
    const jpg = await img.clone().extract({ left, top, width, height }).resize(96, 96, { fit: 'cover' }).jpeg({ quality: 80 }).toBuffer();
    out.push({ index: f.index, thumb: `data:image/jpeg;base64,${jpg.toString('base64')}` });
  }
  return out;
}

/** Enrols one photo's face; a photo with several faces comes back with the faces to choose from. */
export async function enrolPhotoBytes(dir: string, personId: string, photo: { name: string; data: string }, face: number | undefined, modelsDir: string | undefined): Promise<EnrolResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'screentime-enrol-'));
  // only the base name, and nothing that could leave the temp folder
  const file = path.join(tmp, path.basename(photo.name).replace(/[^\w.\- ]/g, '_') || 'photo');
  try {
    writeFileSync(file, Buffer.from(photo.data, 'base64'), { mode: 0o600 });
    const reader = await openPhotoFaceReader({ modelsDir });
    try {
      const r = await enrolPhotos(dir, personId, [file], reader, [face]);
      return { added: r.added, view: peopleView(dir), choose: null };
    } catch (e) {
      if (e instanceof ChooseFaceError) return { added: 0, view: peopleView(dir), choose: { photo: photo.name, faces: await faceChoices(file, e.faces) } };
      // the message names the temp copy: name the user's photo instead
      throw new Error((e as Error).message.split(file).join(photo.name), { cause: e });
    } finally {
      await reader.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function enrolIdentityFrom(dir: string, personId: string, outDir: string, identityId: number, learning = false): EnrolResult {
  const r = enrolIdentity(dir, personId, outDir, identityId, { learning });
  return { added: r.added, view: peopleView(dir), choose: null };
}

/** Whether names accepted in episodes may add faces to this person. */
export function learnsFromEpisodes(dir: string, personId: string): boolean {
  try {
    const p = readLibrary(dir).people.find((x) => x.person_id === personId);
    return Boolean(p && p.learn && !p.locked);
  } catch {
    return false;
  }
}
