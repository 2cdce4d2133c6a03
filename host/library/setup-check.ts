// The setup check behind `app:check`: which ffmpeg and ffprobe a stage would run and whether they
// start, and every model a stage loads: where it is looked for, whether it is there and matches its
// pinned sha256. It resolves with the environment the stages get, so it describes what they will
// find. It never downloads anything and never throws: each failure is a row that says what to do.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { ModelCheck, SetupCheck, ToolCheck } from '../../shared/ipc.js';
import { STAGES, type StageName } from '../../shared/stages.js';
import { faceApiModelDir } from '../../pipeline/embed/dlib-embedder.js';
import { mayDownload } from '../../pipeline/models/ensure.js';
import { STAGE_BUNDLED_MODELS, STAGE_MODELS, locateModel, modelSpec, sha256File, userCacheDir } from '../../pipeline/models/registry.js';
import { isExecutable, locateTool, thisMachine, type Tool } from '../../pipeline/video/ffmpeg-path.js';

export interface SetupCheckOptions {
  /** The environment the stages run with: process.env plus the runner's extra variables. */
  env?: NodeJS.ProcessEnv;
  /** A packaged app's resources folder (default: process.resourcesPath, as the stages see it). */
  resourcesPath?: string;
  /** The folder of the models that ship inside the app (default: face-api's model folder). */
  bundledModelDir?: () => string;
  /** How long `<tool> -version` may take, ms. */
  versionTimeoutMs?: number;
}

const VERSION_TIMEOUT_MS = 5000;
const TOOLS: readonly Tool[] = ['ffmpeg', 'ffprobe'];
const ENV_VAR: Record<Tool, string> = { ffmpeg: 'SCREENTIME_FFMPEG', ffprobe: 'SCREENTIME_FFPROBE' };
const REINSTALL = 'It ships with the app: reinstall Screentime (in a checkout: npm ci).';

export async function checkSetup(o: SetupCheckOptions = {}): Promise<SetupCheck> {
  const env = o.env ?? process.env;
  const tools = await Promise.all(TOOLS.map((t) => checkTool(t, env, o.versionTimeoutMs ?? VERSION_TIMEOUT_MS)));
  const models = await Promise.all(neededModels().map((n) => checkModel(n, env, o)));
  return { ok: [...tools, ...models].every((r) => r.state === 'ok'), tools, models };
}

// ---------- ffmpeg / ffprobe ----------

/** A bare command name as the system would find it on PATH; null when it is not there. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  for (const d of dirs) {
    const file = path.join(d, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

/** The file the system would start for `file`: itself when it names a path, else the PATH match. */
function fileToRun(file: string, env: NodeJS.ProcessEnv): string | null {
  if (path.isAbsolute(file)) return file;
  if (file.includes('/') || file.includes(path.sep)) return path.resolve(file);
  return findOnPath(file, env);
}

