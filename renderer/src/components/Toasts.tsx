import { useApp } from '../store/app-store.js';
import { Icon } from './Icon.js';

export function Toasts() {
  const toasts = useApp((s) => s.toasts);
  const dismiss = useApp((s) => s.dismiss);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <Icon name={t.kind === 'error' ? 'alert' : 'check'} />
          <div className="toast-body">
            <div className="toast-title">{t.title}</div>
            {t.detail ? <div className="toast-detail">{t.detail}</div> : null}
          </div>
          <button type="button" className="btn-ghost btn-icon" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            <Icon name="close" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
