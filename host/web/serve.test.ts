import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { CLI_JS, MODELS_DIR, REPO_ROOT, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { commandName, descendants, isGone, waitGone } from '../../test-support/proc.js';
import type { ActiveRun } from '../runner/types.js';
import type { RunnerPort } from '../bridge/types.js';
import { LibraryStore } from '../library/store.js';
import { parseClientMessage } from './protocol.js';
import { parseCliArgs, staticFile, startWebHost, tokenMatches, type WebHost } from './serve.js';

interface Conn {
  ws: WebSocket;
  request(channel: unknown, request?: unknown): Promise<{ ok: boolean; value?: unknown; error?: string }>;
  raw(text: string): Promise<{ id: number | null; response: { ok: boolean; error?: string } }>;
  events: Array<{ event: string; payload: unknown }>;
  waitEvent(name: string, timeoutMs: number): Promise<unknown>;
}

/** Sends `text` as is on a fresh TCP connection and returns everything the host answers. */
function rawExchange(port: number, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${timeoutMs} ms (got ${JSON.stringify(got)})`));
    }, timeoutMs);
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', () => undefined);
    socket.write(text);
  });
}

/** Asks for `target`, then hangs up as soon as the first bytes of the answer arrive. */
function abortAfterFirstBytes(port: number, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${target}`));
    }, 5000);
    socket.once('data', () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  });
}

const openFds = () => readdirSync('/proc/self/fd').length;

function connect(url: string, origin?: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    let next = 1;
    const pending = new Map<number | null, (m: never) => void>();
    const events: Array<{ event: string; payload: unknown }> = [];
    const waiters: Array<{ name: string; resolve: (p: unknown) => void }> = [];
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { id?: number | null; response?: unknown; event?: string; payload?: unknown };
      if (m.event) {
        events.push({ event: m.event, payload: m.payload });
        for (const w of waiters.splice(0)) if (w.name === m.event) w.resolve(m.payload);
        else waiters.push(w);
        return;
      }
      const cb = pending.get(m.id ?? null);
      pending.delete(m.id ?? null);
      cb?.(m as never);
    });
    ws.once('open', () =>
      resolve({
        ws,
        events,
        request(channel, request) {
          const id = next++;
          return new Promise((res) => {
            pending.set(id, ((m: { response: { ok: boolean } }) => res(m.response)) as never);
            ws.send(JSON.stringify({ id, channel, request }));
          });
        },
        raw(text) {
          return new Promise((res) => {
            pending.set(null, res as never);
            ws.send(text);
          });
        },
        waitEvent(name, timeoutMs) {
          const seen = events.find((e) => e.event === name);
          if (seen) return Promise.resolve(seen.payload);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`no ${name} event in ${timeoutMs} ms`)), timeoutMs);
            waiters.push({ name, resolve: (p) => { clearTimeout(t); res(p); } });
          });
        },
      }),
    );
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

// Stands in for the LocalRunner where only routing is under test: a run logs one line to its
// sink and ends. The real runner is driven in 'socket close ends the session' below.
function idleRunner(): RunnerPort & { ended: string[] } {
  const ended: string[] = [];
  return {
    ended,
    run: async (req, sink) => {
      sink({ event: 'stage:log', payload: { episodeId: req.episodeId, stage: req.stage, lines: [`ran for ${req.sessionId}`] } });
      return {
        status: 'completed', stage: req.stage, episodeId: req.episodeId, episode: req.episodeName ?? '', logs: [], elapsedSeconds: 0,
        device: 'cpu', profile: req.profile, stride: null, cpuThreads: 1, exitCode: 0, error: null, summary: null,
      };
    },
    cancel: async () => false,
    endSession: (id: string) => void ended.push(id),
    shutdown: async () => undefined,
    active: (): ActiveRun[] => [],
    onActivityChange: () => () => undefined,
  };
}

