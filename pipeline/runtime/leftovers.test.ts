// sweepLeftovers against real pids: one of a process that has exited (dead), one of a process
// that is still running (live). Only the dead one's leftovers may go.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, StageRecord, VideoFacts } from '../../shared/artifacts.js';
import { sweepLeftovers } from './leftovers.js';
import { lockPath } from './lock.js';
import { readManifest, stageStates, videoKey } from './manifest.js';

const video: VideoFacts = { file: '/e/a.mp4', duration_s: 10, fps: 25, width: 640, height: 360, frame_count: 250, start_time_s: 0, codec: 'h264', size_bytes: 100 };

let dead = 0;
let live: ChildProcess;
beforeAll(async () => {
  const child = spawn(process.execPath, ['-e', '0']);
  dead = child.pid!;
  await new Promise((r) => child.on('exit', r));
  live = spawn('sleep', ['60'], { stdio: 'ignore' });
});
afterAll(() => {
  live.kill('SIGKILL');
});

function outDir(): string {
  const d = path.join(mkdtempSync(path.join(tmpdir(), 'screentime-leftovers-')), 'screentime');
  mkdirSync(path.join(d, 'locks'), { recursive: true });
  return d;
}

function lockAs(d: string, stage: string, pid: number, host = os.hostname()): void {
  writeFileSync(lockPath(d, stage), JSON.stringify({ pid, host, started_at: `t${pid}`, stage }));
}

function rec(status: StageRecord['status'], pid: number, host: string | null = os.hostname()): StageRecord {
  return {
    status, config: {}, config_hash: 'h', inputs: {}, started_at: 't', finished_at: null, elapsed_s: null,
    pid, host, stats: {}, error: null, completed_hash: 'old', video_key: videoKey(video),
  };
}

function writeManifest(d: string, stages: Manifest['stages']): void {
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ schema_version: 1, video, stages }));
}

describe('sweepLeftovers', () => {
  it('removes temp files and folders of a dead pid, keeps those of a live pid', () => {
    const d = outDir();
    writeFileSync(path.join(d, `detections.jsonl.tmp-${dead}`), 'half');
    writeFileSync(path.join(d, `samples.rgb.tmp-${dead}`), 'half');
    mkdirSync(path.join(d, `thumbs.tmp-${dead}`));
    writeFileSync(path.join(d, `thumbs.tmp-${dead}`, 't1.jpg'), 'x');
    mkdirSync(path.join(d, 'thumbs'));
    writeFileSync(path.join(d, 'thumbs', `t9.jpg.tmp-${dead}`), 'x');
    writeFileSync(path.join(d, `faces.jsonl.tmp-${live.pid}`), 'being written');
    mkdirSync(path.join(d, `thumbs.tmp-${live.pid}`));
    writeFileSync(path.join(d, 'detections.jsonl'), 'complete');

    const r = sweepLeftovers(d);

    expect(r.removed.sort()).toEqual([`detections.jsonl.tmp-${dead}`, `samples.rgb.tmp-${dead}`, path.join('thumbs', `t9.jpg.tmp-${dead}`), `thumbs.tmp-${dead}`].sort());
    expect(readdirSync(d).sort()).toEqual(['detections.jsonl', `faces.jsonl.tmp-${live.pid}`, 'locks', 'thumbs', `thumbs.tmp-${live.pid}`].sort());
    expect(readdirSync(path.join(d, 'thumbs'))).toEqual([]);
    expect(r.tempSkipped).toBeNull();
  });

  it('an .old- of a dead pid: removed when its swap finished, put back when it was cut in half', () => {
    const done = outDir();
    mkdirSync(path.join(done, 'thumbs'));
    mkdirSync(path.join(done, `thumbs.old-${dead}`));
    expect(sweepLeftovers(done).removed).toEqual([`thumbs.old-${dead}`]);
    expect(readdirSync(done).sort()).toEqual(['locks', 'thumbs']);

    const cut = outDir();
    mkdirSync(path.join(cut, `thumbs.old-${dead}`));
    writeFileSync(path.join(cut, `thumbs.old-${dead}`, 'prev.jpg'), 'previous');
    mkdirSync(path.join(cut, `thumbs.tmp-${dead}`));
    const r = sweepLeftovers(cut);
    expect(r.restored).toEqual([`thumbs.old-${dead}`]);
    expect(r.removed).toEqual([`thumbs.tmp-${dead}`]);
    expect(readFileSync(path.join(cut, 'thumbs', 'prev.jpg'), 'utf8')).toBe('previous');
  });

  it('removes locks of dead owners on this host only', () => {
    const d = outDir();
    lockAs(d, 'faces_embed', dead);
    lockAs(d, 'cluster', live.pid!);
    writeFileSync(path.join(d, 'locks', 'manifest.lock'), '');
    const r = sweepLeftovers(d);
    expect(r.locks).toEqual(['faces_embed.lock']);
    expect(readdirSync(path.join(d, 'locks')).sort()).toEqual(['cluster.lock', 'manifest.lock']);
  });

  it('leaves every temp file alone while a stage of another host works in the folder', () => {
    const d = outDir();
    lockAs(d, 'detect_track', dead, 'another-machine');
    writeFileSync(path.join(d, `tracks.jsonl.tmp-${dead}`), 'maybe alive over there');
    const r = sweepLeftovers(d);
    expect(r.tempSkipped).toMatch(/detect_track runs on another-machine/);
    expect(existsSync(path.join(d, `tracks.jsonl.tmp-${dead}`))).toBe(true);
    expect(existsSync(lockPath(d, 'detect_track'))).toBe(true);
  });

  it('a running record whose process is gone becomes interrupted; live and foreign ones stay running', () => {
    const d = outDir();
    writeManifest(d, {
      detect_track: rec('completed', 1),
      faces_embed: rec('running', dead),
      cluster: rec('running', live.pid!),
      screentime: rec('running', dead, 'another-machine'),
    });
    expect(sweepLeftovers(d).interrupted).toEqual(['faces_embed']);
    const m = readManifest(d)!;
    expect(m.stages.faces_embed).toMatchObject({ status: 'interrupted', completed_hash: 'old', pid: dead });
    expect(m.stages.faces_embed!.error).toMatch(/ended without recording a result/);
    expect(m.stages.cluster!.status).toBe('running');
    expect(m.stages.screentime!.status).toBe('running');
    expect(stageStates(m, () => true).faces_embed).toBe('interrupted');
    // Nothing left to close: a second sweep changes nothing.
    expect(sweepLeftovers(d)).toEqual({ removed: [], restored: [], locks: [], interrupted: [], tempSkipped: null });
  });
});
