// End-to-end quality: the real CLI runs all four stages on real video with the default profile,
// then the output is scored against the ground truth: the staged episode_gt and the development
// set of real footage (pipeline/eval/dev-set.ts; `npm run eval` prints the same numbers as a
// table). Build first (`npm run build:node`).

import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { IdentitiesFile, Manifest, ScreentimeFile } from '../../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../../shared/stages.js';
import { CLI_JS, MODELS_DIR, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { applyEdit } from '../review/edits.js';
import { cohesion } from '../cluster/agglomerative.js';
import { readPrototypes } from '../cluster/io.js';
import { DEV_CLIPS } from './dev-set.js';
import { PERSON_MIN_S, scoreScreentime, type GroundTruth } from './score.js';

const YUNET = path.join(MODELS_DIR, 'yunet_n_dynamic.onnx');
// the machine is shared by several heavy jobs: allow for a slow run
const RUN_TIMEOUT_MS = 15 * 60_000;

async function cli(args: string[]) {
  return execa(process.execPath, [CLI_JS, ...args, '--models', MODELS_DIR], { reject: false, timeout: RUN_TIMEOUT_MS, stdin: 'ignore' });
}

function readJson<T>(dir: string, f: string): T {
  return JSON.parse(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, f), 'utf8')) as T;
}

/** Output every run must satisfy whatever the video. */
function expectSane(dir: string): { st: ScreentimeFile; ids: IdentitiesFile; manifest: Manifest } {
  const st = readJson<ScreentimeFile>(dir, 'screentime.json');
  const ids = readJson<IdentitiesFile>(dir, 'identities.json');
  const manifest = readJson<Manifest>(dir, 'manifest.json');
  const duration = manifest.video.duration_s;
  expect(st.duration_s).toBeCloseTo(duration, 2);
  // every track in at most one identity; an unsure track in none; every timed identity exists
  const allTracks = ids.identities.flatMap((i) => i.track_ids);
  expect(new Set(allTracks).size).toBe(allTracks.length);
  const unsure = (ids.unsure ?? []).map((u) => u.track_id);
  expect(unsure.filter((t) => allTracks.includes(t))).toEqual([]);
  const known = new Set(ids.identities.map((i) => i.identity_id));
  for (const r of st.identities) expect(known.has(r.identity_id)).toBe(true);
  for (const r of st.identities) {
    expect(r.visible_s).toBeGreaterThan(0);
    expect(r.visible_s).toBeLessThanOrEqual(duration + 1e-6);
    let prev = -1;
    for (const [a, b] of r.segments) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(duration + 1e-6);
      expect(b).toBeGreaterThan(a);
      expect(a).toBeGreaterThan(prev);
      prev = b;
    }
  }
  for (const i of ids.identities) {
    expect(i.cohesion).toBeGreaterThanOrEqual(0);
    expect(i.cohesion).toBeLessThanOrEqual(1);
    if (i.thumb) expect(existsSync(path.join(dir, ARTIFACT_DIR_NAME, i.thumb))).toBe(true);
  }
  return { st, ids, manifest };
}

const GT_VIDEO = mediaPath('episode_gt.mp4');
const GT_JSON = mediaPath('episode_gt.json');

