import { useMemo, useState } from 'react';
import { useApp } from '../store/app-store.js';
import { identityViews, pageSlice, toggleId } from '../store/reducers.js';
import { formatClock, formatScreenTime, identityName } from '../lib/format.js';
import { ScreentimeChart } from './ScreentimeChart.js';
import { Timeline } from './Timeline.js';
import { IdentityCard } from './IdentityCard.js';
import { UnsureTracks } from './UnsureTracks.js';
import { Icon } from './Icon.js';
import { EditingExports } from './EditingExports.js';
import { VideoPlayer } from './VideoPlayer.js';
import { useReviewKeys } from './useReviewKeys.js';

const PER_PAGE = 48;

export function ResultsPanel({ episodeId }: { episodeId: string }) {
  const results = useApp((s) => s.results[episodeId]);
  const selection = useApp((s) => s.selection);
  const episode = useApp((s) => s.episodes.find((e) => e.episodeId === episodeId));
  const bridge = useApp((s) => s.bridge);
  const player = useApp((s) => (s.player?.episodeId === episodeId ? s.player : null));
  const focusedId = useApp((s) => s.focusedId);
  const { edit, editMany, setSelection, exportResults, undo, redo, playFrom } = useApp.getState();
  const [page, setPage] = useState(0);
  const [showIgnored, setShowIgnored] = useState(true);
  const views = useMemo(() => identityViews(results), [results]);
  const visible = useMemo(() => (showIgnored ? views : views.filter((v) => !v.row.ignored)), [views, showIgnored]);
  const people = views.filter((v) => !v.row.ignored);
  const paged = pageSlice(visible, page, PER_PAGE);
  useReviewKeys(episodeId, paged.items.map((v) => v.row.identity_id));

  if (!results) {
    return (
      <div className="placeholder small">
        <h2>No results yet</h2>
        <p className="muted">Run the pipeline (all four stages) to see who is on screen.</p>
      </div>
    );
  }

  const duration = results.screentime?.duration_s ?? episode?.video?.duration_s ?? 0;
  const totalVisible = people.reduce((a, v) => a + v.visibleS, 0);
  const names = new Map(views.map((v) => [v.row.identity_id, identityName(v.row.identity_id, v.row.label)]));
  const history = results.history;
  const playPerson = (id: number, at?: number) => {
    const v = views.find((x) => x.row.identity_id === id);
    const start = at ?? v?.segments[0]?.[0];
    if (v && start !== undefined) playFrom({ episodeId, at: start, identityId: id, trackIds: v.row.track_ids });
  };
  const merge = async () => {
    if (selection.length < 2) return;
    const ok = await edit(episodeId, { kind: 'merge', identityIds: selection });
    if (ok) setSelection([]);
  };

  return (
    <div className="results">
      <div className="results-toolbar card">
        <div className="results-summary">
          <b>{people.length}</b> {people.length === 1 ? 'person' : 'people'}
          <span className="muted">
            {' '}
            · {formatScreenTime(totalVisible)} on screen in total · episode {formatClock(duration)}
          </span>
          {results.screentime === null ? <span className="muted"> · screen time not computed yet</span> : null}
        </div>
        <div className="toolbar-actions">
          <button
            type="button"
            className="btn btn-small"
            disabled={!history?.undo}
            onClick={() => void undo(episodeId)}
            title={history?.nextUndo ? `Undo: ${history.nextUndo} (Ctrl+Z)` : 'Nothing to undo'}
          >
            <Icon name="undo" size={14} /> Undo
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={!history?.redo}
            onClick={() => void redo(episodeId)}
            title={history?.nextRedo ? `Redo: ${history.nextRedo} (Shift+Ctrl+Z)` : 'Nothing to redo'}
          >
            <Icon name="redo" size={14} /> Redo
          </button>
          <span className="toolbar-sep" aria-hidden="true" />
          {selection.length > 0 ? (
            <span className="selection-note" aria-live="polite">
              {selection.length} selected: {selection.map((id) => names.get(id) ?? `#${id}`).join(', ')}
            </span>
          ) : null}
          {selection.length > 0 ? (
            <button type="button" className="btn btn-small" onClick={() => setSelection([])}>
              Clear
            </button>
          ) : null}
          <button type="button" className="btn btn-small" disabled={selection.length < 2} onClick={() => void merge()} title="Select two or more people to merge them">
            <Icon name="merge" size={14} /> Merge{selection.length >= 2 ? ` ${selection.length}` : ''}
          </button>
          <span className="toolbar-sep" aria-hidden="true" />
          <button type="button" className="btn btn-small" onClick={() => void exportResults(episodeId, 'csv')}>
            <Icon name="download" size={14} /> Export CSV
          </button>
          <button type="button" className="btn btn-small" onClick={() => void exportResults(episodeId, 'json')}>
            <Icon name="download" size={14} /> Export JSON
          </button>
          <span className="toolbar-sep" aria-hidden="true" />
          <EditingExports episodeId={episodeId} people={people.map((v) => identityName(v.row.identity_id, v.row.label))} />
        </div>
      </div>

      {player ? <VideoPlayer target={player} /> : null}

      <div className="charts">
        <section className="card" aria-label="Screen time by person">
          <h3 className="card-title">Screen time</h3>
          <ScreentimeChart views={people} />
        </section>
        <section className="card timeline-card" aria-label="Timeline">
          <h3 className="card-title">Timeline</h3>
          <Timeline views={people} duration={duration} onSegment={(id, start) => playPerson(id, start)} />
        </section>
      </div>

      <section aria-label="People">
        <div className="section-head">
          <h3 className="section-title">People</h3>
          <label className="check">
            <input type="checkbox" checked={showIgnored} onChange={(e) => setShowIgnored(e.target.checked)} /> Show “not a person”
          </label>
        </div>
        <div className="identity-grid">
          {paged.items.map((v) => (
            <IdentityCard
              key={v.row.identity_id}
              view={v}
              episodeId={episodeId}
              mediaUrl={(rel) => bridge?.mediaUrl(episodeId, rel) ?? ''}
              selected={selection.includes(v.row.identity_id)}
              onToggle={() => setSelection(toggleId(useApp.getState().selection, v.row.identity_id))}
              onEdit={(e) => edit(episodeId, e)}
              people={views.map((x) => x.row)}
              focused={focusedId === v.row.identity_id}
              onPlay={() => playPerson(v.row.identity_id)}
            />
          ))}
        </div>
        {paged.pages > 1 ? (
          <nav className="pager" aria-label="Pages">
            <button type="button" className="btn btn-small" disabled={paged.page === 0} onClick={() => setPage(paged.page - 1)}>
              Previous
            </button>
            <span className="muted">
              Page {paged.page + 1} of {paged.pages}
            </span>
            <button type="button" className="btn btn-small" disabled={paged.page >= paged.pages - 1} onClick={() => setPage(paged.page + 1)}>
              Next
            </button>
          </nav>
        ) : null}
      </section>

      <UnsureTracks
        unsure={results.unsure ?? []}
        people={views.map((v) => v.row)}
        mediaUrl={(rel) => bridge?.mediaUrl(episodeId, rel) ?? ''}
        onEdit={(e) => edit(episodeId, e)}
        onEditMany={(e) => editMany(episodeId, e)}
      />
    </div>
  );
}
