import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventChannel, Wire } from '../../shared/ipc.js';
import { ARTIFACT_FILES } from '../../shared/artifacts.js';
import { missing, mediaPath, tempEpisode } from '../../test-support/shared-data.js';
import { LibraryStore, episodeIdFor } from '../library/store.js';
import { SettingsStore } from '../library/settings.js';
import { createBridge, type Bridge } from './bridge.js';
import type { RunnerPort, Session } from './types.js';
import type { ActiveRun } from '../runner/types.js';

// The runner is not under test here (host/web/serve.test.ts drives the real LocalRunner); this
// one only records what the bridge asks of it.
function recordingRunner(): RunnerPort & { ended: string[]; runs: unknown[] } {
  const ended: string[] = [];
  const runs: unknown[] = [];
  return {
    ended,
    runs,
    run: async (req) => {
      runs.push(req);
      throw new Error('not started in this test');
    },
    cancel: async () => false,
    endSession: (id: string) => void ended.push(id),
    shutdown: async () => undefined,
    active: (): ActiveRun[] => [],
    onActivityChange: () => () => undefined,
  };
}

let dataDir: string;
let bridge: Bridge;
let runner: ReturnType<typeof recordingRunner>;
let session: Session;
let events: Array<{ event: EventChannel; payload: unknown }>;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-bridge-'));
  runner = recordingRunner();
  bridge = createBridge({
    host: 'web',
    version: '0.0.0-test',
    platform: process.platform,
    library: new LibraryStore(dataDir),
    settings: new SettingsStore(dataDir),
    runner,
  });
  events = [];
  session = bridge.openSession((event, payload) => events.push({ event, payload }), 'test');
});
afterEach(() => {
  bridge.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (channel: unknown, request?: unknown): Promise<Wire<unknown>> => bridge.dispatch(session, channel, request);
const errorOf = (w: Wire<unknown>): string => (w.ok ? `unexpected success: ${JSON.stringify(w.value)}` : w.error);

describe('dispatch refuses what a window must not send', () => {
  it('rejects unknown and non-string channels', async () => {
    expect(errorOf(await call('fs:readFile', { path: '/etc/passwd' }))).toBe('Unknown channel "fs:readFile"');
    expect(errorOf(await call(42, {}))).toBe('Unknown channel "number"');
    expect(errorOf(await call('__proto__', {}))).toBe('Unknown channel "__proto__"');
    expect(errorOf(await call('x'.repeat(500)))).toMatch(/^Unknown channel "x{60}\.\.\."$/);
  });

  it('names the field and the rule of a bad payload', async () => {
    const good = { episodeId: '0123456789abcdef', stage: 'detect_track', profile: 'balanced' };
    expect(errorOf(await call('stage:run', { ...good, stride: 500 }))).toBe('Invalid request for stage:run: stride must be at most 120');
    expect(errorOf(await call('stage:run', { ...good, stride: 0 }))).toBe('Invalid request for stage:run: stride must be at least 1');
    expect(errorOf(await call('stage:run', { ...good, stride: 2.5 }))).toBe('Invalid request for stage:run: stride must be a whole number');
    expect(errorOf(await call('stage:run', { ...good, episodeId: '../../etc' }))).toBe(
      'Invalid request for stage:run: episode id must be 16 hex characters',
    );
    expect(errorOf(await call('stage:run', { ...good, stage: 'rm -rf' }))).toBe(
      'Invalid request for stage:run: stage must be one of detect_track, faces_embed, cluster, screentime',
    );
    expect(errorOf(await call('stage:run', { ...good, cmd: 'sh' }))).toBe('Invalid request for stage:run: unknown field cmd');
    expect(errorOf(await call('stage:run', 'detect_track'))).toBe('Invalid request for stage:run: request must be an object');
    expect(errorOf(await call('stage:run'))).toBe('Invalid request for stage:run: request must be an object');
    expect(errorOf(await call('library:add', { paths: [] }))).toBe('Invalid request for library:add: paths must have at least 1 items');
    expect(errorOf(await call('library:add', { paths: [''] }))).toBe('Invalid request for library:add: paths[0] must be at least 1 characters long');
    expect(errorOf(await call('app:info', { x: 1 }))).toBe('Invalid request for app:info: request must be empty (this channel takes no request)');
    expect(errorOf(await call('results:edit', { episodeId: '0123456789abcdef', edit: { kind: 'delete-all' } }))).toMatch(
      /^Invalid request for results:edit: edit\.kind is not valid \(expected one of rename, merge, split, ignore, assign, person, move\)$/,
    );
    expect(runner.runs).toEqual([]);
  });

  it('refuses well-formed ids that are not in the library (the allowlist)', async () => {
    const id = episodeIdFor('/etc');
    for (const [ch, req] of [
      ['stage:run', { episodeId: id, stage: 'detect_track', profile: 'balanced' }],
      ['episode:get', { episodeId: id }],
      ['results:get', { episodeId: id }],
      ['results:export', { episodeId: id, format: 'csv' }],
      ['results:export-segments', { episodeId: id, format: 'edl' }],
      ['report:show', { episodeIds: [id] }],
      ['report:export', { episodeIds: [id], format: 'json' }],
      ['results:edit', { episodeId: id, edit: { kind: 'rename', identityId: 1, label: 'A' } }],
      ['library:remove', { episodeId: id }],
      ['stage:cancel', { episodeId: id, stage: 'cluster' }],
    ] as const) {
      expect(errorOf(await call(ch, req)), ch).toBe(`Unknown episode ${id}: it is not in the library (add its folder first)`);
    }
    expect(runner.runs).toEqual([]);
  });

  it('answers the web host limits and a missing queue with clear messages', async () => {
    expect(await call('app:info')).toEqual({ ok: true, value: { host: 'web', version: '0.0.0-test', platform: process.platform, canPickFolder: false } });
    expect(await call('app:info', null)).toMatchObject({ ok: false });
    expect(errorOf(await call('library:pick'))).toMatch(/only available in the desktop app/);
    expect(await call('queue:status')).toEqual({
      ok: true,
      value: { available: false, configured: false, reachable: false, message: 'Queue mode is not configured: set a Redis URL in Settings' },
    });
    expect(errorOf(await call('queue:list'))).toBe('Queue mode is not configured: set a Redis URL in Settings');
  });

  it('keeps settings, validated and persisted', async () => {
    expect(await call('settings:get')).toEqual({ ok: true, value: { redisUrl: null, thermalLimitC: null, theme: 'system' } });
    expect(errorOf(await call('settings:set', { thermalLimitC: 300 }))).toBe('Invalid request for settings:set: thermalLimitC must be at most 110');
    expect(await call('settings:set', { thermalLimitC: 85, theme: 'dark' })).toEqual({ ok: true, value: { redisUrl: null, thermalLimitC: 85, theme: 'dark' } });
    expect(new SettingsStore(dataDir).get()).toEqual({ redisUrl: null, thermalLimitC: 85, theme: 'dark' });
  });

  it('ends the session in the runner exactly once when the window goes away', () => {
    bridge.closeSession(session);
    bridge.closeSession(session);
    expect(runner.ended).toEqual([session.id]);
  });
});

describe('library through the bridge', () => {
  it('rejects each bad item with a reason that names it', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'screentime-lib-'));
    const empty = path.join(root, 'empty-folder');
    mkdirSync(empty);
    const notVideo = path.join(root, 'notes.txt');
    writeFileSync(notVideo, 'hello');
    const fakeVideo = path.join(root, 'fake', 'broken.mp4');
    mkdirSync(path.dirname(fakeVideo));
    writeFileSync(fakeVideo, 'not really a video');
    const two = path.join(root, 'two', 'a.mp4');
    mkdirSync(path.dirname(two));
    writeFileSync(two, 'x');
    writeFileSync(path.join(root, 'two', 'b.mkv'), 'x');
    const r = await call('library:add', { paths: ['relative/ep1', path.join(root, 'nope'), empty, notVideo, fakeVideo, two] });
    expect(r.ok).toBe(true);
    const v = (r as { value: { added: unknown[]; rejected: Array<{ path: string; reason: string }> } }).value;
    expect(v.added).toEqual([]);
    expect(v.rejected.map((x) => x.path)).toEqual(['relative/ep1', path.join(root, 'nope'), empty, notVideo, fakeVideo, two]);
    expect(v.rejected[0]!.reason).toBe('relative/ep1: not an absolute path');
    expect(v.rejected[1]!.reason).toContain(path.join(root, 'nope'));
    expect(v.rejected[2]!.reason).toMatch(/^no video in .*empty-folder/);
    expect(v.rejected[3]!.reason).toMatch(/not a video file: .*notes\.txt/);
    expect(v.rejected[4]!.reason).toMatch(/broken\.mp4/);
    expect(v.rejected[5]!.reason).toBe(`${two}: its folder holds 2 videos (a.mp4, b.mkv); the app analyses one video per folder, so move each episode's video into a folder of its own`);
    expect(existsSync(path.join(dataDir, 'library.json'))).toBe(false);
    rmSync(root, { recursive: true, force: true });
  });

  const why = missing(mediaPath('short_hamilton_clip.mp4'), mediaPath('Megamind.avi'));
  it.skipIf(why)(`adds folders and videos, lists facts and states, removes without deleting ${why ?? ''}`, async () => {
    const a = tempEpisode('short_hamilton_clip.mp4', 'Episode A');
    const b = tempEpisode('Megamind.avi', 'Episode B');
    const r = await call('library:add', { paths: [a, path.join(b, 'Megamind.avi'), a] });
    if (!r.ok) throw new Error(r.error);
    const v = r.value as { added: Array<{ episodeId: string; name: string; video: { width: number; fps: number } | null; stages: Record<string, string> }>; rejected: unknown[] };
    expect(v.rejected).toEqual([]);
    expect(v.added.map((e) => e.name)).toEqual(['Episode A', 'Episode B']);
    expect(v.added[0]!.episodeId).toMatch(/^[a-f0-9]{16}$/);
    expect(v.added[0]!.video?.width).toBe(640);
    expect(v.added[0]!.video?.fps).toBeCloseTo(29.97, 2);
    expect(v.added[1]!.video?.width).toBe(720);
    expect(v.added[0]!.stages).toEqual({ detect_track: 'not_run', faces_embed: 'not_run', cluster: 'not_run', screentime: 'not_run' });
    expect(events.filter((e) => e.event === 'library:changed')).toHaveLength(1);

    // A fresh store on the same data dir sees the same library (persisted).
    const list = await new LibraryStore(dataDir).all();
    expect(list.map((e) => e.name)).toEqual(['Episode A', 'Episode B']);

    // Stage states and identity count come from the artifact folder.
    const out = path.join(a, 'screentime');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      path.join(out, ARTIFACT_FILES.identities),
      JSON.stringify({
        identities: [false, true, false].map((ignored, i) => ({ identity_id: i, label: null, track_ids: [i], n_faces: 1, cohesion: 1, thumb: null, sample_thumbs: [], ignored })),
      }),
    );
    const listed = await call('library:list');
    if (!listed.ok) throw new Error(listed.error);
    const ep = (listed.value as Array<{ name: string; identityCount: number | null; problem: string | null }>).find((e) => e.name === 'Episode A')!;
    expect(ep.identityCount).toBe(2);
    expect(ep.problem).toBeNull();

    // The video disappears: the episode stays, with a problem that says why.
    rmSync(path.join(b, 'Megamind.avi'));
    const after = await call('library:list');
    if (!after.ok) throw new Error(after.error);
    const gone = (after.value as Array<{ name: string; problem: string | null; video: unknown }>).find((e) => e.name === 'Episode B')!;
    expect(gone.problem).toMatch(/^video not found: .*Megamind\.avi$/);
    expect(gone.video).toBeNull();

    const removed = await call('library:remove', { episodeId: v.added[0]!.episodeId });
    if (!removed.ok) throw new Error(removed.error);
    expect((removed.value as Array<{ name: string }>).map((e) => e.name)).toEqual(['Episode B']);
    expect(readdirSync(a).sort()).toEqual(['screentime', 'short_hamilton_clip.mp4']);
    expect(errorOf(await call('episode:get', { episodeId: v.added[0]!.episodeId }))).toMatch(/^Unknown episode/);
    rmSync(path.dirname(a), { recursive: true, force: true });
    rmSync(path.dirname(b), { recursive: true, force: true });
  });

  it('ignores library entries whose id does not match their folder (a hand-edited file cannot widen the allowlist)', () => {
    writeFileSync(
      path.join(dataDir, 'library.json'),
      JSON.stringify({ version: 1, episodes: [{ episodeId: '0123456789abcdef', name: 'etc', dir: '/etc', videoPath: '/etc/x.mp4', outDir: '/etc' }] }),
    );
    expect(new LibraryStore(dataDir).all()).toEqual([]);
  });
});

