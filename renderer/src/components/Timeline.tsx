import { useState } from 'react';
import type { IdentityView } from '../store/reducers.js';
import { labelColumnWidth, layoutSegments, timeTicks } from '../lib/charts.js';
import { formatClock, formatScreenTime, identityName } from '../lib/format.js';
import { useWidth } from './useWidth.js';
import { clip } from './ScreentimeChart.js';

const ROW = 22;
const AXIS = 20;
const LIMIT = 20;

interface Hover {
  name: string;
  start: number;
  end: number;
}

/** One row per person; each appearance is a bar placed on the episode's clock. */
export function Timeline({ views, duration, onSegment }: { views: IdentityView[]; duration: number; onSegment?: (identityId: number, start: number) => void }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<Hover | null>(null);
  const [all, setAll] = useState(false);
  const LABEL_W = labelColumnWidth(views.map((v) => clip(identityName(v.row.identity_id, v.row.label), 18)));
  const trackW = Math.max(60, width - LABEL_W - 16);
  const shown = all ? views : views.slice(0, LIMIT);
  const ticks = timeTicks(duration, Math.max(2, Math.floor(trackW / 70)));
  const height = shown.length * ROW + AXIS;
  if (views.length === 0 || !(duration > 0)) return <p className="muted">Nothing to place on the timeline yet.</p>;

  return (
    <div ref={ref} className="chart">
      <div className="timeline-readout" aria-live="polite">
        {hover ? (
          <>
            <b>{hover.name}</b> {formatClock(hover.start)} – {formatClock(hover.end)} <span className="muted">({formatScreenTime(hover.end - hover.start)})</span>
          </>
        ) : (
          <span className="muted">Point at a bar to see when that person is on screen{onSegment ? '; click it to play from there' : ''}.</span>
        )}
      </div>
      <svg width={width} height={height} role="img" aria-label="When each person is on screen" onMouseLeave={() => setHover(null)}>
        {ticks.map((t) => {
          const x = LABEL_W + (t / duration) * trackW;
          return (
            <g key={t}>
              <line className="tick-line" x1={x} x2={x} y1={0} y2={shown.length * ROW} />
              <text className="tick-label" x={x} y={shown.length * ROW + 14} textAnchor={t === 0 ? 'start' : 'middle'}>
                {formatClock(t)}
              </text>
            </g>
          );
        })}
        {shown.map((v, i) => {
          const name = identityName(v.row.identity_id, v.row.label);
          const rects = layoutSegments(v.segments, duration, trackW);
          return (
            <g key={v.row.identity_id} transform={`translate(0 ${i * ROW})`} data-timeline-id={v.row.identity_id}>
              <text className="chart-label" x={LABEL_W - 8} y={ROW / 2} dominantBaseline="central" textAnchor="end">
                {clip(name, 18)}
              </text>
              <rect className="lane" x={LABEL_W} y={3} width={trackW} height={ROW - 6} rx={2} />
              {rects.map((r, k) => (
                <rect
                  key={k}
                  className={`segment${hover && hover.name === name && hover.start === r.start ? ' hot' : ''}`}
                  x={LABEL_W + r.x}
                  y={4}
                  width={r.width}
                  height={ROW - 8}
                  rx={1.5}
                  onMouseEnter={() => setHover({ name, start: r.start, end: r.end })}
                  onClick={onSegment ? () => onSegment(v.row.identity_id, r.start) : undefined}
                  data-start={r.start}
                >
                  <title>{`${name}: ${formatClock(r.start)} – ${formatClock(r.end)} (${formatScreenTime(r.end - r.start)})`}</title>
                </rect>
              ))}
            </g>
          );
        })}
      </svg>
      {views.length > LIMIT ? (
        <button type="button" className="btn-link" onClick={() => setAll(!all)}>
          {all ? `Show top ${LIMIT}` : `Show all ${views.length}`}
        </button>
      ) : null}
    </div>
  );
}
