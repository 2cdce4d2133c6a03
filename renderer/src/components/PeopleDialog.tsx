// The People library dialog: who is in the library, adding people, enrolling them from photos
// (drop photos onto a person or choose them), lock / learn, remove, export / import, and the face
// choice when a photo shows several. Opened from an identity card, it adds that identity's faces
// to the person chosen ("Add to people library").

import { useRef, useState, type DragEvent } from 'react';
import type { PersonView } from '../../../shared/ipc.js';
import { usePeople } from '../store/people-store.js';
import { useApp } from '../store/app-store.js';
import { Icon } from './Icon.js';
import { Modal } from './Modal.js';

/** Drag events over a person row are theirs: the window's own drop (add episodes) must not see them. */
function own(e: DragEvent) {
  e.preventDefault();
  e.stopPropagation();
}

function PersonRow(props: { person: PersonView }) {
  const p = props.person;
  const { enrolFiles, update, remove, addIdentity, adding, busy } = usePeople();
  const [over, setOver] = useState(false);
  const pick = useRef<HTMLInputElement>(null);
  return (
    <li
      className={`person-row${over ? ' drop-target' : ''}`}
      aria-label={p.name}
      onDragEnter={(e) => { own(e); setOver(true); }}
      onDragOver={own}
      onDragLeave={(e) => { own(e); setOver(false); }}
      onDrop={(e) => {
        own(e);
        setOver(false);
        void enrolFiles(p.person_id, Array.from(e.dataTransfer.files));
      }}
    >
      {p.thumb ? <img className="person-thumb" src={p.thumb} width={48} height={48} alt={`Face of ${p.name}`} /> : <div className="person-thumb thumb-empty" aria-hidden="true" />}
      <div className="person-info">
        <div className="person-name">{p.name}{p.locked ? <span className="chip-label">locked</span> : null}</div>
        <div className="muted person-meta">
          {p.faces} face{p.faces === 1 ? '' : 's'}{p.show ? ` · ${p.show}` : ''} · drop photos here
        </div>
      </div>
      <div className="person-actions">
        {adding ? (
          <button type="button" className="btn btn-small btn-primary" disabled={busy || p.locked} onClick={() => void addIdentity(p.person_id)}>
            Add faces here
          </button>
        ) : null}
        <label className="person-toggle" title="Names you accept in episodes add faces to this person">
          <input type="checkbox" checked={p.learn} disabled={busy || p.locked} onChange={(e) => void update(p.person_id, { learn: e.target.checked })} /> Learn
        </label>
        <label className="person-toggle" title="A locked person's name and faces do not change">
          <input type="checkbox" checked={p.locked} disabled={busy} onChange={(e) => void update(p.person_id, { locked: e.target.checked })} /> Lock
        </label>
        <button type="button" className="btn-ghost btn-small" disabled={busy || p.locked} onClick={() => pick.current?.click()} aria-label={`Add photos of ${p.name}`}>
          <Icon name="plus" size={14} /> Photos…
        </button>
        <input
          ref={pick}
          type="file"
          accept="image/*"
          multiple
          hidden
          data-person-photos={p.person_id}
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            void enrolFiles(p.person_id, files);
          }}
        />
        <button type="button" className="btn-ghost btn-small btn-icon" disabled={busy || p.locked} aria-label={`Remove ${p.name}`} title="Remove" onClick={() => void remove(p.person_id)}>
          <Icon name="trash" size={14} />
        </button>
      </div>
    </li>
  );
}

function FaceChoice() {
  const { choice, chooseFace } = usePeople();
  if (!choice) return null;
  return (
    <div className="face-choice" role="group" aria-label="Which face?">
      <div className="field-label">{choice.file.name} shows {choice.faces.length} faces: which one is the person?</div>
      <div className="face-choice-grid">
        {choice.faces.map((f) => (
          <button key={f.index} type="button" className="face-choice-btn" aria-label={`Face ${f.index}`} onClick={() => void chooseFace(f.index)}>
            <img src={f.thumb} width={64} height={64} alt="" />
          </button>
        ))}
      </div>
      <button type="button" className="btn btn-small" onClick={() => void chooseFace(null)}>
        None of them
      </button>
    </div>
  );
}

export function PeopleDialog() {
  const { view, busy, adding, setOpen, add, exportLibrary, importFile } = usePeople();
  const [name, setName] = useState('');
  const importer = useRef<HTMLInputElement>(null);
  const close = () => setOpen(false);
  const submit = async () => {
    const n = name.trim();
    if (!n) return;
    const id = await add(n, false);
    if (id) setName('');
  };
  const saveDir = async (dir: string | null) => {
    const ok = await useApp.getState().bridge?.invoke('settings:set', { peopleDir: dir }).then(() => true, (e: unknown) => {
      useApp.getState().toast({ kind: 'error', title: 'Folder not changed', detail: e instanceof Error ? e.message : String(e) });
      return false;
    });
    if (ok) void usePeople.getState().refresh();
  };
  return (
    <Modal titleId="people-title" onClose={close} wide>
      <h2 id="people-title" className="modal-title">
        People library
      </h2>
      {adding ? (
        <p className="modal-text">
          Add the faces of {adding.label ?? `Person ${adding.identityId + 1}`} to a person below, or add a new person first.
        </p>
      ) : (
        <p className="modal-text">People in the library are named automatically in every episode you cluster. Drop photos onto a person to enrol them.</p>
      )}
      <div className="field-row people-dir">
        <span className="field-help mono" title="Library folder">{view?.dir ?? '…'}</span>
        <DirEditor onSave={saveDir} />
      </div>
      {view?.problem ? (
        <div className="banner banner-error" role="alert">{view.problem}</div>
      ) : null}
      <form
        className="field-row"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <input className="input" placeholder="Name of a new person" aria-label="Name of a new person" maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="btn" disabled={busy || !name.trim()}>
          <Icon name="plus" size={14} /> Add person
        </button>
      </form>
      <FaceChoice />
      <ul className="people-list setup-body" aria-label="People">
        {(view?.people ?? []).map((p) => (
          <PersonRow key={p.person_id} person={p} />
        ))}
        {view && view.people.length === 0 && !view.problem ? <li className="muted">No one yet: add a person, then drop their photos onto them.</li> : null}
      </ul>
      <div className="modal-actions">
        <span className="muted people-busy" aria-live="polite">{busy ? 'Working…' : ''}</span>
        <button type="button" className="btn" onClick={() => void exportLibrary()}>
          <Icon name="download" size={14} /> Export…
        </button>
        <button type="button" className="btn" onClick={() => importer.current?.click()}>
          Import…
        </button>
        <input
          ref={importer}
          type="file"
          accept=".json,application/json"
          hidden
          data-people-import
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
        <button type="button" className="btn btn-primary" onClick={close}>
          Done
        </button>
      </div>
    </Modal>
  );
}

function DirEditor(props: { onSave: (dir: string | null) => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const [dir, setDir] = useState('');
  if (!editing) {
    return (
      <button type="button" className="btn-ghost btn-small" onClick={() => setEditing(true)}>
        Change folder…
      </button>
    );
  }
  return (
    <span className="field-row">
      <input className="input mono" placeholder="/absolute/path (empty: default)" aria-label="Library folder" value={dir} onChange={(e) => setDir(e.target.value)} />
      <button
        type="button"
        className="btn btn-small"
        onClick={() => {
          setEditing(false);
          void props.onSave(dir.trim() || null);
        }}
      >
        Use
      </button>
    </span>
  );
}