describe('media', () => {
  it('serves only images inside the artifact folder of a library episode', async () => {
    const { resolveMedia, checkRelPath } = await import('../library/media.js');
    const root = mkdtempSync(path.join(tmpdir(), 'screentime-media-'));
    const dir = path.join(root, 'ep');
    mkdirSync(path.join(dir, 'screentime', 'thumbs'), { recursive: true });
    writeFileSync(path.join(dir, 'v.mp4'), 'x');
    writeFileSync(path.join(dir, 'screentime', 'thumbs', 'a.jpg'), 'jpg');
    writeFileSync(path.join(dir, 'secret.png'), 'png');
    symlinkSync(path.join(dir, 'secret.png'), path.join(dir, 'screentime', 'thumbs', 'link.png'));
    const lib = new LibraryStore(dataDir, async (file) => ({ file, duration_s: 1, fps: 25, width: 2, height: 2, frame_count: 25, start_time_s: 0, codec: 'h264' }));
    const { added } = await lib.add([dir]);
    const id = added[0]!.episodeId;
    const ok = resolveMedia(lib, id, 'thumbs/a.jpg');
    expect(ok).toMatchObject({ ok: true, contentType: 'image/jpeg', size: 3 });
    expect(resolveMedia(lib, id, '../secret.png')).toEqual({ ok: false, error: 'media path must stay inside the artifact folder' });
    expect(resolveMedia(lib, id, 'thumbs/../../secret.png')).toEqual({ ok: false, error: 'media path must stay inside the artifact folder' });
    expect(resolveMedia(lib, id, '/etc/passwd.png')).toEqual({ ok: false, error: 'media path must be relative' });
    expect(resolveMedia(lib, id, 'thumbs/link.png')).toEqual({ ok: false, error: 'media path must stay inside the artifact folder' });
    expect(resolveMedia(lib, id, 'manifest.json')).toEqual({ ok: false, error: 'only images are served' });
    expect(resolveMedia(lib, 'ffffffffffffffff', 'thumbs/a.jpg')).toEqual({ ok: false, error: 'unknown episode' });
    expect(checkRelPath('thumbs\\..\\x.jpg')).toEqual({ ok: false, error: 'bad media path' });
    expect(checkRelPath('C:/x.jpg')).toEqual({ ok: false, error: 'media path must be relative' });
    rmSync(root, { recursive: true, force: true });
  });
});
