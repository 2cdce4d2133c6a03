// Reading the artifacts the later stages and review edits work from.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type EditsFile, type IdentitiesFile, type Manifest, type PrototypeRow, type ShotRow, type TrackRow } from '../../shared/artifacts.js';
import { EXIT } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { halfStep, type ScreentimeParams } from '../screentime/compute.js';
import type { Prototypes } from './identities.js';

export function readJsonl<T>(file: string): T[] {
  const text = readFileSync(file, 'utf8');
  const out: T[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      throw new StageError(`${path.basename(file)} line ${lineNo} is not valid JSON`, EXIT.BAD_INPUT);
    }
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
  const rows = readJsonl<PrototypeRow>(requireFile(outDir, ARTIFACT_FILES.prototypesIndex, 'faces_embed'));
  const f32 = requireFile(outDir, ARTIFACT_FILES.prototypes, 'faces_embed');
  const bytes = statSync(f32).size;
  const dim = rows.length ? bytes / 4 / rows.length : EMBEDDING_DIM;
  if (!Number.isInteger(dim) || dim < 1) throw new StageError(`prototypes.f32 has ${bytes} bytes, not a whole number of float32 rows for ${rows.length} tracks`, EXIT.BAD_INPUT);
  const vectors = readF32(f32, rows.length, dim);
  const byTrack = new Map<number, PrototypeRow>();
  rows.forEach((r, i) => {
    if (r.row !== i) throw new StageError(`prototypes.jsonl line ${i + 1} says row ${r.row}`, EXIT.BAD_INPUT);
    byTrack.set(r.track_id, r);
  });
  return { vectors, dim, byTrack };
}

export function readTracks(outDir: string): TrackRow[] {
  return readJsonl<TrackRow>(requireFile(outDir, ARTIFACT_FILES.tracks, 'detect_track'));
}

/** shots.jsonl, or [] when absent (older outputs): screen time then clips to the video only. */
export function readShots(outDir: string): ShotRow[] {
  const f = path.join(outDir, ARTIFACT_FILES.shots);
  return existsSync(f) ? readJsonl<ShotRow>(f) : [];
}

export function readManifestFile(outDir: string): Manifest {
  const f = requireFile(outDir, ARTIFACT_FILES.manifest, 'detect_track');
  return JSON.parse(readFileSync(f, 'utf8')) as Manifest;
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
  const v = JSON.parse(readFileSync(requireFile(outDir, ARTIFACT_FILES.identities, 'cluster'), 'utf8')) as IdentitiesFile;
  if (!v || !Array.isArray(v.identities)) throw new StageError('identities.json has no identities list', EXIT.BAD_INPUT);
  return v;
}

const intList = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x) && x >= 0) : []);

/** edits.json, validated; an absent file is no edits. A malformed one is an error (never silently dropped). */
export function readEdits(outDir: string): EditsFile {
  const f = path.join(outDir, ARTIFACT_FILES.edits);
  if (!existsSync(f)) return { labels: [], merges: [], splits: [], ignored: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    throw new StageError(`${f} is not valid JSON`, EXIT.BAD_INPUT);
  }
  const o = (raw ?? {}) as Record<string, unknown>;
  const labels = Array.isArray(o.labels)
    ? o.labels
        .map((l) => l as { track_ids?: unknown; label?: unknown })
        .filter((l) => typeof l.label === 'string' && l.label.trim().length > 0)
        .map((l) => ({ track_ids: intList(l.track_ids), label: String(l.label).trim().slice(0, 120) }))
        .filter((l) => l.track_ids.length > 0)
    : [];
  const merges = Array.isArray(o.merges) ? o.merges.map(intList).filter((g) => g.length >= 2) : [];
  return { labels, merges, splits: intList(o.splits), ignored: intList(o.ignored) };
}
