// sweepLeftovers against real pids: one of a process that has exited (dead), one of a process
// that is still running (live). Only the dead one's leftovers may go.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, StageRecord, VideoFacts } from '../../shared/artifacts.js';
import { sweepLeftovers } from './leftovers.js';
import { LEASE_MS, acquireLock, lockPath } from './lock.js';
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

function lockAs(d: string, stage: string, pid: number, host = os.hostname(), extra: object = {}): void {
  writeFileSync(lockPath(d, stage), JSON.stringify({ pid, host, started_at: `t${pid}`, stage, ...extra }));
}

/** A lock of another machine whose lease was last renewed `renewedAgo` ms ago. */
function leaseAs(d: string, stage: string, pid: number, host: string, renewedAgo: number): void {
  lockAs(d, stage, pid, host, { renewed_at: new Date(Date.now() - renewedAgo).toISOString(), lease_ms: LEASE_MS, job_id: 'job-1' });
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

  // Another machine's pids mean nothing here: the pid used for its run below is that of a process
  // that is ALIVE on this machine, so only the evidence about the run itself can decide.
  it('another host whose lease expired: its lock, its temp files and its running record are cleaned', () => {
    const d = outDir();
    leaseAs(d, 'detect_track', live.pid!, 'host-a', LEASE_MS + 5_000);
    writeManifest(d, { detect_track: rec('running', live.pid!, 'host-a') });
    writeFileSync(path.join(d, `tracks.jsonl.tmp-${live.pid}`), 'half');
    writeFileSync(path.join(d, `detections.jsonl.tmp-${dead}`), 'half');
    const r = sweepLeftovers(d);
    expect(r.locks).toEqual(['detect_track.lock']);
    expect(r.removed.sort()).toEqual([`detections.jsonl.tmp-${dead}`, `tracks.jsonl.tmp-${live.pid}`].sort());
    expect(r.interrupted).toEqual(['detect_track']);
    expect(readManifest(d)!.stages.detect_track!.error).toMatch(new RegExp(`pid ${live.pid} on host-a\\) ended without recording a result`));
    expect(r.tempSkipped).toBeNull();
  });

  it('another host whose stage lock is now held by another run: that run is gone', () => {
    const d = outDir();
    const mine = acquireLock(d, 'detect_track');
    try {
      writeManifest(d, { detect_track: rec('running', live.pid!, 'host-a') });
      writeFileSync(path.join(d, `tracks.jsonl.tmp-${live.pid}`), 'half');
      const r = sweepLeftovers(d);
      expect(r.interrupted).toEqual(['detect_track']);
      expect(r.removed).toEqual([`tracks.jsonl.tmp-${live.pid}`]);
      expect(existsSync(mine.path)).toBe(true);
    } finally {
      mine.release();
    }
  });

  it('another host with a live lease, or a running record without any lock: nothing of it is touched', () => {
    const d = outDir();
    leaseAs(d, 'detect_track', live.pid!, 'host-a', 1_000);
    writeManifest(d, { detect_track: rec('running', live.pid!, 'host-a'), faces_embed: rec('running', dead, 'host-c') });
    writeFileSync(path.join(d, `tracks.jsonl.tmp-${live.pid}`), 'being written over there');
    writeFileSync(path.join(d, `faces.jsonl.tmp-${dead}`), 'maybe being written on host-c');
    const r = sweepLeftovers(d);
    expect(r).toMatchObject({ locks: [], removed: [], interrupted: [] });
    expect(r.tempSkipped).toMatch(/detect_track runs on host-a/);
    expect(readdirSync(d).sort()).toEqual([`faces.jsonl.tmp-${dead}`, 'locks', 'manifest.json', `tracks.jsonl.tmp-${live.pid}`].sort());
    expect(readManifest(d)!.stages.faces_embed!.status).toBe('running');
  });
});
