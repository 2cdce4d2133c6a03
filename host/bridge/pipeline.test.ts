// The whole path a user takes, through the bridge with the real LocalRunner and the built CLI:
// add an episode, run the four stages, read, edit and export the results, load a thumbnail.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EpisodeDetail, EpisodeSummary, EventChannel, ExportResult, Results, RunStageResult, Wire } from '../../shared/ipc.js';
import { STAGES } from '../../shared/stages.js';
import { CLI_JS, MODELS_DIR, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { LocalRunner } from '../runner/index.js';
import { LibraryStore } from '../library/store.js';
import { SettingsStore } from '../library/settings.js';
import { resolveMedia } from '../library/media.js';
import { createBridge } from './bridge.js';

const why = missing(CLI_JS, mediaPath('short_hamilton_clip.mp4'), path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'));
const value = <T>(w: Wire<unknown>): T => {
  if (!w.ok) throw new Error(w.error);
  return w.value as T;
};

describe('bridge + real pipeline', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-pipe-'));
  const cleanup: string[] = [dataDir];
  afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.skipIf(why)(`runs all stages of an episode and edits and exports its results ${why ?? ''}`, async () => {
    const runner = new LocalRunner({ cliPath: CLI_JS, env: { SCREENTIME_MODELS_DIR: MODELS_DIR } });
    const library = new LibraryStore(dataDir);
    const saved = path.join(dataDir, 'export.csv');
    const { writeFileSync } = await import('node:fs');
    const bridge = createBridge({
      host: 'electron',
      version: 't',
      platform: process.platform,
      library,
      settings: new SettingsStore(dataDir),
      runner,
      // What Electron's save dialog does when the user picks `saved`.
      saveExport: async (_s, _name, content) => {
        writeFileSync(saved, content);
        return saved;
      },
    });
    const events: Array<{ event: EventChannel; payload: unknown }> = [];
    const session = bridge.openSession((event, payload) => events.push({ event, payload }));
    const ep = tempEpisode('short_hamilton_clip.mp4', 'Hamilton');
    cleanup.push(path.dirname(ep));
    try {
      const { added } = value<{ added: EpisodeSummary[] }>(await bridge.dispatch(session, 'library:add', { paths: [ep] }));
      const episodeId = added[0]!.episodeId;
      const timings: string[] = [];
      for (const stage of STAGES) {
        const r = value<RunStageResult>(await bridge.dispatch(session, 'stage:run', { episodeId, stage, profile: 'balanced' }));
        expect(r.status, `${stage}: ${r.error ?? ''}`).toBe('completed');
        expect(r.cpuThreads).toBeLessThanOrEqual(2);
        timings.push(`${stage} ${r.elapsedSeconds.toFixed(1)}s`);
      }
      console.log(`stages through the bridge: ${timings.join(', ')}`);
      const names = new Set(events.map((e) => e.event));
      expect([...names].sort()).toEqual(expect.arrayContaining(['library:changed', 'stage:ended', 'stage:log', 'stage:started']));
      expect(events.filter((e) => e.event === 'stage:ended')).toHaveLength(4);

      const [summary] = value<EpisodeSummary[]>(await bridge.dispatch(session, 'library:list', undefined));
      expect(summary!.stages).toEqual({ detect_track: 'completed', faces_embed: 'completed', cluster: 'completed', screentime: 'completed' });
      expect(summary!.identityCount).toBeGreaterThan(0);
      const detail = value<EpisodeDetail>(await bridge.dispatch(session, 'episode:get', { episodeId }));
      expect(detail.artifactDir).toBe(path.join(ep, 'screentime'));
      expect(detail.stageInfo.detect_track?.elapsedS).toBeGreaterThan(0);

      const results = value<Results>(await bridge.dispatch(session, 'results:get', { episodeId }));
      expect(results.identities.length).toBe(summary!.identityCount);
      expect(results.screentime?.identities.length).toBeGreaterThan(0);
      const top = results.screentime!.identities[0]!;

      // A label a spreadsheet would run as a formula if it were not defused.
      const edited = value<Results>(
        await bridge.dispatch(session, 'results:edit', { episodeId, edit: { kind: 'rename', identityId: top.identity_id, label: '=Lead "performer"' } }),
      );
      expect(edited.identities.find((i) => i.identity_id === top.identity_id)?.label).toBe('=Lead "performer"');
      expect(edited.screentime?.identities.find((i) => i.identity_id === top.identity_id)?.label).toBe('=Lead "performer"');

      const csv = value<ExportResult>(await bridge.dispatch(session, 'results:export', { episodeId, format: 'csv' }));
      expect(csv).toEqual({ savedPath: saved, fileName: 'Hamilton-screentime.csv', content: null });
      const text = readFileSync(saved, 'utf8');
      expect(text.split('\n')[0]).toBe('identity_id,label,visible_s,n_tracks,n_segments,first_seen_s,last_seen_s,segments');
      expect(text).toContain(`${top.identity_id},"'=Lead ""performer""",`);

      const thumb = edited.identities[0]!.thumb!;
      expect(resolveMedia(library, episodeId, thumb)).toMatchObject({ ok: true, contentType: 'image/jpeg' });
      expect(value<{ cancelled: boolean }>(await bridge.dispatch(session, 'stage:cancel', { episodeId, stage: 'cluster' }))).toEqual({ cancelled: false });
    } finally {
      bridge.closeSession(session);
      bridge.dispose();
      await runner.shutdown();
    }
  });

  it.skipIf(why)(`gives the browser host the export content to download ${why ?? ''}`, async () => {
    // Reuses the finished episode of the test above through a new, web-style bridge.
    const library = new LibraryStore(dataDir);
    const runner = new LocalRunner({ cliPath: CLI_JS });
    const bridge = createBridge({ host: 'web', version: 't', platform: process.platform, library, settings: new SettingsStore(dataDir), runner });
    const session = bridge.openSession(() => undefined);
    const episodeId = library.all()[0]!.episodeId;
    const json = value<ExportResult>(await bridge.dispatch(session, 'results:export', { episodeId, format: 'json' }));
    expect(json.savedPath).toBeNull();
    expect(json.fileName).toBe('Hamilton-screentime.json');
    const doc = JSON.parse(json.content!) as { episode: string; identities: unknown[]; screentime: { identities: unknown[] } };
    expect(doc.episode).toBe('Hamilton');
    expect(doc.screentime.identities.length).toBeGreaterThan(0);
    bridge.closeSession(session);
    await runner.shutdown();
  });
});
