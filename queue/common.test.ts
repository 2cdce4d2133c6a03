import { describe, expect, it } from 'vitest';
import { dedupIdFor, isCancelReason, isStageJobData, jobInfoState, lostClaim, percentile, persistenceWarning, progressFraction, redactRedisUrl, redisOptionsFromUrl } from './common.js';

describe('redisOptionsFromUrl', () => {
  it('reads host, port, password, db', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(redisOptionsFromUrl('redis://:s%40cret@queue.lan/2')).toEqual({ host: 'queue.lan', port: 6379, password: 's@cret', db: 2 });
    expect(redisOptionsFromUrl('redis://worker:pw@[::1]:7000')).toEqual({ host: '::1', port: 7000, username: 'worker', password: 'pw' });
  });
  it('turns rediss:// into TLS with the host name checked', () => {
    expect(redisOptionsFromUrl('rediss://redis.example.com:6380')).toEqual({ host: 'redis.example.com', port: 6380, tls: { servername: 'redis.example.com' } });
  });
  it('refuses what is not a Redis URL, without echoing the password', () => {
    expect(() => redisOptionsFromUrl('http://x:6379')).toThrow(/Not a Redis URL/);
    expect(() => redisOptionsFromUrl('localhost:6379')).toThrow(/Not a Redis URL/);
    expect(() => redisOptionsFromUrl('redis://h/abc')).toThrow(/database must be a number/);
    try {
      redisOptionsFromUrl('https://u:topsecret@h');
    } catch (e) {
      expect((e as Error).message).not.toContain('topsecret');
    }
  });
});

describe('redactRedisUrl', () => {
  it('hides the password only', () => {
    expect(redactRedisUrl('redis://:topsecret@h:6379')).toBe('redis://:***@h:6379');
    expect(redactRedisUrl('rediss://u:p@h:1/0')).toBe('rediss://u:***@h:1/0');
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
  });
});

describe('dedupIdFor', () => {
  it('has no colon, and different episodes never collide', () => {
    expect(dedupIdFor('a:b', 'cluster')).not.toContain(':');
    expect(dedupIdFor('a:b', 'cluster')).not.toBe(dedupIdFor('a%3Ab', 'cluster'));
    expect(dedupIdFor('ep', 'cluster')).not.toBe(dedupIdFor('ep', 'screentime'));
  });
});

describe('jobInfoState', () => {
  it('maps BullMQ states', () => {
    expect(jobInfoState('completed', {})).toBe('completed');
    expect(jobInfoState('failed', { failedReason: 'detect_track failed on worker w: boom' })).toBe('failed');
    expect(jobInfoState('failed', { failedReason: 'cancelled by user' })).toBe('cancelled');
    expect(jobInfoState('failed', { failedReason: 'cancelled: detect_track was cancelled' })).toBe('cancelled');
    expect(jobInfoState('active', { cancelled: true })).toBe('active');
    expect(jobInfoState('waiting', {})).toBe('waiting');
    expect(jobInfoState('waiting', { cancelled: true })).toBe('cancelled');
    expect(jobInfoState('prioritized', {})).toBe('waiting');
    expect(jobInfoState('delayed', { attemptsMade: 0 })).toBe('waiting');
    expect(jobInfoState('delayed', { attemptsMade: 1 })).toBe('delayed');
    expect(jobInfoState('unknown', {})).toBe('unknown');
  });
  it('reads cancel reasons', () => {
    expect(isCancelReason('Cancelled before it started')).toBe(true);
    expect(isCancelReason('not cancelled')).toBe(false);
    expect(isCancelReason(null)).toBe(false);
  });
});

describe('progressFraction / percentile / isStageJobData', () => {
  it('progress', () => {
    expect(progressFraction({ fraction: 0.25 })).toBe(0.25);
    expect(progressFraction(50)).toBe(0.5);
    expect(progressFraction({ fraction: 3 })).toBe(1);
    expect(progressFraction(null)).toBeNull();
  });
  it('percentile is nearest-rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
  it('job data check', () => {
    const ok = { v: 1, episodeId: 'e', episodeDir: '/x', stage: 'cluster', profile: 'balanced', stride: null, after: null, next: null };
    expect(isStageJobData(ok)).toBe(true);
    expect(isStageJobData({ ...ok, stage: 'nope' })).toBe(false);
    expect(isStageJobData({ ...ok, stride: 0 })).toBe(false);
    expect(isStageJobData({ ...ok, profile: 'turbo' })).toBe(false);
  });
});

describe('persistenceWarning', () => {
  it('is quiet with AOF, warns about snapshots only, and loudly about memory only', () => {
    expect(persistenceWarning({ appendonly: 'yes', save: '' }, 'redis://q')).toBeNull();
    expect(persistenceWarning({ appendonly: 'no', save: '3600 1 300 100' }, 'redis://q')).toMatch(/only in snapshots \(save 3600 1 300 100, appendonly no\): a restart loses the jobs added or changed since/);
    expect(persistenceWarning({ appendonly: 'no', save: '' }, 'redis://q')).toMatch(/^Redis at redis:\/\/q keeps the queue in memory only .*loses every queued and running job; turn on appendonly yes$/);
    expect(persistenceWarning({ unknown: "ERR unknown command 'CONFIG'" }, 'redis://q')).toMatch(/could not check .*CONFIG/);
  });
});

describe('lostClaim', () => {
  it("recognises BullMQ's lost-lock errors and the job they name", () => {
    expect(lostClaim('could not renew lock for job 5f1c-aa')).toEqual({ jobId: '5f1c-aa', when: 'renewing' });
    expect(lostClaim('Missing lock for job 5f1c-aa. moveToFinished')).toEqual({ jobId: '5f1c-aa', when: 'finishing' });
    expect(lostClaim('Missing key for job 7. moveToFinished')).toEqual({ jobId: '7', when: 'finishing' });
    expect(lostClaim('Lock mismatch for job 7. Cmd moveToFinished from active')).toEqual({ jobId: '7', when: 'finishing' });
    expect(lostClaim('connect ECONNREFUSED 127.0.0.1:6379')).toBeNull();
  });
});