describe('pure helpers', () => {
  it('parses client messages without throwing', () => {
    expect(parseClientMessage('{')).toEqual({ ok: false, id: null, error: 'Bad message: not JSON' });
    expect(parseClientMessage('[1]')).toEqual({ ok: false, id: null, error: 'Bad message: expected an object {id, channel, request}' });
    expect(parseClientMessage('{"id":"1","channel":"app:info"}')).toEqual({ ok: false, id: null, error: 'Bad message: id must be a non-negative integer' });
    expect(parseClientMessage('{"id":3,"channel":7}')).toEqual({ ok: false, id: 3, error: 'Bad message: channel must be a string' });
    expect(parseClientMessage('{"id":3,"channel":"app:info","request":null}')).toEqual({ ok: true, id: 3, channel: 'app:info', request: undefined });
    expect(parseClientMessage(null)).toMatchObject({ ok: false, id: null });
  });
  it('never maps a URL to a source map', () => {
    expect(staticFile('/srv/r', '/assets/index-abc.js.map')).toBeNull();
    expect(staticFile('/srv/r', '/assets/INDEX.JS.MAP')).toBeNull();
    expect(staticFile('/srv/r', '/assets/a.js.map/')).toBeNull();
  });
  it('keeps static files inside the renderer folder', () => {
    expect(staticFile('/srv/r', '/')).toBe('/srv/r/index.html');
    expect(staticFile('/srv/r', '/assets/a.js')).toBe('/srv/r/assets/a.js');
    expect(staticFile('/srv/r', '/../secret')).toBeNull();
    expect(staticFile('/srv/r', '/%2e%2e/%2e%2e/etc/passwd')).toBeNull();
    expect(staticFile('/srv/r', '/%E0%A4%A')).toBeNull();
  });
  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(null, 'abc')).toBe(false);
  });
  it('parses the command line', () => {
    expect(parseCliArgs(['--port', '8123', '--data-dir=/tmp/x', '--open'])).toEqual({ port: 8123, dataDir: '/tmp/x', open: true });
    expect(parseCliArgs(['--port', 'abc'])).toEqual({ error: '--port must be a number 0-65535 (got abc)' });
    expect(parseCliArgs(['--bogus'])).toMatchObject({ error: expect.stringMatching(/^unknown option --bogus/) });
  });
});

