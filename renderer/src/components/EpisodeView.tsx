import { useApp } from '../store/app-store.js';
import { formatClock, formatResolution } from '../lib/format.js';
import { PipelinePanel } from './PipelinePanel.js';
import { ResultsPanel } from './ResultsPanel.js';
import { Icon } from './Icon.js';

export function EpisodeView() {
  const selectedId = useApp((s) => s.selectedId);
  const episode = useApp((s) => s.episodes.find((e) => e.episodeId === s.selectedId) ?? null);
  const detail = useApp((s) => (s.selectedId ? s.details[s.selectedId] : undefined));
  const tab = useApp((s) => s.tab);
  const setTab = useApp((s) => s.setTab);
  const results = useApp((s) => (s.selectedId ? s.results[s.selectedId] : undefined));

  if (!selectedId || !episode) {
    return (
      <div className="placeholder">
        <Icon name="film" size={40} />
        <h1>No episode selected</h1>
        <p className="muted">Add an episode folder to the library to find out who is on screen, and for how long.</p>
        <p className="muted kbd-hint">
          <kbd>Ctrl</kbd>+<kbd>O</kbd> open a folder · <kbd>R</kbd> run all stages
        </p>
      </div>
    );
  }

  const v = episode.video;
  return (
    <div className="episode-view">
      <div className="episode-header">
        <div className="episode-heading">
          <h1 className="episode-title">{episode.name}</h1>
          <div className="episode-facts">
            {v ? (
              <>
                <span>{formatClock(v.duration_s)}</span>
                <span>{formatResolution(v.width, v.height)}</span>
                <span>{Math.round(v.fps * 100) / 100} fps</span>
                <span>{v.codec}</span>
              </>
            ) : null}
            <span className="path mono" title={detail?.dir ?? episode.dir}>
              {detail?.dir ?? episode.dir}
            </span>
          </div>
        </div>
        <div className="tabs" role="tablist" aria-label="Episode sections">
          <button type="button" role="tab" aria-selected={tab === 'pipeline'} className={`tab${tab === 'pipeline' ? ' active' : ''}`} onClick={() => setTab('pipeline')}>
            Pipeline
          </button>
          <button type="button" role="tab" aria-selected={tab === 'results'} className={`tab${tab === 'results' ? ' active' : ''}`} onClick={() => setTab('results')}>
            Results{results ? <span className="tab-count">{results.identities.filter((i) => !i.ignored).length}</span> : null}
          </button>
        </div>
      </div>
      {episode.problem ? (
        <div className="banner banner-error" role="alert">
          {episode.problem}
        </div>
      ) : null}
      {tab === 'pipeline' ? <PipelinePanel episode={episode} detail={detail ?? null} /> : <ResultsPanel episodeId={episode.episodeId} />}
    </div>
  );
}
