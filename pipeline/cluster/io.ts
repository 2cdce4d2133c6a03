// Reading the artifacts the later stages and review edits work from. Every reader checks the
// shape of what it returns (each field later code relies on), so a damaged, truncated or
// hand-edited file stops the work with a BAD_INPUT error that names the file (and line), instead
// of a TypeError deep inside a stage or a silently empty result.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  ARTIFACT_FILES,
  type DetectionRow,
  type EditsFile,
  type FaceRow,
  type IdentitiesFile,
  type Manifest,
  type PrototypeRow,
  type ScreentimeFile,
  type ShotRow,
  type StageRecord,
  type TrackRow,
} from '../../shared/artifacts.js';
import { EXIT, STAGES, type StageName } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { halfStep, type ScreentimeParams } from '../screentime/compute.js';
import type { SampleRow } from '../stages/detect-track.js';
import type { Prototypes } from './identities.js';

// Schemas of the artifacts. They follow the types of shared/artifacts.ts: a field the type
// declares is required with its type, a field it marks optional (added by a later version) may be
// absent, and unknown fields pass (loose objects) so the outputs of a newer writer still read.
const num = z.number();
const int = z.number().int();
const count = int.nonnegative();
const point = z.tuple([num, num]);
const box = z.tuple([num, num, num, num]);
const fivePoints = z.tuple([point, point, point, point, point]);
const relPath = z.string();
const personMatch = z.enum(['auto', 'suggested', 'confirmed', 'none']);

const detectionRow: z.ZodType<DetectionRow> = z.looseObject({ frame_idx: count, ts: num, bbox: box, conf: num, landmarks: fivePoints, track_id: int });

const trackRow: z.ZodType<TrackRow> = z.looseObject({
  track_id: count,
  first_ts: num,
  last_ts: num,
  first_frame: count,
  last_frame: count,
  n_detections: count,
  shot: int,
  mean_conf: num,
  boxes: z.literal(ARTIFACT_FILES.detections),
  look: z.string().optional(),
});

const shotRow: z.ZodType<ShotRow> = z.looseObject({ shot: int, start_frame: count, end_frame: count, start_ts: num, end_ts: num });

const sampleRow: z.ZodType<SampleRow> = z.looseObject({
  sample_idx: count,
  track_id: count,
  frame_idx: count,
  ts: num,
  quality: num,
  conf: num,
  face_px: num,
  bbox: box,
  // the aligner needs all five
  landmarks: fivePoints,
  crop_box: box,
});

const faceRow: z.ZodType<FaceRow> = z.looseObject({
  face_id: count,
  track_id: count,
  frame_idx: count,
  ts: num,
  quality: num,
  weight: num.optional(),
  embedding_row: count,
  thumb: relPath,
});

const prototypeRow: z.ZodType<PrototypeRow> = z.looseObject({
  row: count,
  track_id: count,
  n_faces: count,
  best_quality: num,
  thumb: relPath.nullable(),
  sample_thumbs: z.array(relPath),
  weak: z.boolean().optional(),
  quality: num.optional(),
});

const identitiesFile: z.ZodType<IdentitiesFile> = z.looseObject({
  identities: z.array(
    z.looseObject({
      identity_id: count,
      label: z.string().nullable(),
      track_ids: z.array(count),
      n_faces: count,
      cohesion: num,
      thumb: relPath.nullable(),
      sample_thumbs: z.array(relPath),
      ignored: z.boolean(),
      low_cohesion: z.boolean().optional(),
      person_id: z.string().nullable().optional(),
      person_name: z.string().nullable().optional(),
      match: personMatch.optional(),
      distance: num.nullable().optional(),
    }),
  ),
  unsure: z.array(z.looseObject({ track_id: count, thumb: relPath.nullable(), nearest_identity: count.nullable(), distance: num.nullable() })).optional(),
});

