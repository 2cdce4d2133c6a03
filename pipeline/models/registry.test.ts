import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { MODELS_DIR, missing } from '../../test-support/shared-data.js';
import { StageError } from '../runtime/stage.js';
import { fetchModels } from './fetch.js';
import { MODELS, modelSearchDirs, resolveModel, resolveModelsDir, userCacheDir } from './registry.js';

const N = 'yunet_n_dynamic.onnx';
const S = 'yunet_s_dynamic.onnx';
const nPath = path.join(MODELS_DIR, N);
const sPath = path.join(MODELS_DIR, S);
const tmp = () => mkdtempSync(path.join(tmpdir(), 'screentime-models-'));
// A user cache that is surely empty, so the real one on this machine does not leak into tests.
const noEnv = (home: string) => ({ env: {}, home, resourcesPath: undefined as string | undefined, platform: 'linux' as const });

async function stageErrorOf(p: Promise<unknown>): Promise<StageError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StageError) return e;
    throw e;
  }
  throw new Error('expected a StageError');
}

describe('model search folders', () => {
  it('--models, SCREENTIME_MODELS_DIR, resources, then the user cache', () => {
    const dirs = modelSearchDirs({ modelsDir: '/m', env: { SCREENTIME_MODELS_DIR: '/e' }, resourcesPath: '/app/res', platform: 'linux', home: '/h' });
    expect(dirs).toEqual(['/m', '/e', '/app/res/models', '/h/.cache/screentime/models']);
  });
  it('platform cache folders', () => {
    expect(userCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', '/h')).toBe('/x/screentime/models');
    expect(userCacheDir({}, 'darwin', '/Users/a')).toBe('/Users/a/Library/Caches/screentime/models');
    expect(userCacheDir({ LOCALAPPDATA: 'C:\\L' }, 'win32', 'C:\\U')).toContain('screentime');
  });
});

describe('resolveModel', () => {
  it.skipIf(missing(nPath))('finds and verifies the pinned file', async () => {
    const home = tmp();
    expect(await resolveModel(N, { modelsDir: MODELS_DIR, ...noEnv(home) })).toBe(nPath);
    expect(await resolveModelsDir([N], { modelsDir: MODELS_DIR, ...noEnv(home) })).toBe(MODELS_DIR);
  });

  it('missing: EXIT.MODEL, one line naming the file and how to get it', async () => {
    const home = tmp();
    const e = await stageErrorOf(resolveModel(N, { modelsDir: tmp(), ...noEnv(home) }));
    expect(e.exitCode).toBe(EXIT.MODEL);
    expect(e.message).toMatch(/model yunet_n_dynamic\.onnx not found .*screentime models fetch/);
    expect(e.message).not.toContain('\n');
  });

  it.skipIf(missing(nPath))('corrupt (one byte flipped): EXIT.MODEL with expected and actual sha256', async () => {
    const d = tmp();
    const copy = path.join(d, N);
    const buf = readFileSync(nPath);
    buf[1000] = buf[1000]! ^ 0xff;
    writeFileSync(copy, buf);
    const e = await stageErrorOf(resolveModel(N, { modelsDir: d, ...noEnv(tmp()) }));
    expect(e.exitCode).toBe(EXIT.MODEL);
    expect(e.message).toContain(MODELS[0]!.sha256);
    expect(e.message).toMatch(/is corrupt: sha256 [0-9a-f]{64}, expected/);
  });

  it.skipIf(missing(nPath))('a corrupt copy in an earlier folder is an error, not skipped', async () => {
    const bad = tmp();
    writeFileSync(path.join(bad, N), 'garbage');
    const e = await stageErrorOf(resolveModel(N, { modelsDir: bad, env: { SCREENTIME_MODELS_DIR: MODELS_DIR }, home: tmp(), platform: 'linux' }));
    expect(e.exitCode).toBe(EXIT.MODEL);
  });
});

describe('fetchModels (from a local HTTP mirror)', () => {
  it.skipIf(missing(nPath, sPath))('downloads, verifies, renames into place; refuses a corrupt download', async () => {
    const served = tmp();
    copyFileSync(nPath, path.join(served, N));
    const badS = readFileSync(sPath);
    badS[10] = badS[10]! ^ 1;
    writeFileSync(path.join(served, S), badS);
    const server = createServer((req, res) => {
      const f = path.join(served, path.basename(req.url ?? ''));
      if (!existsSync(f) || req.url !== `/m/${path.basename(f)}`) { res.statusCode = 404; res.end(); return; }
      res.end(readFileSync(f));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m`;
    try {
      const dest = tmp();
      const ok = await fetchModels({ dir: dest, mirror, files: [N] });
      expect(ok).toEqual([{ file: N, path: path.join(dest, N), action: 'downloaded' }]);
      expect(readFileSync(path.join(dest, N)).equals(readFileSync(nPath))).toBe(true);
      // A second fetch finds it verified and does not download again.
      expect((await fetchModels({ dir: dest, mirror, files: [N] }))[0]!.action).toBe('present');
      // The corrupt one is refused and leaves nothing behind.
      const e = await stageErrorOf(fetchModels({ dir: dest, mirror, files: [S] }));
      expect(e.exitCode).toBe(EXIT.MODEL);
      expect(e.message).toMatch(/sha256 .* expected daede240/);
      expect(readdirSync(dest)).toEqual([N]);
      // A missing file on the mirror: HTTP 404 in the message.
      const gone = tmp();
      const e2 = await stageErrorOf(fetchModels({ dir: gone, mirror: `${mirror}/nothing-here`, files: [N] }));
      expect(e2.message).toMatch(/HTTP 404/);
    } finally {
      server.close();
    }
  });
});
