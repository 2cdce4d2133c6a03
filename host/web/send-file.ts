// Streams one file into an HTTP response. Files can vanish or change under the host (a stage
// rewriting thumbnails, a rebuild of dist/renderer) and clients can go away mid-download; neither
// may crash the host or leave a file descriptor open.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { openRegularFile } from '../media/open-file.js';

/**
 * Answers 200 with `file` (its body unless the request is HEAD), or 404 when the file is gone by
 * the time it is opened. Never rejects.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, headers: Record<string, string>): Promise<void> {
  const opened = await openRegularFile(file);
  if (!opened) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
    return;
  }
  const { handle, size } = opened;
  // HEAD, or a client that left while the file was being opened: nothing to stream.
  if (req.method === 'HEAD' || res.destroyed) {
    await handle.close().catch(() => undefined);
    res.writeHead(200, { ...headers, 'Content-Length': String(size) }).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(size) });
  if (size === 0) {
    await handle.close().catch(() => undefined);
    res.end();
    return;
  }
  // Never more bytes than announced, even if the file grows meanwhile.
  const body = handle.createReadStream({ start: 0, end: size - 1 });
  // pipeline destroys both sides when either fails or the client aborts, and destroying the
  // read stream closes the descriptor; a bare .pipe() would leave it open for good.
  pipeline(body, res, (err) => {
    // A file cut short while it was sent: drop the connection so the client sees a broken
    // response instead of waiting for the missing bytes.
    if (!err && body.bytesRead < size) res.destroy();
  });
}
