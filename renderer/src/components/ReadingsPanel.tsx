import type { AppCpuUse, Readings } from '../../../shared/ipc.js';
import { formatBytes } from '../lib/format.js';
import { sparklineMax, sparklinePath } from '../lib/charts.js';

const W = 240;
const H = 48;

const THERMAL_WORDS: Record<Readings['thermal']['state'], string> = {
  nominal: 'Normal',
  fair: 'Warm',
  serious: 'Hot',
  critical: 'Critical',
  unavailable: 'Sensor unavailable',
};

/**
 * Every local stage of the app together, against the CPU budget they share: the figures above
 * are this stage's tree only.
 */
function AppUse({ app }: { app: AppCpuUse }) {
  const parts = [
    `${app.stages} running`,
    ...(app.waiting > 0 ? [`${app.waiting} waiting`] : []),
    `CPU ${app.cpuPercent !== null ? `${Math.round(app.cpuPercent)}%` : '–'}`,
    `${app.threads ?? '–'} threads`,
    `${app.threadsInUse} of ${app.budgetThreads} budget threads in use`,
  ];
  return (
    <div className="app-use muted" aria-label="All local stages">
      All local stages: {parts.join(' · ')}
    </div>
  );
}

/** CPU, threads, memory and temperature of the running stage's process tree. */
export function ReadingsPanel({ readings }: { readings: Readings[] }) {
  const last = readings[readings.length - 1];
  const cpu = readings.map((r) => r.cpuPercent);
  const max = sparklineMax(cpu);
  const d = sparklinePath(cpu, W, H, max);
  const cores = last ? last.cpuCount : null;
  const thermal = last?.thermal;

  return (
    <div className="readings" aria-label="Resource readings">
      <div className="spark-box">
        <div className="reading-label">
          CPU (stage processes)
          <span className="reading-value">{last?.cpuPercent != null ? `${Math.round(last.cpuPercent)}%` : '–'}</span>
        </div>
        <svg className="sparkline" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label="CPU use over time">
          {Array.from({ length: max / 100 - 1 }, (_, i) => (
            <line key={i} className="spark-grid" x1={0} x2={W} y1={H - ((i + 1) * 100 * H) / max} y2={H - ((i + 1) * 100 * H) / max} />
          ))}
          {d ? <path className="spark-line" d={d} /> : null}
        </svg>
        <div className="spark-scale muted">
          scale {max}% = {max / 100} core{max === 100 ? '' : 's'}
          {cores ? ` of ${cores}` : ''}
        </div>
      </div>
      <dl className="reading-grid">
        <div>
          <dt>Threads</dt>
          <dd>{last?.threads ?? '–'}</dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd>{formatBytes(last?.rssBytes ?? null)}</dd>
        </div>
        <div>
          <dt>Processes</dt>
          <dd>{last ? last.processes : '–'}</dd>
        </div>
        <div>
          <dt>Load</dt>
          <dd>{last ? last.loadAvg[0].toFixed(2) : '–'}</dd>
        </div>
        <div>
          <dt>Thermal</dt>
          <dd className={thermal && (thermal.state === 'serious' || thermal.state === 'critical') ? 'hot' : undefined}>
            {thermal ? THERMAL_WORDS[thermal.state] : '–'}
            {thermal?.maxTempC != null ? ` · ${Math.round(thermal.maxTempC)} °C` : ''}
            {thermal?.speedLimit != null && thermal.speedLimit < 100 ? ` · limited to ${thermal.speedLimit}%` : ''}
          </dd>
        </div>
      </dl>
      {last?.app ? <AppUse app={last.app} /> : null}
      {last?.paused ? (
        <div className="paused" role="status">
          Paused by thermal guard: the stage waits until the CPU cools down.
        </div>
      ) : null}
    </div>
  );
}
