import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LibraryStore } from '../host/library/store.js';
import { ExternalThermalSource } from '../host/readings/thermal.js';
import { appProtocolHandler, mediaProtocolHandler } from './protocols.js';
import { ELECTRON_CSP, isAppUrl } from './security.js';
import { feedThermal, toThermalState } from './thermal.js';

const root = mkdtempSync(path.join(tmpdir(), 'screentime-proto-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('app:// protocol', () => {
  const dir = path.join(root, 'renderer');
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(dir, 'assets', 'a.js'), 'x');
  writeFileSync(path.join(root, 'secret.txt'), 'secret');
  const handle = appProtocolHandler(dir);

  it('serves the window files with the CSP', async () => {
    const r = await handle(new Request('app://screentime/index.html'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toBe(ELECTRON_CSP);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await handle(new Request('app://screentime/assets/a.js'))).headers.get('content-type')).toMatch(/^text\/javascript/);
  });
  it('refuses other hosts, traversal and missing files', async () => {
    expect((await handle(new Request('app://other/index.html'))).status).toBe(404);
    expect((await handle(new Request('app://screentime/%2e%2e/secret.txt'))).status).toBe(404);
    expect((await handle(new Request('app://screentime/..%2fsecret.txt'))).status).toBe(404);
    expect((await handle(new Request('app://screentime/nope.js'))).status).toBe(404);
  });
  it('knows its own URLs', () => {
    expect(isAppUrl('app://screentime/index.html')).toBe(true);
    expect(isAppUrl('app://screentime.evil/index.html')).toBe(false);
    expect(isAppUrl('app://user:pw@screentime/')).toBe(false);
    expect(isAppUrl('file:///index.html')).toBe(false);
    expect(isAppUrl('http://127.0.0.1/')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});

describe('screentime-media:// protocol', () => {
  it('serves thumbnails of library episodes only', async () => {
    const ep = path.join(root, 'ep');
    mkdirSync(path.join(ep, 'screentime', 'thumbs'), { recursive: true });
    writeFileSync(path.join(ep, 'v.mp4'), 'x');
    writeFileSync(path.join(ep, 'screentime', 'thumbs', 'id 1.jpg'), 'JPEG');
    const lib = new LibraryStore(path.join(root, 'data'), async (file) => ({ file, duration_s: 1, fps: 25, width: 2, height: 2, frame_count: 25, start_time_s: 0, codec: 'h264' }));
    const id = (await lib.add([ep])).added[0]!.episodeId;
    const handle = mediaProtocolHandler(lib);
    const ok = await handle(new Request(`screentime-media://media/${id}/thumbs/id%201.jpg`));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    expect(await ok.text()).toBe('JPEG');
    expect((await handle(new Request(`screentime-media://media/${id}/..%2fv.mp4`))).status).toBe(404);
    expect((await handle(new Request(`screentime-media://media/ffffffffffffffff/thumbs/id%201.jpg`))).status).toBe(404);
    expect((await handle(new Request(`screentime-media://other/${id}/thumbs/id%201.jpg`))).status).toBe(404);
  });

  it('serves the video of a library episode by ranges, and nothing else', async () => {
    const ep = path.join(root, 'ep2');
    mkdirSync(ep, { recursive: true });
    writeFileSync(path.join(ep, 'v.mp4'), '0123456789');
    const lib = new LibraryStore(path.join(root, 'data2'), async (file) => ({ file, duration_s: 1, fps: 25, width: 2, height: 2, frame_count: 25, start_time_s: 0, codec: 'h264' }));
    const id = (await lib.add([ep])).added[0]!.episodeId;
    const handle = mediaProtocolHandler(lib);
    const r = await handle(new Request(`screentime-media://video/${id}`, { headers: { Range: 'bytes=2-4' } }));
    expect(r.status).toBe(206);
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(await r.text()).toBe('234');
    expect((await handle(new Request(`screentime-media://video/ffffffffffffffff`))).status).toBe(404);
    expect((await handle(new Request(`screentime-media://video/${id}`, { method: 'POST' }))).status).toBe(404);
  });
});

describe('thermal feed', () => {
  it('maps power monitor states and limits into the runner source (macOS)', async () => {
    const pm = Object.assign(new EventEmitter(), { getCurrentThermalState: () => 'fair' });
    const src = new ExternalThermalSource('electron');
    const off = feedThermal(pm as never, src, 'darwin');
    expect(await src.read()).toEqual({ state: 'fair', maxTempC: null, speedLimit: null, source: 'electron' });
    pm.emit('thermal-state-change', { state: 'critical' });
    pm.emit('speed-limit-change', { limit: 60 });
    expect(await src.read()).toEqual({ state: 'critical', maxTempC: null, speedLimit: 60, source: 'electron' });
    off();
    pm.emit('thermal-state-change', { state: 'nominal' });
    expect((await src.read()).state).toBe('critical');
  });
  it('uses only the speed limit on Windows and nothing on Linux', async () => {
    const pm = Object.assign(new EventEmitter(), { getCurrentThermalState: () => 'serious' });
    const win = new ExternalThermalSource('electron');
    feedThermal(pm as never, win, 'win32');
    pm.emit('speed-limit-change', { limit: 80 });
    expect(await win.read()).toEqual({ state: 'unavailable', maxTempC: null, speedLimit: 80, source: 'electron' });
    const pm2 = new EventEmitter();
    feedThermal(pm2 as never, new ExternalThermalSource('electron'), 'linux');
    expect(pm2.listenerCount('speed-limit-change') + pm2.listenerCount('thermal-state-change')).toBe(0);
    expect(toThermalState('unknown')).toBe('unavailable');
  });
});
