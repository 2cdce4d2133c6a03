// Show report: pick episodes of the library, see screen time per person per episode as a table
// and a stacked bar chart, export it as CSV or JSON (host: report:show, report:export).

import { useEffect, useState } from 'react';
import type { ShowReport as Report } from '../../../shared/report.js';
import { useApp } from '../store/app-store.js';
import { finishExport } from '../lib/download.js';
import { formatScreenTime } from '../lib/format.js';
import { layoutStackedBars, SERIES_COLOURS } from '../lib/report-chart.js';
import { Modal } from './Modal.js';
import { Icon } from './Icon.js';
import { clip } from './ScreentimeChart.js';
import { useWidth } from './useWidth.js';

const ROW = 24;
const LABEL_W = 150;
const VALUE_W = 64;

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The library's button and the dialog it opens. */
export function ShowReportButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)} title="Screen time per person across several episodes">
        Show report
      </button>
      {open ? <ShowReportDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function ShowReportDialog({ onClose }: { onClose: () => void }) {
  const episodes = useApp((s) => s.episodes);
  const ready = episodes.filter((e) => e.stages.screentime === 'completed' || e.stages.screentime === 'stale');
  const [chosen, setChosen] = useState<string[]>(() => ready.map((e) => e.episodeId));
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = chosen.join(',');

  useEffect(() => {
    const bridge = useApp.getState().bridge;
    if (!bridge || chosen.length === 0) {
      setReport(null);
      return;
    }
    let live = true;
    bridge.invoke('report:show', { episodeIds: chosen }).then(
      (r) => live && (setReport(r), setError(null)),
      (e: unknown) => live && (setReport(null), setError(messageOf(e))),
    );
    return () => {
      live = false;
    };
    // `key` stands for `chosen`: the same ids in a new array must not ask again
  }, [key]);

  // Library order, whatever order the boxes were ticked in: the columns follow the list.
  const toggle = (id: string) => setChosen((c) => ready.map((e) => e.episodeId).filter((x) => (x === id ? !c.includes(id) : c.includes(x))));
  const exportAs = async (format: 'csv' | 'json') => {
    const { bridge, toast } = useApp.getState();
    if (!bridge) return;
    try {
      const done = finishExport(await bridge.invoke('report:export', { episodeIds: chosen, format }));
      if (done) toast(done);
    } catch (e) {
      toast({ kind: 'error', title: 'Export failed', detail: messageOf(e) });
    }
  };

  return (
    <Modal titleId="show-report-title" onClose={onClose} wide>
      <h2 id="show-report-title" className="modal-title">
        Show report
      </h2>
      {ready.length === 0 ? <p className="muted">No episode has screen time yet: run the pipeline on some first.</p> : null}
      <fieldset className="report-episodes">
        <legend className="muted">Episodes</legend>
        {ready.map((e) => (
          <label key={e.episodeId} className="check">
            <input type="checkbox" checked={chosen.includes(e.episodeId)} onChange={() => toggle(e.episodeId)} />
            {chosen.includes(e.episodeId) ? <span className={`series-swatch series-${chosen.indexOf(e.episodeId) % SERIES_COLOURS}`} aria-hidden="true" /> : null}
            {e.name}
          </label>
        ))}
      </fieldset>
      {error ? (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      ) : null}
      {report && report.people.length > 0 ? <ReportBody report={report} /> : null}
      {report && report.people.length === 0 ? <p className="muted">Nobody on screen in these episodes.</p> : null}
      <div className="modal-actions">
        <button type="button" className="btn" disabled={!report} onClick={() => void exportAs('csv')}>
          <Icon name="download" size={14} /> Export CSV
        </button>
        <button type="button" className="btn" disabled={!report} onClick={() => void exportAs('json')}>
          <Icon name="download" size={14} /> Export JSON
        </button>
        <button type="button" className="btn btn-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

function ReportBody({ report }: { report: Report }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const barMax = Math.max(40, width - LABEL_W - VALUE_W);
  const rows = layoutStackedBars(report.people, barMax, ROW);
  return (
    <div className="report-body">
      <div ref={ref} className="chart report-chart">
        <svg width={width} height={rows.length * ROW} role="img" aria-label="Screen time per person, one colour per episode">
          {rows.map((r) => (
            <g key={r.key} transform={`translate(0 ${r.y})`} data-person={r.name}>
              <title>{`${r.name}: ${formatScreenTime(r.totalS)}`}</title>
              <text className="chart-label" x={LABEL_W - 8} y={ROW / 2} dominantBaseline="central" textAnchor="end">
                {clip(r.name, 22)}
              </text>
              {r.parts.map((p) => (
                <rect key={p.episode} className={`series-${p.episode % SERIES_COLOURS}`} x={LABEL_W + p.x} y={5} width={Math.max(1, p.width)} height={ROW - 10}>
                  <title>{`${r.name}, ${report.episodes[p.episode]!.name}: ${formatScreenTime(p.seconds)}`}</title>
                </rect>
              ))}
              <text className="chart-value" x={LABEL_W + barMax + 8} y={ROW / 2} dominantBaseline="central">
                {formatScreenTime(r.totalS)}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <div className="report-table-wrap">
        <table className="table report-table">
          <thead>
            <tr>
              <th scope="col">Person</th>
              {report.episodes.map((e, i) => (
                <th key={i} scope="col" className="num">
                  {e.name}
                </th>
              ))}
              <th scope="col" className="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {report.people.map((p) => (
              <tr key={p.key} data-person-key={p.key}>
                <th scope="row" title={p.joined ? 'Matched across episodes' : 'Unnamed: counted in its own episode only'}>
                  {p.name}
                </th>
                {p.seconds.map((s, i) => (
                  <td key={i} className="num" data-seconds={s}>
                    {s > 0 ? formatScreenTime(s) : '–'}
                  </td>
                ))}
                <td className="num" data-seconds={p.totalS}>
                  <b>{formatScreenTime(p.totalS)}</b>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
