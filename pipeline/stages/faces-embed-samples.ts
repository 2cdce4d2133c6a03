// faces_embed's input: detect_track's samples.jsonl, tracks.jsonl and samples.rgb. samples.rgb can
// be gigabytes for a long episode: it is read one sample at a time by offset, never whole.

import { open, type FileHandle } from 'node:fs/promises';
import { ARTIFACT_FILES, SAMPLE_BYTES, SAMPLE_SIZE, type Point, type SampleRow, type TrackRow } from '../../shared/artifacts.js';
import { EXIT } from '../../shared/stages.js';
import { readJsonl, requireFile } from '../cluster/io.js';
import { alignFace } from '../embed/align.js';
import { StageError } from '../runtime/stage.js';

/** One track's samples, in samples.jsonl order. */
export interface TrackSamples {
  trackId: number;
  rows: SampleRow[];
}

/** Samples grouped by track, tracks in the order of tracks.jsonl; tracks without samples are left out. */
export function samplesByTrack(samples: readonly SampleRow[], tracks: readonly Pick<TrackRow, 'track_id'>[]): TrackSamples[] {
  const byTrack = new Map<number, SampleRow[]>();
  for (const s of samples) {
    let l = byTrack.get(s.track_id);
    if (!l) byTrack.set(s.track_id, (l = []));
    l.push(s);
  }
  return tracks.filter((t) => byTrack.has(t.track_id)).map((t) => ({ trackId: t.track_id, rows: byTrack.get(t.track_id)! }));
}

/** samples.rgb, open for reading single samples. */
export class SampleFile {
  private readonly buf = Buffer.alloc(SAMPLE_BYTES);

  private constructor(private readonly file: FileHandle) {}

  /** Opens the file and checks it holds `count` samples (a short file is bad input, not a crash later). */
  static async open(binPath: string, count: number): Promise<SampleFile> {
    const file = await open(binPath, 'r');
    const size = (await file.stat()).size;
    if (size < count * SAMPLE_BYTES) {
      await file.close();
      throw new StageError(`samples.rgb has ${size} bytes, samples.jsonl lists ${count} samples of ${SAMPLE_BYTES}`, EXIT.BAD_INPUT);
    }
    return new SampleFile(file);
  }

  /** The sample's face aligned to the embedder's chip (dlib's 150x150) by its 5 landmarks. */
  async alignedChip(s: SampleRow): Promise<Uint8Array> {
    const { bytesRead } = await this.file.read(this.buf, 0, SAMPLE_BYTES, s.sample_idx * SAMPLE_BYTES);
    if (bytesRead !== SAMPLE_BYTES) throw new StageError(`samples.rgb ends before sample ${s.sample_idx}`, EXIT.BAD_INPUT);
    return alignFace(this.buf, SAMPLE_SIZE, SAMPLE_SIZE, s.landmarks as Point[]).chip;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

export interface SampleInput {
  samples: SampleRow[];
  tracks: TrackSamples[];
  file: SampleFile;
}

/** Reads detect_track's outputs in `outDir` (each missing file is a "run detect_track first" error). */
export async function openSampleInput(outDir: string): Promise<SampleInput> {
  const samples = readJsonl<SampleRow>(requireFile(outDir, ARTIFACT_FILES.samples, 'detect_track'));
  const tracks = readJsonl<TrackRow>(requireFile(outDir, ARTIFACT_FILES.tracks, 'detect_track'));
  const file = await SampleFile.open(requireFile(outDir, ARTIFACT_FILES.samplesBin, 'detect_track'), samples.length);
  return { samples, tracks: samplesByTrack(samples, tracks), file };
}
