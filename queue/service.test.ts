import { describe, expect, it } from 'vitest';
import { QueueService, describeRedisError, normaliseStages, probeRedis, withTimeout } from './service.js';
import { redisMissing, startTestRedis } from './test-redis.js';

describe('normaliseStages', () => {
  it('puts stages in pipeline order, once each', () => {
    expect(normaliseStages(['screentime', 'detect_track', 'screentime'])).toEqual(['detect_track', 'screentime']);
  });
  it('refuses an empty list and unknown names', () => {
    expect(() => normaliseStages([])).toThrow(/at least one stage/);
    expect(() => normaliseStages(['detect_track', 'transcode'])).toThrow(/unknown stage: transcode/);
  });
});

describe('describeRedisError / withTimeout', () => {
  it('prefers the socket error code, else Redis words', () => {
    expect(describeRedisError(Object.assign(new Error('connect ECONNREFUSED 1.2.3.4:6379'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(describeRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toMatch(/^WRONGPASS/);
  });
  it('rejects a promise that never settles', async () => {
    await expect(withTimeout(new Promise(() => {}), 50, 'too slow')).rejects.toThrow('too slow');
    await expect(withTimeout(Promise.resolve(7), 50, 'too slow')).resolves.toBe(7);
  });
});

describe.skipIf(redisMissing())('a password-protected Redis', () => {
  it('connects with the password in the URL and says WRONGPASS / NOAUTH without it, never echoing it', async () => {
    const redis = await startTestRedis({ password: 'p@ss word' });
    const svc = new QueueService();
    try {
      expect(await probeRedis(redis.url)).toEqual({ ok: true });
      await svc.configure(redis.url);
      const ok = await svc.status();
      expect(ok.reachable).toBe(true);
      expect(ok.message).toContain(`redis://:***@127.0.0.1:${redis.port}`);
      expect(ok.message).not.toContain('p@ss');

      await svc.configure(`redis://:wrong@127.0.0.1:${redis.port}`);
      const bad = await svc.status();
      expect(bad.reachable).toBe(false);
      expect(bad.message).toMatch(new RegExp(`^Cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}: WRONGPASS`));

      await svc.configure(`redis://127.0.0.1:${redis.port}`);
      expect((await svc.status()).message).toMatch(/NOAUTH/);
    } finally {
      await svc.close();
      await redis.stop();
    }
  });
});
