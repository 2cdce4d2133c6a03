// A stable short hash of a stage's configuration and of the stage outputs it was computed from.
// Keys are sorted so that the same config always gives the same hash, whatever the key order.

import { createHash } from 'node:crypto';

export function stableStringify(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) return 'null';
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
}

/** 16 hex characters of sha256: enough to tell configs apart, short enough to read in a manifest. */
export function configHash(config: unknown, inputs: Record<string, string> = {}): string {
  return createHash('sha256').update(stableStringify({ config, inputs })).digest('hex').slice(0, 16);
}
