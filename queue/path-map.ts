// Episode folders live on shared storage that each machine mounts in its own place
// (`/Volumes/shows` on a Mac, `Z:\shows` on Windows, `/mnt/shows` on a Linux worker). A job carries
// the path as the submitting desktop sees it; a worker rewrites the prefix with `--path-map FROM=TO`.

import path from 'node:path';

export interface PathMapping {
  from: string;
  to: string;
}

/** Parses `FROM=TO` (the first `=` splits, so TO may contain `=`; FROM may not). */
export function parsePathMapping(spec: string): PathMapping {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw new Error(`--path-map wants FROM=TO, got: ${spec}`);
  const from = spec.slice(0, i);
  const to = spec.slice(i + 1);
  return { from, to };
}

// Windows paths compare with `/` and `\` alike and case-insensitively (drive letters, NTFS);
// POSIX paths compare exactly.
function looksWindows(p: string): boolean {
  return /^[a-zA-Z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

function normalise(p: string, windows: boolean): string {
  let s = windows ? p.replace(/\\/g, '/') : p;
  if (s.length > 1) s = s.replace(/\/+$/, '');
  return windows ? s.toLowerCase() : s;
}

/**
 * Rewrites the longest matching prefix (whole path components only: `/mnt/a` does not match
 * `/mnt/ab`). Returns the path unchanged when no mapping applies. The remainder is joined with
 * the worker's own separator.
 */
export function mapEpisodePath(episodeDir: string, mappings: readonly PathMapping[], sep: string = path.sep): string {
  const windows = looksWindows(episodeDir);
  const subject = normalise(episodeDir, windows);
  let best: { m: PathMapping; len: number } | null = null;
  for (const m of mappings) {
    const from = normalise(m.from, windows || looksWindows(m.from));
    const hit = subject === from || subject.startsWith(from.endsWith('/') ? from : `${from}/`);
    if (hit && (!best || from.length > best.len)) best = { m, len: from.length };
  }
  if (!best) return episodeDir;
  const rest = (windows ? episodeDir.replace(/\\/g, '/') : episodeDir)
    .slice(best.len)
    .split('/')
    .filter((s) => s.length > 0);
  const to = best.m.to.length > 1 ? best.m.to.replace(/[\\/]+$/, '') : best.m.to;
  if (rest.length === 0) return to;
  return to.endsWith(sep) ? to + rest.join(sep) : [to, ...rest].join(sep);
}
