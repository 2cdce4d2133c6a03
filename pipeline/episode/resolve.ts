// Turns what the user typed (an episode folder or a video file) into the episode folder, its
// video and the artifact folder, with one-line errors a user can act on.

import { mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_DIR_NAME, EXIT, VIDEO_EXTENSIONS } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';

export interface ResolvedEpisode {
  episodeDir: string;
  videoPath: string;
  outDir: string;
}

export function isVideoName(name: string): boolean {
  // Dot files are never episodes: macOS leaves "._name.mp4" resource forks beside real videos.
  if (name.startsWith('.')) return false;
  const ext = path.extname(name).toLowerCase();
  return (VIDEO_EXTENSIONS as readonly string[]).includes(ext);
}

export type PickResult = { ok: true; video: string } | { ok: false; reason: 'none' | 'several'; candidates: string[] };

/**
 * Chooses the episode's video among a folder's file names. Exactly one video is accepted: with
 * two or more we refuse rather than guess, because analysing the wrong cut of an episode wastes
 * hours; the user names the file instead.
 */
export function pickVideo(fileNames: string[]): PickResult {
  const videos = fileNames.filter(isVideoName).sort((a, b) => a.localeCompare(b));
  if (videos.length === 1) return { ok: true, video: videos[0]! };
  return { ok: false, reason: videos.length === 0 ? 'none' : 'several', candidates: videos };
}

export function pickError(dir: string, r: Extract<PickResult, { ok: false }>): string {
  if (r.reason === 'none') return `no video in ${dir} (looked for ${VIDEO_EXTENSIONS.join(' ')})`;
  return `${r.candidates.length} videos in ${dir}: ${r.candidates.join(', ')}; pass the video file itself instead of the folder`;
}

/** Checks that `dir` can be created and written, with a real write (root ignores mode bits). */
export function ensureWritableDir(dir: string, hint: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'read-only or no permission' : code;
    throw new StageError(`cannot write the artifact folder ${dir} (${why})${hint}`, EXIT.OUTPUT);
  }
}

/** Resolves an episode path. `out` overrides `<episode>/screentime`. Checks the output is writable. */
export function resolveEpisode(input: string, opts: { out?: string | undefined; checkWritable?: boolean } = {}): ResolvedEpisode {
  if (!input) throw new StageError('no episode given', EXIT.USAGE);
  const abs = path.resolve(input);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new StageError(`episode not found: ${abs}`, EXIT.BAD_INPUT);
  }
  let episodeDir: string;
  let videoPath: string;
  if (st.isDirectory()) {
    episodeDir = abs;
    let names: string[];
    try {
      names = readdirSync(abs, { withFileTypes: true }).filter((d) => d.isFile() || d.isSymbolicLink()).map((d) => d.name);
    } catch (e) {
      throw new StageError(`cannot read the folder ${abs} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, EXIT.BAD_INPUT);
    }
    const r = pickVideo(names);
    if (!r.ok) throw new StageError(pickError(abs, r), EXIT.BAD_INPUT);
    videoPath = path.join(abs, r.video);
  } else if (st.isFile()) {
    if (!isVideoName(path.basename(abs))) {
      throw new StageError(`not a video file: ${abs} (expected ${VIDEO_EXTENSIONS.join(' ')})`, EXIT.BAD_INPUT);
    }
    episodeDir = path.dirname(abs);
    videoPath = abs;
  } else {
    throw new StageError(`not a folder or video file: ${abs}`, EXIT.BAD_INPUT);
  }
  const outDir = opts.out ? path.resolve(opts.out) : path.join(episodeDir, ARTIFACT_DIR_NAME);
  if (opts.checkWritable !== false) ensureWritableDir(outDir, opts.out ? '' : '; pass --out DIR to write the results elsewhere');
  return { episodeDir, videoPath, outDir };
}
