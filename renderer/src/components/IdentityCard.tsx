import { useEffect, useRef, useState } from 'react';
import type { Edit } from '../../../shared/ipc.js';
import type { IdentityView } from '../store/reducers.js';
import { formatScreenTime, identityName } from '../lib/format.js';
import { Icon } from './Icon.js';
import { PersonSuggestion } from './PersonSuggestion.js';
import { TrackStrip } from './TrackStrip.js';

const THUMB = 88;
const SAMPLE = 36;

export function IdentityCard(props: {
  view: IdentityView;
  episodeId: string;
  selected: boolean;
  mediaUrl: (rel: string) => string;
  onToggle: () => void;
  onEdit: (e: Edit) => Promise<boolean>;
  /** Everyone a track can be moved to. */
  people: ReadonlyArray<{ identity_id: number; label: string | null }>;
  /** The card the review keys act on. */
  focused: boolean;
  onPlay: () => void;
}) {
  const { view, selected } = props;
  const row = view.row;
  const name = identityName(row.identity_id, row.label);
  const [renaming, setRenaming] = useState(false);
  const [draft, setDraft] = useState(name);
  const [showTracks, setShowTracks] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const card = useRef<HTMLElement>(null);
  useEffect(() => {
    if (props.focused) card.current?.scrollIntoView({ block: 'nearest' });
  }, [props.focused]);

  useEffect(() => {
    if (renaming) {
      input.current?.focus();
      input.current?.select();
    }
  }, [renaming]);

  const commit = async () => {
    const label = draft.trim();
    if (!label || label === name) {
      setRenaming(false);
      return;
    }
    const ok = await props.onEdit({ kind: 'rename', identityId: row.identity_id, label });
    if (ok) setRenaming(false);
  };

  return (
    <article
      ref={card}
      className={`identity-card${selected ? ' selected' : ''}${row.ignored ? ' ignored' : ''}${props.focused ? ' focused' : ''}`}
      aria-label={name}
      aria-current={props.focused ? 'true' : undefined}
      data-identity-id={row.identity_id}
    >
      <div className="identity-top">
        <div className="thumb-wrap">
          {row.thumb ? (
            <img className="thumb" src={props.mediaUrl(row.thumb)} width={THUMB} height={THUMB} loading="lazy" decoding="async" alt={`Face of ${name}`} />
          ) : (
            <div className="thumb thumb-empty" aria-hidden="true" />
          )}
          <label className="select-box" title="Select for merging">
            <input type="checkbox" checked={selected} onChange={props.onToggle} aria-label={`Select ${name}`} />
          </label>
        </div>
        <div className="identity-info">
          {renaming ? (
            <input
              ref={input}
              className="input rename-input"
              value={draft}
              maxLength={120}
              aria-label={`New name for ${name}`}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void commit();
                }
                if (e.key === 'Escape') {
                  e.preventDefault();
                  setDraft(name);
                  setRenaming(false);
                }
              }}
              onBlur={() => void commit()}
            />
          ) : (
            <button
              type="button"
              className="identity-name"
              title="Rename"
              aria-label={`Rename ${name}`}
              onClick={() => {
                setDraft(name);
                setRenaming(true);
              }}
            >
              <span className={row.label ? undefined : 'unnamed'}>{name}</span>
              <Icon name="edit" size={13} />
            </button>
          )}
          <div className="identity-time" data-visible-s={view.visibleS}>
            {row.ignored ? 'Not a person' : formatScreenTime(view.visibleS)}
          </div>
          <div className="identity-meta muted">
            {view.nTracks} track{view.nTracks === 1 ? '' : 's'} · {row.n_faces} face{row.n_faces === 1 ? '' : 's'}
          </div>
        </div>
      </div>
      {row.sample_thumbs.length > 0 ? (
        <div className="samples" aria-label="Sample faces">
          {row.sample_thumbs.slice(0, 6).map((t) => (
            <img key={t} className="sample" src={props.mediaUrl(t)} width={SAMPLE} height={SAMPLE} loading="lazy" decoding="async" alt="" />
          ))}
        </div>
      ) : null}
      <PersonSuggestion row={row} episodeId={props.episodeId} onEdit={props.onEdit} />
      <div className="identity-actions">
        <button
          type="button"
          className="btn-ghost btn-small"
          onClick={() => void props.onEdit({ kind: 'ignore', identityId: row.identity_id, ignored: !row.ignored })}
          aria-pressed={row.ignored}
        >
          <Icon name="eyeOff" size={14} /> {row.ignored ? 'Is a person' : 'Not a person'}
        </button>
        <button
          type="button"
          className="btn-ghost btn-small"
          aria-expanded={showTracks}
          onClick={() => setShowTracks(!showTracks)}
          title={row.track_ids.length > 1 ? 'Each track: play it, split it out, or move it to another person' : 'Play this track or move it to another person'}
        >
          <Icon name="split" size={14} /> {row.track_ids.length > 1 ? 'Split…' : 'Move…'}
        </button>
        <button type="button" className="btn-ghost btn-small" onClick={props.onPlay} disabled={view.segments.length === 0} title="Play from this person's first appearance">
          <Icon name="play" size={14} /> Play
        </button>
      </div>
      {showTracks ? (
        <TrackStrip
          episodeId={props.episodeId}
          identityId={row.identity_id}
          name={name}
          trackIds={row.track_ids}
          people={props.people}
          mediaUrl={props.mediaUrl}
          onEdit={props.onEdit}
        />
      ) : null}
    </article>
  );
}
