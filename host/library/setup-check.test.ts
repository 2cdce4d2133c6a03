// The setup check on real files: the real models beside the checkout, a models folder holding a
// wrong file, an empty one, the dlib weights in node_modules, the shipped ffmpeg and small
// scripts standing in for broken, hanging and PATH-found ffmpegs.

import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelCheck, SetupCheck, ToolCheck, Wire } from '../../shared/ipc.js';
import { MODELS_DIR, missing } from '../../test-support/shared-data.js';
import { faceApiModelDir } from '../../pipeline/embed/dlib-embedder.js';
import { userCacheDir } from '../../pipeline/models/registry.js';
import { shippedPath, thisMachine } from '../../pipeline/video/ffmpeg-path.js';
import { createBridge } from '../bridge/bridge.js';
import type { RunnerPort } from '../bridge/types.js';
import { checkSetup } from './setup-check.js';
import { SettingsStore } from './settings.js';
import { LibraryStore } from './store.js';

const DETECTOR = 'yunet_n_dynamic.onnx';
const YUNET = path.join(MODELS_DIR, DETECTOR);
const SHIPPED_FFMPEG = shippedPath('ffmpeg', thisMachine());
const EMBEDDER = 'face_recognition_model.bin';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `screentime-setup-${name}-`));
  temps.push(d);
  return d;
}