/** Temp episode folders of this file, removed at the end (each holds a copy of a video). */
const made: string[] = [];
function episode(name: string): string {
  const dir = tempEpisode(name);
  made.push(path.dirname(dir));
  return dir;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('pipeline quality on real video', () => {
  const skipAll = missing(CLI_JS) ?? missing(YUNET);

  it.skipIf(skipAll ?? missing(GT_VIDEO, GT_JSON))('episode_gt: 8 identities, F1 >= 0.95, mean screen-time error <= 0.5 s; edits survive a re-run', async () => {
    const dir = episode('episode_gt.mp4');
    const r = await cli(['run', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { st, manifest } = expectSane(dir);
    const gt = JSON.parse(readFileSync(GT_JSON, 'utf8')) as GroundTruth;
    const score = scoreScreentime(st.identities, gt);
    const fe = manifest.stages.faces_embed?.stats ?? {};
    const cl = manifest.stages.cluster?.stats ?? {};
    console.log(`episode_gt: ${st.identities.length} identities; P ${score.precision.toFixed(4)} R ${score.recall.toFixed(4)} F1 ${score.f1.toFixed(4)}; mean |error| ${score.mean_abs_error_s.toFixed(3)} s, max ${score.max_abs_error_s.toFixed(3)} s; embedder ${fe.ms_per_face} ms/face wall, ${fe.cpu_ms_per_face} ms CPU; cluster ${cl.cluster_ms} ms`);
    for (const p of score.people) console.log(`  ${p.person}: true ${p.true_s} s, predicted ${p.predicted_s.toFixed(2)} s (identity ${p.identity_id}), error ${p.abs_error_s.toFixed(3)} s`);

    const real = st.identities.filter((i) => i.visible_s >= 1);
    expect(real).toHaveLength(8);
    expect(score.f1).toBeGreaterThanOrEqual(0.95);
    expect(score.mean_abs_error_s).toBeLessThanOrEqual(0.5);

    // A label given in review survives re-running the cluster and screentime stages.
    const obama = score.people.find((p) => p.person === 'obama')!;
    expect(obama.identity_id).not.toBeNull();
    const edited = await applyEdit(path.join(dir, ARTIFACT_DIR_NAME), { kind: 'rename', identityId: obama.identity_id!, label: 'Barack Obama' });
    expect(edited.screentime.identities.find((i) => i.label === 'Barack Obama')!.visible_s).toBeCloseTo(obama.predicted_s, 3);
    const again = await cli(['run', dir, '--from', 'cluster']);
    expect(again.exitCode, again.stderr).toBe(0);
    const st2 = readJson<ScreentimeFile>(dir, 'screentime.json');
    const named = st2.identities.filter((i) => i.label === 'Barack Obama');
    expect(named).toHaveLength(1);
    expect(named[0]!.visible_s).toBeCloseTo(obama.predicted_s, 3);
    expect(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'screentime.csv'), 'utf8')).toContain('Barack Obama');

    // ... and re-running detect_track with other settings (new track ids): the label is carried
    // over to the new tracks at the same frames and place, and still names obama.
    const other = await cli(['run', dir, '--stride', '3']);
    expect(other.exitCode, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/edited tracks carried over to the new tracks/);
    expect(readJson<Manifest>(dir, 'manifest.json').stages.detect_track!.config.stride).toBe(3);
    const st3 = readJson<ScreentimeFile>(dir, 'screentime.json');
    const obama3 = scoreScreentime(st3.identities, gt).people.find((p) => p.person === 'obama')!;
    expect(st3.identities.filter((i) => i.label === 'Barack Obama').map((i) => i.identity_id)).toEqual([obama3.identity_id]);
  }, RUN_TIMEOUT_MS * 3 + 60_000);

  // Real TV: a family dinner (siblings who look alike, wide shots, profiles, subtitles): the
  // exact people, F1 >= 0.985 (0.991 measured), mean screen-time error <= 0.5 s (0.28 measured).
  // The 3/4-profile close-up the embedder cannot tell from the brother is placed by its camera
  // setup (pipeline/cluster/same-look.ts); what is left is mostly the labels' whole-shot convention
  // (docs/pipeline-identities.md, "Where the missed seconds go").
  const FOTB = DEV_CLIPS.find((c) => c.name === 'fotb')!;
  it.skipIf(skipAll ?? missing(mediaPath(FOTB.video), mediaPath(FOTB.truth!)))('dev/fotb (real TV): the 6 people found, F1 >= 0.985, precision >= 0.97, mean error <= 0.5 s; pooling two people lowers cohesion', async () => {
    const dir = episode(FOTB.video);
    const r = await cli(['run', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { st, ids } = expectSane(dir);
    const gt = JSON.parse(readFileSync(mediaPath(FOTB.truth!), 'utf8')) as GroundTruth;
    const score = scoreScreentime(st.identities, gt);
    console.log(`fotb: ${score.people_found}/${score.people_real} people; P ${score.precision.toFixed(4)} R ${score.recall.toFixed(4)} F1 ${score.f1.toFixed(4)}; mean |error| ${score.mean_abs_error_s.toFixed(3)} s; ${(ids.unsure ?? []).length} unsure tracks`);
    expect(score.people_found).toBe(6);
    expect(score.people.every((p) => p.identity_id !== null)).toBe(true);
    expect(score.f1).toBeGreaterThanOrEqual(0.985);
    expect(score.precision).toBeGreaterThanOrEqual(0.97);
    expect(score.mean_abs_error_s).toBeLessThanOrEqual(0.5);

    // Cohesion, the measure behind the low-cohesion flag, on footage other than the one its first
    // threshold came from: any two of the six real identities pooled into one score lower than
    // each of them alone.
    const protos = readPrototypes(path.join(dir, ARTIFACT_DIR_NAME));
    const rowsOf = (id: number) => ids.identities.find((i) => i.identity_id === id)!.track_ids.map((t) => protos.byTrack.get(t)!.row);
    const people = score.people.map((p) => p.identity_id!);
    const own = new Map(people.map((id) => [id, cohesion(protos.vectors, protos.dim, rowsOf(id))]));
    for (let a = 0; a < people.length; a++) {
      for (let b = a + 1; b < people.length; b++) {
        const pooled = cohesion(protos.vectors, protos.dim, [...rowsOf(people[a]!), ...rowsOf(people[b]!)]);
        expect(pooled).toBeLessThan(Math.min(own.get(people[a]!)!, own.get(people[b]!)!));
      }
    }
    expect(ids.identities.filter((i) => people.includes(i.identity_id) && i.low_cohesion)).toEqual([]);
  }, RUN_TIMEOUT_MS + 60_000);

  /** dev/fotb run with other detect_track options: the pipeline's sanity checks and the score. */
  async function fotbWith(args: string[]) {
    const dir = episode(FOTB.video);
    const r = await cli(['run', dir, ...args]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { st } = expectSane(dir);
    const score = scoreScreentime(st.identities, JSON.parse(readFileSync(mediaPath(FOTB.truth!), 'utf8')) as GroundTruth);
    console.log(`fotb ${args.join(' ')}: ${score.people_found}/${score.people_real} people; F1 ${score.f1.toFixed(4)}; mean |error| ${score.mean_abs_error_s.toFixed(3)} s`);
    return { dir, score };
  }

  // The same clip sampled another way (every 2nd frame instead of about 6 a second): other faces get
  // embedded, and a rule tuned to the default's luck breaks here. Before the resumed linkage was
  // barred from merges the re-check would undo, this lost emery into evan's identity (5/6 people,
  // F1 0.881); 0.981 measured now (docs/pipeline-identities.md, "Identities that hold across sampling").
  it.skipIf(skipAll ?? missing(mediaPath(FOTB.video), mediaPath(FOTB.truth!)))('dev/fotb at --stride 2: still the 6 people, F1 >= 0.95', async () => {
    const { score } = await fotbWith(['--stride', '2']);
    expect(score.people_found).toBe(6);
    expect(score.f1).toBeGreaterThanOrEqual(0.95);
  }, RUN_TIMEOUT_MS + 60_000);

  // Decodable sampling (referenced frames only): before each track was moved to the identity
  // nearest to it on average, evan's crane shot sat in emery's identity (F1 0.950); 0.976 measured
  // now (docs/pipeline-identities.md, "Each track in its nearest identity").
  it.skipIf(skipAll ?? missing(mediaPath(FOTB.video), mediaPath(FOTB.truth!)))('dev/fotb with --sampling decodable: still the 6 people, F1 >= 0.97', async () => {
    const { dir, score } = await fotbWith(['--sampling', 'decodable']);
    expect(readJson<Manifest>(dir, 'manifest.json').stages.detect_track!.stats['sampling']).toBe('decodable');
    expect(score.people_found).toBe(6);
    expect(score.f1).toBeGreaterThanOrEqual(0.97);
  }, RUN_TIMEOUT_MS + 60_000);

  // A street crowd without cuts: no more identities than faces seen (counted by eye,
  // pipeline/eval/labels/README.md), and no identity holding two tracks seen at the same moment.
  const CROWD = DEV_CLIPS.find((c) => c.name === 'covent_garden')!;
  it.skipIf(skipAll ?? missing(mediaPath(CROWD.video)))('dev/covent_garden (crowd): no more identities than faces seen, none holding two faces at once', async () => {
    const dir = episode(CROWD.video);
    const r = await cli(['run', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { st, ids } = expectSane(dir);
    const timed = st.identities.filter((i) => i.visible_s >= PERSON_MIN_S);
    console.log(`covent_garden: ${timed.length} identities with >= 1 s (${ids.identities.length} in all, ${(ids.unsure ?? []).length} unsure tracks)`);
    expect(timed.length).toBeGreaterThan(0);
    expect(timed.length).toBeLessThanOrEqual(CROWD.facesVisible!);
    const tracks = readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'tracks.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { track_id: number; first_ts: number; last_ts: number });
    const span = new Map(tracks.map((t) => [t.track_id, t]));
    for (const i of ids.identities) {
      const ts = i.track_ids.map((t) => span.get(t)!).sort((a, b) => a.first_ts - b.first_ts);
      for (let k = 1; k < ts.length; k++) expect(ts[k]!.first_ts, `identity ${i.identity_id}: tracks ${ts[k - 1]!.track_id} and ${ts[k]!.track_id} overlap in time`).toBeGreaterThan(ts[k - 1]!.last_ts);
    }
  }, RUN_TIMEOUT_MS + 60_000);

  for (const name of ['short_hamilton_clip.mp4', 'Megamind.avi']) {
    it.skipIf(skipAll ?? missing(mediaPath(name)))(`${name}: runs end to end with sane output`, async () => {
      const dir = episode(name);
      const r = await cli(['run', dir]);
      expect(r.exitCode, r.stderr).toBe(0);
      const { st, ids } = expectSane(dir);
      console.log(`${name}: ${ids.identities.length} identities, ${st.identities.map((i) => `#${i.identity_id} ${i.visible_s.toFixed(2)}s`).join(', ')}`);
    }, RUN_TIMEOUT_MS + 60_000);
  }
});
