// One damaged episode must not hide the library: it is listed with what is wrong with it, the
// others list normally, and reading its results names the damaged file.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityRow, Manifest, StageRecord, VideoFacts } from '../../shared/artifacts.js';
import type { EpisodeDetail, EpisodeSummary, Results, Wire } from '../../shared/ipc.js';
import { createBridge, type Bridge } from '../bridge/bridge.js';
import type { RunnerPort, Session } from '../bridge/types.js';
import { SettingsStore } from './settings.js';
import { LibraryStore } from './store.js';
import { idleRunner } from '../../test-support/idle-runner.js';

type Listed = EpisodeSummary & { artifactProblem: string | null };

const facts = (file: string): VideoFacts => ({ file, duration_s: 20, fps: 25, width: 640, height: 360, frame_count: 500, start_time_s: 0, codec: 'h264' });
const record = (): StageRecord => ({
  status: 'completed',
  config: { stride: 5 },
  config_hash: 'h1',
  inputs: {},
  started_at: '2024-01-01T00:00:00.000Z',
  finished_at: '2024-01-01T00:00:01.000Z',
  elapsed_s: 1,
  pid: null,
  host: null,
  stats: {},
  error: null,
});
const identity = (id: number): IdentityRow => ({ identity_id: id, label: null, track_ids: [id], n_faces: 2, cohesion: 1, thumb: null, sample_thumbs: [], ignored: false });

const idle: RunnerPort = idleRunner();

let root: string;
let bridge: Bridge;
let session: Session;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'screentime-episodes-'));
  const library = new LibraryStore(path.join(root, 'data'), async (file) => facts(file));
  bridge = createBridge({ host: 'web', version: 't', platform: process.platform, library, settings: new SettingsStore(path.join(root, 'data')), runner: idle });
  session = bridge.openSession(() => undefined, 'test');
});
afterEach(() => {
  bridge.dispose();
  rmSync(root, { recursive: true, force: true });
});

const value = <T>(w: Wire<unknown>): T => {
  if (!w.ok) throw new Error(w.error);
  return w.value as T;
};

/** An episode folder whose detect_track completed and whose cluster found `people` identities. */
function goodEpisode(name: string, people: number): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'screentime'), { recursive: true });
  writeFileSync(path.join(dir, 'v.mp4'), 'x');
  const m: Manifest = { schema_version: 1, video: facts(path.join(dir, 'v.mp4')), stages: { detect_track: record() } };
  writeFileSync(path.join(dir, 'screentime', 'manifest.json'), JSON.stringify(m));
  writeFileSync(path.join(dir, 'screentime', 'identities.json'), JSON.stringify({ identities: Array.from({ length: people }, (_, i) => identity(i)) }));
  return dir;
}

const damage: Array<[string, string, string, RegExp]> = [
  ['a manifest stage record that is not an object', 'manifest.json', JSON.stringify({ schema_version: 1, video: facts('v.mp4'), stages: { detect_track: record(), cluster: 'x' } }), /^manifest\.json: stages\.cluster: expected object, received string/],
  ['a manifest without video facts', 'manifest.json', JSON.stringify({ schema_version: 1, stages: {} }), /^manifest\.json: video: expected object/],
  ['a null identity', 'identities.json', '{"identities":[null]}', /^identities\.json: identities\[0\]: expected object, received null/],
  ['a truncated identities.json', 'identities.json', '{"identities":[{"identity_id":0,', /^identities\.json is not valid JSON/],
];

describe('a damaged episode among good ones', () => {
  it.each(damage)('is listed with its problem when it has %s; the others list normally', async (_what, file, text, problem) => {
    const a = goodEpisode('A', 2);
    const b = goodEpisode('B', 3);
    const c = goodEpisode('C', 4);
    value(await bridge.dispatch(session, 'library:add', { paths: [a, b, c] }));
    writeFileSync(path.join(b, 'screentime', file), text);

    const list = value<Listed[]>(await bridge.dispatch(session, 'library:list', undefined));
    expect(list.map((e) => e.name)).toEqual(['A', 'B', 'C']);
    const [ea, eb, ec] = list as [Listed, Listed, Listed];
    expect(eb.artifactProblem).toMatch(problem);
    // the video is fine, so the stages can still be run (which rewrites the damaged file)
    expect(eb.problem).toBeNull();
    for (const [e, people] of [[ea, 2], [ec, 4]] as const) {
      expect(e.artifactProblem).toBeNull();
      expect(e.problem).toBeNull();
      expect(e.identityCount).toBe(people);
      expect(e.stages.detect_track).toBe('completed');
    }
    const detail = value<EpisodeDetail & { artifactProblem: string | null }>(await bridge.dispatch(session, 'episode:get', { episodeId: eb.episodeId }));
    expect(detail.artifactProblem).toMatch(problem);
  });

  it('results:get names a damaged identities.json or screentime.json instead of answering "nobody"', async () => {
    const a = goodEpisode('A', 2);
    value(await bridge.dispatch(session, 'library:add', { paths: [a] }));
    const [ep] = value<Listed[]>(await bridge.dispatch(session, 'library:list', undefined));
    expect(value<Results>(await bridge.dispatch(session, 'results:get', { episodeId: ep!.episodeId })).identities).toHaveLength(2);

    writeFileSync(path.join(a, 'screentime', 'identities.json'), '{"identities":[{"identity_id":0,');
    const r = await bridge.dispatch(session, 'results:get', { episodeId: ep!.episodeId });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^identities\.json is not valid JSON/);

    writeFileSync(path.join(a, 'screentime', 'identities.json'), JSON.stringify({ identities: [identity(0)] }));
    writeFileSync(path.join(a, 'screentime', 'screentime.json'), '{"duration_s": 20, "identities": [');
    const s = await bridge.dispatch(session, 'results:get', { episodeId: ep!.episodeId });
    expect(!s.ok && s.error).toMatch(/^screentime\.json is not valid JSON/);
  });
});
