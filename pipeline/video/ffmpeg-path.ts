// Where the ffmpeg and ffprobe binaries come from, in one place.
// Order: SCREENTIME_FFMPEG / SCREENTIME_FFPROBE, then binaries shipped with a packaged app
// (`<resources>/bin/`), then the names on PATH. Paths are passed to execa as the file argument,
// never through a shell.

import { existsSync } from 'node:fs';
import path from 'node:path';

function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}

function packaged(name: string): string | null {
  const res = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (!res) return null;
  const p = path.join(res, 'bin', exe(name));
  return existsSync(p) ? p : null;
}

export function ffmpegPath(): string {
  return process.env.SCREENTIME_FFMPEG || packaged('ffmpeg') || exe('ffmpeg');
}

export function ffprobePath(): string {
  const explicit = process.env.SCREENTIME_FFPROBE;
  if (explicit) return explicit;
  // An explicit ffmpeg usually has its ffprobe beside it.
  const ff = process.env.SCREENTIME_FFMPEG;
  if (ff && path.isAbsolute(ff)) {
    const beside = path.join(path.dirname(ff), exe('ffprobe'));
    if (existsSync(beside)) return beside;
  }
  return packaged('ffprobe') || exe('ffprobe');
}
