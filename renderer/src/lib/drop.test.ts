import { describe, expect, it } from 'vitest';
import { fileUriToPath, parseTypedPaths, parseUriList, pathsFromDrop } from './drop.js';

describe('drop paths', () => {
  it('reads a text/uri-list from a Linux file manager', () => {
    const list = '# copied by Files\r\nfile:///home/ana/TV/Show%20S01E01\r\nfile:///home/ana/TV/ep2.mkv\r\nhttps://example.com/x\r\n';
    expect(parseUriList(list)).toEqual(['/home/ana/TV/Show S01E01', '/home/ana/TV/ep2.mkv']);
  });

  it('accepts localhost, refuses other hosts and schemes', () => {
    expect(fileUriToPath('file://localhost/srv/a')).toBe('/srv/a');
    expect(fileUriToPath('file://nas/share/a')).toBeNull();
    expect(fileUriToPath('smb://nas/a')).toBeNull();
    expect(fileUriToPath('not a uri')).toBeNull();
    expect(fileUriToPath('file:///C:/Videos/ep.mp4')).toBe('C:/Videos/ep.mp4');
  });

  it('parses typed paths: quotes, file URIs, blanks, duplicates', () => {
    expect(parseTypedPaths(' "/a/b c" \n\n/a/d\n/a/d\nfile:///x/y%20z\n')).toEqual(['/a/b c', '/a/d', '/x/y z']);
  });

  it('prefers paths the host resolves, falls back to the uri-list', () => {
    const f = new Blob(['x']) as unknown as File;
    const resolved = pathsFromDrop({ files: [f], getData: () => 'file:///ignored' }, () => '/from/host');
    expect(resolved).toEqual(['/from/host']);
    const fallback = pathsFromDrop({ files: [f], getData: (t) => (t === 'text/uri-list' ? 'file:///from/list' : '') }, () => null);
    expect(fallback).toEqual(['/from/list']);
    expect(pathsFromDrop({ files: [], getData: () => '' }, () => null)).toEqual([]);
  });
});
