import { describe, expect, it } from 'vitest';
import type { EpisodeSummary, JobInfo, Readings, Results, RunStageResult } from '../../../shared/ipc.js';
import {
  addOutcomeToasts,
  emptyRun,
  identityViews,
  markStage,
  pageSlice,
  pruneSelection,
  queueAvailability,
  runBegan,
  runEnded,
  runLog,
  runProgress,
  runReadings,
  toggleId,
  upsertJob,
  type Runs,
} from './reducers.js';

const EP = '0123456789abcdef';

function result(over: Partial<RunStageResult> = {}): RunStageResult {
  return {
    status: 'completed',
    stage: 'detect_track',
    episodeId: EP,
    episode: '/tv/ep1',
    logs: ['a', 'b'],
    elapsedSeconds: 12.5,
    device: 'cpu',
    profile: 'balanced',
    stride: null,
    cpuThreads: 2,
    exitCode: 0,
    error: null,
    summary: { n_tracks: 9 },
    ...over,
  };
}

function reading(over: Partial<Readings> = {}): Readings {
  return {
    episodeId: EP,
    stage: 'detect_track',
    at: 1,
    cpuPercent: 150,
    threads: 9,
    rssBytes: 1e8,
    processes: 2,
    loadAvg: [1, 1, 1],
    cpuCount: 2,
    thermal: { state: 'unavailable', maxTempC: null, speedLimit: null, source: 'none' },
    paused: false,
    ...over,
  };
}

describe('run reducers', () => {
  it('a run begins, streams, and ends', () => {
    let runs: Runs = {};
    runs = runBegan(runs, EP, 'detect_track', 1000);
    expect(runs[EP]).toMatchObject({ active: 'detect_track', shown: 'detect_track', startedAt: 1000, logs: [], progress: null });
    runs = runLog(runs, { episodeId: EP, stage: 'detect_track', lines: ['decoding'] });
    runs = runProgress(runs, { episodeId: EP, stage: 'detect_track', framesDone: 10, framesTotal: 100, fps: 5, etaS: 18, fraction: 0.1 });
    runs = runReadings(runs, reading());
    expect(runs[EP]!.logs).toEqual(['decoding']);
    expect(runs[EP]!.progress?.fraction).toBe(0.1);
    expect(runs[EP]!.readings).toHaveLength(1);

    // The host's own start event for the stage already running keeps what arrived.
    runs = runBegan(runs, EP, 'detect_track', 2000);
    expect(runs[EP]!.logs).toEqual(['decoding']);
    expect(runs[EP]!.startedAt).toBe(1000);

    runs = runEnded(runs, result({ logs: ['decoding', 'done'] }));
    expect(runs[EP]!.active).toBeNull();
    expect(runs[EP]!.shown).toBe('detect_track');
    expect(runs[EP]!.outcomes.detect_track?.status).toBe('completed');
    expect(runs[EP]!.logs).toEqual(['decoding', 'done']);
    // readings after the end are not the stage's any more
    expect(runReadings(runs, reading())[EP]!.readings).toHaveLength(1);
  });

  it('ignores progress and logs of another stage, caps logs and readings', () => {
    let runs = runBegan({}, EP, 'faces_embed', 0);
    runs = runProgress(runs, { episodeId: EP, stage: 'detect_track', framesDone: 1, framesTotal: 2, fps: 1, etaS: 1, fraction: 0.5 });
    expect(runs[EP]!.progress).toBeNull();
    runs = runLog(runs, { episodeId: EP, stage: 'detect_track', lines: ['x'] });
    expect(runs[EP]!.logs).toEqual([]);
    for (let i = 0; i < 5; i++) runs = runLog(runs, { episodeId: EP, stage: 'faces_embed', lines: [`l${i}`] }, 3);
    expect(runs[EP]!.logs).toEqual(['l2', 'l3', 'l4']);
    for (let i = 0; i < 5; i++) runs = runReadings(runs, reading({ stage: 'faces_embed', at: i }), 2);
    expect(runs[EP]!.readings.map((r) => r.at)).toEqual([3, 4]);
  });

  it('keeps the longer log when the result carries fewer lines than were streamed', () => {
    let runs = runBegan({}, EP, 'detect_track', 0);
    runs = runLog(runs, { episodeId: EP, stage: 'detect_track', lines: ['1', '2', '3'] });
    runs = runEnded(runs, result({ status: 'error', logs: ['3'], error: 'boom' }));
    expect(runs[EP]!.logs).toEqual(['1', '2', '3']);
    expect(runs[EP]!.outcomes.detect_track?.error).toBe('boom');
  });

  it('starts from the empty run for unknown episodes', () => {
    expect(runLog({}, { episodeId: EP, stage: 'cluster', lines: ['x'] })[EP]).toEqual({ ...emptyRun, logs: ['x'] });
  });
});

