import { describe, expect, it } from 'vitest';
import { configHash, stableStringify } from './config-hash.js';

describe('configHash', () => {
  it('ignores key order and undefined, sees every value', () => {
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: undefined }] })).toBe('{"a":[1,{"d":2}],"b":1}');
    expect(configHash({ a: 1, b: 2 })).toBe(configHash({ b: 2, a: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
    expect(configHash({ a: 1 }, { detect_track: 'x' })).not.toBe(configHash({ a: 1 }, { detect_track: 'y' }));
    expect(configHash({})).toMatch(/^[0-9a-f]{16}$/);
  });
});
