// The two custom schemes, as plain Request -> Response functions so they can be tested
// without Electron: app:// serves the built window, screentime-media://media/ serves only images
// inside the artifact folder of an episode in the library, screentime-media://video/<id> only the
// video file of an episode in the library (with Range requests, for the player).

import { readFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import type { LibraryStore } from '../host/library/store.js';
import { resolveMedia } from '../host/library/media.js';
import { videoResponse } from '../host/media/video-route.js';
import { contentTypeOf, staticFile } from '../host/window-files/static.js';
import { APP_HOST, APP_SCHEME, ELECTRON_CSP, MEDIA_SCHEME } from './security.js';

/** The URL of a GET request to `host`, or null for anything else (other hosts, methods, junk). */
function getUrlFor(req: Request, host: string): URL | null {
  if (req.method !== 'GET') return null;
  try {
    const url = new URL(req.url);
    return url.host === host ? url : null;
  } catch {
    return null;
  }
}

const notFound = () => new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });

export function appProtocolHandler(rendererDir: string): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = getUrlFor(req, APP_HOST);
    if (!url) return notFound();
    const file = staticFile(rendererDir, url.pathname);
    if (!file) return notFound();
    try {
      if (!statSync(file).isFile()) return notFound();
      const body = await readFile(file);
      return new Response(body, {
        status: 200,
        headers: { 'Content-Type': contentTypeOf(file), 'Content-Security-Policy': ELECTRON_CSP, 'X-Content-Type-Options': 'nosniff' },
      });
    } catch {
      return notFound();
    }
  };
}

/**
 * The schemes as Electron must register them before 'ready'. The media scheme streams (`stream`),
 * which a <video> element needs to seek in a file it reads by ranges.
 */
export const PRIVILEGED_SCHEMES = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
];

export function mediaProtocolHandler(library: LibraryStore): (req: Request) => Promise<Response> {
  return async (req) => {
    const video = getUrlFor(req, 'video');
    if (video) return videoResponse(req, library, video.pathname.replace(/^\//, ''));
    const url = getUrlFor(req, 'media');
    if (!url) return notFound();
    const [episodeId = '', ...rest] = url.pathname.replace(/^\//, '').split('/');
    let rel: string;
    try {
      rel = rest.map((p) => decodeURIComponent(p)).join('/');
    } catch {
      return notFound();
    }
    const m = resolveMedia(library, episodeId, rel);
    if (!m.ok) return notFound();
    try {
      const body = await readFile(m.file);
      return new Response(body, { status: 200, headers: { 'Content-Type': m.contentType, 'X-Content-Type-Options': 'nosniff' } });
    } catch {
      return notFound();
    }
  };
}
