// The people library: named people with reference faces, kept across episodes (one library per
// user, optionally one per show). pipeline/people/ reads and writes it; docs/people.md describes
// the folder and the export file.

import type { Box } from './artifacts.js';

/** Version of people.json and of export files. Older versions are migrated on read. */
export const PEOPLE_SCHEMA_VERSION = 2;

/** What an export file says it is. */
export const PEOPLE_EXPORT_FORMAT = 'screentime-people';

/** Where a reference face came from. */
export type FaceSource =
  | { kind: 'photo'; file: string; box: Box }
  | { kind: 'episode'; episode: string; track_id: number; frame_idx: number; ts: number };

export interface ReferenceFace {
  face_id: string;
  /** Aligned 112x112 JPEG chip, relative to the library folder (`chips/<face_id>.jpg`). */
  chip: string;
  /** Unit embedding, little-endian float32, base64. */
  embedding: string;
  source: FaceSource;
  added_at: string;
}

export interface Person {
  person_id: string;
  name: string;
  /** The show this person belongs to, or null (any show). */
  show: string | null;
  /** A locked person's name and faces do not change until unlocked. */
  locked: boolean;
  /** The user agreed that names accepted in episodes add faces to this person. */
  learn: boolean;
  faces: ReferenceFace[];
  created_at: string;
  updated_at: string;
}

export interface PeopleLibraryFile {
  schema_version: number;
  /** Raised by one on every write: a reader can tell that the library changed. */
  revision: number;
  people: Person[];
}

/** A person as the window lists them (no embeddings). */
export interface PersonSummary {
  person_id: string;
  name: string;
  show: string | null;
  locked: boolean;
  learn: boolean;
  faces: Array<{ face_id: string; chip: string; source: FaceSource }>;
}

/** How an identity got its name from the library. */
export type PersonMatch = 'auto' | 'suggested' | 'confirmed' | 'none';
