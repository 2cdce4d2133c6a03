// The artifact contract: what each stage writes into `<episode>/screentime/`.
// Times (`ts`, `*_s`) are seconds from the FIRST DECODED VIDEO FRAME, not from the container's
// zero (streams often start later than 0). Boxes are [x1, y1, x2, y2] in source-video pixels.
// docs/artifacts.md describes every file; keep the two in step.

import type { PersonMatch } from './people.js';
import type { StageName } from './stages.js';

export const MANIFEST_SCHEMA_VERSION = 1;

export const ARTIFACT_FILES = {
  manifest: 'manifest.json',
  detections: 'detections.jsonl',
  tracks: 'tracks.jsonl',
  /** Shots between hard cuts, frame-precise (detect_track). */
  shots: 'shots.jsonl',
  /** Aligned face samples chosen while tracking (raw RGB, see docs/artifacts.md). */
  samples: 'samples.jsonl',
  samplesBin: 'samples.rgb',
  faces: 'faces.jsonl',
  embeddings: 'embeddings.f32',
  prototypes: 'prototypes.f32',
  /** One line per row of prototypes.f32: which track it is, faces used, thumbnails. */
  prototypesIndex: 'prototypes.jsonl',
  thumbs: 'thumbs',
  identities: 'identities.json',
  edits: 'edits.json',
  screentime: 'screentime.json',
  screentimeCsv: 'screentime.csv',
  lock: 'run.lock',
  /** Folder of per-stage run locks: `locks/<stage>.lock` (pipeline/runtime/lock.ts). */
  locks: 'locks',
} as const;

export interface VideoFacts {
  file: string;
  duration_s: number;
  fps: number;
  width: number;
  height: number;
  frame_count: number;
  /** Container time of the first decoded frame, seconds (all `ts` are relative to it). */
  start_time_s: number;
  codec: string;
  /** File size and modification time when probed: a cached probe is reused only while both match. */
  size_bytes?: number;
  mtime_ms?: number;
}

/** `interrupted`: the record said `running` but its process died without recording a result (SIGKILL, crash, power cut). */
export type StageStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface StageRecord {
  status: StageStatus;
  config: Record<string, unknown>;
  config_hash: string;
  /** config_hash of each earlier stage this output was computed from. */
  inputs: Partial<Record<StageName, string>>;
  started_at: string;
  finished_at: string | null;
  elapsed_s: number | null;
  pid: number | null;
  host: string | null;
  stats: Record<string, number | string | boolean | null>;
  error: string | null;
  /**
   * config_hash of the outputs now on disk (the last completed run), kept while a re-run is
   * running or after it failed: outputs are replaced only on success. Absent: nothing completed.
   */
  completed_hash?: string | null;
  /** Identity of the video the stage ran on (name, size, frame count); a different video makes it stale. */
  video_key?: string;
}

export interface Manifest {
  schema_version: number;
  video: VideoFacts;
  stages: Partial<Record<StageName, StageRecord>>;
}

export type Point = [number, number];
export type Box = [number, number, number, number];

export interface DetectionRow {
  frame_idx: number;
  ts: number;
  bbox: Box;
  conf: number;
  /** right eye, left eye, nose tip, right mouth corner, left mouth corner (as YuNet orders them) */
  landmarks: [Point, Point, Point, Point, Point];
  track_id: number;
}

export interface TrackRow {
  track_id: number;
  first_ts: number;
  last_ts: number;
  first_frame: number;
  last_frame: number;
  n_detections: number;
  /** Shot index (cut-delimited) the track belongs to. */
  shot: number;
  mean_conf: number;
  /** Boxes live in detections.jsonl under the same track_id. */
  boxes: 'detections.jsonl';
  /**
   * What the frames around the face looked like: the mean over the track's frames of a 16 x 9 grid
   * of colours, RGB bytes in base64 (pipeline/detect/frame-look.ts). Absent in older outputs.
   */
  look?: string;
}

export interface ShotRow {
  shot: number;
  start_frame: number;
  end_frame: number; // exclusive
  start_ts: number;
  end_ts: number;
}

/**
 * Side of one face sample in samples.rgb: detect_track cuts 192x192 RGB crops, faces_embed reads
 * them back by offset (`sample_idx * SAMPLE_BYTES`). Both stages and the readers of the file must
 * agree on it, so it lives here and nowhere else.
 */
export const SAMPLE_SIZE = 192;
/** Bytes of one sample in samples.rgb (RGB, 3 bytes a pixel, rows top to bottom). */
export const SAMPLE_BYTES = SAMPLE_SIZE * SAMPLE_SIZE * 3;

