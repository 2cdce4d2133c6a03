// Who may talk to the browser host. It listens on 127.0.0.1 only, and still: every data path needs
// the random token, the Host header must name our address (DNS rebinding: a page on evil.example
// resolving to 127.0.0.1 sends Host: evil.example), and a WebSocket must come from our origin.

import { timingSafeEqual } from 'node:crypto';

/** Constant-time token comparison (a timing side channel would leak the token byte by byte). */
export function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The request target as a URL on our origin, or null when it does not parse. Node's HTTP parser
 * lets targets such as `//[` through, and `new URL` throws on them: unchecked, any local process
 * could stop the host with one request line.
 */
export function requestUrl(target: string | undefined, origin: string): URL | null {
  try {
    return new URL(target ?? '/', origin);
  } catch {
    return null;
  }
}

/** The host's own address; the port is known once the server listens. */
export class LocalAddress {
  port = 0;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The Host header of a request meant for us. */
  hostAllowed(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`;
  }

  /** The Origin header of a page of ours (absent: not a browser page, e.g. a test client). */
  originAllowed(origin: string | undefined): boolean {
    return origin === undefined || origin === this.origin || origin === `http://localhost:${this.port}`;
  }
}
