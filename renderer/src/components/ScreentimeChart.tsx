import { useState } from 'react';
import type { IdentityView } from '../store/reducers.js';
import { labelColumnWidth, layoutBars } from '../lib/charts.js';
import { formatScreenTime, identityName } from '../lib/format.js';
import { useWidth } from './useWidth.js';

const ROW = 24;
const VALUE_W = 64;
const LIMIT = 20;

/** Horizontal bars, longest screen time first. */
export function ScreentimeChart({ views }: { views: IdentityView[] }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [all, setAll] = useState(false);
  const LABEL_W = labelColumnWidth(views.map((v) => clip(identityName(v.row.identity_id, v.row.label), 18)));
  const barMax = Math.max(40, width - LABEL_W - VALUE_W);
  const bars = layoutBars(
    views.map((v) => ({ id: v.row.identity_id, label: identityName(v.row.identity_id, v.row.label), value: v.visibleS })),
    barMax,
    ROW,
  );
  const shown = all ? bars : bars.slice(0, LIMIT);
  if (views.length === 0) return <p className="muted">Nobody to show.</p>;
  return (
    <div ref={ref} className="chart">
      <svg width={width} height={shown.length * ROW} role="img" aria-label="Screen time per person, longest first">
        {shown.map((b, i) => (
          <g key={b.id} transform={`translate(0 ${i * ROW})`} data-bar-id={b.id}>
            <title>{`${b.label}: ${formatScreenTime(b.value)}`}</title>
            <text className="chart-label" x={LABEL_W - 8} y={ROW / 2} dominantBaseline="central" textAnchor="end">
              {clip(b.label, 18)}
            </text>
            <rect className="bar-track" x={LABEL_W} y={5} width={barMax} height={ROW - 10} rx={3} />
            <rect className="bar" x={LABEL_W} y={5} width={b.width} height={ROW - 10} rx={3} />
            <text className="chart-value" x={LABEL_W + barMax + 8} y={ROW / 2} dominantBaseline="central">
              {formatScreenTime(b.value)}
            </text>
          </g>
        ))}
      </svg>
      {bars.length > LIMIT ? (
        <button type="button" className="btn-link" onClick={() => setAll(!all)}>
          {all ? `Show top ${LIMIT}` : `Show all ${bars.length}`}
        </button>
      ) : null}
    </div>
  );
}

export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