/** The environment of this process without any setting that would steer the check. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['SCREENTIME_FFMPEG', 'SCREENTIME_FFPROBE', 'SCREENTIME_MODELS_DIR', 'SCREENTIME_OFFLINE']) delete env[k];
  return { ...env, ...extra };
}

function script(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const model = (c: SetupCheck, file: string): ModelCheck => c.models.find((m) => m.file === file)!;
const tool = (c: SetupCheck, name: ToolCheck['tool']): ToolCheck => c.tools.find((t) => t.tool === name)!;
// No stage has a packaged app's resources folder here.
const NO_RESOURCES = '/nonexistent-resources';

describe.skipIf(missing(YUNET) !== null)(`models folder ${missing(YUNET) ?? ''}`, () => {
  it('verifies the real detector in ../shared/models', async () => {
    const c = await checkSetup({ env: cleanEnv({ SCREENTIME_MODELS_DIR: MODELS_DIR }), resourcesPath: NO_RESOURCES });
    const m = model(c, DETECTOR);
    expect(m).toMatchObject({ stage: 'detect_track', kind: 'folder', present: true, verified: true, state: 'ok', path: YUNET, downloadsOnFirstUse: false, problem: null, fix: null });
    expect(m.lookedIn[0]).toBe(path.resolve(MODELS_DIR));
  });

  it('reports a wrong file as present but not verified, with what to do', async () => {
    const dir = tempDir('wrong');
    writeFileSync(path.join(dir, DETECTOR), 'not the detector');
    const c = await checkSetup({ env: cleanEnv({ SCREENTIME_MODELS_DIR: dir }), resourcesPath: NO_RESOURCES });
    const m = model(c, DETECTOR);
    expect(m).toMatchObject({ present: true, verified: false, state: 'wrong_checksum', path: path.join(dir, DETECTOR), downloadsOnFirstUse: false });
    expect(m.problem).toContain('not the pinned 104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12');
    expect(m.fix).toContain(`Delete ${path.join(dir, DETECTOR)}`);
    expect(c.ok).toBe(false);
  });

  it('answers app:check through the bridge with the environment the stages get', async () => {
    const dir = tempDir('bridge');
    copyFileSync(YUNET, path.join(dir, DETECTOR));
    const wrong = tempDir('bridge-wrong');
    writeFileSync(path.join(wrong, DETECTOR), 'x');
    const idle = { active: () => [] } as unknown as RunnerPort;
    const ask = async (stageEnv: Record<string, string>) => {
      const data = tempDir('data');
      const bridge = createBridge({ host: 'web', version: 't', platform: process.platform, library: new LibraryStore(data), settings: new SettingsStore(data), runner: idle, stageEnv });
      const w = (await bridge.dispatch(bridge.openSession(() => undefined), 'app:check', undefined)) as Wire<SetupCheck>;
      if (!w.ok) throw new Error(w.error);
      return w.value;
    };
    expect(model(await ask({ SCREENTIME_MODELS_DIR: dir }), DETECTOR).state).toBe('ok');
    expect(model(await ask({ SCREENTIME_MODELS_DIR: wrong }), DETECTOR).state).toBe('wrong_checksum');
  });
});

describe('a detector that is not on this computer', () => {
  it('is missing, not downloaded, when the user pointed at a folder without it', async () => {
    const dir = tempDir('empty');
    const c = await checkSetup({ env: cleanEnv({ SCREENTIME_MODELS_DIR: dir }), resourcesPath: NO_RESOURCES });
    const m = model(c, DETECTOR);
    expect(m).toMatchObject({ present: false, verified: false, state: 'missing', path: null, downloadsOnFirstUse: false, downloadDir: null });
    expect(m.lookedIn[0]).toBe(dir);
    expect(m.fix).toContain(`screentime models fetch --dir ${dir}`);
  });

  it('would be downloaded into the user cache on first use, and is not downloaded by the check', async () => {
    const cache = tempDir('cache');
    const env = cleanEnv({ XDG_CACHE_HOME: cache });
    const c = await checkSetup({ env, resourcesPath: NO_RESOURCES });
    const m = model(c, DETECTOR);
    expect(m).toMatchObject({ present: false, state: 'will_download', downloadsOnFirstUse: true, downloadDir: userCacheDir(env) });
    expect(m.lookedIn).toContain(userCacheDir(env));
    expect(missing(path.join(userCacheDir(env), DETECTOR))).not.toBeNull();
  });

  it('is missing when downloads are turned off', async () => {
    const c = await checkSetup({ env: cleanEnv({ XDG_CACHE_HOME: tempDir('offline'), SCREENTIME_OFFLINE: '1' }), resourcesPath: NO_RESOURCES });
    expect(model(c, DETECTOR)).toMatchObject({ state: 'missing', downloadsOnFirstUse: false });
  });
});

describe('models shipped inside the app (dlib embedder)', () => {
  it('verifies the weights in node_modules', async () => {
    const c = await checkSetup({ env: cleanEnv(), resourcesPath: NO_RESOURCES });
    const rows = c.models.filter((m) => m.kind === 'bundled');
    expect(rows.map((m) => m.file).sort()).toEqual(['face_recognition_model-weights_manifest.json', EMBEDDER]);
    for (const m of rows) expect(m).toMatchObject({ stage: 'faces_embed', present: true, verified: true, state: 'ok', lookedIn: [faceApiModelDir()] });
  });

  it('reports changed weights, a missing file and a missing package, never fetching them', async () => {
    const dir = tempDir('bundled');
    writeFileSync(path.join(dir, EMBEDDER), 'changed weights');
    const c = await checkSetup({ env: cleanEnv(), resourcesPath: NO_RESOURCES, bundledModelDir: () => dir });
    expect(model(c, EMBEDDER)).toMatchObject({ present: true, verified: false, state: 'wrong_checksum', downloadsOnFirstUse: false });
    expect(model(c, 'face_recognition_model-weights_manifest.json')).toMatchObject({ present: false, state: 'missing', lookedIn: [dir] });
    const gone = await checkSetup({
      env: cleanEnv(),
      resourcesPath: NO_RESOURCES,
      bundledModelDir: () => {
        throw new Error('Cannot find module');
      },
    });
    expect(model(gone, EMBEDDER)).toMatchObject({ state: 'missing', fix: expect.stringContaining('reinstall') });
  });
});

describe('ffmpeg and ffprobe', () => {
  it.skipIf(!SHIPPED_FFMPEG)(`runs the shipped build and reads its version line ${SHIPPED_FFMPEG ? '' : 'skipped: no shipped ffmpeg for this platform'}`, async () => {
    const c = await checkSetup({ env: cleanEnv() });
    expect(tool(c, 'ffmpeg')).toMatchObject({ source: 'bundled', path: SHIPPED_FFMPEG, state: 'ok', problem: null });
    expect(tool(c, 'ffmpeg').version).toMatch(/^ffmpeg version /);
    expect(tool(c, 'ffprobe').version).toMatch(/^ffprobe version /);
  });

  it('reports a named file that does not exist as missing, without throwing', async () => {
    const c = await checkSetup({ env: cleanEnv({ SCREENTIME_FFMPEG: '/nonexistent/ffmpeg' }) });
    expect(tool(c, 'ffmpeg')).toMatchObject({ source: 'env', path: null, version: null, state: 'missing' });
    expect(tool(c, 'ffmpeg').problem).toContain('SCREENTIME_FFMPEG names /nonexistent/ffmpeg');
  });

  it('reports a binary that fails or hangs, with its reason', async () => {
    const dir = tempDir('tools');
    const failing = script(dir, 'ffmpeg', 'echo "libavcodec.so.58: cannot open shared object file" >&2; exit 127');
    const hanging = script(dir, 'ffprobe-hangs', 'exec sleep 10');
    const c = await checkSetup({ env: cleanEnv({ SCREENTIME_FFMPEG: failing, SCREENTIME_FFPROBE: hanging }), versionTimeoutMs: 300 });
    expect(tool(c, 'ffmpeg')).toMatchObject({ source: 'env', path: failing, state: 'failed' });
    expect(tool(c, 'ffmpeg').problem).toContain('exit code 127 (libavcodec.so.58: cannot open shared object file)');
    expect(tool(c, 'ffprobe')).toMatchObject({ source: 'env', path: hanging, state: 'failed' });
    expect(tool(c, 'ffprobe').problem).toContain('no answer within 0.3 s');
  });

  it('resolves a bare name on PATH to its file, and says when PATH has none', async () => {
    const dir = tempDir('path');
    const own = script(dir, 'ffmpeg', 'echo "ffmpeg version 9.9-test"');
    const onPath = await checkSetup({ env: cleanEnv({ SCREENTIME_FFMPEG: 'ffmpeg', PATH: dir }) });
    expect(tool(onPath, 'ffmpeg')).toMatchObject({ source: 'env', path: own, version: 'ffmpeg version 9.9-test', state: 'ok' });
    const empty = tempDir('empty-path');
    mkdirSync(path.join(empty, 'bin'));
    const none = await checkSetup({ env: cleanEnv({ SCREENTIME_FFMPEG: 'ffmpeg', PATH: path.join(empty, 'bin') }) });
    expect(tool(none, 'ffmpeg')).toMatchObject({ source: 'env', path: null, state: 'missing' });
  });
});