describe('library and queue reducers', () => {
  const ep: EpisodeSummary = {
    episodeId: EP,
    name: 'ep1',
    dir: '/tv/ep1',
    video: null,
    problem: null,
    stages: { detect_track: 'completed', faces_embed: 'completed', cluster: 'not_run', screentime: 'not_run' },
    identityCount: null,
  };

  it('marks a stage without touching other episodes', () => {
    const other = { ...ep, episodeId: 'fedcba9876543210' };
    const out = markStage([ep, other], EP, 'cluster', 'running');
    expect(out[0]!.stages.cluster).toBe('running');
    expect(out[1]).toBe(other);
  });

  it('upserts jobs in queue order, pipeline order within a submission', () => {
    const job = (id: string, createdAt: number, state: JobInfo['state'] = 'waiting'): JobInfo => ({
      jobId: id,
      episodeId: EP,
      episode: 'ep1',
      stage: 'detect_track',
      state,
      worker: null,
      progress: null,
      logs: [],
      error: null,
      createdAt,
      finishedAt: null,
    });
    let jobs = upsertJob([], job('b', 2));
    jobs = upsertJob(jobs, job('a', 1));
    jobs = upsertJob(jobs, job('a', 1, 'active'));
    jobs = upsertJob(jobs, { ...job('c', 2), stage: 'cluster' });
    jobs = upsertJob(jobs, { ...job('d', 2), stage: 'faces_embed' });
    expect(jobs.map((j) => `${j.jobId}:${j.state}`)).toEqual(['a:active', 'b:waiting', 'd:waiting', 'c:waiting']);
  });

  it('enables queue mode only when available, configured and reachable', () => {
    expect(queueAvailability(null).enabled).toBe(false);
    expect(queueAvailability({ available: true, configured: false, reachable: false, message: 'set a Redis URL' })).toEqual({ enabled: false, reason: 'set a Redis URL' });
    expect(queueAvailability({ available: true, configured: true, reachable: false, message: '' }).reason).toMatch(/cannot be reached/);
    expect(queueAvailability({ available: true, configured: true, reachable: true, message: 'ok' }).enabled).toBe(true);
  });

  it('names every rejected item and why', () => {
    const t = addOutcomeToasts({
      added: [],
      rejected: [
        { path: '/tv/empty dir/', reason: 'no video in /tv/empty dir/' },
        { path: '/tv/x.txt', reason: 'not a video file' },
      ],
    });
    expect(t).toEqual([
      { kind: 'error', title: 'Could not add “empty dir”', detail: 'No video in /tv/empty dir/' },
      { kind: 'error', title: 'Could not add “x.txt”', detail: 'Not a video file (/tv/x.txt)' },
    ]);
    expect(addOutcomeToasts({ added: [ep, ep], rejected: [] })).toEqual([{ kind: 'success', title: 'Added 2 episodes' }]);
  });
});

describe('results selectors', () => {
  const results: Results = {
    episodeId: EP,
    unsure: [],
    identities: [
      { identity_id: 0, label: null, track_ids: [1], n_faces: 3, cohesion: 0.9, thumb: 'thumbs/0.jpg', sample_thumbs: [], ignored: false },
      { identity_id: 1, label: 'Biden', track_ids: [2, 3], n_faces: 8, cohesion: 0.8, thumb: null, sample_thumbs: [], ignored: false },
      { identity_id: 2, label: null, track_ids: [4], n_faces: 1, cohesion: 1, thumb: null, sample_thumbs: [], ignored: true },
    ],
    screentime: {
      duration_s: 58,
      gap_tolerance_s: 0.5,
      identities: [
        { identity_id: 0, label: null, visible_s: 3, segments: [[0, 3]], n_tracks: 1 },
        { identity_id: 1, label: 'Biden', visible_s: 7.6, segments: [[4, 8], [20, 23.6]], n_tracks: 2 },
      ],
    },
  };

  it('joins identities with screen time, longest first, ignored last', () => {
    const v = identityViews(results);
    expect(v.map((x) => x.row.identity_id)).toEqual([1, 0, 2]);
    expect(v[0]).toMatchObject({ visibleS: 7.6, nTracks: 2 });
    expect(v[2]).toMatchObject({ visibleS: 0, segments: [], nTracks: 1 });
    expect(identityViews(null)).toEqual([]);
    expect(identityViews({ ...results, screentime: null }).every((x) => x.visibleS === 0)).toBe(true);
  });

  it('prunes a selection after a merge and toggles ids', () => {
    expect(pruneSelection([0, 1, 7], results)).toEqual([0, 1]);
    expect(toggleId([1, 2], 2)).toEqual([1]);
    expect(toggleId([1], 2)).toEqual([1, 2]);
  });

  it('pages long lists and clamps the page', () => {
    const items = Array.from({ length: 101 }, (_, i) => i);
    expect(pageSlice(items, 0, 48)).toMatchObject({ page: 0, pages: 3 });
    expect(pageSlice(items, 9, 48).items).toEqual([96, 97, 98, 99, 100]);
    expect(pageSlice([], 3, 48)).toEqual({ items: [], page: 0, pages: 1 });
  });
});
