// Geometry for the window's small SVG charts (sparkline, screen-time bars, timeline). Pure maths:
// the components only draw what these return.

/** SVG path "M x y L x y ..." of a series scaled into w×h (y grows downward); nulls break the line. */
export function sparklinePath(values: Array<number | null>, w: number, h: number, maxValue: number): string {
  if (values.length === 0 || maxValue <= 0) return '';
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = values.length > 1 ? i * step : w;
    const y = h - (Math.min(Math.max(v, 0), maxValue) / maxValue) * h;
    d += `${pen ? 'L' : 'M'}${round2(x)} ${round2(y)} `;
    pen = true;
  });
  return d.trim();
}

/** The sparkline's vertical scale: at least one core's worth, else the next whole core above the peak. */
export function sparklineMax(values: Array<number | null>, coreStep = 100): number {
  let peak = 0;
  for (const v of values) if (v !== null && Number.isFinite(v) && v > peak) peak = v;
  return Math.max(coreStep, Math.ceil(peak / coreStep) * coreStep);
}

export interface BarItem {
  id: number;
  label: string;
  value: number;
}

export interface BarLayout extends BarItem {
  y: number;
  width: number;
}

/** Horizontal bars sorted longest first, widths proportional to the longest. */
export function layoutBars(items: BarItem[], maxWidth: number, rowHeight: number): BarLayout[] {
  const sorted = [...items].sort((a, b) => b.value - a.value || a.id - b.id);
  const top = sorted[0]?.value ?? 0;
  return sorted.map((it, i) => ({
    ...it,
    y: i * rowHeight,
    width: top > 0 ? Math.max(it.value > 0 ? 1 : 0, (it.value / top) * maxWidth) : 0,
  }));
}

export interface SegmentRect {
  x: number;
  width: number;
  start: number;
  end: number;
}

/**
 * Segments [start, end] seconds -> rectangles across `width` px for an episode of `duration` s.
 * Very short segments still get a visible sliver (minWidth) so a brief appearance is not lost.
 */
export function layoutSegments(segments: Array<[number, number]>, duration: number, width: number, minWidth = 2): SegmentRect[] {
  if (!(duration > 0) || width <= 0) return [];
  const out: SegmentRect[] = [];
  for (const [a, b] of segments) {
    if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) continue;
    const start = Math.max(0, a);
    const end = Math.min(duration, b);
    if (end < start) continue;
    const x = (start / duration) * width;
    const w = Math.max(minWidth, ((end - start) / duration) * width);
    out.push({ x: round2(Math.min(x, width - minWidth)), width: round2(Math.min(w, width)), start, end });
  }
  return out;
}

/** Evenly spaced "nice" tick positions (seconds) for an axis of `duration` seconds. */
export function timeTicks(duration: number, maxTicks = 8): number[] {
  if (!(duration > 0)) return [0];
  const candidates = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  const step = candidates.find((c) => duration / c <= maxTicks) ?? Math.ceil(duration / maxTicks / 3600) * 3600;
  const ticks: number[] = [];
  for (let t = 0; t <= duration + 1e-9; t += step) ticks.push(t);
  return ticks;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Width of a chart's label column: fits the longest label (about 7 px a character at 12 px), within bounds. */
export function labelColumnWidth(labels: string[], min = 64, max = 160): number {
  const longest = labels.reduce((m, l) => Math.max(m, l.length), 0);
  return Math.min(max, Math.max(min, Math.ceil(longest * 7 + 16)));
}
