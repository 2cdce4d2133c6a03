import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityRow, Manifest, PrototypeRow, ShotRow, StageRecord, TrackRow } from '../../shared/artifacts.js';
import { EXIT } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { f32Bytes, inspectManifest, readEdits, readIdentities, readJsonl, readManifestFile, readPrototypes, readScreentime, readShots, readTracks } from './io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'screentime-io-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (name: string, text: string | Buffer) => writeFileSync(path.join(dir, name), text);
const putJson = (name: string, v: unknown) => put(name, JSON.stringify(v));
const putJsonl = (name: string, rows: unknown[]) => put(name, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

/** The reader must refuse with a BAD_INPUT StageError whose message matches (and so names the file). */
function refuses(read: () => unknown, message: RegExp): void {
  let err: unknown = null;
  try {
    read();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a refusal matching ${message}`).toBeInstanceOf(StageError);
  expect((err as StageError).exitCode).toBe(EXIT.BAD_INPUT);
  expect((err as StageError).message).toMatch(message);
}

const track = (id: number): TrackRow => ({ track_id: id, first_ts: id, last_ts: id + 1, first_frame: id * 25, last_frame: id * 25 + 25, n_detections: 5, shot: 0, mean_conf: 0.9, boxes: 'detections.jsonl' });
const shot: ShotRow = { shot: 0, start_frame: 0, end_frame: 250, start_ts: 0, end_ts: 10 };
const proto = (row: number): PrototypeRow => ({ row, track_id: row, n_faces: 2, best_quality: 10, thumb: `thumbs/t${row}.jpg`, sample_thumbs: [] });
const identity = (id: number): IdentityRow => ({ identity_id: id, label: null, track_ids: [id], n_faces: 2, cohesion: 1, thumb: null, sample_thumbs: [], ignored: false });
const record = (over: Partial<StageRecord> = {}): StageRecord => ({
  status: 'completed',
  config: { stride: 5 },
  config_hash: 'abc',
  inputs: {},
  started_at: '2024-01-01T00:00:00.000Z',
  finished_at: '2024-01-01T00:00:01.000Z',
  elapsed_s: 1,
  pid: 1,
  host: 'h',
  stats: { n: 1 },
  error: null,
  ...over,
});
const manifest = (): Manifest => ({
  schema_version: 1,
  video: { file: 'v.mp4', duration_s: 20, fps: 25, width: 640, height: 360, frame_count: 500, start_time_s: 0, codec: 'h264' },
  stages: { detect_track: record() },
});

describe('JSONL artifacts', () => {
  it('reads good rows, with the optional fields of newer outputs and without them', () => {
    putJsonl('tracks.jsonl', [track(0), track(1)]);
    putJsonl('shots.jsonl', [shot]);
    putJsonl('prototypes.jsonl', [proto(0), { ...proto(1), weak: true, quality: 0.4 }]);
    put('prototypes.f32', f32Bytes(new Float32Array([1, 0, 0, 1])));
    putJsonl('faces.jsonl', [
      { face_id: 0, track_id: 0, frame_idx: 0, ts: 0, quality: 3, embedding_row: 0, thumb: 'thumbs/t0.jpg' },
      { face_id: 1, track_id: 1, frame_idx: 5, ts: 0.2, quality: 3, weight: 0.7, embedding_row: 1, thumb: 'thumbs/t1.jpg' },
    ]);
    expect(readTracks(dir)).toEqual([track(0), track(1)]);
    expect(readShots(dir)).toEqual([shot]);
    const p = readPrototypes(dir);
    expect(p.dim).toBe(2);
    expect(p.byTrack.get(1)).toMatchObject({ weak: true, quality: 0.4 });
    expect(readJsonl(path.join(dir, 'faces.jsonl'))).toHaveLength(2);
  });

  it('names the file and line of a row that is not JSON, null, or not an object', () => {
    put('tracks.jsonl', `${JSON.stringify(track(0))}\n{"track_id": 1, "first_ts"`);
    refuses(() => readTracks(dir), /^tracks\.jsonl line 2 is not valid JSON/);
    putJsonl('tracks.jsonl', [track(0), null]);
    refuses(() => readTracks(dir), /^tracks\.jsonl line 2: expected object, received null/);
    putJsonl('notes.jsonl', [{ a: 1 }, 7]);
    refuses(() => readJsonl(path.join(dir, 'notes.jsonl')), /^notes\.jsonl line 2: expected object, received number/);
  });

  it('names the field of a row with a missing or mistyped field', () => {
    putJsonl('tracks.jsonl', [track(0), { ...track(1), first_ts: '1.0' }]);
    refuses(() => readTracks(dir), /^tracks\.jsonl line 2: first_ts: expected number, received string/);
    putJsonl('shots.jsonl', [{ shot: 0, start_ts: 0, end_ts: 1 }]);
    refuses(() => readShots(dir), /^shots\.jsonl line 1: start_frame: expected number/);
    putJsonl('prototypes.jsonl', [{ ...proto(0), weak: 'yes' }]);
    put('prototypes.f32', f32Bytes(new Float32Array([1, 0])));
    refuses(() => readPrototypes(dir), /^prototypes\.jsonl line 1: weak: expected boolean, received string/);
    putJsonl('prototypes.jsonl', [{ ...proto(0), sample_thumbs: null }]);
    refuses(() => readPrototypes(dir), /^prototypes\.jsonl line 1: sample_thumbs: expected array, received null/);
    putJsonl('faces.jsonl', [{ face_id: 0, track_id: 0, frame_idx: 0, ts: 0, quality: 3, weight: 'heavy', embedding_row: 0, thumb: 't.jpg' }]);
    refuses(() => readJsonl(path.join(dir, 'faces.jsonl')), /^faces\.jsonl line 1: weight: expected number/);
  });

  it('checks the rows the stages read through readJsonl by their file name', () => {
    const det = { frame_idx: 0, ts: 0, bbox: [0, 0, 10, 10], conf: 0.9, landmarks: [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], track_id: 0 };
    putJsonl('detections.jsonl', [det, { ...det, bbox: [0, 0, 10] }]);
    refuses(() => readJsonl(path.join(dir, 'detections.jsonl')), /^detections\.jsonl line 2: bbox: /);
    const sample = { sample_idx: 0, track_id: 0, frame_idx: 0, ts: 0, quality: 1, conf: 0.9, face_px: 40, bbox: [0, 0, 10, 10], landmarks: det.landmarks, crop_box: [0, 0, 20, 20] };
    putJsonl('samples.jsonl', [sample, { ...sample, landmarks: [[1, 1]] }]);
    refuses(() => readJsonl(path.join(dir, 'samples.jsonl')), /^samples\.jsonl line 2: landmarks: /);
  });

  it('refuses two prototype rows for one track', () => {
    putJsonl('prototypes.jsonl', [proto(0), { ...proto(1), track_id: 0 }]);
    put('prototypes.f32', f32Bytes(new Float32Array([1, 0, 0, 1])));
    refuses(() => readPrototypes(dir), /^prototypes\.jsonl line 2: track 0 is listed twice/);
  });
});

describe('identities.json', () => {
  it('reads older files (no unsure list) and newer ones', () => {
    putJson('identities.json', { identities: [identity(0)] });
    expect(readIdentities(dir)).toEqual({ identities: [identity(0)] });
    const unsure = [{ track_id: 3, thumb: 'thumbs/t3.jpg', nearest_identity: 0, distance: 0.41 }, { track_id: 4, thumb: null, nearest_identity: null, distance: null }];
    putJson('identities.json', { identities: [{ ...identity(0), low_cohesion: true }], unsure });
    expect(readIdentities(dir).unsure).toEqual(unsure);
  });

  it('names the file of a truncated, null or mistyped one', () => {
    put('identities.json', JSON.stringify({ identities: [identity(0)] }).slice(0, 30));
    refuses(() => readIdentities(dir), /^identities\.json is not valid JSON \(.+\); run cluster again/);
    putJson('identities.json', { identities: [null] });
    refuses(() => readIdentities(dir), /^identities\.json: identities\[0\]: expected object, received null/);
    putJson('identities.json', null);
    refuses(() => readIdentities(dir), /^identities\.json: expected object, received null/);
    putJson('identities.json', { identities: [{ ...identity(0), track_ids: '0,1' }] });
    refuses(() => readIdentities(dir), /^identities\.json: identities\[0\]\.track_ids: expected array, received string/);
    putJson('identities.json', { identities: [identity(0)], unsure: [{ track_id: 'x' }] });
    refuses(() => readIdentities(dir), /^identities\.json: unsure\[0\]\.track_id: expected number, received string/);
  });
});

describe('manifest.json', () => {
  it('reads a good one', () => {
    putJson('manifest.json', manifest());
    expect(readManifestFile(dir)).toEqual(manifest());
  });

  it('names the file and field of a truncated one, one without video facts, or a bad stage record', () => {
    put('manifest.json', JSON.stringify(manifest()).slice(0, 40));
    refuses(() => readManifestFile(dir), /^manifest\.json is not valid JSON/);
    putJson('manifest.json', { ...manifest(), video: undefined });
    refuses(() => readManifestFile(dir), /^manifest\.json: video: expected object, received undefined/);
    putJson('manifest.json', { ...manifest(), video: { ...manifest().video, fps: '25' } });
    refuses(() => readManifestFile(dir), /^manifest\.json: video\.fps: expected number, received string/);
    putJson('manifest.json', { ...manifest(), stages: { ...manifest().stages, cluster: 'x' } });
    refuses(() => readManifestFile(dir), /^manifest\.json: stages\.cluster: expected object, received string/);
  });

  it('inspectManifest keeps the good stage records and reports the damaged ones', () => {
    expect(inspectManifest(dir)).toEqual({ manifest: null, problems: [] });
    putJson('manifest.json', { ...manifest(), stages: { detect_track: record(), faces_embed: { ...record(), inputs: null }, cluster: 'x' } });
    const r = inspectManifest(dir);
    expect(Object.keys(r.manifest!.stages)).toEqual(['detect_track']);
    expect(r.problems).toEqual([
      'manifest.json: stages.faces_embed.inputs: expected record, received null',
      'manifest.json: stages.cluster: expected object, received string',
    ]);
    put('manifest.json', '{"schema_version": 1, "vid');
    expect(inspectManifest(dir).manifest).toBeNull();
    expect(inspectManifest(dir).problems[0]).toMatch(/^manifest\.json is not valid JSON/);
  });
});

describe('edits.json', () => {
  it('reads a good one; absent lists are empty', () => {
    putJson('edits.json', { labels: [{ track_ids: [1, 2], label: ' Ann ' }], merges: [[1, 2]] });
    expect(readEdits(dir)).toEqual({ labels: [{ track_ids: [1, 2], label: 'Ann' }], merges: [[1, 2]], splits: [], ignored: [] });
  });

  it('names the file of a truncated or mistyped one', () => {
    put('edits.json', '{"labels": [');
    refuses(() => readEdits(dir), /^edits\.json is not valid JSON/);
    putJson('edits.json', { labels: [null] });
    refuses(() => readEdits(dir), /^edits\.json: labels\[0\]: expected object, received null/);
    putJson('edits.json', { splits: ['3'] });
    refuses(() => readEdits(dir), /^edits\.json: splits\[0\]: expected number, received string/);
    putJson('edits.json', []);
    refuses(() => readEdits(dir), /^edits\.json: expected object, received array/);
  });
});

describe('screentime.json', () => {
  it('is null when absent, read when good, refused with its name when damaged', () => {
    expect(readScreentime(dir)).toBeNull();
    const st = { duration_s: 20, gap_tolerance_s: 0.5, identities: [{ identity_id: 0, label: null, visible_s: 1, segments: [[0, 1]], n_tracks: 1 }] };
    putJson('screentime.json', st);
    expect(readScreentime(dir)).toEqual(st);
    put('screentime.json', JSON.stringify(st).slice(0, 20));
    refuses(() => readScreentime(dir), /^screentime\.json is not valid JSON/);
    putJson('screentime.json', { ...st, identities: [{ ...st.identities[0], segments: [[0]] }] });
    refuses(() => readScreentime(dir), /^screentime\.json: identities\[0\]\.segments\[0\]: /);
  });
});