async function checkTool(tool: Tool, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ToolCheck> {
  const { file, source } = locateTool(tool, { ...thisMachine(), env });
  const found = fileToRun(file, env);
  if (!found) return missingTool(tool, source, file);
  const run = await versionLine(found, timeoutMs);
  if ('version' in run) return { tool, source, path: found, version: run.version, state: 'ok', problem: null, fix: null };
  if (run.notFound) return missingTool(tool, source, found);
  return { tool, source, path: found, version: null, state: 'failed', problem: `${found} -version failed: ${run.error}`, fix: toolFix(tool, source) };
}

function missingTool(tool: Tool, source: ToolCheck['source'], file: string): ToolCheck {
  const base = { tool, path: null, version: null, state: 'missing' as const };
  if (source === 'env') {
    return { ...base, source, problem: `${ENV_VAR[tool]} names ${file}, which cannot be found.`, fix: `Correct ${ENV_VAR[tool]}, or unset it to use the ${tool} shipped with the app.` };
  }
  return {
    ...base,
    source: 'missing',
    problem: `No ${tool}: no build shipped with the app runs on this computer, and there is none on PATH.`,
    fix: `Install ${tool} so that it is on PATH, or set ${ENV_VAR[tool]} to the full path of a ${tool} binary.`,
  };
}

function toolFix(tool: Tool, source: ToolCheck['source']): string {
  if (source === 'env') return `Point ${ENV_VAR[tool]} at a working ${tool}, or unset it to use the one shipped with the app.`;
  if (source === 'bundled') return `Reinstall Screentime (in a checkout: npm ci), or set ${ENV_VAR[tool]} to a working ${tool}.`;
  return `Repair the ${tool} on PATH, or set ${ENV_VAR[tool]} to a working ${tool}.`;
}

type VersionRun = { version: string } | { error: string; notFound: boolean };

/** First line of `<file> -version`; a tool that hangs, crashes or cannot start is a reason, not a throw. */
export async function versionLine(file: string, timeoutMs = VERSION_TIMEOUT_MS): Promise<VersionRun> {
  try {
    const r = await execa(file, ['-version'], { reject: false, timeout: timeoutMs, stdin: 'ignore' });
    const code = (r as { code?: string }).code;
    if (code === 'ENOENT') return { error: 'not found', notFound: true };
    if (r.timedOut) return { error: `no answer within ${timeoutMs / 1000} s`, notFound: false };
    if (r.failed) return { error: failureReason(r), notFound: false };
    const first = firstLine(String(r.stdout));
    return first ? { version: first } : { error: 'it printed no version', notFound: false };
  } catch (e) {
    return { error: firstLine((e as Error).message) || 'it could not be started', notFound: false };
  }
}

function failureReason(r: { exitCode?: number | undefined; stderr?: unknown; shortMessage?: string | undefined; signal?: string | undefined }): string {
  const said = firstLine(String(r.stderr ?? ''));
  if (r.exitCode !== undefined) return `exit code ${r.exitCode}${said ? ` (${said})` : ''}`;
  if (r.signal) return `killed by ${r.signal}`;
  return firstLine(r.shortMessage ?? '') || 'it could not be started';
}

function firstLine(text: string): string {
  return text.split(/\r?\n/).map((l) => l.trim()).find(Boolean) ?? '';
}

// ---------- models ----------

interface NeededModel {
  file: string;
  stage: StageName;
  kind: ModelCheck['kind'];
  sha256: string;
  description: string;
  bytes: number | null;
}

const BUNDLED_DESCRIPTION: Record<string, string> = {
  'face_recognition_model.bin': 'dlib face embedder (ResNet) weights',
  'face_recognition_model-weights_manifest.json': 'dlib face embedder weights manifest',
};

/** Every model a stage loads, in stage order: models-folder files, then those the app carries. */
export function neededModels(): NeededModel[] {
  return STAGES.flatMap((stage) => [
    ...STAGE_MODELS[stage].map((file) => {
      const spec = modelSpec(file);
      return { file, stage, kind: 'folder' as const, sha256: spec.sha256, description: spec.description, bytes: spec.bytes };
    }),
    ...Object.entries(STAGE_BUNDLED_MODELS[stage]).map(([file, sha256]) => ({
      file,
      stage,
      kind: 'bundled' as const,
      sha256,
      description: BUNDLED_DESCRIPTION[file] ?? 'model shipped with the app',
      bytes: null,
    })),
  ]);
}

function checkModel(n: NeededModel, env: NodeJS.ProcessEnv, o: SetupCheckOptions): Promise<ModelCheck> {
  return n.kind === 'folder' ? checkFolderModel(n, env, o.resourcesPath) : checkBundledModel(n, o.bundledModelDir ?? faceApiModelDir);
}

type Digest = { match: true } | { match: false; actual: string } | { unreadable: string };

async function digestOf(file: string, pinned: string): Promise<Digest> {
  try {
    const actual = await sha256File(file);
    return actual === pinned ? { match: true } : { match: false, actual };
  } catch (e) {
    return { unreadable: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

function baseRow(n: NeededModel, lookedIn: string[]) {
  return { file: n.file, description: n.description, stage: n.stage, kind: n.kind, lookedIn, downloadsOnFirstUse: false, downloadDir: null };
}

/** A model that is there: OK, wrong checksum or unreadable, with `fix` for the last two. */
async function foundRow(n: NeededModel, lookedIn: string[], file: string, fix: string): Promise<ModelCheck> {
  const base = { ...baseRow(n, lookedIn), path: file, present: true };
  const d = await digestOf(file, n.sha256);
  if ('unreadable' in d) return { ...base, verified: false, state: 'failed', problem: `${file} cannot be read (${d.unreadable}).`, fix };
  if (!d.match) return { ...base, verified: false, state: 'wrong_checksum', problem: `Its sha256 is ${d.actual}, not the pinned ${n.sha256}.`, fix };
  return { ...base, verified: true, state: 'ok', problem: null, fix: null };
}

async function checkFolderModel(n: NeededModel, env: NodeJS.ProcessEnv, resourcesPath: string | undefined): Promise<ModelCheck> {
  const { path: found, dirs } = locateModel(n.file, { env, resourcesPath });
  if (found) {
    const dir = path.dirname(found);
    return foundRow(n, dirs, found, `Delete ${found}, then run "screentime models fetch --dir ${dir}" to put the pinned file there.`);
  }
  return absentFolderModel(n, env, dirs);
}

/** Absent from every folder: the first run downloads it unless the user pointed at a folder or is offline. */
function absentFolderModel(n: NeededModel, env: NodeJS.ProcessEnv, dirs: string[]): ModelCheck {
  const base = { ...baseRow(n, dirs), path: null, present: false, verified: false };
  if (mayDownload({ env })) {
    const into = userCacheDir(env);
    const size = n.bytes ? ` (${Math.round(n.bytes / 1024)} KB)` : '';
    return {
      ...base,
      downloadsOnFirstUse: true,
      downloadDir: into,
      state: 'will_download',
      problem: `Not on this computer yet: the first run downloads it${size} from its pinned source into ${into} and checks its sha256.`,
      fix: `Nothing to do on a computer that is online. Offline: copy ${n.file} into ${into}, or run "screentime models fetch" where there is a network.`,
    };
  }
  return {
    ...base,
    state: 'missing',
    problem: `Not found (looked in ${dirs.join(', ')}).`,
    fix: `Run "screentime models fetch --dir ${dirs[0]}" (it downloads the pinned file and checks its sha256), or copy ${n.file} into ${dirs[0]}.`,
  };
}

async function checkBundledModel(n: NeededModel, dirOf: () => string): Promise<ModelCheck> {
  let dir: string;
  try {
    dir = dirOf();
  } catch {
    return { ...baseRow(n, []), path: null, present: false, verified: false, state: 'missing', problem: 'The package that carries it is not installed.', fix: REINSTALL };
  }
  const file = path.join(dir, n.file);
  if (!existsSync(file)) {
    return { ...baseRow(n, [dir]), path: null, present: false, verified: false, state: 'missing', problem: `${file} is missing.`, fix: REINSTALL };
  }
  return foundRow(n, [dir], file, REINSTALL);
}
