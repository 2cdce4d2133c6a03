import { describe, expect, it } from 'vitest';
import { labelColumnWidth, layoutBars, layoutSegments, sparklineMax, sparklinePath, timeTicks } from './charts.js';

describe('charts', () => {
  it('draws a sparkline scaled to the box, breaking at gaps', () => {
    expect(sparklinePath([0, 100, 50], 100, 50, 100)).toBe('M0 50 L50 0 L100 25');
    expect(sparklinePath([null, 100, null, 0], 30, 10, 100)).toBe('M10 0 M30 10');
    expect(sparklinePath([], 10, 10, 100)).toBe('');
    // values above the scale are clamped to the top
    expect(sparklinePath([250], 10, 10, 100)).toBe('M10 0');
  });

  it('scales the sparkline to whole cores', () => {
    expect(sparklineMax([null, 20, 80])).toBe(100);
    expect(sparklineMax([150, 199])).toBe(200);
    expect(sparklineMax([])).toBe(100);
  });

  it('sorts bars longest first and scales to the longest', () => {
    const bars = layoutBars(
      [
        { id: 1, label: 'a', value: 5 },
        { id: 2, label: 'b', value: 10 },
        { id: 3, label: 'c', value: 0 },
      ],
      200,
      20,
    );
    expect(bars.map((b) => b.id)).toEqual([2, 1, 3]);
    expect(bars.map((b) => b.width)).toEqual([200, 100, 0]);
    expect(bars.map((b) => b.y)).toEqual([0, 20, 40]);
  });

  it('places segments on the episode clock with a visible minimum width', () => {
    const r = layoutSegments(
      [
        [0, 10],
        [50, 50.01],
        [90, 120],
        [30, 20],
      ],
      100,
      500,
    );
    expect(r).toEqual([
      { x: 0, width: 50, start: 0, end: 10 },
      { x: 250, width: 2, start: 50, end: 50.01 },
      { x: 450, width: 50, start: 90, end: 100 },
    ]);
    expect(layoutSegments([[0, 1]], 0, 500)).toEqual([]);
  });

  it('picks nice tick steps', () => {
    expect(timeTicks(58, 8)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(timeTicks(2700, 6)).toEqual([0, 600, 1200, 1800, 2400]);
  });

  it('sizes the label column to the longest label, within bounds', () => {
    expect(labelColumnWidth(['Person 1', 'Person 12'])).toBe(79);
    expect(labelColumnWidth([])).toBe(64);
    expect(labelColumnWidth(['x'.repeat(40)])).toBe(160);
  });
});
