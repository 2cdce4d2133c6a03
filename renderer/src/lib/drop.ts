// Turning a drop (or a typed list) into host paths. In Electron the preload resolves a dropped
// File to its path; a plain browser cannot, but Linux file managers also put `text/uri-list`
// (file:// URIs) on the drag, which is enough for the browser host on the same machine.

/** file:// URIs from a text/uri-list payload -> absolute local paths (comments and other schemes ignored). */
export function parseUriList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const p = fileUriToPath(line);
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}

/** "file:///home/a/b%20c" -> "/home/a/b c"; "file://localhost/x" -> "/x"; anything else -> null. */
export function fileUriToPath(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'file:') return null;
  // A file URI naming another machine cannot be opened by this host.
  if (url.hostname && url.hostname !== 'localhost') return null;
  let p: string;
  try {
    p = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  // Windows: file:///C:/x -> C:/x
  if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1);
  return p || null;
}

/** Splits what a user typed into the "Open folder" dialog: one path per line, blanks dropped. */
export function parseTypedPaths(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let p = raw.trim();
    // People paste quoted paths from terminals.
    if (p.length >= 2 && ((p.startsWith('"') && p.endsWith('"')) || (p.startsWith("'") && p.endsWith("'")))) p = p.slice(1, -1);
    if (p.startsWith('file://')) p = fileUriToPath(p) ?? '';
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}

export interface DropSource {
  files: ArrayLike<File>;
  getData(format: string): string;
}

/**
 * Paths of everything dropped. Files the host can resolve come first; when it cannot resolve
 * any (plain browser), the uri-list is used instead.
 */
export function pathsFromDrop(dt: DropSource, pathForFile: (f: File) => string | null): string[] {
  const out: string[] = [];
  for (let i = 0; i < dt.files.length; i++) {
    const f = dt.files[i];
    if (!f) continue;
    const p = pathForFile(f);
    if (p && !out.includes(p)) out.push(p);
  }
  if (out.length > 0) return out;
  let list = '';
  try {
    list = dt.getData('text/uri-list');
  } catch {
    /* no readable URI list: nothing dropped */
  }
  return parseUriList(list);
}