const screentimeFile: z.ZodType<ScreentimeFile> = z.looseObject({
  duration_s: num,
  gap_tolerance_s: num,
  identities: z.array(
    z.looseObject({
      identity_id: count,
      label: z.string().nullable(),
      visible_s: num,
      segments: z.array(point),
      n_tracks: count,
      person_id: z.string().nullable().optional(),
      match: personMatch.optional(),
      distance: num.nullable().optional(),
    }),
  ),
});

// Lists may be absent (= none): an edits.json is written by the window, one list at a time.
const editsFile = z.looseObject({
  labels: z.array(z.looseObject({ track_ids: z.array(count), label: z.string() })).optional(),
  merges: z.array(z.array(count)).optional(),
  splits: z.array(count).optional(),
  ignored: z.array(count).optional(),
  people: z.array(z.looseObject({ track_ids: z.array(count), person_id: z.string().min(1), decision: z.enum(['confirmed', 'rejected']) })).optional(),
});

const videoFacts = z.looseObject({
  file: z.string(),
  duration_s: num,
  fps: num,
  width: count,
  height: count,
  frame_count: count,
  start_time_s: num,
  codec: z.string(),
  size_bytes: num.optional(),
  mtime_ms: num.optional(),
});

const stageRecord = z.looseObject({
  // any string: a status this version does not know (a newer writer) reads as "not run"
  status: z.string(),
  config: z.record(z.string(), z.unknown()),
  config_hash: z.string(),
  inputs: z.record(z.string(), z.string()),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  elapsed_s: num.nullable(),
  pid: int.nullable(),
  host: z.string().nullable(),
  stats: z.record(z.string(), z.union([num, z.string(), z.boolean(), z.null()])),
  error: z.string().nullable(),
  completed_hash: z.string().nullable().optional(),
  video_key: z.string().optional(),
});

// Stage records are checked one by one (inspectManifest): one damaged record must not hide the rest.
const manifestTop = z.looseObject({ schema_version: int, video: videoFacts, stages: z.record(z.string(), z.unknown()) });

/** Rows readJsonl checks by file name, so every caller gets the check without passing a schema. */
const ROW_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  [ARTIFACT_FILES.detections]: detectionRow,
  [ARTIFACT_FILES.tracks]: trackRow,
  [ARTIFACT_FILES.shots]: shotRow,
  [ARTIFACT_FILES.samples]: sampleRow,
  [ARTIFACT_FILES.faces]: faceRow,
  [ARTIFACT_FILES.prototypesIndex]: prototypeRow,
};
const anyRow = z.looseObject({});

/** The stage that writes a file: re-running it is how a user repairs the file. */
const PRODUCER: Readonly<Record<string, StageName>> = {
  [ARTIFACT_FILES.detections]: 'detect_track',
  [ARTIFACT_FILES.tracks]: 'detect_track',
  [ARTIFACT_FILES.shots]: 'detect_track',
  [ARTIFACT_FILES.samples]: 'detect_track',
  [ARTIFACT_FILES.faces]: 'faces_embed',
  [ARTIFACT_FILES.prototypesIndex]: 'faces_embed',
  [ARTIFACT_FILES.identities]: 'cluster',
  [ARTIFACT_FILES.screentime]: 'screentime',
};

/** `identities[0].track_ids` */
function fieldPath(keys: readonly PropertyKey[]): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

/** The first problem zod found, as "field: expected X, received Y". */
function describeIssue(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  const issue = issues[0]!;
  let what = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_union') {
    const expected = issue.errors.map((e) => (e[0] && 'expected' in e[0] ? String(e[0].expected) : null)).filter((x) => x !== null);
    if (expected.length) what = `expected one of ${expected.join(', ')}`;
  }
  const at = fieldPath([...prefix, ...issue.path]);
  return at ? `${at}: ${what}` : what;
}

/** A BAD_INPUT error naming the file, where in it (`at`, e.g. " line 3"), and how to repair it. */
function damaged(file: string, at: string, detail: string): StageError {
  const name = path.basename(file);
  const producer = PRODUCER[name];
  return new StageError(`${name}${at}${detail}${producer ? `; run ${producer} again to rewrite it` : ''}`, EXIT.BAD_INPUT);
}

