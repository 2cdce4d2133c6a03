import { describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/stages.js';
import { applyThreadEnv, describeError, hashedConfig, stageConfig } from './run-stage.js';
import { configHash } from './config-hash.js';
import { StageError } from './stage.js';

describe('describeError', () => {
  it('keeps StageError codes, flattens messages to one line, maps the rest', () => {
    expect(describeError(new StageError('bad\n  video', EXIT.BAD_INPUT))).toEqual({ code: EXIT.BAD_INPUT, message: 'bad video' });
    const integrity = Object.assign(new Error('weights: sha256 x does not match'), { name: 'ModelIntegrityError' });
    expect(describeError(integrity).code).toBe(EXIT.MODEL);
    expect(describeError(Object.assign(new Error('no space'), { code: 'ENOSPC' })).code).toBe(EXIT.OUTPUT);
    expect(describeError(new TypeError('x is undefined'))).toEqual({ code: EXIT.INTERNAL, message: 'x is undefined' });
  });
});

describe('applyThreadEnv', () => {
  it('caps every pool the native libraries read', () => {
    const env: NodeJS.ProcessEnv = {};
    applyThreadEnv(2, env);
    expect(env).toEqual({ UV_THREADPOOL_SIZE: '2', OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2', MKL_NUM_THREADS: '2' });
  });
});

describe('hashedConfig', () => {
  const cfg = { profile: 'balanced' as const, stride: 4, threads: 2, device: 'cpu' as const, modelsDir: '/m' };
  it('threads and folders do not change outputs; the stride matters to detect_track only', () => {
    const a = hashedConfig('detect_track', cfg, { m: 'h' });
    expect(hashedConfig('detect_track', { ...cfg, threads: 1, modelsDir: '/other' }, { m: 'h' })).toEqual(a);
    expect(hashedConfig('detect_track', { ...cfg, stride: 5 }, { m: 'h' })).not.toEqual(a);
    expect(hashedConfig('cluster', { ...cfg, stride: 5 }, {})).toEqual(hashedConfig('cluster', cfg, {}));
  });

  it('the sampling is part of detect_track\'s config: recorded and hashed only when it is not the default', () => {
    const asked = { profile: 'balanced' as const, threads: 2 };
    const plain = stageConfig(asked, 4, '/m');
    expect(stageConfig({ ...asked, sampling: 'stride' }, 4, '/m')).toEqual(plain);
    expect(plain).not.toHaveProperty('sampling');
    const decodable = stageConfig({ ...asked, sampling: 'decodable' }, 4, '/m');
    expect(decodable).toEqual({ ...plain, sampling: 'decodable' });
    // A default run keeps the hash it had before the option existed (completed runs stay reusable).
    const before = { stage: 'detect_track', profile: 'balanced', device: 'cpu', models: { m: 'h' }, stride: 4 };
    expect(configHash(hashedConfig('detect_track', plain, { m: 'h' }))).toBe(configHash(before));
    expect(configHash(hashedConfig('detect_track', decodable, { m: 'h' }))).not.toBe(configHash(before));
    // Later stages see it through detect_track's hash in their inputs, not in their own config.
    expect(hashedConfig('faces_embed', decodable, {})).toEqual(hashedConfig('faces_embed', plain, {}));
  });
});
