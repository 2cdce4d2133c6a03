import { useApp } from '../store/app-store.js';
import { STAGES } from '../../../shared/stages.js';
import { STAGE_LABELS, formatClock, formatResolution } from '../lib/format.js';
import { StateChip } from './StateChip.js';
import { Icon } from './Icon.js';
import { ShowReportButton } from './ShowReport.js';

/** The host adds this to a list entry when one of the episode's artifacts is damaged (host/library/episodes.ts). */
const artifactProblemOf = (ep: object): string | null => {
  const v = (ep as { artifactProblem?: unknown }).artifactProblem;
  return typeof v === 'string' && v ? v : null;
};

/** "episodeId/stage" of every run this window has waiting for the CPU budget, as one comparable string. */
function waitingKeys(runs: ReturnType<typeof useApp.getState>['runs']): string {
  return Object.entries(runs)
    .flatMap(([id, r]) => (r.waiting && r.active === r.waiting.stage ? [`${id}/${r.waiting.stage}`] : []))
    .join(' ');
}

export function Library() {
  const episodes = useApp((s) => s.episodes);
  // A string, so the list re-renders when a wait begins or ends, not on every progress event.
  const waiting = useApp((s) => waitingKeys(s.runs)).split(' ');
  const loaded = useApp((s) => s.libraryLoaded);
  const selectedId = useApp((s) => s.selectedId);
  const select = useApp((s) => s.select);
  const remove = useApp((s) => s.remove);

  return (
    <aside className="library" aria-label="Library">
      <div className="section-head">
        <h2 className="section-title">Library</h2>
        <span className="muted">{episodes.length > 0 ? `${episodes.length} episode${episodes.length === 1 ? '' : 's'}` : ''}</span>
        {episodes.length > 0 ? <ShowReportButton /> : null}
      </div>
      {loaded && episodes.length === 0 ? (
        <div className="empty-library">
          <Icon name="film" size={28} />
          <p>Drop episode folders or video files anywhere on this window, or use “Open folder…”.</p>
          <p className="muted">Files stay where they are; results go into a “screentime” folder beside the video.</p>
        </div>
      ) : null}
      <ul className="episode-list" role="listbox" aria-label="Episodes">
        {episodes.map((ep) => {
          const selected = ep.episodeId === selectedId;
          return (
            <li
              key={ep.episodeId}
              role="option"
              aria-selected={selected}
              tabIndex={0}
              className={`episode-item${selected ? ' selected' : ''}`}
              data-episode-id={ep.episodeId}
              onClick={() => select(ep.episodeId)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  select(ep.episodeId);
                }
                if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                  e.preventDefault();
                  const sib = (e.currentTarget as HTMLElement)[e.key === 'ArrowDown' ? 'nextElementSibling' : 'previousElementSibling'] as HTMLElement | null;
                  sib?.focus();
                }
              }}
            >
              <div className="episode-row">
                <span className="episode-name" title={ep.dir}>
                  {ep.name}
                </span>
                <button
                  type="button"
                  className="btn-ghost btn-icon episode-remove"
                  aria-label={`Remove ${ep.name} from the list`}
                  title="Remove from list (files are kept)"
                  onClick={(e) => {
                    e.stopPropagation();
                    void remove(ep.episodeId);
                  }}
                >
                  <Icon name="close" size={14} />
                </button>
              </div>
              <div className="episode-meta">
                {ep.video ? (
                  <>
                    <span>{formatClock(ep.video.duration_s)}</span>
                    <span>{formatResolution(ep.video.width, ep.video.height)}</span>
                  </>
                ) : null}
                {ep.identityCount !== null ? (
                  <span className="identity-count">
                    {ep.identityCount} {ep.identityCount === 1 ? 'person' : 'people'}
                  </span>
                ) : null}
              </div>
              {ep.problem ? <div className="episode-problem">{ep.problem}</div> : null}
              {artifactProblemOf(ep) ? <div className="episode-problem">{artifactProblemOf(ep)}</div> : null}
              <div className="chips" aria-label="Stages">
                {STAGES.map((s) => (
                  <StateChip key={s} state={waiting.includes(`${ep.episodeId}/${s}`) ? 'waiting' : ep.stages[s]} label={STAGE_LABELS[s]} compact />
                ))}
              </div>
            </li>
          );
        })}
      </ul>
      {episodes.length > 0 ? <p className="library-hint">Drop folders or videos anywhere to add more.</p> : null}
    </aside>
  );
}
