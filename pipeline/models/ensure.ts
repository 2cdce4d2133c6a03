// First use on a user's machine: a stage that needs a model nobody has put anywhere downloads it
// once from its pinned source into the user cache (checked by sha256 before it is moved into
// place), then works offline. Only when the user did not point at a folder themselves: a model
// missing from `--models DIR` or SCREENTIME_MODELS_DIR is their mistake to hear about, not a
// reason to reach the network. SCREENTIME_OFFLINE=1 turns the download off.

import { fetchModels } from './fetch.js';
import { ModelNotFoundError, resolveModelsDir, userCacheDir, type SearchOptions } from './registry.js';

export interface EnsureOptions extends SearchOptions {
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** True when a missing model may be downloaded into the user cache (a pure policy, tested). */
export function mayDownload(o: { modelsDir?: string | undefined; env: NodeJS.ProcessEnv }): boolean {
  return !o.modelsDir && !o.env.SCREENTIME_MODELS_DIR && o.env.SCREENTIME_OFFLINE !== '1';
}

export async function ensureModelsDir(files: readonly string[], o: EnsureOptions = {}): Promise<string> {
  try {
    return await resolveModelsDir(files, o);
  } catch (e) {
    const env = o.env ?? process.env;
    if (!(e instanceof ModelNotFoundError) || !mayDownload({ modelsDir: o.modelsDir, env })) throw e;
    o.log?.(`${e.file} is not on this computer yet: downloading it once from its pinned source`);
    // SCREENTIME_MODELS_MIRROR: a company mirror of the pinned files (the sha256 still applies).
    await fetchModels({ dir: userCacheDir(env), files: [...files], mirror: env.SCREENTIME_MODELS_MIRROR, log: o.log, signal: o.signal });
    return resolveModelsDir(files, o);
  }
}
