import { Fragment, useEffect, useRef } from 'react';
import { Modal } from './Modal.js';
import { useApp } from '../store/app-store.js';
import { SETUP_STATE_LABELS, modelRow, setupSummary, setupTone, toolRow, type SetupRow } from '../lib/setup.js';

// Details whose values are paths or program output read better in the monospace font.
const MONO_DETAILS = new Set(['File', 'Looked in', 'Version']);

/**
 * What the pipeline needs on this computer (app:check): ffmpeg, ffprobe and every model, each
 * with its state and, when it is not OK, what to do. Opens by itself at start when something is
 * not OK; Settings opens it at any time.
 */
export function SetupDialog() {
  const setup = useApp((s) => s.setup);
  const checking = useApp((s) => s.setupChecking);
  const closeButton = useRef<HTMLButtonElement>(null);
  const close = () => useApp.getState().setSetupOpen(false);

  useEffect(() => {
    closeButton.current?.focus();
  }, []);

  return (
    <Modal titleId="setup-title" onClose={close} wide>
      <h2 id="setup-title" className="modal-title">
        Setup
      </h2>
      <p className="modal-text">{intro(setup === null, checking, setup?.ok ?? false, setupSummary(setup))}</p>
      {setup ? (
        <div className="setup-body">
          <SetupGroup title="Video tools" rows={setup.tools.map(toolRow)} />
          <SetupGroup title="Models" rows={setup.models.map(modelRow)} />
        </div>
      ) : null}
      <div className="modal-actions">
        <button type="button" className="btn" disabled={checking} onClick={() => void useApp.getState().checkSetup()}>
          {checking ? 'Checking…' : 'Check again'}
        </button>
        <button ref={closeButton} type="button" className="btn btn-primary" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

function intro(none: boolean, checking: boolean, ok: boolean, summary: string): string {
  if (none) return checking ? 'Checking ffmpeg, ffprobe and the models…' : 'The check did not answer: try again.';
  if (ok) return 'Everything the pipeline needs is on this computer and verified.';
  return `${summary} Each row below says what to do.`;
}

function SetupGroup({ title, rows }: { title: string; rows: SetupRow[] }) {
  return (
    <section className="setup-group" aria-label={title}>
      <h3 className="setup-group-title">{title}</h3>
      <ul className="setup-list">
        {rows.map((r) => (
          <SetupItem key={r.id} row={r} />
        ))}
      </ul>
    </section>
  );
}

function SetupItem({ row }: { row: SetupRow }) {
  return (
    <li className="setup-row" data-item={row.id} data-state={row.state}>
      <div className="setup-head">
        <div className="setup-name">
          <span className="mono">{row.name}</span>
          <span className="setup-desc">{row.description}</span>
        </div>
        <span className={`chip setup-chip-${setupTone(row.state)}`} data-state={row.state}>
          <span className="chip-dot" aria-hidden="true" />
          <span className="chip-text">{SETUP_STATE_LABELS[row.state]}</span>
        </span>
      </div>
      <dl className="setup-details">
        {row.details.map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd className={MONO_DETAILS.has(label) ? 'mono' : undefined}>{value}</dd>
          </Fragment>
        ))}
      </dl>
      {row.problem ? <p className="setup-problem">{row.problem}</p> : null}
      {row.fix ? (
        <p className="setup-fix">
          <strong>What to do:</strong> {row.fix}
        </p>
      ) : null}
    </li>
  );
}
