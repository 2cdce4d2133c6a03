import { describe, expect, it } from 'vitest';
import { bytesToBase64, isImageFile, personLine } from './people.js';

describe('people helpers', () => {
  it('base64 of large byte arrays matches Node', () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 255);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(bytesToBase64(new Uint8Array())).toBe('');
  });

  it('images by type or name', () => {
    expect(isImageFile({ name: 'x.PNG', type: '' })).toBe(true);
    expect(isImageFile({ name: 'x', type: 'image/jpeg' })).toBe(true);
    expect(isImageFile({ name: 'notes.txt', type: 'text/plain' })).toBe(false);
  });

  it('the card line per match kind', () => {
    expect(personLine({ match: 'suggested', person_name: 'Evan', distance: 0.2861 })).toEqual({ kind: 'suggested', text: 'Is this Evan? (distance 0.29)' });
    expect(personLine({ match: 'auto', person_name: 'Evan', distance: 0.17 })?.kind).toBe('auto');
    expect(personLine({ match: 'none', person_name: null, distance: null })).toBeNull();
    expect(personLine({})).toBeNull();
  });
});
