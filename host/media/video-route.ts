// The episode's video for the window's player, over HTTP with Range requests (a <video> element
// seeks by asking for byte ranges). Only the video file of an episode in the library is served,
// named by episode id; the browser host's /video/<id> route and Electron's
// screentime-media://video/<id> both come here, so both refuse the same things.

import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable, pipeline } from 'node:stream';
import type { LibraryStore } from '../library/store.js';
import { openRegularFile } from './open-file.js';

const VIDEO_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.ts': 'video/mp2t',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
};

export function videoContentType(file: string): string {
  return VIDEO_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** A byte range to send, both ends inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against a file of `size` bytes (RFC 9110 §14): `bytes=a-b`, `bytes=a-`,
 * `bytes=-n`. Returns null when the whole file should be sent (no header, another unit, a syntax
 * it does not follow, several ranges: a server may ignore Range), 'unsatisfiable' for a range that
 * starts past the end (416), else the range clipped to the file.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    // the last n bytes
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}

/** Status and headers for a (possibly ranged) answer; `length` is what the body will hold. */
export function rangeHeaders(range: ByteRange | 'unsatisfiable' | null, size: number, contentType: string): { status: number; headers: Record<string, string>; length: number } {
  const base = { 'Content-Type': contentType, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-cache' };
  if (range === 'unsatisfiable') return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' }, length: 0 };
  if (!range) return { status: 200, headers: { ...base, 'Content-Length': String(size) }, length: size };
  const length = range.end - range.start + 1;
  return { status: 206, headers: { ...base, 'Content-Range': `bytes ${range.start}-${range.end}/${size}`, 'Content-Length': String(length) }, length };
}

/** The video file of a library episode, or why there is none. */
export function episodeVideo(library: LibraryStore, episodeId: string): { ok: true; file: string } | { ok: false; error: string } {
  if (!library.has(episodeId)) return { ok: false, error: 'unknown episode' };
  return { ok: true, file: library.get(episodeId).videoPath };
}

/** Opens the file and works out what to send; null when it is gone or not a regular file. */
async function prepare(file: string, rangeHeader: string | undefined) {
  const opened = await openRegularFile(file);
  if (!opened) return null;
  const range = parseRange(rangeHeader, opened.size);
  return { fd: opened.handle, size: opened.size, range, ...rangeHeaders(range, opened.size, videoContentType(file)) };
}

function bodyStream(fd: FileHandle, range: ByteRange | 'unsatisfiable' | null, size: number) {
  if (range === 'unsatisfiable' || size === 0) return null;
  const r = range ?? { start: 0, end: size - 1 };
  return fd.createReadStream({ start: r.start, end: r.end });
}

/** Node HTTP handler (browser host). Never rejects. */
export async function serveVideo(req: IncomingMessage, res: ServerResponse, library: LibraryStore, episodeId: string): Promise<void> {
  const v = episodeVideo(library, episodeId);
  if (!v.ok) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(v.error);
    return;
  }
  const p = await prepare(v.file, req.headers.range);
  if (!p) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('video not found');
    return;
  }
  const body = req.method === 'HEAD' || res.destroyed ? null : bodyStream(p.fd, p.range, p.size);
  res.writeHead(p.status, p.headers);
  if (!body) {
    await p.fd.close().catch(() => undefined);
    res.end();
    return;
  }
  // pipeline destroys both sides when either fails or the client goes (a seek aborts the last
  // request), and destroying the read stream closes the descriptor
  pipeline(body, res, () => undefined);
}

/** Fetch-style handler (Electron's protocol.handle). */
export async function videoResponse(req: Request, library: LibraryStore, episodeId: string): Promise<Response> {
  const v = episodeVideo(library, episodeId);
  if (!v.ok) return new Response(v.error, { status: 404, headers: { 'Content-Type': 'text/plain' } });
  const p = await prepare(v.file, req.headers.get('range') ?? undefined);
  if (!p) return new Response('video not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
  const body = req.method === 'HEAD' ? null : bodyStream(p.fd, p.range, p.size);
  if (!body) await p.fd.close().catch(() => undefined);
  return new Response(body ? (Readable.toWeb(body) as ReadableStream<Uint8Array>) : null, { status: p.status, headers: p.headers });
}
