// Opening a file to send it: files can vanish or change under the host (a stage rewriting
// thumbnails, a rebuild of dist/renderer, a video replaced), so the size comes from the open
// descriptor. Shared by the browser host's file responses and the video route.

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

/** Opens `file` for reading if it is still a regular file; null when it is gone or is not one. */
export async function openRegularFile(file: string): Promise<{ handle: FileHandle; size: number } | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    // What is sent is what Content-Length announces, even if the path was replaced in between.
    const st = await handle.stat();
    if (st.isFile()) return { handle, size: st.size };
  } catch {
    /* fall through: closed below */
  }
  await handle.close().catch(() => undefined);
  return null;
}
