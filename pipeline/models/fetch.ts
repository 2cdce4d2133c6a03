// `screentime models fetch`: downloads the pinned models into the user cache, checks the sha256,
// and only then moves each into place (temp file + rename), so a half-download is never loaded.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { MODELS, type ModelSpec, sha256File, userCacheDir } from './registry.js';

export interface FetchOptions {
  dir?: string;
  /** Fetch from `<mirror>/<file>` instead of the pinned URL (a company mirror); the sha256 still applies. */
  mirror?: string | undefined;
  files?: string[];
  force?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface FetchResult {
  file: string;
  path: string;
  action: 'present' | 'downloaded';
}

export function sourceUrl(spec: ModelSpec, mirror?: string): string {
  return mirror ? `${mirror.replace(/\/+$/, '')}/${spec.file}` : spec.url;
}

export async function fetchModels(o: FetchOptions = {}): Promise<FetchResult[]> {
  const dir = o.dir ?? userCacheDir();
  const log = o.log ?? (() => {});
  const specs = o.files ? o.files.map((f) => {
    const s = MODELS.find((m) => m.file === f);
    if (!s) throw new StageError(`unknown model ${f}`, EXIT.USAGE);
    return s;
  }) : [...MODELS];
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new StageError(`cannot create ${dir} (${(e as NodeJS.ErrnoException).code})`, EXIT.OUTPUT);
  }
  const out: FetchResult[] = [];
  for (const spec of specs) {
    const dest = path.join(dir, spec.file);
    if (!o.force && existsSync(dest) && (await sha256File(dest)) === spec.sha256) {
      log(`${spec.file}: present and verified`);
      out.push({ file: spec.file, path: dest, action: 'present' });
      continue;
    }
    const url = sourceUrl(spec, o.mirror);
    log(`${spec.file}: downloading ${url}`);
    let res: Response;
    try {
      // A stalled connection must not hang the command: 120 s per model (they are < 1 MB).
      const timeout = AbortSignal.timeout(120_000);
      res = await fetch(url, { signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout, redirect: 'follow' });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new StageError(`cannot download ${spec.file} from ${url} (${cause})`, EXIT.MODEL);
    }
    if (!res.ok) throw new StageError(`cannot download ${spec.file} from ${url} (HTTP ${res.status})`, EXIT.MODEL);
    const buf = Buffer.from(await res.arrayBuffer());
    const actual = createHash('sha256').update(buf).digest('hex');
    if (actual !== spec.sha256) {
      throw new StageError(`downloaded ${spec.file} has sha256 ${actual}, expected ${spec.sha256}; not installed`, EXIT.MODEL);
    }
    const tmp = `${dest}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, buf);
      renameSync(tmp, dest);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new StageError(`cannot write ${dest} (${(e as NodeJS.ErrnoException).code})`, EXIT.OUTPUT);
    }
    log(`${spec.file}: verified and saved to ${dest}`);
    out.push({ file: spec.file, path: dest, action: 'downloaded' });
  }
  return out;
}
