// The models the pipeline may load: pinned source, sha256, and where to look for them.
// A model is only ever loaded after its sha256 matched the pinned value.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../../shared/stages.js';
import type { StageName } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { DLIB_MANIFEST_SHA256, DLIB_WEIGHTS_SHA256 } from '../embed/dlib-embedder.js';

export interface ModelSpec {
  file: string;
  description: string;
  url: string;
  sha256: string;
  bytes: number;
  licence: string;
}

const YUNET_COMMIT = '0047ac24afb1a50a0c6105001c89d1b5b805dbf1';
const YUNET_BASE = `https://raw.githubusercontent.com/ShiqiYu/libfacedetection.train/${YUNET_COMMIT}/onnx/`;

export const MODELS: readonly ModelSpec[] = [
  {
    file: 'yunet_n_dynamic.onnx',
    description: 'YuNet face detector (n), dynamic input size',
    url: `${YUNET_BASE}yunet_n_dynamic.onnx`,
    sha256: '104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12',
    bytes: 322906,
    licence: 'Apache-2.0',
  },
  {
    file: 'yunet_s_dynamic.onnx',
    description: 'YuNet face detector (s), dynamic input size',
    url: `${YUNET_BASE}yunet_s_dynamic.onnx`,
    sha256: 'daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3',
    bytes: 237823,
    licence: 'Apache-2.0',
  },
];

/** Model files each stage needs before it starts (checked by the runtime, so a stage fails fast). */
export const STAGE_MODELS: Record<StageName, readonly string[]> = {
  detect_track: ['yunet_n_dynamic.onnx'],
  faces_embed: [],
  cluster: [],
  screentime: [],
};

/**
 * Models that ship inside an npm package instead of the models folder (never resolved or fetched
 * here; their own loader checks the digest), by stage. Their sha256s join STAGE_MODELS' in the
 * stage's config hash, so outputs made with other weights count as out of date.
 */
export const STAGE_BUNDLED_MODELS: Record<StageName, Readonly<Record<string, string>>> = {
  detect_track: {},
  faces_embed: {
    'face_recognition_model.bin': DLIB_WEIGHTS_SHA256,
    'face_recognition_model-weights_manifest.json': DLIB_MANIFEST_SHA256,
  },
  cluster: {},
  screentime: {},
};

/** The model digests that enter a stage's config hash: its models-folder files and its bundled ones. */
export function stageModelHashes(stage: StageName): Record<string, string> {
  return { ...Object.fromEntries(STAGE_MODELS[stage].map((f) => [f, modelSpec(f).sha256])), ...STAGE_BUNDLED_MODELS[stage] };
}

export function modelSpec(file: string): ModelSpec {
  const m = MODELS.find((x) => x.file === file);
  if (!m) throw new StageError(`unknown model ${file} (known: ${MODELS.map((x) => x.file).join(', ')})`, EXIT.MODEL);
  return m;
}

/** Per-user cache folder for downloaded models. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'screentime', 'models');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'screentime', 'models');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'screentime', 'models');
}

export interface SearchOptions {
  /** --models DIR */
  modelsDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Electron's process.resourcesPath in a packaged app. */
  resourcesPath?: string | undefined;
  platform?: NodeJS.Platform;
  home?: string;
}

/** Folders searched for a model, first match wins: --models, SCREENTIME_MODELS_DIR, packaged resources, user cache. */
export function modelSearchDirs(o: SearchOptions = {}): string[] {
  const env = o.env ?? process.env;
  const res = o.resourcesPath ?? (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  const dirs: string[] = [];
  if (o.modelsDir) dirs.push(path.resolve(o.modelsDir));
  if (env.SCREENTIME_MODELS_DIR) dirs.push(path.resolve(env.SCREENTIME_MODELS_DIR));
  if (res) dirs.push(path.join(res, 'models'));
  dirs.push(userCacheDir(env, o.platform ?? process.platform, o.home ?? os.homedir()));
  return [...new Set(dirs)];
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

// A file already checked in this process is not hashed again while its size and mtime hold.
const verified = new Map<string, string>();

export async function verifyModelFile(file: string, spec: ModelSpec): Promise<void> {
  const st = statSync(file);
  const key = `${st.size}:${st.mtimeMs}`;
  if (verified.get(file) === key) return;
  const actual = await sha256File(file);
  if (actual !== spec.sha256) {
    throw new StageError(
      `model ${file} is corrupt: sha256 ${actual}, expected ${spec.sha256}; delete it and run "screentime models fetch"`,
      EXIT.MODEL,
    );
  }
  verified.set(file, key);
}

export function missingModelMessage(file: string, dirs: string[]): string {
  return `model ${file} not found (looked in ${dirs.join(', ')}); run "screentime models fetch" or pass --models DIR`;
}

/**
 * Finds a model in the search folders and checks its sha256. The first folder that HAS the file
 * decides: a corrupt copy is an error, not a reason to fall through to another copy, so the user
 * learns that the file they pointed at is bad.
 */
export async function resolveModel(file: string, o: SearchOptions = {}): Promise<string> {
  const spec = modelSpec(file);
  const { path: found, dirs } = locateModel(file, o);
  if (!found) throw new ModelNotFoundError(file, missingModelMessage(file, dirs));
  await verifyModelFile(found, spec);
  return found;
}

/**
 * The copy of a model a stage would load, without checking it: the file in the first search
 * folder that has it (null when none does), and every folder searched. The setup check reports
 * from this too, so it describes exactly the file a stage would pick.
 */
export function locateModel(file: string, o: SearchOptions = {}): { path: string | null; dirs: string[] } {
  const dirs = modelSearchDirs(o);
  const dir = dirs.find((d) => existsSync(path.join(d, file)));
  return { path: dir ? path.join(dir, file) : null, dirs };
}

/** A model that is in none of the search folders (as opposed to one that is there but corrupt). */
export class ModelNotFoundError extends StageError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message, EXIT.MODEL);
    this.name = 'ModelNotFoundError';
  }
}

/**
 * Resolves a set of models that must live in one folder (StageConfig.modelsDir is one folder):
 * returns that folder. With no models needed, returns the first search folder that exists.
 */
export async function resolveModelsDir(files: readonly string[], o: SearchOptions = {}): Promise<string> {
  const dirs = modelSearchDirs(o);
  if (files.length === 0) return dirs.find((d) => existsSync(d)) ?? dirs[0]!;
  const paths = [];
  for (const f of files) paths.push(await resolveModel(f, o));
  const folder = path.dirname(paths[0]!);
  const elsewhere = paths.find((p) => path.dirname(p) !== folder);
  if (elsewhere) {
    throw new StageError(`models must be in one folder: ${paths[0]} and ${elsewhere}; pass --models DIR`, EXIT.MODEL);
  }
  return folder;
}
