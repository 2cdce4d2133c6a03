import { Modal } from './Modal.js';
import { useEffect, useRef, useState } from 'react';
import { useApp } from '../store/app-store.js';
import { parseTypedPaths } from '../lib/drop.js';

/** The browser host cannot show a native folder picker: the user types paths on the host machine. */
export function OpenPathDialog() {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const close = () => useApp.getState().setOpenDialog(false);
  const paths = parseTypedPaths(text);

  useEffect(() => {
    ref.current?.focus();
  }, []);

  const submit = async () => {
    if (paths.length === 0 || busy) return;
    setBusy(true);
    await useApp.getState().addPaths(paths);
    setBusy(false);
    close();
  };

  return (
    <Modal
      titleId="open-title"
      onClose={close}
      onKey={(e) => {
        // Enter adds; Shift+Enter starts another line for a second path.
        if (e.key === 'Enter' && !e.shiftKey) {
          e.preventDefault();
          void submit();
        }
      }}
    >
      <h2 id="open-title" className="modal-title">
        Open episode folder
      </h2>
      <p className="modal-text">
        Type the path of an episode folder or video file on the computer running Screentime. Several paths: one per line
        (Shift+Enter).
      </p>
      <label className="field">
        <span className="field-label">Path</span>
        <textarea
          ref={ref}
          className="input mono"
          rows={3}
          spellCheck={false}
          placeholder="/home/me/Episodes/S01E01"
          aria-label="Folder or video path"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <div className="modal-actions">
        <button type="button" className="btn" onClick={close}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" disabled={paths.length === 0 || busy} onClick={() => void submit()}>
          {paths.length > 1 ? `Add ${paths.length}` : 'Add'}
        </button>
      </div>
    </Modal>
  );
}
