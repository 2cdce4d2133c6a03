import { describe, expect, it } from 'vitest';
import { WORKER_DEFAULT_THREADS } from '../shared/stages.js';
import { parseWorkerArgs, UsageError, WORKER_USAGE } from './worker-cli.js';

describe('parseWorkerArgs', () => {
  it('reads every option, with or without the leading "worker"', () => {
    const o = parseWorkerArgs(['worker', '--redis', 'redis://q:6379', '--concurrency', '2', '--threads', '3', '--path-map', '/a=/b', '--path-map', 'Z:\\x=/y', '--name', 'gpu-1', '--stop-grace', '5'], {});
    expect(o).toMatchObject({ redisUrl: 'redis://q:6379', concurrency: 2, threads: 3, name: 'gpu-1', stopGraceMs: 5000 });
    expect(o.pathMap).toEqual([{ from: '/a', to: '/b' }, { from: 'Z:\\x', to: '/y' }]);
    expect(parseWorkerArgs(['--redis', 'redis://q'], {}).threads).toBeUndefined();
    expect(WORKER_USAGE).toContain(`default ${WORKER_DEFAULT_THREADS}`);
  });
  it('takes the URL from SCREENTIME_REDIS_URL (keeps the password off the command line)', () => {
    expect(parseWorkerArgs([], { SCREENTIME_REDIS_URL: 'redis://:pw@q' }).redisUrl).toBe('redis://:pw@q');
  });
  it('refuses bad input with a usage error', () => {
    expect(() => parseWorkerArgs([], {})).toThrow(UsageError);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--threads', '0'], {})).toThrow(/--threads/);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--concurrency', '1.5'], {})).toThrow(/--concurrency/);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--name', 'a/b'], {})).toThrow(/--name/);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--path-map', 'nothing'], {})).toThrow(/FROM=TO/);
    expect(() => parseWorkerArgs(['--redis', 'redis://q', '--bogus'], {})).toThrow();
  });
});
