// The episode library: the folders the user added (dropped, picked or typed), kept in
// `<dataDir>/library.json`. It is also the ALLOWLIST of the bridge: the window names episodes
// only by id, and only ids of folders the user added resolve to a path. Removing an episode
// forgets it; it never deletes a file.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { VideoFacts } from '../../shared/artifacts.js';
import { pickVideo, resolveEpisode } from '../../pipeline/episode/resolve.js';
import { probeVideo } from '../../pipeline/video/probe.js';
import { writeJsonAtomic } from '../../pipeline/runtime/atomic.js';

export const LIBRARY_FILE = 'library.json';
const LIBRARY_VERSION = 1;

export interface LibraryEntry {
  episodeId: string;
  name: string;
  /** Episode folder (real path). */
  dir: string;
  videoPath: string;
  /** Artifact folder (`<dir>/screentime`). */
  outDir: string;
  addedAt: string;
  /** Facts from the last probe, with the size and mtime they were read at. */
  video: VideoFacts | null;
  videoStat: { size: number; mtimeMs: number } | null;
}

interface LibraryFile {
  version: number;
  episodes: LibraryEntry[];
}

export type ProbeFn = (file: string) => Promise<VideoFacts>;

/** Episode id: the first 16 hex characters of sha256(real path of the episode folder). */
export function episodeIdFor(dir: string): string {
  return createHash('sha256').update(dir).digest('hex').slice(0, 16);
}

/** Messages of resolve/probe errors name the file; make sure a rejection always names the item. */
function reasonFor(item: string, message: string): string {
  const base = path.basename(item);
  return message.includes(item) || (base && message.includes(base)) ? message : `${item}: ${message}`;
}

export class UnknownEpisodeError extends Error {
  constructor(id: string) {
    super(`Unknown episode ${id}: it is not in the library (add its folder first)`);
    this.name = 'UnknownEpisodeError';
  }
}

export class LibraryStore {
  readonly file: string;
  private entries: LibraryEntry[];
  /** Mutations run one after another so two quick adds cannot lose each other's writes. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dataDir: string,
    private readonly probe: ProbeFn = (f) => probeVideo(f),
  ) {
    this.file = path.join(dataDir, LIBRARY_FILE);
    this.entries = this.load();
  }

  private load(): LibraryEntry[] {
    let raw: string;
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const v = JSON.parse(raw) as Partial<LibraryFile>;
      if (!Array.isArray(v.episodes)) return [];
      // Only keep entries whose id still matches their folder: a hand-edited file cannot widen the allowlist.
      return v.episodes.filter(
        (e): e is LibraryEntry =>
          !!e && typeof e.dir === 'string' && path.isAbsolute(e.dir) && typeof e.videoPath === 'string' && e.episodeId === episodeIdFor(e.dir),
      );
    } catch {
      return [];
    }
  }

  private save(): void {
    mkdirSync(this.dataDir, { recursive: true });
    writeJsonAtomic(this.file, { version: LIBRARY_VERSION, episodes: this.entries } satisfies LibraryFile);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  all(): LibraryEntry[] {
    return [...this.entries];
  }

  has(episodeId: string): boolean {
    return this.entries.some((e) => e.episodeId === episodeId);
  }

  /** The entry of an allowlisted id; anything else throws UnknownEpisodeError. */
  get(episodeId: string): LibraryEntry {
    const e = this.entries.find((x) => x.episodeId === episodeId);
    if (!e) throw new UnknownEpisodeError(episodeId);
    return e;
  }

  /**
   * Resolves and validates each path (an episode folder holding one video, or a video file whose
   * folder becomes the episode) and adds the good ones. Already-added episodes count as added.
   */
  add(paths: string[]): Promise<{ added: LibraryEntry[]; rejected: Array<{ path: string; reason: string }> }> {
    return this.serial(async () => {
      const added: LibraryEntry[] = [];
      const rejected: Array<{ path: string; reason: string }> = [];
      for (const item of paths) {
        if (!path.isAbsolute(item)) {
          rejected.push({ path: item, reason: `${item}: not an absolute path` });
          continue;
        }
        try {
          const r = resolveEpisode(item, { checkWritable: false });
          const dir = realpathSync(r.episodeDir);
          // Stages are run on the episode FOLDER (runner -> CLI), so its video must be the only one.
          const picked = pickVideo(readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile() || d.isSymbolicLink()).map((d) => d.name));
          if (!picked.ok && picked.reason === 'several') {
            throw new Error(
              `${item}: its folder holds ${picked.candidates.length} videos (${picked.candidates.join(', ')}); the app analyses one video per folder, so move each episode's video into a folder of its own`,
            );
          }
          const videoPath = path.join(dir, path.basename(r.videoPath));
          const id = episodeIdFor(dir);
          const st = statSync(videoPath);
          const video = await this.probe(videoPath);
          const entry: LibraryEntry = {
            episodeId: id,
            name: path.basename(dir),
            dir,
            videoPath,
            outDir: path.join(dir, path.basename(r.outDir)),
            addedAt: new Date().toISOString(),
            video,
            videoStat: { size: st.size, mtimeMs: st.mtimeMs },
          };
          const old = this.entries.findIndex((e) => e.episodeId === id);
          if (old >= 0) this.entries[old] = { ...entry, addedAt: this.entries[old]!.addedAt };
          else this.entries.push(entry);
          if (!added.some((a) => a.episodeId === id)) added.push(old >= 0 ? this.entries[old]! : entry);
        } catch (e) {
          rejected.push({ path: item, reason: reasonFor(item, (e as Error).message) });
        }
      }
      if (added.length) this.save();
      return { added, rejected };
    });
  }

  /** Forgets an episode (its files stay where they are). Unknown ids throw. */
  remove(episodeId: string): Promise<void> {
    return this.serial(async () => {
      this.get(episodeId);
      this.entries = this.entries.filter((e) => e.episodeId !== episodeId);
      this.save();
    });
  }

  /**
   * Re-probes the video when its size or mtime changed since the last probe. Returns the problem
   * a user should see (video gone, unreadable), or null.
   */
  refresh(episodeId: string): Promise<string | null> {
    return this.serial(async () => {
      const e = this.get(episodeId);
      let st;
      try {
        st = statSync(e.videoPath);
      } catch {
        return `video not found: ${e.videoPath}`;
      }
      if (e.video && e.videoStat && e.videoStat.size === st.size && e.videoStat.mtimeMs === st.mtimeMs) return null;
      try {
        e.video = await this.probe(e.videoPath);
        e.videoStat = { size: st.size, mtimeMs: st.mtimeMs };
        this.save();
        return null;
      } catch (err) {
        e.video = null;
        e.videoStat = null;
        return (err as Error).message;
      }
    });
  }
}
