import { useEffect, useRef } from 'react';
import type { EpisodeDetail, EpisodeSummary, RunStageResult } from '../../../shared/ipc.js';
import { MAX_STRIDE, PROFILES, STAGES, type Profile, type StageName } from '../../../shared/stages.js';
import { formatDuration } from '../../../shared/progress.js';
import { useApp } from '../store/app-store.js';
import { emptyRun, queueAvailability } from '../store/reducers.js';
import { STAGE_LABELS, formatEta, formatPercent, formatRate, ordinal, summaryPairs, waitingSentence } from '../lib/format.js';
import { StateChip } from './StateChip.js';
import { ReadingsPanel } from './ReadingsPanel.js';
import { JobsPanel } from './JobsPanel.js';
import { Icon } from './Icon.js';

const PROFILE_LABELS: Record<Profile, string> = { low_power: 'Low power', balanced: 'Balanced', performance: 'Performance' };

const STAGE_HINTS: Record<StageName, string> = {
  detect_track: 'Finds faces in the video and follows each one through its shot.',
  faces_embed: 'Picks the clearest faces of every track and turns them into face signatures.',
  cluster: 'Groups tracks of the same person together.',
  screentime: 'Adds up how long each person is on screen.',
};

const UNIT: Record<StageName, string> = { detect_track: 'frames', faces_embed: 'faces', cluster: 'tracks', screentime: 'items' };

