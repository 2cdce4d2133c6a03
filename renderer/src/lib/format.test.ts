import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatEta, formatPercent, formatRate, formatScreenTime, identityName, summaryPairs } from './format.js';

describe('format', () => {
  it('formats clock positions', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(7.9)).toBe('0:07');
    expect(formatClock(725)).toBe('12:05');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(-1)).toBe('–');
    expect(formatClock(Number.NaN)).toBe('–');
  });

  it('formats screen time precisely when short', () => {
    expect(formatScreenTime(6.24)).toBe('6.2 s');
    expect(formatScreenTime(185)).toBe('3 min 05 s');
    expect(formatScreenTime(3720)).toBe('1 h 02 min');
  });

  it('rounds ETA so it does not flicker', () => {
    expect(formatEta(null)).toBe('estimating…');
    expect(formatEta(0.4)).toBe('almost done');
    expect(formatEta(7.2)).toBe('about 8 s left');
    expect(formatEta(42)).toBe('about 40 s left');
    expect(formatEta(44)).toBe('about 45 s left');
    expect(formatEta(150)).toBe('about 3 min left');
    expect(formatEta(3 * 3600 + 5 * 60)).toBe('about 3 h 05 min left');
  });

  it('formats bytes, percents, rates', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MB');
    expect(formatBytes(null)).toBe('–');
    expect(formatPercent(0.427)).toBe('43%');
    expect(formatPercent(1.3)).toBe('100%');
    expect(formatRate(31.6)).toBe('32');
    expect(formatRate(3.14)).toBe('3.1');
  });

  it('lists summary stats, skipping nested values', () => {
    expect(summaryPairs({ n_tracks: 12, mean_conf: 0.8123, ok: true, nested: { a: 1 } as unknown as number, none: null })).toEqual([
      ['n tracks', '12'],
      ['mean conf', '0.81'],
      ['ok', 'true'],
    ]);
    expect(summaryPairs(null)).toEqual([]);
  });

  it('names unnamed identities by a one-based number', () => {
    expect(identityName(0, null)).toBe('Person 1');
    expect(identityName(4, '  ')).toBe('Person 5');
    expect(identityName(4, 'Biden')).toBe('Biden');
  });
});
