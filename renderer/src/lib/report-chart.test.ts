import { describe, expect, it } from 'vitest';
import { layoutStackedBars } from './report-chart.js';

describe('layoutStackedBars', () => {
  it('stacks each person\'s episodes left to right, the longest total filling the width', () => {
    const rows = layoutStackedBars(
      [
        { key: 'a', name: 'Ann', seconds: [10, 0, 30], totalS: 40 },
        { key: 'b', name: 'Bob', seconds: [5, 5, 0], totalS: 10 },
      ],
      200,
      24,
    );
    expect(rows[0]!.parts).toEqual([
      { episode: 0, x: 0, width: 50, seconds: 10 },
      { episode: 2, x: 50, width: 150, seconds: 30 },
    ]);
    expect(rows[1]!.y).toBe(24);
    expect(rows[1]!.parts.map((p) => [p.x, p.width])).toEqual([[0, 25], [25, 25]]);
  });
  it('draws nothing for people without time', () => {
    expect(layoutStackedBars([{ key: 'a', name: 'A', seconds: [0], totalS: 0 }], 100, 20)[0]!.parts).toEqual([]);
    expect(layoutStackedBars([], 100, 20)).toEqual([]);
  });
});