describe('web host over a real socket', () => {
  let host: WebHost;
  let dataDir: string;
  let rendererDir: string;
  let runner: ReturnType<typeof idleRunner>;
  let episodeId = '';
  const logs: string[] = [];
  // Vitest survives an uncaught exception that would end a real host process: record them, and
  // fail the test during which the host threw one.
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => void uncaught.push(e);
  afterEach(() => {
    expect(uncaught.splice(0).map(String)).toEqual([]);
  });

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-web-'));
    rendererDir = path.join(dataDir, 'renderer');
    mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Screentime</title>');
    writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(rendererDir, 'assets', 'app.js.map'), '{"sources":["secret.ts"]}');
    // Bigger than the socket buffers: a client that hangs up leaves the host mid-file.
    writeFileSync(path.join(rendererDir, 'assets', 'big.js'), Buffer.alloc(4 * 1024 * 1024, 0x20));
    runner = idleRunner();
    // One library episode with a thumbnail, added before the host starts (it reads library.json).
    const ep = path.join(dataDir, 'Episode 1');
    mkdirSync(path.join(ep, 'screentime', 'thumbs'), { recursive: true });
    writeFileSync(path.join(ep, 'v.mp4'), 'x');
    writeFileSync(path.join(ep, 'screentime', 'thumbs', 'id 1.jpg'), 'JPEG');
    writeFileSync(path.join(ep, 'screentime', 'manifest.json'), '{}');
    const lib = new LibraryStore(dataDir, async (file) => ({ file, duration_s: 1, fps: 25, width: 2, height: 2, frame_count: 25, start_time_s: 0, codec: 'h264' }));
    episodeId = (await lib.add([ep])).added[0]!.episodeId;
    host = await startWebHost({ dataDir, rendererDir, runner, log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and logs the URL with its token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(logs).toEqual([`Screentime is at ${host.url}`]);
  });

  it('serves the window with a strict CSP, and nothing outside it', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self'; font-src 'self'; connect-src 'self' ws://127.0.0.1:${host.port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`,
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<title>Screentime</title>');
    expect((await fetch(`http://127.0.0.1:${host.port}/assets/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`http://127.0.0.1:${host.port}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${host.port}/%2e%2e/library.json`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${host.port}/`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses the socket and media without the right token or from another origin', async () => {
    const base = `ws://127.0.0.1:${host.port}/ws`;
    await expect(connect(base)).rejects.toThrow('HTTP 401');
    await expect(connect(`${base}?token=wrong`)).rejects.toThrow('HTTP 401');
    await expect(connect(`${base}?token=${host.token}`, 'http://evil.example')).rejects.toThrow('HTTP 403');
    expect((await fetch(`http://127.0.0.1:${host.port}/media/0123456789abcdef/thumbs/a.jpg`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${host.port}/media/0123456789abcdef/thumbs/a.jpg?token=${host.token}`)).status).toBe(404);
    const ok = await connect(`${base}?token=${host.token}`, `http://127.0.0.1:${host.port}`);
    ok.ws.close();
  });

  it('sends a stage\'s events to the connection that started it only', async () => {
    const a = await connect(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const b = await connect(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const r = await a.request('stage:run', { episodeId, stage: 'cluster', profile: 'balanced' });
    expect(r).toMatchObject({ ok: true, value: { status: 'completed', stage: 'cluster' } });
    const logs = a.events.filter((e) => e.event === 'stage:log');
    expect(logs).toHaveLength(1);
    expect((logs[0]!.payload as { lines: string[] }).lines[0]).toMatch(/^ran for web-[0-9a-f]{16}$/);
    // library:changed concerns every window; stage events do not.
    await b.waitEvent('library:changed', 2000);
    expect(b.events.filter((e) => e.event.startsWith('stage:'))).toEqual([]);
    const before = runner.ended.length;
    a.ws.close();
    b.ws.close();
    await vi.waitFor(() => expect(runner.ended.length).toBe(before + 2));
  });

  it('serves library thumbnails with the token, and nothing else', async () => {
    const base = `http://127.0.0.1:${host.port}/media/${episodeId}`;
    const r = await fetch(`${base}/thumbs/id%201.jpg?token=${host.token}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(await r.text()).toBe('JPEG');
    expect((await fetch(`${base}/thumbs/id%201.jpg`)).status).toBe(401);
    expect((await fetch(`${base}/manifest.json?token=${host.token}`)).status).toBe(404);
    expect((await fetch(`${base}/..%2fv.mp4?token=${host.token}`)).status).toBe(404);
    expect((await fetch(`${base}/thumbs/%2e%2e/%2e%2e/v.mp4?token=${host.token}`)).status).toBe(404);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = (p: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: host.port, path: p, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('/', { Host: 'evil.example' })).toBe(421);
    expect(await status(`/media/${episodeId}/thumbs/id%201.jpg?token=${host.token}`, { Host: `evil.example:${host.port}` })).toBe(421);
    expect(await status('/', { Host: `localhost:${host.port}` })).toBe(200);
  });

  it('answers 400 to a request target that is not a URL, and keeps serving', async () => {
    const hostLine = `Host: 127.0.0.1:${host.port}`;
    const plain = await rawExchange(host.port, `GET //[ HTTP/1.1\r\n${hostLine}\r\nConnection: close\r\n\r\n`);
    expect(plain).toMatch(/^HTTP\/1\.1 400 /);
    const upgrade = await rawExchange(
      host.port,
      `GET //[ HTTP/1.1\r\n${hostLine}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`http://127.0.0.1:${host.port}/`)).status).toBe(200);
  });

  it('keeps serving when clients reset their connection while an upgrade is refused', async () => {
    const upgrade = `GET /ws?token=wrong HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(host.port, '127.0.0.1', () => {
          socket.write(upgrade);
          // RST instead of FIN: the host's 401 then hits a reset connection.
          socket.resetAndDestroy();
          resolve();
        });
        socket.on('error', () => undefined);
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`http://127.0.0.1:${host.port}/`)).status).toBe(200);
  });

  it('does not serve source maps', async () => {
    expect((await fetch(`http://127.0.0.1:${host.port}/assets/app.js.map`)).status).toBe(404);
  });

  it('answers 200 or 404, never dies, while the files it serves keep vanishing', async () => {
    const asset = path.join(rendererDir, 'assets', 'churn.js');
    const thumb = path.join(dataDir, 'Episode 1', 'screentime', 'thumbs', 'churn.jpg');
    const content = 'x'.repeat(64 * 1024);
    // Another process deletes and re-creates both files as fast as it can, so some requests find
    // a file at stat time that is gone when the host opens it. Each new version appears whole
    // (rename), so any 200 must carry the whole content.
    const churn = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const body = 'x'.repeat(65536);
         for (;;) for (const f of process.argv.slice(1)) {
           try { fs.unlinkSync(f); } catch {}
           fs.writeFileSync(f + '.tmp', body); fs.renameSync(f + '.tmp', f);
         }`,
        asset,
        thumb,
      ],
      { stdio: 'ignore' },
    );
    try {
      const targets = [`/assets/churn.js`, `/media/${episodeId}/thumbs/churn.jpg?token=${host.token}`];
      const seen = new Map<number, number>();
      for (let round = 0; round < 150; round++) {
        await Promise.all(
          targets.map(async (t) => {
            const r = await fetch(`http://127.0.0.1:${host.port}${t}`, { signal: AbortSignal.timeout(5000) });
            const body = await r.text();
            seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
            expect([200, 404]).toContain(r.status);
            if (r.status === 200) expect(body).toBe(content);
          }),
        );
      }
      console.log(`vanishing files: ${JSON.stringify(Object.fromEntries(seen))} (status: count)`);
    } finally {
      // Wait for it to be gone, or it may re-create a file while the folder is being removed.
      if (churn.exitCode === null && churn.signalCode === null) {
        const gone = new Promise((r) => churn.once('exit', r));
        churn.kill();
        await gone;
      }
    }
    expect((await fetch(`http://127.0.0.1:${host.port}/assets/app.js`)).status).toBe(200);
  });

  it('closes the file of every download the client abandons', async () => {
    const target = '/assets/big.js';
    // The first request opens whatever the host opens once (caches, lazily loaded modules).
    await abortAfterFirstBytes(host.port, target);
    await new Promise((r) => setTimeout(r, 200));
    const before = openFds();
    for (let i = 0; i < 150; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => abortAfterFirstBytes(host.port, target)));
    }
    let after = openFds();
    await vi.waitFor(
      () => {
        after = openFds();
        expect(after).toBeLessThanOrEqual(before + 5);
      },
      { timeout: 5000, interval: 100 },
    );
    console.log(`open descriptors: ${before} before 150 aborted downloads, ${after} after`);
  });

  it('answers bad JSON and bad payloads on the same socket and keeps serving', async () => {
    const c = await connect(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    expect(await c.raw('not json')).toEqual({ id: null, response: { ok: false, error: 'Bad message: not JSON' } });
    expect(await c.raw('{"channel":"app:info"}')).toEqual({ id: null, response: { ok: false, error: 'Bad message: id must be a non-negative integer' } });
    expect(await c.request('nope:nope', {})).toEqual({ ok: false, error: 'Unknown channel "nope:nope"' });
    expect(await c.request('stage:run', { episodeId: '0123456789abcdef', stage: 'detect_track', profile: 'balanced', stride: 500 })).toEqual({
      ok: false,
      error: 'Invalid request for stage:run: stride must be at most 120',
    });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.request('app:info')).toEqual({ ok: true, value: { host: 'web', version: expect.any(String), platform: process.platform, canPickFolder: false } });
    const before = runner.ended.length;
    c.ws.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(runner.ended.length).toBe(before + 1);
  });
});

// The real thing: a stage started through one connection dies, with its whole process tree,
// when that connection closes (a reload or a closed tab).
const localRunnerJs = path.join(REPO_ROOT, 'host', 'runner', 'local-runner.ts');
const whyReal = missing(CLI_JS, localRunnerJs, mediaPath('episode_gt.mp4'), path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'));
describe('socket close ends the session', () => {
  it.skipIf(whyReal)(`kills a running detect_track and its children when the page goes away ${whyReal ?? ''}`, async () => {
    const { LocalRunner } = await import('../runner/index.js');
    const runner = new LocalRunner({ cliPath: CLI_JS, env: { SCREENTIME_MODELS_DIR: MODELS_DIR } });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-web-real-'));
    const host = await startWebHost({ dataDir, runner, log: () => undefined });
    const ep = tempEpisode('episode_gt.mp4', 'Real Episode');
    try {
      const a = await connect(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
      const added = await a.request('library:add', { paths: [ep] });
      expect(added.ok).toBe(true);
      const episodeId = (added.value as { added: Array<{ episodeId: string }> }).added[0]!.episodeId;
      const run = a.request('stage:run', { episodeId, stage: 'detect_track', profile: 'balanced', stride: 1 });
      // A stage that ends before any progress (CLI or model problem) fails the test with its reason.
      const first = await Promise.race([
        a.waitEvent('stage:progress', 60_000).then(() => null),
        a.waitEvent('stage:ended', 60_000).then((p) => p as { status: string; error: string | null; logs: string[] }),
      ]);
      if (first) throw new Error(`stage ended before any progress: ${first.status} ${first.error ?? ''} ${first.logs.slice(-3).join(' | ')}`);
      const active = runner.active();
      expect(active).toHaveLength(1);
      expect(active[0]!.episodeId).toBe(episodeId);
      const pid = active[0]!.pid!;
      expect(isGone(pid)).toBe(false);
      const tree = [pid, ...descendants(pid)];
      // The stage and the decoder it started: both must die, not just the direct child.
      expect(tree.map((p) => commandName(p))).toContain('ffmpeg');
      const t0 = Date.now();
      a.ws.close();
      const alive = await waitGone(tree, 5000);
      const tookMs = Date.now() - t0;
      expect(alive).toEqual([]);
      // The runner drops the run once it has seen the exit (just after the tree is gone).
      await vi.waitFor(() => expect(runner.active()).toEqual([]), { timeout: 5000 });
      console.log(`socket close -> ${tree.length} processes gone in ${tookMs} ms`);
      void run;
      // A new page (new session) sees the stage as cancelled/interrupted, not running.
      const b = await connect(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
      const listed = await b.request('library:list');
      const state = (listed.value as Array<{ stages: Record<string, string> }>)[0]!.stages.detect_track;
      expect(['cancelled', 'interrupted', 'failed']).toContain(state);
      b.ws.close();
    } finally {
      await host.close();
      await runner.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(path.dirname(ep), { recursive: true, force: true });
    }
  });
});
