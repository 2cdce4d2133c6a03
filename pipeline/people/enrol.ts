// Adding reference faces to a person: from photos (faces found, aligned and embedded as in the
// pipeline, pipeline/people/photo.ts) or from an identity an analyst reviewed in an episode (its
// best tracks: their prototypes are what matching compares with). Every input is checked before
// anything is written: a photo with no face, or several faces and no choice, changes nothing.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type FaceRow } from '../../shared/artifacts.js';
import type { PeopleLibraryFile, Person, ReferenceFace } from '../../shared/people.js';
import { readIdentities, readJsonl, readPrototypes } from '../cluster/io.js';
import { writeFileAtomic } from '../runtime/atomic.js';
import { chipPath, encodeVector, findPerson, newId, PeopleError, requireUnlocked, updateLibrary } from './library.js';
import { chipJpeg, type PhotoFace, type PhotoFaceReader } from './photo.js';

/** Reference faces a person keeps; learning from episodes drops its oldest episode faces beyond it. */
export const MAX_FACES_PER_PERSON = 20;
/** Tracks an identity gives to the library ("Add to people library"). */
export const FACES_FROM_IDENTITY = 5;

/** A photo shows several faces and the caller did not say which: the message lists them. */
export class ChooseFaceError extends PeopleError {
  constructor(readonly file: string, readonly faces: Array<{ index: number; box: [number, number, number, number]; score: number }>) {
    super(`${file}: ${faces.length} faces found; choose one (${faces.map((f) => `${f.index}: [${f.box.map((x) => Math.round(x)).join(', ')}]`).join('; ')}), e.g. with --face 1`);
    this.name = 'ChooseFaceError';
  }
}

interface NewFace { face: ReferenceFace; jpeg: Buffer }

/** The face of a photo to enrol: the only one, or the one chosen (1-based, largest first). */
export function pickFace(file: string, faces: readonly PhotoFace[], choice: number | undefined): PhotoFace {
  if (faces.length === 0) throw new PeopleError(`${file}: no face found in the photo; use a photo where the face is clearly visible`);
  if (choice !== undefined) {
    const f = faces[choice - 1];
    if (!f) throw new PeopleError(`${file}: there is no face ${choice} (the photo shows ${faces.length})`);
    return f;
  }
  if (faces.length > 1) throw new ChooseFaceError(file, faces.map((f, i) => ({ index: i + 1, box: f.face.box, score: f.face.score })));
  return faces[0]!;
}

/** Writes the chips, then adds the faces to the person under the library lock; chips are removed again on failure. */
function commitFaces(dir: string, personRef: string, faces: NewFace[], opts: { learning?: boolean } = {}): Person {
  mkdirSync(path.join(dir, 'chips'), { recursive: true });
  for (const f of faces) writeFileAtomic(chipPath(dir, f.face.face_id).abs, f.jpeg);
  try {
    return updateLibrary(dir, (lib: PeopleLibraryFile) => {
      const p = findPerson(lib, personRef);
      requireUnlocked(p);
      if (opts.learning && !p.learn) throw new PeopleError(`${p.name} does not learn from episodes (turn learning on for this person first)`);
      p.faces.push(...faces.map((f) => f.face));
      // beyond the cap the oldest faces from episodes go first; photos the user chose stay
      while (p.faces.length > MAX_FACES_PER_PERSON) {
        const k = p.faces.findIndex((f) => f.source.kind === 'episode');
        if (k < 0) break;
        const [gone] = p.faces.splice(k, 1);
        rmSync(chipPath(dir, gone!.face_id).abs, { force: true });
      }
      p.updated_at = new Date().toISOString();
      return p;
    }).result;
  } catch (e) {
    for (const f of faces) rmSync(chipPath(dir, f.face.face_id).abs, { force: true });
    throw e;
  }
}

/**
 * Enrols one face from each photo. `choices[i]` picks the face of photo i (1-based) when it shows
 * several. All photos are read first; any problem throws before the library changes.
 */
export async function enrolPhotos(dir: string, personRef: string, files: readonly string[], reader: PhotoFaceReader, choices: ReadonlyArray<number | undefined> = []): Promise<{ person: Person; added: number }> {
  if (files.length === 0) throw new PeopleError('no photo given');
  const now = new Date().toISOString();
  const faces: NewFace[] = [];
  for (const [i, file] of files.entries()) {
    if (!existsSync(file)) throw new PeopleError(`${file}: no such file`);
    const f = pickFace(file, await reader.faces(file), choices[i]);
    faces.push({
      face: { face_id: newId('f'), chip: '', embedding: encodeVector(f.embedding), source: { kind: 'photo', file: path.resolve(file), box: f.face.box.map((x) => Math.round(x * 10) / 10) as [number, number, number, number] }, added_at: now },
      jpeg: await chipJpeg(f.chip),
    });
  }
  for (const f of faces) f.face.chip = chipPath(dir, f.face.face_id).rel;
  return { person: commitFaces(dir, personRef, faces), added: faces.length };
}

/**
 * The best tracks of a reviewed identity (most faces x quality), each as a reference face: its
 * prototype and its thumbnail.
 */
export function identityFaces(outDir: string, identityId: number, max = FACES_FROM_IDENTITY): NewFace[] {
  const ids = readIdentities(outDir);
  const idn = ids.identities.find((i) => i.identity_id === identityId);
  if (!idn) throw new PeopleError(`no identity ${identityId} in ${path.join(outDir, ARTIFACT_FILES.identities)}`);
  const protos = readPrototypes(outDir);
  const facesFile = path.join(outDir, ARTIFACT_FILES.faces);
  const bestFace = new Map<number, FaceRow>();
  if (existsSync(facesFile)) {
    for (const f of readJsonl<FaceRow>(facesFile)) {
      const cur = bestFace.get(f.track_id);
      if (!cur || f.quality > cur.quality) bestFace.set(f.track_id, f);
    }
  }
  const ranked = idn.track_ids
    .map((t) => protos.byTrack.get(t))
    .filter((r) => r !== undefined && !r.weak && r.thumb !== null)
    .sort((a, b) => b!.n_faces * (b!.quality ?? 1) - a!.n_faces * (a!.quality ?? 1) || a!.track_id - b!.track_id)
    .slice(0, max);
  if (ranked.length === 0) throw new PeopleError(`identity ${identityId} has no clear face to add (every track is a profile, blurred or cut off)`);
  const now = new Date().toISOString();
  const episode = path.dirname(path.resolve(outDir));
  return ranked.map((r) => {
    const bf = bestFace.get(r!.track_id);
    return {
      face: {
        face_id: newId('f'),
        chip: '',
        embedding: encodeVector(protos.vectors.slice(r!.row * protos.dim, (r!.row + 1) * protos.dim)),
        source: { kind: 'episode', episode, track_id: r!.track_id, frame_idx: bf?.frame_idx ?? -1, ts: bf?.ts ?? -1 },
        added_at: now,
      },
      jpeg: readFileSync(path.join(outDir, r!.thumb!)),
    };
  });
}

/** "Add to people library": the identity's best faces go to the person. `learning`: only with the person's consent. */
export function enrolIdentity(dir: string, personRef: string, outDir: string, identityId: number, opts: { learning?: boolean } = {}): { person: Person; added: number } {
  const faces = identityFaces(outDir, identityId);
  for (const f of faces) f.face.chip = chipPath(dir, f.face.face_id).rel;
  return { person: commitFaces(dir, personRef, faces, opts), added: faces.length };
}