/** One line of samples.jsonl (detect_track); the pixels are row `sample_idx` of samples.rgb. */
export interface SampleRow {
  sample_idx: number;
  track_id: number;
  frame_idx: number;
  ts: number;
  quality: number;
  conf: number;
  /** Longer side of the face box, source pixels. */
  face_px: number;
  /** Face box, source pixels. */
  bbox: Box;
  /** The 5 landmarks in sample pixels (0..SAMPLE_SIZE). */
  landmarks: Point[];
  /** The square the sample was cut from, source pixels (may reach outside the frame). */
  crop_box: Box;
}

export interface FaceRow {
  face_id: number;
  track_id: number;
  frame_idx: number;
  ts: number;
  quality: number;
  /** How much the face counted in its track's prototype (pose x size x confidence, 0..1). */
  weight?: number;
  /** Row in embeddings.f32. */
  embedding_row: number;
  thumb: string;
}

/** One line of prototypes.jsonl (faces_embed): row `row` of prototypes.f32 is this track's mean embedding. */
export interface PrototypeRow {
  row: number;
  track_id: number;
  /** Faces whose embeddings were averaged. */
  n_faces: number;
  /** Quality of the best of them (the one in `thumb`). */
  best_quality: number;
  /** Relative path of the track's thumbnail under the artifact folder. */
  thumb: string | null;
  /** More thumbnails of this track (relative paths), best first. */
  sample_thumbs: string[];
  /**
   * No face of the track passed the quality gates (profile, cut off by the frame edge, blurred,
   * tiny): the track never causes a merge; cluster attaches it to a person only when it is clearly
   * theirs, else it is "unsure". Absent in older outputs (= false).
   */
  weak?: boolean;
  /** Mean weight (0..1) of the faces averaged into the prototype: pose x size x confidence. */
  quality?: number;
}

export interface IdentityRow {
  identity_id: number;
  label: string | null;
  track_ids: number[];
  n_faces: number;
  /** Mean similarity of the identity's track prototypes to its centroid, 0..1. */
  cohesion: number;
  /** Relative path under the artifact folder. */
  thumb: string | null;
  /** A few more faces for the review strip (relative paths). */
  sample_thumbs: string[];
  /** Marked "not a person" / ignored by the user: excluded from screen time. */
  ignored: boolean;
  /** Cohesion below the review threshold: the identity may mix people (worth a look). */
  low_cohesion?: boolean;
  /**
   * Naming from the people library (cluster with --people; absent otherwise): the person linked
   * (named automatically, suggested, or confirmed by the user), their name, how, and the distance
   * of the identity's prototype to the person's reference faces. A suggestion leaves `label` null.
   */
  person_id?: string | null;
  person_name?: string | null;
  match?: PersonMatch;
  distance?: number | null;
}

/** A weak track cluster could not give to anyone with confidence: the user decides. */
export interface UnsureTrack {
  track_id: number;
  thumb: string | null;
  /** The identity it is closest to (a suggestion only), or null when none is within reach. */
  nearest_identity: number | null;
  /** Average distance to that identity's tracks. */
  distance: number | null;
}

export interface IdentitiesFile {
  identities: IdentityRow[];
  /**
   * Tracks that belong to nobody until the user assigns them (they count for no one's screen
   * time). Absent in older outputs (= none).
   */
  unsure?: UnsureTrack[];
}

/** User edits kept across re-runs; applied by `cluster` and whenever the user edits. */
export interface EditsFile {
  /** label by track id (a label follows its tracks when clustering changes). */
  labels: Array<{ track_ids: number[]; label: string }>;
  /** groups of track ids the user merged into one identity. */
  merges: number[][];
  /** tracks the user split out into identities of their own. */
  splits: number[];
  /** track ids of identities marked "not a person". */
  ignored: number[];
  /**
   * People-library decisions: a person confirmed for (or rejected for) the identity holding most
   * of these tracks. Absent in older files (= none).
   */
  people?: Array<{ track_ids: number[]; person_id: string; decision: 'confirmed' | 'rejected' }>;
}

export interface ScreentimeIdentity {
  identity_id: number;
  label: string | null;
  visible_s: number;
  segments: Array<[number, number]>;
  n_tracks: number;
  /** From the identity, when cluster ran with a people library (see IdentityRow). */
  person_id?: string | null;
  match?: PersonMatch;
  distance?: number | null;
}

export interface ScreentimeFile {
  duration_s: number;
  gap_tolerance_s: number;
  identities: ScreentimeIdentity[];
}
