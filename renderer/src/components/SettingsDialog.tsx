import { Modal } from './Modal.js';
import { useEffect, useRef, useState } from 'react';
import { useApp } from '../store/app-store.js';
import { queueAvailability } from '../store/reducers.js';
import { setupSummary } from '../lib/setup.js';

/** Queue connection, thermal limit and theme; saved by the host (settings:set). */
export function SettingsDialog() {
  const settings = useApp((s) => s.settings);
  const queueStatus = useApp((s) => s.queueStatus);
  const setup = useApp((s) => s.setup);
  const [redisUrl, setRedisUrl] = useState(settings?.redisUrl ?? '');
  const [limit, setLimit] = useState(settings?.thermalLimitC != null ? String(settings.thermalLimitC) : '');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const close = () => useApp.getState().setSettingsOpen(false);
  const limitNum = limit.trim() === '' ? null : Number(limit);
  const limitValid = limitNum === null || (Number.isFinite(limitNum) && limitNum >= 40 && limitNum <= 110);
  const queue = queueAvailability(queueStatus);

  useEffect(() => {
    first.current?.focus();
  }, []);

  // Settings closes so the Setup dialog is not stacked on it; the check runs again for a fresh view.
  const openSetup = () => {
    const app = useApp.getState();
    app.setSettingsOpen(false);
    app.setSetupOpen(true);
    void app.checkSetup();
  };

  const save = async () => {
    if (!limitValid || busy) return;
    setBusy(true);
    const ok = await useApp.getState().saveSettings({ redisUrl: redisUrl.trim() || null, thermalLimitC: limitNum });
    setBusy(false);
    if (ok) close();
  };

  return (
    <Modal
      titleId="settings-title"
      onClose={close}
      onKey={(e) => {
        if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
          e.preventDefault();
          void save();
        }
      }}
    >
      <h2 id="settings-title" className="modal-title">
        Settings
      </h2>
      <label className="field">
        <span className="field-label">Queue (Redis URL)</span>
        <input
          ref={first}
          className="input mono"
          placeholder="redis://127.0.0.1:6379"
          spellCheck={false}
          value={redisUrl}
          onChange={(e) => setRedisUrl(e.target.value)}
        />
        <span className="field-help">{queue.enabled ? 'Queue reachable.' : queue.reason}</span>
        {settings?.hasPassword && (
          <span className="field-help">The saved password is shown as ***: leave it to keep the password, or type a new one. It is kept only for this server.</span>
        )}
      </label>
      <label className="field">
        <span className="field-label">Thermal limit (°C)</span>
        <input
          className="input input-narrow"
          type="number"
          min={40}
          max={110}
          placeholder="off"
          value={limit}
          aria-invalid={!limitValid}
          onChange={(e) => setLimit(e.target.value)}
        />
        <span className={`field-help${limitValid ? '' : ' invalid'}`}>
          {limitValid ? 'Local runs pause while the CPU is this hot. Empty: pause only when the system reports serious heat.' : 'Enter a temperature between 40 and 110 °C.'}
        </span>
      </label>
      <div className="field">
        <span className="field-label">Setup</span>
        <div className="field-row">
          <span className="field-help">{setupSummary(setup)}</span>
          <button type="button" className="btn btn-small" onClick={openSetup}>
            Setup check…
          </button>
        </div>
      </div>
      <div className="modal-actions">
        <button type="button" className="btn" onClick={close}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" disabled={!limitValid || busy} onClick={() => void save()}>
          Save
        </button>
      </div>
    </Modal>
  );
}
