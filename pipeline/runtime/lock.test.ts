import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { acquireLock, lockPath, readActiveLock } from './lock.js';
import { StageError } from './stage.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'screentime-lock-'));

function lockAs(outDir: string, stage: string, pid: number, host = os.hostname(), extra: object = {}) {
  mkdirSync(path.join(outDir, 'locks'), { recursive: true });
  writeFileSync(lockPath(outDir, stage), JSON.stringify({ pid, host, started_at: 'then', stage, ...extra }));
}

describe('stage lock', () => {
  it('is exclusive per (episode, stage) and released', () => {
    const d = tmp();
    const a = acquireLock(d, 'detect_track');
    expect(JSON.parse(readFileSync(a.path, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(readActiveLock(d, 'detect_track')).toMatchObject({ pid: process.pid });
    // Another stage of the same episode is a different lock.
    const b = acquireLock(d, 'cluster');
    b.release();
    let err: unknown;
    try { acquireLock(d, 'detect_track'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(StageError);
    expect((err as StageError).exitCode).toBe(EXIT.ALREADY_RUNNING);
    expect((err as StageError).message).toMatch(/already running/);
    a.release();
    expect(existsSync(a.path)).toBe(false);
    expect(readActiveLock(d, 'detect_track')).toBeNull();
  });

  it('a lock left by a dead process on this host is stale and taken over', async () => {
    const d = tmp();
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    lockAs(d, 'detect_track', pid);
    expect(readActiveLock(d, 'detect_track')).toBeNull();
    const l = acquireLock(d, 'detect_track');
    expect(l.info.pid).toBe(process.pid);
    l.release();
  });

  it('a live pid with another start time (pid reused) is stale; another host is taken as live', () => {
    const d = tmp();
    lockAs(d, 'cluster', process.pid, os.hostname(), { proc_start: 1 });
    expect(readActiveLock(d, 'cluster')).toBeNull();
    lockAs(d, 'cluster', 999999, 'some-other-machine');
    expect(readActiveLock(d, 'cluster')).toMatchObject({ host: 'some-other-machine' });
  });

  it('a half-written lock is treated as stale after a short wait', () => {
    const d = tmp();
    mkdirSync(path.join(d, 'locks'));
    writeFileSync(lockPath(d, 'screentime'), '{"pi');
    expect(readActiveLock(d, 'screentime')).toBeNull();
    const l = acquireLock(d, 'screentime');
    l.release();
  });
});
