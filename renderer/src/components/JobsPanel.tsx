import { useEffect, useMemo } from 'react';
import { useApp } from '../store/app-store.js';
import { JOB_ACTIVE, jobsFor } from '../store/reducers.js';
import { STAGE_LABELS, formatPercent } from '../lib/format.js';
import { Icon } from './Icon.js';

/** Queue jobs of one episode; listed from the host on load, so they survive a reload. */
export function JobsPanel({ episodeId }: { episodeId: string }) {
  const all = useApp((s) => s.jobs);
  // Derived outside the selector: zustand re-renders forever on a selector that builds new arrays.
  const jobs = useMemo(() => jobsFor(all, episodeId), [all, episodeId]);
  const refreshJobs = useApp((s) => s.refreshJobs);
  const cancelJob = useApp((s) => s.cancelJob);
  const resubmitJob = useApp((s) => s.resubmitJob);
  useEffect(() => {
    void refreshJobs();
  }, [refreshJobs, episodeId]);

  return (
    <section className="card jobs" aria-label="Queue jobs">
      <div className="live-head">
        <h3 className="card-title">Queue jobs</h3>
        <button type="button" className="btn btn-small" onClick={() => void refreshJobs()}>
          Refresh
        </button>
      </div>
      {jobs.length === 0 ? (
        <p className="muted">No jobs for this episode yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Job</th>
              <th>Stage</th>
              <th>State</th>
              <th>Worker</th>
              <th>Progress</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.jobId}>
                <td className="mono">{j.jobId}</td>
                <td>{STAGE_LABELS[j.stage]}</td>
                <td>
                  <span className={`job-state job-${j.state}`}>{j.state}</span>
                  {j.error && j.error.trim().toLowerCase() !== j.state ? <div className="stage-error">{j.error}</div> : null}
                  {j.logs.length > 0 ? (
                    <details className="log">
                      <summary>Log ({j.logs.length})</summary>
                      <pre className="log-body mono">{j.logs.join('\n')}</pre>
                    </details>
                  ) : null}
                </td>
                <td>{j.worker ?? '–'}</td>
                <td>{j.progress !== null ? formatPercent(j.progress > 1 ? j.progress / 100 : j.progress) : '–'}</td>
                <td>
                  {JOB_ACTIVE.has(j.state) ? (
                    <button type="button" className="btn btn-small" onClick={() => void cancelJob(j.jobId)} aria-label={`Cancel job ${j.jobId}`}>
                      <Icon name="stop" size={14} /> Cancel
                    </button>
                  ) : null}
                  {j.state === 'lost' ? (
                    <button type="button" className="btn btn-small" onClick={() => void resubmitJob(j.jobId)} aria-label={`Submit job ${j.jobId} again`}>
                      Resubmit
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
