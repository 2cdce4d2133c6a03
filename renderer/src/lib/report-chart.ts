// Geometry of the show report's chart: one horizontal bar per person, split into one part per
// episode (stacked left to right in episode order), widths proportional to the longest total.

export interface StackPart {
  /** Index of the episode (its colour). */
  episode: number;
  x: number;
  width: number;
  seconds: number;
}

export interface StackRow {
  key: string;
  name: string;
  totalS: number;
  y: number;
  parts: StackPart[];
}

/** Number of episode colours the stylesheet defines (.series-0 ...); more episodes reuse them. */
export const SERIES_COLOURS = 6;

export function layoutStackedBars(people: ReadonlyArray<{ key: string; name: string; seconds: readonly number[]; totalS: number }>, maxWidth: number, rowHeight: number): StackRow[] {
  const top = Math.max(0, ...people.map((p) => p.totalS));
  const scale = top > 0 ? maxWidth / top : 0;
  return people.map((p, i) => {
    let x = 0;
    const parts: StackPart[] = [];
    p.seconds.forEach((s, episode) => {
      if (!(s > 0)) return;
      const width = s * scale;
      parts.push({ episode, x, width, seconds: s });
      x += width;
    });
    return { key: p.key, name: p.name, totalS: p.totalS, y: i * rowHeight, parts };
  });
}
