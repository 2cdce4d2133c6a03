import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseRange, rangeHeaders, serveVideo, videoContentType, videoResponse } from './video-route.js';
import type { LibraryStore } from '../library/store.js';

describe('Range header', () => {
  it('reads the three forms and clips to the file', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=500-', 1000)).toEqual({ start: 500, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange(' bytes = 1 - 2 ', 1000)).toEqual({ start: 1, end: 2 });
  });
  it('answers 416 for ranges past the end, and ignores what it does not follow', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange(undefined, 1000)).toBeNull();
    expect(parseRange('items=0-1', 1000)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
    expect(parseRange('bytes=5-1', 1000)).toBeNull();
    expect(parseRange('bytes=-', 1000)).toBeNull();
  });
  it('headers for 200, 206 and 416', () => {
    expect(rangeHeaders(null, 10, 'video/mp4')).toMatchObject({ status: 200, length: 10, headers: { 'Content-Length': '10', 'Accept-Ranges': 'bytes' } });
    expect(rangeHeaders({ start: 2, end: 5 }, 10, 'video/mp4')).toMatchObject({ status: 206, length: 4, headers: { 'Content-Range': 'bytes 2-5/10', 'Content-Length': '4' } });
    expect(rangeHeaders('unsatisfiable', 10, 'video/mp4')).toMatchObject({ status: 416, headers: { 'Content-Range': 'bytes */10' } });
    expect(videoContentType('/x/A.MP4')).toBe('video/mp4');
  });
});

describe('serving an episode video', () => {
  let dir = '';
  let server: http.Server;
  let base = '';
  const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  // only the two methods the route uses; the rest of LibraryStore is not involved
  const library = {
    has: (id: string) => id === 'aaaaaaaaaaaaaaaa',
    get: () => ({ videoPath: path.join(dir, 'ep.mp4') }),
  } as unknown as LibraryStore;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'screentime-video-'));
    writeFileSync(path.join(dir, 'ep.mp4'), bytes);
    server = http.createServer((req, res) => void serveVideo(req, res, library, (req.url ?? '/').slice(1)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('Node route: whole file, a range, past the end, unknown episode', async () => {
    let r = await fetch(`${base}/aaaaaaaaaaaaaaaa`);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(bytes);
    r = await fetch(`${base}/aaaaaaaaaaaaaaaa`, { headers: { Range: 'bytes=1000-1999' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 1000-1999/5000');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(bytes.subarray(1000, 2000));
    r = await fetch(`${base}/aaaaaaaaaaaaaaaa`, { headers: { Range: 'bytes=9000-' } });
    expect(r.status).toBe(416);
    await r.arrayBuffer();
    r = await fetch(`${base}/bbbbbbbbbbbbbbbb`);
    expect(r.status).toBe(404);
    await r.arrayBuffer();
  });

  it('fetch-style handler (Electron) answers the same', async () => {
    let r = await videoResponse(new Request('screentime-media://video/aaaaaaaaaaaaaaaa', { headers: { Range: 'bytes=-10' } }), library, 'aaaaaaaaaaaaaaaa');
    expect(r.status).toBe(206);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(bytes.subarray(4990));
    r = await videoResponse(new Request('screentime-media://video/x'), library, 'bbbbbbbbbbbbbbbb');
    expect(r.status).toBe(404);
  });
});