function parseJson(file: string, at: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw damaged(file, at, ` is not valid JSON (${(e as Error).message})`);
  }
}

/** A whole-file JSON artifact, checked against its schema. */
function readJsonFile<T>(file: string, schema: z.ZodType<T>): T {
  const value = parseJson(file, '', readFileSync(file, 'utf8'));
  const r = schema.safeParse(value);
  if (!r.success) throw damaged(file, '', `: ${describeIssue(r.error.issues)}`);
  // the value as written: the parse result is a copy, not needed once the shape is known
  return value as T;
}

/**
 * One JSON object per line. Rows are checked with `schema`, else with the schema of the artifact
 * the file name says it is, else only for being objects.
 */
export function readJsonl<T>(file: string, schema?: z.ZodType<T>): T[] {
  const check = schema ?? ROW_SCHEMAS[path.basename(file)] ?? anyRow;
  const text = readFileSync(file, 'utf8');
  const out: T[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (!line.trim()) continue;
    const row = parseJson(file, ` line ${lineNo}`, line);
    const r = check.safeParse(row);
    if (!r.success) throw damaged(file, ` line ${lineNo}`, `: ${describeIssue(r.error.issues)}`);
    out.push(row as T);
  }
  return out;
}

export function requireFile(outDir: string, name: string, producer: string): string {
  const f = path.join(outDir, name);
  if (!existsSync(f)) throw new StageError(`${name} is missing in ${outDir}; run ${producer} first`, EXIT.BAD_INPUT);
  return f;
}

/** Little-endian float32 rows -> Float32Array (copied, so alignment and endianness are handled). */
export function readF32(file: string, rows: number, dim: number): Float32Array {
  const buf = readFileSync(file);
  if (buf.length !== rows * dim * 4) throw new StageError(`${path.basename(file)} has ${buf.length} bytes, expected ${rows} x ${dim} x 4`, EXIT.BAD_INPUT);
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/** Float32Array -> little-endian bytes. */
export function f32Bytes(v: Float32Array): Buffer {
  const b = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i]!, i * 4);
  return b;
}

export const EMBEDDING_DIM = 128;

/** Prototypes; the vector length follows from the file size (any embedder's dimension works). */
export function readPrototypes(outDir: string): Prototypes {
  const index = requireFile(outDir, ARTIFACT_FILES.prototypesIndex, 'faces_embed');
  const rows = readJsonl(index, prototypeRow);
  const f32 = requireFile(outDir, ARTIFACT_FILES.prototypes, 'faces_embed');
  const bytes = statSync(f32).size;
  const dim = rows.length ? bytes / 4 / rows.length : EMBEDDING_DIM;
  if (!Number.isInteger(dim) || dim < 1) throw new StageError(`prototypes.f32 has ${bytes} bytes, not a whole number of float32 rows for ${rows.length} tracks`, EXIT.BAD_INPUT);
  const vectors = readF32(f32, rows.length, dim);
  const byTrack = new Map<number, PrototypeRow>();
  rows.forEach((r, i) => {
    if (r.row !== i) throw damaged(index, ` line ${i + 1}`, ` says row ${r.row}`);
    // a second row would silently replace the first in byTrack
    if (byTrack.has(r.track_id)) throw damaged(index, ` line ${i + 1}`, `: track ${r.track_id} is listed twice`);
    byTrack.set(r.track_id, r);
  });
  return { vectors, dim, byTrack };
}

export function readTracks(outDir: string): TrackRow[] {
  return readJsonl(requireFile(outDir, ARTIFACT_FILES.tracks, 'detect_track'), trackRow);
}

/** shots.jsonl, or [] when absent (older outputs): screen time then clips to the video only. */
export function readShots(outDir: string): ShotRow[] {
  const f = path.join(outDir, ARTIFACT_FILES.shots);
  return existsSync(f) ? readJsonl(f, shotRow) : [];
}

