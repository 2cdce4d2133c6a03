// Enrolling from real photos with the real detector and embedder, and moving a library with one
// file. Skips (naming the file) when the models or photos are absent.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { MODELS_DIR, mediaPath, missing } from '../../test-support/shared-data.js';
import { ChooseFaceError, enrolPhotos } from './enrol.js';
import { addPerson, CHIPS_DIR, decodeVector, readLibrary, updateLibrary } from './library.js';
import { openPhotoFaceReader, type PhotoFaceReader } from './photo.js';
import { exportLibrary, importLibrary } from './transfer.js';

const EDDIE = mediaPath('dev/refs/eddie.png');
const GROUP = mediaPath('solvay_1927.png');
const skip = missing(path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'), EDDIE, GROUP);
const tmp = () => mkdtempSync(path.join(tmpdir(), 'screentime-people-'));

describe.skipIf(skip)(`enrol from photos ${skip ?? ''}`, () => {
  let reader: PhotoFaceReader;
  beforeAll(async () => { reader = await openPhotoFaceReader({ modelsDir: MODELS_DIR }); });
  afterAll(async () => { await reader?.close(); });

  it('one face per photo: a unit embedding and a 112x112 chip, with where it came from', async () => {
    const dir = tmp();
    updateLibrary(dir, (lib) => addPerson(lib, 'Eddie'));
    const r = await enrolPhotos(dir, 'Eddie', [EDDIE], reader);
    expect(r.added).toBe(1);
    const face = readLibrary(dir).people[0]!.faces[0]!;
    const v = decodeVector(face.embedding);
    expect(v).toHaveLength(128);
    expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    expect(face.source).toMatchObject({ kind: 'photo', file: EDDIE });
    const meta = await sharp(path.join(dir, face.chip)).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([112, 112, 'jpeg']);
  });

  it('a photo with no face, a file that is no image, or a group photo with no choice changes nothing', async () => {
    const dir = tmp();
    updateLibrary(dir, (lib) => addPerson(lib, 'Eddie'));
    const blank = path.join(dir, 'wall.png');
    await sharp({ create: { width: 320, height: 240, channels: 3, background: '#8a8a80' } }).png().toFile(blank);
    const text = path.join(dir, 'notes.png');
    writeFileSync(text, 'not a picture');
    await expect(enrolPhotos(dir, 'Eddie', [EDDIE, blank], reader)).rejects.toThrow(`${blank}: no face found`);
    await expect(enrolPhotos(dir, 'Eddie', [text], reader)).rejects.toThrow(`${text}: not an image`);
    const e = await enrolPhotos(dir, 'Eddie', [GROUP], reader).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChooseFaceError);
    expect((e as ChooseFaceError).faces.length).toBeGreaterThan(20);
    expect((e as Error).message).toMatch(/faces found; choose one/);
    expect(readLibrary(dir).revision).toBe(1);
    expect(readLibrary(dir).people[0]!.faces).toEqual([]);
    expect(existsSync(path.join(dir, CHIPS_DIR)) ? readdirSync(path.join(dir, CHIPS_DIR)) : []).toEqual([]);
    // choosing one works: the largest face is number 1
    const r = await enrolPhotos(dir, 'Eddie', [GROUP], reader, [1]);
    expect(r.added).toBe(1);
    await expect(enrolPhotos(dir, 'Eddie', [GROUP], reader, [999])).rejects.toThrow(/there is no face 999/);
  });

  it('export and import move people, faces and chips; importing twice adds nothing; a newer export is refused', async () => {
    const a = tmp(), b = tmp();
    updateLibrary(a, (lib) => addPerson(lib, 'Eddie', { learn: true }));
    await enrolPhotos(a, 'Eddie', [EDDIE], reader);
    const file = path.join(tmp(), 'people.json');
    expect(exportLibrary(a, file)).toEqual({ people: 1, faces: 1 });
    updateLibrary(b, (lib) => addPerson(lib, 'Grandma'));
    expect(importLibrary(b, file)).toEqual({ peopleAdded: 1, facesAdded: 1 });
    expect(importLibrary(b, file)).toEqual({ peopleAdded: 0, facesAdded: 0 });
    const la = readLibrary(a).people[0]!, lb = readLibrary(b).people.find((p) => p.name === 'Eddie')!;
    expect(lb).toMatchObject({ person_id: la.person_id, learn: true });
    expect(lb.faces[0]!.embedding).toBe(la.faces[0]!.embedding);
    expect(readFileSync(path.join(b, lb.faces[0]!.chip))).toEqual(readFileSync(path.join(a, la.faces[0]!.chip)));
    const newer = path.join(tmp(), 'newer.json');
    writeFileSync(newer, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), schema_version: 99 }));
    const before = readFileSync(path.join(b, 'people.json'), 'utf8');
    expect(() => importLibrary(b, newer)).toThrow(`${newer}: schema version 99 is newer`);
    expect(() => importLibrary(b, EDDIE)).toThrow(/not a people library export/);
    expect(readFileSync(path.join(b, 'people.json'), 'utf8')).toBe(before);
  });
});
