import { useEffect, useState } from 'react';
import type { Edit, TrackInfo } from '../../../shared/ipc.js';
import { useApp } from '../store/app-store.js';
import { formatClock, identityName } from '../lib/format.js';
import { Icon } from './Icon.js';

const THUMB = 48;

/**
 * One person's tracks side by side (a face and when it is on screen each): play one, split it out
 * into a person of its own, or move it to another person.
 */
export function TrackStrip(props: {
  episodeId: string;
  identityId: number;
  name: string;
  trackIds: readonly number[];
  people: ReadonlyArray<{ identity_id: number; label: string | null }>;
  mediaUrl: (rel: string) => string;
  onEdit: (e: Edit) => Promise<boolean>;
}) {
  const bridge = useApp((s) => s.bridge);
  const playFrom = useApp((s) => s.playFrom);
  const [tracks, setTracks] = useState<TrackInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const key = props.trackIds.join(',');

  useEffect(() => {
    if (!bridge) return;
    let live = true;
    bridge
      .invoke('results:tracks', { episodeId: props.episodeId, trackIds: [...props.trackIds] })
      .then((t) => live && setTracks(t))
      .catch((e: unknown) => live && setProblem(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
    // key stands for trackIds
  }, [bridge, props.episodeId, key]);

  if (problem) return <p className="muted small">{problem}</p>;
  if (!tracks) return <p className="muted small">Loading tracks…</p>;
  const others = props.people.filter((p) => p.identity_id !== props.identityId);
  return (
    <ul className="track-strip" aria-label={`Tracks of ${props.name}`}>
      {tracks.map((t) => (
        <li key={t.trackId} className="track-item" data-track-id={t.trackId}>
          <button
            type="button"
            className="track-thumb"
            title={`Play track ${t.trackId} from ${formatClock(t.firstTs)}`}
            aria-label={`Play track ${t.trackId}`}
            onClick={() => playFrom({ episodeId: props.episodeId, at: t.firstTs, identityId: props.identityId, trackIds: [t.trackId] })}
          >
            {t.thumb ? <img src={props.mediaUrl(t.thumb)} width={THUMB} height={THUMB} loading="lazy" decoding="async" alt="" /> : <span className="thumb-empty" />}
            <span className="track-play" aria-hidden="true">
              <Icon name="play" size={12} />
            </span>
          </button>
          <div className="track-body">
            <div className="track-title">
              <span className="mono">Track {t.trackId}</span>
              <span className="muted">
                {formatClock(t.firstTs)}–{formatClock(t.lastTs)}
              </span>
            </div>
            <div className="track-actions">
              {props.trackIds.length > 1 ? (
                <button type="button" className="btn btn-small" onClick={() => void props.onEdit({ kind: 'split', trackId: t.trackId })}>
                  Split out
                </button>
              ) : null}
              <select
                className="input input-small"
                value=""
                aria-label={`Move track ${t.trackId} to`}
                onChange={(e) => {
                  const v = e.target.value;
                  if (v === '') return;
                  void props.onEdit({ kind: 'move', trackId: t.trackId, identityId: v === 'new' ? null : Number(v) });
                }}
              >
                <option value="">Move to…</option>
                {props.trackIds.length > 1 ? <option value="new">A new person</option> : null}
                {others.map((p) => (
                  <option key={p.identity_id} value={p.identity_id}>
                    {identityName(p.identity_id, p.label)}
                  </option>
                ))}
              </select>
            </div>
          </div>
        </li>
      ))}
    </ul>
  );
}
