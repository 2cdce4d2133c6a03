// The browser transport against real WebSocket servers: a bare `ws` server for the protocol's
// corner cases, and the real browser host (dist/host/web/serve.js) for the contract itself.

import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { createWsBridge, mediaPath, parseServerFrame, socketUrl, type ConnectionState, type SocketLike, type WsBridge } from './ws-bridge.js';
import { REPO_ROOT, missing } from '../../../test-support/shared-data.js';

const nodeSocket = (url: string) => new WebSocket(url) as unknown as SocketLike;

describe('ws-bridge helpers', () => {
  it('builds the socket and media URLs', () => {
    expect(socketUrl('http://127.0.0.1:5123', 'a+b/c')).toBe('ws://127.0.0.1:5123/ws?token=a%2Bb%2Fc');
    expect(mediaPath('0123456789abcdef', 'thumbs/id 3.jpg', 'T')).toBe('/media/0123456789abcdef/thumbs/id%203.jpg?token=T');
    // A relative path cannot climb out of the artifact folder through the URL.
    expect(mediaPath('0123456789abcdef', '../../etc/passwd', 'T')).toBe('/media/0123456789abcdef/etc/passwd?token=T');
  });

  it('routes responses and events, ignores junk', () => {
    expect(parseServerFrame('{"id":3,"response":{"ok":true,"value":[1]}}')).toEqual({ kind: 'response', id: 3, response: { ok: true, value: [1] } });
    expect(parseServerFrame('{"id":4,"response":{"ok":false,"error":"bad"}}')).toEqual({ kind: 'response', id: 4, response: { ok: false, error: 'bad' } });
    expect(parseServerFrame('{"event":"stage:log","payload":{"lines":[]}}')).toEqual({ kind: 'event', event: 'stage:log', payload: { lines: [] } });
    expect(parseServerFrame('{"id":null,"response":{"ok":false,"error":"x"}}')).toBeNull();
    expect(parseServerFrame('nope')).toBeNull();
    expect(parseServerFrame(42)).toBeNull();
  });
});

describe('ws-bridge over a bare ws server', () => {
  let wss: WebSocketServer | null = null;
  let bridge: WsBridge | null = null;
  afterEach(async () => {
    bridge?.close();
    await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
    wss = null;
    bridge = null;
  });

  it('queues requests until open, matches out-of-order answers, delivers events, rejects on close', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss = server;
    await new Promise<void>((r) => server.once('listening', () => r()));
    const seen: unknown[] = [];
    let serverSide: import('ws').WebSocket | null = null;
    wss.on('connection', (ws, req) => {
      serverSide = ws;
      expect(req.url).toBe('/ws?token=secret');
      const held: Array<{ id: number; channel: string }> = [];
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { id: number; channel: string; request: unknown };
        seen.push(m);
        held.push(m);
        // Answer in reverse order once both arrived, with an event in between.
        if (held.length === 2) {
          ws.send(JSON.stringify({ id: held[1]!.id, response: { ok: false, error: 'Invalid request for stage:run: stride must be at most 120' } }));
          ws.send(JSON.stringify({ event: 'library:changed', payload: [] }));
          ws.send(JSON.stringify({ id: held[0]!.id, response: { ok: true, value: { host: 'web' } } }));
        }
      });
    });
    const port = (wss.address() as { port: number }).port;
    const states: ConnectionState[] = [];
    bridge = createWsBridge({ origin: `http://127.0.0.1:${port}`, token: 'secret', createSocket: nodeSocket, reconnectMs: 0, onConnectionChange: (s) => states.push(s) });
    const events: unknown[] = [];
    const off = bridge.on('library:changed', (p) => events.push(p));

    const a = bridge.invoke('app:info', undefined);
    const b = bridge.invoke('stage:run', { episodeId: '0123456789abcdef', stage: 'cluster', profile: 'balanced', stride: 500 });
    await expect(b).rejects.toThrow('stride must be at most 120');
    await expect(a).resolves.toEqual({ host: 'web' });
    expect(events).toEqual([[]]);
    expect(seen).toEqual([
      { id: 1, channel: 'app:info', request: null },
      { id: 2, channel: 'stage:run', request: { episodeId: '0123456789abcdef', stage: 'cluster', profile: 'balanced', stride: 500 } },
    ]);
    off();

    // The host closes the socket: whatever was in flight fails with a plain message.
    const pending = bridge.invoke('library:list', undefined);
    await new Promise((r) => setTimeout(r, 50));
    (serverSide as unknown as import('ws').WebSocket).close();
    await expect(pending).rejects.toThrow(/Lost the connection/);
    expect(states).toEqual(['open', 'closed']);
  });
});

