import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { isVideoName, pickVideo, resolveEpisode } from './resolve.js';

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'screentime-resolve-'));
}

function errorOf(fn: () => unknown): StageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StageError) return e;
    throw e;
  }
  throw new Error('expected a StageError');
}

describe('pickVideo', () => {
  it('accepts exactly one video, ignoring other files, case of the extension and dot files', () => {
    expect(pickVideo(['notes.txt', 'EP01.MKV', '._EP01.MKV', 'cover.jpg'])).toEqual({ ok: true, video: 'EP01.MKV' });
  });
  it('none and several', () => {
    expect(pickVideo(['a.txt'])).toEqual({ ok: false, reason: 'none', candidates: [] });
    expect(pickVideo(['b.mp4', 'a.mov'])).toEqual({ ok: false, reason: 'several', candidates: ['a.mov', 'b.mp4'] });
  });
  it('isVideoName', () => {
    expect(isVideoName('x.webm')).toBe(true);
    expect(isVideoName('x.mp4.part')).toBe(false);
    expect(isVideoName('.hidden.mp4')).toBe(false);
  });
});

describe('resolveEpisode', () => {
  it('folder with one video -> that video, artifacts in <episode>/screentime', () => {
    const d = path.join(tmp(), 'Épisode 1 — été');
    mkdirSync(d);
    writeFileSync(path.join(d, 'ep 1.mp4'), 'x');
    const r = resolveEpisode(d);
    expect(r).toEqual({ episodeDir: d, videoPath: path.join(d, 'ep 1.mp4'), outDir: path.join(d, 'screentime') });
    expect(existsSync(r.outDir)).toBe(true);
  });

  it('a video file -> its folder; --out overrides the artifact folder', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'a.mp4'), 'x');
    writeFileSync(path.join(d, 'b.mp4'), 'x');
    const out = path.join(tmp(), 'out');
    expect(resolveEpisode(path.join(d, 'b.mp4'), { out })).toEqual({ episodeDir: d, videoPath: path.join(d, 'b.mp4'), outDir: out });
  });

  it('folder without a video: one line naming the folder', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'readme.txt'), 'x');
    const e = errorOf(() => resolveEpisode(d));
    expect(e.exitCode).toBe(EXIT.BAD_INPUT);
    expect(e.message).toContain(`no video in ${d}`);
    expect(e.message).not.toContain('\n');
  });

  it('two videos: refuses and lists them', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'cut A.mp4'), 'x');
    writeFileSync(path.join(d, 'cut B.mkv'), 'x');
    const e = errorOf(() => resolveEpisode(d));
    expect(e.exitCode).toBe(EXIT.BAD_INPUT);
    expect(e.message).toMatch(/2 videos in .*cut A\.mp4, cut B\.mkv; pass the video file itself/);
  });

  it('missing path and non-video file', () => {
    expect(errorOf(() => resolveEpisode('/nonexistent/x')).message).toMatch(/episode not found/);
    const d = tmp();
    writeFileSync(path.join(d, 'a.txt'), 'x');
    expect(errorOf(() => resolveEpisode(path.join(d, 'a.txt'))).message).toMatch(/not a video file/);
  });

  it('an artifact folder that cannot be created: EXIT.OUTPUT suggesting --out', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'a.mp4'), 'x');
    // A regular file where the artifact folder should be: fails even for root.
    writeFileSync(path.join(d, 'screentime'), 'not a folder');
    const e = errorOf(() => resolveEpisode(d));
    expect(e.exitCode).toBe(EXIT.OUTPUT);
    expect(e.message).toMatch(/cannot write the artifact folder .*--out DIR/);
  });
});
