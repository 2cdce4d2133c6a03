import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, missing } from '../../test-support/shared-data.js';
import { ensureModelsDir, mayDownload } from './ensure.js';
import { ModelNotFoundError } from './registry.js';

const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');

describe('mayDownload', () => {
  it('downloads only when the user named no folder and is not offline', () => {
    expect(mayDownload({ env: {} })).toBe(true);
    expect(mayDownload({ modelsDir: '/m', env: {} })).toBe(false);
    expect(mayDownload({ env: { SCREENTIME_MODELS_DIR: '/m' } })).toBe(false);
    expect(mayDownload({ env: { SCREENTIME_OFFLINE: '1' } })).toBe(false);
  });
});

// A local HTTP server plays the pinned source, so the first-use download runs for real here.
describe.skipIf(missing(YUNET))('ensureModelsDir (first use)', () => {
  let server: Server;
  let mirror = '';
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/yunet_n_dynamic.onnx') res.end(readFileSync(YUNET));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    mirror = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads a missing model into the user cache once, checks it, then works offline', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'screentime-cache-'));
    const env = { XDG_CACHE_HOME: cache, SCREENTIME_MODELS_MIRROR: mirror };
    const lines: string[] = [];
    const dir = await ensureModelsDir(['yunet_n_dynamic.onnx'], { env, resourcesPath: '/nonexistent', platform: 'linux', log: (l) => lines.push(l) });
    expect(dir).toBe(path.join(cache, 'screentime', 'models'));
    expect(existsSync(path.join(dir, 'yunet_n_dynamic.onnx'))).toBe(true);
    expect(lines.join('\n')).toMatch(/downloading it once/);
    expect(requests).toBe(1);
    // Second use: found in the cache, no request.
    const again = await ensureModelsDir(['yunet_n_dynamic.onnx'], { env: { XDG_CACHE_HOME: cache, SCREENTIME_OFFLINE: '1' }, resourcesPath: '/nonexistent', platform: 'linux' });
    expect(again).toBe(dir);
    expect(requests).toBe(1);
  });

  it('does not download when offline, and says the model is missing', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'screentime-cache-'));
    const p = ensureModelsDir(['yunet_n_dynamic.onnx'], { env: { XDG_CACHE_HOME: cache, SCREENTIME_OFFLINE: '1' }, resourcesPath: '/nonexistent', platform: 'linux' });
    await expect(p).rejects.toBeInstanceOf(ModelNotFoundError);
  });
});
