// Content-Security-Policy and other headers of the browser host. The window needs only its own
// scripts and styles, its own WebSocket and its own media; everything else is refused.

export function webCsp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    // the episode's video, from this host's token-checked /video/<id> route only
    "media-src 'self'",
    "font-src 'self'",
    // 'self' covers ws: of the same host in current browsers; the explicit URL is for older ones.
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function securityHeaders(): Record<string, string> {
  return {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