export function PipelinePanel({ episode, detail }: { episode: EpisodeSummary; detail: EpisodeDetail | null }) {
  const id = episode.episodeId;
  const run = useApp((s) => s.runs[id] ?? emptyRun);
  const mode = useApp((s) => s.mode);
  const options = useApp((s) => s.options);
  const queueStatus = useApp((s) => s.queueStatus);
  const { setMode, setOptions, runStage, runAll, cancel, submitQueue } = useApp.getState();
  const queue = queueAvailability(queueStatus);
  const busy = run.active !== null || run.runAll;
  const blocked = episode.problem !== null;

  return (
    <div className="pipeline">
      <section className="card run-settings" aria-label="Run settings">
        <div className="settings-grid">
          <div className="field">
            <span className="field-label" id="mode-label">
              Runs on
            </span>
            <div className="segmented" role="radiogroup" aria-labelledby="mode-label">
              <button type="button" role="radio" aria-checked={mode === 'local'} className={mode === 'local' ? 'on' : ''} onClick={() => setMode('local')}>
                Local (this computer)
              </button>
              <button
                type="button"
                role="radio"
                aria-checked={mode === 'queue'}
                className={mode === 'queue' ? 'on' : ''}
                disabled={!queue.enabled || busy}
                title={queue.enabled ? 'Send the stages to the worker queue' : queue.reason}
                onClick={() => setMode('queue')}
              >
                Queue
              </button>
            </div>
          </div>
          <label className="field">
            <span className="field-label">Profile</span>
            <select className="input" value={options.profile} disabled={busy} onChange={(e) => setOptions({ profile: e.target.value as Profile })}>
              {PROFILES.map((p) => (
                <option key={p} value={p}>
                  {PROFILE_LABELS[p]}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Frame stride</span>
            <input
              className="input input-narrow"
              type="number"
              min={1}
              max={MAX_STRIDE}
              placeholder="auto"
              disabled={busy}
              value={options.stride ?? ''}
              onChange={(e) => {
                const n = Number.parseInt(e.target.value, 10);
                setOptions({ stride: Number.isFinite(n) && n >= 1 && n <= MAX_STRIDE ? n : null });
              }}
            />
          </label>
          <label className="field">
            <span className="field-label">Device</span>
            <select className="input" value={options.device} disabled>
              <option value="cpu">CPU</option>
            </select>
          </label>
          <div className="run-all">
            {mode === 'local' ? (
              <button type="button" className="btn btn-primary" disabled={busy || blocked} onClick={() => void runAll(id)} title="Run all stages in order (R)">
                <Icon name="play" /> Run all
              </button>
            ) : (
              <button type="button" className="btn btn-primary" disabled={blocked} onClick={() => void submitQueue(id, [...STAGES])}>
                <Icon name="play" /> Queue all
              </button>
            )}
          </div>
        </div>
        <div className="mode-note">
          <span>
            {mode === 'local'
              ? 'Runs on this computer. Closing or reloading this window stops the run.'
              : 'Runs on queue workers. Jobs continue when this window closes; they are listed below.'}
          </span>
          {!queue.enabled ? <span className="queue-reason">Queue unavailable: {queue.reason}</span> : mode === 'queue' ? <span className="queue-reason">{queue.reason}</span> : null}
        </div>
      </section>

      <section className="card stages" aria-label="Stages">
        <ol className="stage-list">
          {STAGES.map((stage, i) => (
            <StageRow
              key={stage}
              index={i + 1}
              stage={stage}
              state={episode.stages[stage]}
              outcome={run.outcomes[stage]}
              info={detail?.stageInfo[stage]}
              running={run.active === stage}
              waitingPlace={run.active === stage ? (run.waiting?.place ?? null) : null}
              disabled={busy || blocked}
              verb={mode === 'local' ? 'Run' : 'Queue'}
              onRun={() => (mode === 'local' ? void runStage(id, stage) : void submitQueue(id, [stage]))}
            />
          ))}
        </ol>
      </section>

      {mode === 'local' && run.shown ? <LiveStage episodeId={id} onCancel={() => void cancel(id)} /> : null}
      {mode === 'queue' ? <JobsPanel episodeId={id} /> : null}
    </div>
  );
}

function StageRow(props: {
  index: number;
  stage: StageName;
  state: EpisodeSummary['stages'][StageName];
  outcome: RunStageResult | undefined;
  info: EpisodeDetail['stageInfo'][StageName] | undefined;
  running: boolean;
  /** Place in the CPU line while this stage waits to start; null when it runs or is idle. */
  waitingPlace: number | null;
  disabled: boolean;
  verb: 'Run' | 'Queue';
  onRun: () => void;
}) {
  const { stage, state, outcome, info, running, waitingPlace } = props;
  const elapsed = outcome?.elapsedSeconds ?? info?.elapsedS ?? null;
  const error = outcome ? outcome.error : state === 'failed' || state === 'interrupted' ? (info?.error ?? null) : null;
  const stats = outcome?.summary ?? (state === 'completed' || state === 'stale' ? info?.stats : null);
  const pairs = summaryPairs(stats ?? null).slice(0, 4);
  // A run that failed before writing its manifest leaves the stage "not run" on disk; say what happened here.
  const shownState = running ? 'running' : state === 'not_run' && outcome && outcome.status !== 'completed' ? (outcome.status === 'error' ? 'failed' : 'cancelled') : state;
  return (
    <li className={`stage-row${running ? ' running' : ''}${waitingPlace !== null ? ' waiting' : ''}`} data-stage={stage} data-state={waitingPlace !== null ? 'waiting' : shownState}>
      <span className="stage-index" aria-hidden="true">
        {props.index}
      </span>
      <div className="stage-main">
        <div className="stage-line">
          <span className="stage-name">{STAGE_LABELS[stage]}</span>
          {waitingPlace !== null ? <WaitingChip place={waitingPlace} /> : <StateChip state={shownState} />}
          {elapsed !== null && !running && state !== 'not_run' ? <span className="muted">{formatDuration(elapsed)}</span> : null}
        </div>
        {pairs.length > 0 && !running ? (
          <div className="stage-summary">
            {pairs.map(([k, v]) => (
              <span key={k}>
                {k}: <b>{v}</b>
              </span>
            ))}
          </div>
        ) : null}
        {error && !running ? <div className="stage-error">{error}</div> : null}
        {pairs.length === 0 && !(error && !running) ? (
          <div className="stage-hint">
            {shownState === 'cancelled' || shownState === 'interrupted'
              ? 'Stopped before it finished (cancelled, or the window that ran it was closed). Run it again to redo it.'
              : STAGE_HINTS[stage]}
          </div>
        ) : null}
      </div>
      <button type="button" className="btn btn-small" disabled={props.disabled} onClick={props.onRun} aria-label={`${props.verb} ${STAGE_LABELS[stage]}`}>
        <Icon name="play" size={14} /> {props.verb}
      </button>
    </li>
  );
}

/** A stage held back by the app's CPU budget: same shape as a state chip, with its place in line. */
function WaitingChip({ place }: { place: number }) {
  const text = `waiting · ${ordinal(place)} in line`;
  return (
    <span className="chip chip-waiting" title={`Waiting for the CPU: ${ordinal(place)} in line`} data-state="waiting">
      <span className="chip-dot" aria-hidden="true" />
      <span className="chip-text">{text}</span>
    </span>
  );
}

function LiveStage({ episodeId, onCancel }: { episodeId: string; onCancel: () => void }) {
  const run = useApp((s) => s.runs[episodeId] ?? emptyRun);
  const stage = run.shown!;
  const running = run.active === stage;
  const waiting = running ? run.waiting : null;
  const outcome = running ? undefined : run.outcomes[stage];
  const p = run.progress && run.progress.stage === stage ? run.progress : null;
  const fraction = p ? p.fraction : 0;

  return (
    <section className="card live" aria-label={`${STAGE_LABELS[stage]} run`} data-live-stage={stage}>
      <div className="live-head">
        <h3 className="card-title">
          {STAGE_LABELS[stage]}
          {waiting ? <span className="muted"> · waiting, {ordinal(waiting.place)} in line</span> : running ? <span className="muted"> · running</span> : null}
        </h3>
        {running ? (
          <button type="button" className="btn btn-danger btn-small" onClick={onCancel} disabled={run.cancelRequested}>
            <Icon name="stop" size={14} /> {run.cancelRequested ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : null}
      </div>

      {waiting ? (
        <div className="waiting-note" role="status" data-waiting-place={waiting.place}>
          {waitingSentence(waiting)}
        </div>
      ) : running ? (
        <div className="progress-block">
          <div
            className="progress"
            role="progressbar"
            aria-label={`${STAGE_LABELS[stage]} progress`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(fraction * 100)}
            aria-valuetext={p ? `${p.framesDone} of ${p.framesTotal} ${UNIT[stage]}` : 'starting'}
          >
            <div className={`progress-fill${p ? '' : ' indeterminate'}`} style={{ width: p ? `${Math.max(0.5, fraction * 100)}%` : undefined }} />
          </div>
          <div className="progress-stats">
            <span className="progress-pct">{p ? formatPercent(fraction) : 'Starting…'}</span>
            {p ? (
              <>
                <span>
                  {p.framesDone.toLocaleString()} / {p.framesTotal.toLocaleString()} {UNIT[stage]}
                </span>
                <span>{formatRate(p.fps)} {UNIT[stage]}/s</span>
                <span>{formatEta(p.etaS)}</span>
              </>
            ) : null}
          </div>
        </div>
      ) : outcome ? (
        <Outcome outcome={outcome} />
      ) : null}

      {running && !waiting ? <ReadingsPanel readings={run.readings} /> : null}
      <LogView lines={run.logs} open={running} />
    </section>
  );
}

function Outcome({ outcome }: { outcome: RunStageResult }) {
  const pairs = summaryPairs(outcome.summary);
  const cls = outcome.status === 'completed' ? 'ok' : outcome.status === 'cancelled' ? 'warn' : 'bad';
  const word = outcome.status === 'completed' ? 'Completed' : outcome.status === 'cancelled' ? 'Cancelled' : 'Failed';
  return (
    <div className={`outcome outcome-${cls}`} role="status" data-outcome={outcome.status}>
      <div className="outcome-line">
        <Icon name={cls === 'ok' ? 'check' : 'alert'} />
        <b>{word}</b>
        <span className="muted">
          in {formatDuration(outcome.elapsedSeconds)} · {outcome.profile.replace('_', ' ')} · {outcome.cpuThreads > 0 ? `${outcome.cpuThreads} threads` : outcome.device}
        </span>
      </div>
      {outcome.error ? <div className="outcome-error">{outcome.error}</div> : null}
      {pairs.length > 0 ? (
        <dl className="summary-grid">
          {pairs.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </div>
  );
}

function LogView({ lines, open }: { lines: string[]; open: boolean }) {
  const ref = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <details className="log" open={open || undefined}>
      <summary>
        Log <span className="muted">({lines.length} line{lines.length === 1 ? '' : 's'})</span>
      </summary>
      <pre
        ref={ref}
        className="log-body mono"
        tabIndex={0}
        aria-label="Stage log"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}
      >
        {lines.length ? lines.join('\n') : 'No output yet.'}
      </pre>
    </details>
  );
}