const SERVE_JS = path.join(REPO_ROOT, 'dist', 'host', 'web', 'serve.js');
const skipHost = missing(SERVE_JS);

describe('ws-bridge against the real browser host', () => {
  it.skipIf(skipHost !== null)(`speaks the host's protocol ${skipHost ?? ''}`, async () => {
    const { startWebHost } = (await import(pathToFileURL(SERVE_JS).href)) as typeof import('../../../host/web/serve.js');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-bridge-'));
    const host = await startWebHost({ dataDir, port: 0, log: () => undefined, rendererDir: dataDir });
    const b = createWsBridge({ origin: `http://127.0.0.1:${host.port}`, token: host.token, createSocket: nodeSocket, reconnectMs: 0 });
    try {
      const info = await b.invoke('app:info', undefined);
      expect(info).toMatchObject({ host: 'web', canPickFolder: false });
      expect(await b.invoke('library:list', undefined)).toEqual([]);
      const missingDir = path.join(dataDir, 'no such folder');
      const add = await b.invoke('library:add', { paths: [missingDir] });
      expect(add.added).toEqual([]);
      expect(add.rejected).toHaveLength(1);
      expect(add.rejected[0]!.path).toContain('no such folder');
      // Requests are validated by the host; the error comes back as a rejection with words.
      await expect(b.invoke('episode:get', { episodeId: 'nothex' })).rejects.toThrow(/16 hex/);
      await expect(b.invoke('library:pick', undefined)).rejects.toThrow(/type or paste/);
      expect(b.mediaUrl('0123456789abcdef', 'thumbs/a.jpg')).toBe(`/media/0123456789abcdef/thumbs/a.jpg?token=${encodeURIComponent(host.token)}`);
    } finally {
      b.close();
      await host.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.skipIf(skipHost !== null)(`is refused with a wrong token ${skipHost ?? ''}`, async () => {
    const { startWebHost } = (await import(pathToFileURL(SERVE_JS).href)) as typeof import('../../../host/web/serve.js');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-bridge-'));
    const host = await startWebHost({ dataDir, port: 0, log: () => undefined, rendererDir: dataDir });
    const states: ConnectionState[] = [];
    const b = createWsBridge({ origin: `http://127.0.0.1:${host.port}`, token: 'wrong', createSocket: nodeSocket, reconnectMs: 0, onConnectionChange: (s) => states.push(s) });
    try {
      await expect(b.invoke('app:info', undefined)).rejects.toThrow(/connection/i);
      expect(states).toContain('closed');
    } finally {
      b.close();
      await host.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('page token', () => {
  it('prefers the address, falls back to what the tab kept', async () => {
    const { pageToken } = await import('./index.js');
    expect(pageToken('?token=abc', 'old')).toBe('abc');
    expect(pageToken('', 'kept')).toBe('kept');
    expect(pageToken('?token=', null)).toBeNull();
  });
  it('takes the token out of the address and keeps everything else', async () => {
    const { addressWithoutToken } = await import('./index.js');
    expect(addressWithoutToken('http://127.0.0.1:5123/?token=abc')).toBe('http://127.0.0.1:5123/');
    expect(addressWithoutToken('http://127.0.0.1:5123/episode?x=1&token=abc#top')).toBe('http://127.0.0.1:5123/episode?x=1#top');
  });
});