/**
 * The manifest with its damaged parts left out, and a file-named message for each: a stage record
 * that is not a record is dropped (that stage reads as not run), damaged video facts drop the whole
 * manifest. Absent: no manifest and no problems. For callers that must go on showing the episode.
 */
export function inspectManifest(outDir: string): { manifest: Manifest | null; problems: string[] } {
  const f = path.join(outDir, ARTIFACT_FILES.manifest);
  if (!existsSync(f)) return { manifest: null, problems: [] };
  let raw: unknown;
  try {
    raw = parseJson(f, '', readFileSync(f, 'utf8'));
  } catch (e) {
    return { manifest: null, problems: [(e as Error).message] };
  }
  const top = manifestTop.safeParse(raw);
  if (!top.success) return { manifest: null, problems: [damaged(f, '', `: ${describeIssue(top.error.issues)}`).message] };
  const stages: Manifest['stages'] = {};
  const problems: string[] = [];
  for (const stage of STAGES) {
    const rec = top.data.stages[stage];
    if (rec === undefined) continue;
    const r = stageRecord.safeParse(rec);
    if (r.success) stages[stage] = rec as StageRecord;
    else problems.push(damaged(f, '', `: ${describeIssue(r.error.issues, ['stages', stage])}`).message);
  }
  return { manifest: { ...(raw as Manifest), stages }, problems };
}

/** The manifest, all of it valid (a stage computing from it must not guess). */
export function readManifestFile(outDir: string): Manifest {
  requireFile(outDir, ARTIFACT_FILES.manifest, 'detect_track');
  const { manifest, problems } = inspectManifest(outDir);
  if (!manifest || problems.length) throw new StageError(problems.join('; '), EXIT.BAD_INPUT);
  return manifest;
}

/** Stride detect_track actually used (from its manifest record), else 1. */
export function detectStride(manifest: Manifest): number {
  const s = Number((manifest.stages.detect_track?.config as { stride?: unknown } | undefined)?.stride);
  return Number.isFinite(s) && s >= 1 ? s : 1;
}

export function screentimeParams(manifest: Manifest, gapToleranceS: number): ScreentimeParams {
  return {
    halfStepS: halfStep(detectStride(manifest), manifest.video.fps),
    strideFrames: detectStride(manifest),
    gapToleranceS,
    durationS: manifest.video.duration_s,
  };
}

export function readIdentities(outDir: string): IdentitiesFile {
  return readJsonFile(requireFile(outDir, ARTIFACT_FILES.identities, 'cluster'), identitiesFile);
}

/** screentime.json, or null when absent (the screentime stage has not run). */
export function readScreentime(outDir: string): ScreentimeFile | null {
  const f = path.join(outDir, ARTIFACT_FILES.screentime);
  return existsSync(f) ? readJsonFile(f, screentimeFile) : null;
}

/** edits.json, validated; an absent file is no edits. A malformed one is an error (never silently dropped). */
export function readEdits(outDir: string): EditsFile {
  const f = path.join(outDir, ARTIFACT_FILES.edits);
  if (!existsSync(f)) return { labels: [], merges: [], splits: [], ignored: [] };
  const o = readJsonFile(f, editsFile);
  // entries that say nothing (a blank label, a merge of one track) are dropped; labels are kept
  // to the length a rename accepts
  const labels = (o.labels ?? [])
    .map((l) => ({ track_ids: l.track_ids, label: l.label.trim().slice(0, 120) }))
    .filter((l) => l.label.length > 0 && l.track_ids.length > 0);
  const merges = (o.merges ?? []).filter((g) => g.length >= 2);
  const people = (o.people ?? []).filter((p) => p.track_ids.length > 0);
  // the list is written only once someone decided (files stay as they were without a library)
  return { labels, merges, splits: o.splits ?? [], ignored: o.ignored ?? [], ...(people.length ? { people } : {}) };
}
