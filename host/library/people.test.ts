// The people channels through the real bridge: validation, the library folder from the settings,
// enrolment from photo bytes with the real detector and embedder (the window sends bytes, not a
// path), the face choice for a group photo, export and import, and a cluster run that is handed
// the library. Skips (naming the file) without the models or photos.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EnrolResult, PeopleView, Wire } from '../../shared/ipc.js';
import { MODELS_DIR, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { createBridge, type Bridge } from '../bridge/bridge.js';
import type { RunnerPort, Session } from '../bridge/types.js';
import type { RunStageRequest } from '../runner/types.js';
import { SettingsStore } from './settings.js';
import { LibraryStore } from './store.js';
import { idleRunner } from '../../test-support/idle-runner.js';

const EDDIE = mediaPath('dev/refs/eddie.png');
const GROUP = mediaPath('solvay_1927.png');
const skip = missing(path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'), EDDIE, GROUP);

const valueOf = <T>(w: Wire<unknown>) => {
  if (!w.ok) throw new Error(w.error);
  return w.value as T;
};

let dataDir: string;
let lib: string;
let bridge: Bridge;
let session: Session;
const runs: RunStageRequest[] = [];
const stageEnv: Record<string, string> = { SCREENTIME_MODELS_DIR: MODELS_DIR };
const runner: RunnerPort = idleRunner({
  run: async (req) => {
    runs.push(req);
    throw new Error('no stages here');
  },
});
const call = (channel: string, request?: unknown) => bridge.dispatch(session, channel, request);

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-people-host-'));
  lib = path.join(dataDir, 'my people');
  bridge = createBridge({ host: 'web', version: 't', platform: process.platform, library: new LibraryStore(dataDir), settings: new SettingsStore(dataDir), runner, stageEnv });
  session = bridge.openSession(() => undefined);
});
afterEach(() => {
  bridge.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('people channels', () => {
  it('the library folder is a setting; requests are validated', async () => {
    expect(errorOf(await call('settings:set', { peopleDir: 'relative/dir' }))).toMatch(/absolute path/);
    valueOf(await call('settings:set', { peopleDir: lib }));
    expect(JSON.parse(readFileSync(path.join(dataDir, 'settings.json'), 'utf8')).peopleDir).toBe(lib);
    const v = valueOf<PeopleView>(await call('people:add', { name: 'Eddie', learn: true }));
    expect(v).toMatchObject({ dir: lib, revision: 1, problem: null, people: [{ name: 'Eddie', learn: true, locked: false, faces: 0, thumb: null }] });
    expect(errorOf(await call('people:remove', { personId: '../../etc' }))).toMatch(/person id/);
    expect(errorOf(await call('people:enrol', { personId: v.people[0]!.person_id, photo: { name: 'x.png', data: '' } }))).not.toBe('');
    // a damaged index is shown as a problem, not thrown, and stays as it is
    writeFileSync(path.join(lib, 'people.json'), '{oops');
    const bad = valueOf<PeopleView>(await call('people:list'));
    expect(bad.problem).toContain(path.join(lib, 'people.json'));
    expect(readFileSync(path.join(lib, 'people.json'), 'utf8')).toBe('{oops');
  });

  it.skipIf(missing(mediaPath('episode_gt.mp4')))('a cluster run started from the window is handed the library folder', async () => {
    valueOf(await call('settings:set', { peopleDir: lib }));
    const ep = tempEpisode('episode_gt.mp4');
    const added = valueOf<{ added: Array<{ episodeId: string }> }>(await call('library:add', { paths: [ep] }));
    await call('stage:run', { episodeId: added.added[0]!.episodeId, stage: 'cluster', profile: 'balanced' });
    expect(runs.at(-1)!.peopleDir).toBe(lib);
    await call('stage:run', { episodeId: added.added[0]!.episodeId, stage: 'screentime', profile: 'balanced' });
    expect(runs.at(-1)!.peopleDir).toBeUndefined();
    rmSync(path.dirname(ep), { recursive: true, force: true });
  });
});

describe.skipIf(skip)(`enrol from photo bytes ${skip ?? ''}`, () => {
  const bytes = (f: string) => readFileSync(f).toString('base64');

  it('one face: added with its chip; a group photo asks which face; no face names the photo', async () => {
    valueOf(await call('settings:set', { peopleDir: lib }));
    const id = valueOf<PeopleView>(await call('people:add', { name: 'Eddie' })).people[0]!.person_id;
    const r = valueOf<EnrolResult>(await call('people:enrol', { personId: id, photo: { name: 'eddie.png', data: bytes(EDDIE) } }));
    expect(r.added).toBe(1);
    expect(r.view.people[0]!.faces).toBe(1);
    expect(r.view.people[0]!.thumb).toMatch(/^data:image\/jpeg;base64,/);

    const g = valueOf<EnrolResult>(await call('people:enrol', { personId: id, photo: { name: 'group.png', data: bytes(GROUP) } }));
    expect(g.added).toBe(0);
    expect(g.choose!.photo).toBe('group.png');
    expect(g.choose!.faces.length).toBeGreaterThan(20);
    expect(g.choose!.faces[0]!.thumb).toMatch(/^data:image\/jpeg;base64,/);
    const picked = valueOf<EnrolResult>(await call('people:enrol', { personId: id, photo: { name: 'group.png', data: bytes(GROUP) }, face: 2 }));
    expect(picked.added).toBe(1);

    const blank = Buffer.from(await (await import('sharp')).default({ create: { width: 200, height: 200, channels: 3, background: '#777' } }).png().toBuffer()).toString('base64');
    expect(errorOf(await call('people:enrol', { personId: id, photo: { name: 'wall.png', data: blank } }))).toMatch(/^wall\.png: no face found/);
    expect(valueOf<PeopleView>(await call('people:list')).people[0]!.faces).toBe(2);
  });

  it('export then import into another library through the channels', async () => {
    valueOf(await call('settings:set', { peopleDir: lib }));
    const id = valueOf<PeopleView>(await call('people:add', { name: 'Eddie' })).people[0]!.person_id;
    valueOf(await call('people:enrol', { personId: id, photo: { name: 'eddie.png', data: bytes(EDDIE) } }));
    const out = valueOf<{ content: string; fileName: string }>(await call('people:export'));
    valueOf(await call('settings:set', { peopleDir: path.join(dataDir, 'other') }));
    const imp = valueOf<PeopleView & { peopleAdded: number; facesAdded: number }>(await call('people:import', { fileName: out.fileName, content: out.content }));
    expect([imp.peopleAdded, imp.facesAdded]).toEqual([1, 1]);
    expect(imp.people[0]).toMatchObject({ person_id: id, name: 'Eddie', faces: 1 });
    expect(errorOf(await call('people:import', { fileName: 'old.json', content: out.content.replace('"schema_version": 2', '"schema_version": 7') }))).toMatch(/^old\.json: schema version 7 is newer/);
  });
});

function errorOf(w: Wire<unknown>): string {
  return w.ok ? `unexpected success: ${JSON.stringify(w.value)}` : w.error;
}
