import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { LEASE_MS, acquireLock, leaseExpired, lockPath, readActiveLock, type LockInfo } from './lock.js';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** A lock as another machine's stage writes it, with a lease last renewed `renewedAgo` ms ago. */
function foreignLease(outDir: string, stage: string, renewedAgo: number, extra: object = {}) {
  lockAs(outDir, stage, 4242, 'host-b', { started_at: ago(60_000), renewed_at: ago(renewedAgo), lease_ms: LEASE_MS, job_id: 'job-7', ...extra });
}

describe('stage lock lease', () => {
  it('records the owner, its queue job and a lease, and renews it from its own thread while held', async () => {
    const d = tmp();
    const l = acquireLock(d, 'detect_track', { jobId: 'job-1', renewMs: 100 });
    const first = JSON.parse(readFileSync(l.path, 'utf8')) as LockInfo;
    expect(first).toMatchObject({ pid: process.pid, host: os.hostname(), job_id: 'job-1', lease_ms: LEASE_MS });
    // Block this thread: the heartbeat must go on regardless (a long synchronous computation).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
    const later = JSON.parse(readFileSync(l.path, 'utf8')) as LockInfo;
    expect(Date.parse(later.renewed_at!)).toBeGreaterThan(Date.parse(first.renewed_at!));
    expect({ ...later, renewed_at: null }).toEqual({ ...first, renewed_at: null });
    l.release();
    await sleep(50);
    expect(existsSync(l.path)).toBe(false);
  });

  it('another host: a live lease is refused with exit 6, an expired one is taken over', () => {
    const d = tmp();
    foreignLease(d, 'detect_track', 1_000);
    expect(readActiveLock(d, 'detect_track')).toMatchObject({ host: 'host-b', job_id: 'job-7' });
    let err: unknown;
    try { acquireLock(d, 'detect_track'); } catch (e) { err = e; }
    expect((err as StageError).exitCode).toBe(EXIT.ALREADY_RUNNING);
    expect((err as StageError).message).toMatch(/already running for this episode \(pid 4242 on host-b, since .*, queue job job-7\)/);

    foreignLease(d, 'detect_track', LEASE_MS + 1_000);
    expect(readActiveLock(d, 'detect_track')).toBeNull();
    const l = acquireLock(d, 'detect_track');
    expect(l.tookOver).toMatchObject({ pid: 4242, host: 'host-b', job_id: 'job-7' });
    expect(JSON.parse(readFileSync(l.path, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    l.release();
  });

  it('on its own host a lock lives as long as its process, whatever its lease says', () => {
    const d = tmp();
    lockAs(d, 'cluster', process.pid, os.hostname(), { renewed_at: ago(10 * LEASE_MS), lease_ms: LEASE_MS });
    expect(readActiveLock(d, 'cluster')).toMatchObject({ pid: process.pid });
  });

  it('a lease renewed in the future (a clock ahead) or without a lease never counts as expired', () => {
    const base = { pid: 1, host: 'h', started_at: 'x', stage: 's' };
    expect(leaseExpired({ ...base, renewed_at: new Date(Date.now() + 60_000).toISOString(), lease_ms: 1 })).toBe(false);
    expect(leaseExpired(base)).toBe(false);
    expect(leaseExpired({ ...base, renewed_at: 'garbage', lease_ms: 1 })).toBe(false);
    expect(leaseExpired({ ...base, renewed_at: ago(2_000), lease_ms: 1_000 })).toBe(true);
  });

  it('a held lock replaced by another run is reported lost, never written over and not removed on release', async () => {
    const d = tmp();
    const lost: string[] = [];
    const l = acquireLock(d, 'faces_embed', { renewMs: 50, onLost: (m) => lost.push(m) });
    rmSync(l.path);
    foreignLease(d, 'faces_embed', 0, { pid: 777 });
    const theirs = readFileSync(l.path, 'utf8');
    for (let i = 0; i < 100 && lost.length === 0; i++) await sleep(20);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/lost the faces_embed lock: another run took it over \(pid 777 on host-b \(queue job job-7\)\)/);
    expect(l.lost).toBe(true);
    await sleep(200);
    expect(readFileSync(l.path, 'utf8')).toBe(theirs);
    l.release();
    expect(readFileSync(l.path, 'utf8')).toBe(theirs);
  });
});
