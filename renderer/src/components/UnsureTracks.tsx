import { useState } from 'react';
import type { UnsureTrack } from '../../../shared/artifacts.js';
import type { Edit } from '../../../shared/ipc.js';
import { identityName } from '../lib/format.js';

const THUMB = 64;

/**
 * Faces the pipeline would not give to anyone (in profile, cut off, blurred, or as close to one
 * person as to another). They count for nobody until the user gives them to a person or makes
 * them a person of their own.
 */
export function UnsureTracks(props: {
  unsure: readonly UnsureTrack[];
  people: ReadonlyArray<{ identity_id: number; label: string | null }>;
  mediaUrl: (rel: string) => string;
  onEdit: (e: Edit) => Promise<boolean>;
  /** Several edits as one undo step (the bulk assign). */
  onEditMany: (e: Edit[]) => Promise<boolean>;
}) {
  const [picked, setPicked] = useState<number[]>([]);
  const [bulkTo, setBulkTo] = useState('');
  const [busy, setBusy] = useState(false);
  // tracks assigned meanwhile (one by one, or undone) leave the selection
  const present = new Set(props.unsure.map((u) => u.track_id));
  const selected = picked.filter((t) => present.has(t));
  if (props.unsure.length === 0) return null;
  const bulk = async (identityId: number | null) => {
    setBusy(true);
    try {
      if (await props.onEditMany(selected.map((trackId) => ({ kind: 'assign', trackId, identityId })))) setPicked([]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label="Unsure faces" className="unsure-section">
      <div className="section-head">
        <h3 className="section-title">Unsure faces</h3>
        <span className="muted">
          {props.unsure.length} track{props.unsure.length === 1 ? '' : 's'} the pipeline would not give to anyone: they count for nobody until you assign them
        </span>
      </div>
      <div className="unsure-bulk card" role="group" aria-label="Assign selected unsure tracks">
        <label className="check">
          <input
            type="checkbox"
            checked={selected.length === props.unsure.length}
            ref={(el) => {
              if (el) el.indeterminate = selected.length > 0 && selected.length < props.unsure.length;
            }}
            onChange={(e) => setPicked(e.target.checked ? props.unsure.map((u) => u.track_id) : [])}
          />{' '}
          {selected.length > 0 ? `${selected.length} selected` : 'Select all'}
        </label>
        <select className="input input-small" value={bulkTo} disabled={busy || selected.length === 0} aria-label="Person for the selected tracks" onChange={(e) => setBulkTo(e.target.value)}>
          <option value="">Choose a person…</option>
          {props.people.map((p) => (
            <option key={p.identity_id} value={p.identity_id}>
              {identityName(p.identity_id, p.label)}
            </option>
          ))}
        </select>
        <button type="button" className="btn btn-small btn-primary" disabled={busy || selected.length === 0 || bulkTo === ''} onClick={() => void bulk(Number(bulkTo))}>
          Give {selected.length || ''} to this person
        </button>
        <button type="button" className="btn-ghost btn-small" disabled={busy || selected.length === 0} onClick={() => void bulk(null)}>
          Each a new person
        </button>
      </div>
      <div className="unsure-grid">
        {props.unsure.map((u) => (
          <UnsureCard
            key={u.track_id}
            track={u}
            people={props.people}
            mediaUrl={props.mediaUrl}
            onEdit={props.onEdit}
            picked={selected.includes(u.track_id)}
            onPick={() => setPicked(selected.includes(u.track_id) ? selected.filter((t) => t !== u.track_id) : selected.concat([u.track_id]))}
          />
        ))}
      </div>
    </section>
  );
}

function UnsureCard(props: {
  track: UnsureTrack;
  people: ReadonlyArray<{ identity_id: number; label: string | null }>;
  mediaUrl: (rel: string) => string;
  onEdit: (e: Edit) => Promise<boolean>;
  picked: boolean;
  onPick: () => void;
}) {
  const { track, people } = props;
  const nearest = people.find((p) => p.identity_id === track.nearest_identity) ?? null;
  const [choice, setChoice] = useState<string>(nearest ? String(nearest.identity_id) : '');
  const [busy, setBusy] = useState(false);
  const assign = async (identityId: number | null) => {
    setBusy(true);
    try {
      await props.onEdit({ kind: 'assign', trackId: track.track_id, identityId });
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className={`unsure-card${props.picked ? ' selected' : ''}`} aria-label={`Unsure track ${track.track_id}`} data-track-id={track.track_id}>
      <div className="thumb-wrap">
        {track.thumb ? (
          <img className="thumb" src={props.mediaUrl(track.thumb)} width={THUMB} height={THUMB} loading="lazy" decoding="async" alt={`Unsure face, track ${track.track_id}`} />
        ) : (
          <div className="thumb thumb-empty" aria-hidden="true" />
        )}
        <label className="select-box" title="Select to assign several at once">
          <input type="checkbox" checked={props.picked} onChange={props.onPick} aria-label={`Select track ${track.track_id}`} />
        </label>
      </div>
      <div className="unsure-body">
        <div className="mono">Track {track.track_id}</div>
        <div className="muted small">{nearest ? `Closest: ${identityName(nearest.identity_id, nearest.label)}` : 'Close to no one'}</div>
        <div className="unsure-actions">
          <select className="input input-small" value={choice} disabled={busy} aria-label={`Person for track ${track.track_id}`} onChange={(e) => setChoice(e.target.value)}>
            <option value="">Choose a person…</option>
            {people.map((p) => (
              <option key={p.identity_id} value={p.identity_id}>
                {identityName(p.identity_id, p.label)}
              </option>
            ))}
          </select>
          <button type="button" className="btn btn-small" disabled={busy || choice === ''} onClick={() => void assign(Number(choice))}>
            Assign
          </button>
          <button type="button" className="btn-ghost btn-small" disabled={busy} onClick={() => void assign(null)}>
            New person
          </button>
        </div>
      </div>
    </article>
  );
}
