import { useEffect, useMemo, useRef, useState } from 'react';
import type { TrackBoxes } from '../../../shared/ipc.js';
import { useApp } from '../store/app-store.js';
import type { PlayerTarget } from '../store/review-slice.js';
import { boxAt, placeBox, sampleStep, scrubMarks, segmentAt, segmentStart } from '../store/review.js';
import { formatClock, identityName } from '../lib/format.js';
import { typing } from '../lib/keys.js';
import { Icon } from './Icon.js';

/** MIME type a browser is asked about before it is given the file (the container decides). */
function mimeOf(file: string): string {
  const ext = file.toLowerCase().split('.').pop() ?? '';
  return { mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm', mkv: 'video/x-matroska', avi: 'video/x-msvideo' }[ext] ?? '';
}

function unplayable(file: string, what: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return `This window cannot play ${name} (${what}). Convert it to MP4 (H.264) or WebM to watch it here; the results are not affected.`;
}

/**
 * The episode's video from a chosen moment: the person's segments marked on the scrub bar, their
 * face box drawn over the picture, next / previous segment buttons (and the `.` and `,` keys).
 * Times on the artifacts' clock start at the first decoded frame; the video element's clock is
 * the container's, so the first frame's container time (`start_time_s`) is added.
 */
export function VideoPlayer({ target }: { target: PlayerTarget }) {
  const bridge = useApp((s) => s.bridge);
  const episode = useApp((s) => s.episodes.find((e) => e.episodeId === target.episodeId));
  const results = useApp((s) => s.results[target.episodeId]);
  const closePlayer = useApp((s) => s.closePlayer);
  const video = useRef<HTMLVideoElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const [now, setNow] = useState(target.at);
  const [playing, setPlaying] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [boxes, setBoxes] = useState<TrackBoxes[]>([]);
  const [faceBox, setFaceBox] = useState<{ left: number; top: number; width: number; height: number } | null>(null);

  const facts = episode?.video ?? null;
  const offset = facts?.start_time_s ?? 0;
  const duration = results?.screentime?.duration_s ?? facts?.duration_s ?? 0;
  const segments = useMemo(
    () => results?.screentime?.identities.find((i) => i.identity_id === target.identityId)?.segments ?? [],
    [results, target.identityId],
  );
  const marks = useMemo(() => scrubMarks(segments, duration), [segments, duration]);
  const person = results?.identities.find((i) => i.identity_id === target.identityId) ?? null;
  // detect_track samples every few frames: a box is interpolated across that step, not further
  const maxGap = useMemo(() => 1.5 * sampleStep(boxes, 1 / (facts?.fps ?? 25)), [boxes, facts]);

  // The boxes of the tracks followed.
  const trackKey = target.trackIds.join(',');
  useEffect(() => {
    setBoxes([]);
    if (!bridge || target.trackIds.length === 0) return;
    let live = true;
    void bridge
      .invoke('results:boxes', { episodeId: target.episodeId, trackIds: target.trackIds.slice(0, 1000) })
      .then((b) => live && setBoxes(b))
      .catch(() => undefined);
    return () => {
      live = false;
    };
    // trackKey stands for trackIds (a new array on every render)
  }, [bridge, target.episodeId, trackKey]);

  // A container the browser says it cannot play is not even loaded (Chromium: AVI, MKV).
  const cannot = useMemo(() => {
    if (!facts) return null;
    const type = mimeOf(facts.file);
    return type && document.createElement('video').canPlayType(type) === '' ? unplayable(facts.file, `${type}, ${facts.codec}`) : null;
  }, [facts]);

  // Seek to the asked moment (again on every new request, even for the same moment).
  useEffect(() => {
    const v = video.current;
    if (!v || !facts || cannot) return;
    const seek = () => {
      v.currentTime = target.at + offset;
      setNow(target.at);
    };
    if (v.readyState >= 1) seek();
    else v.addEventListener('loadedmetadata', seek, { once: true });
    return () => v.removeEventListener('loadedmetadata', seek);
  }, [target.seq, target.at, offset, facts, cannot]);

  // The face box follows the picture, frame by frame while playing.
  useEffect(() => {
    let raf = 0;
    const tick = () => {
      const v = video.current;
      const el = stage.current;
      if (v && el && facts) {
        const t = v.currentTime - offset;
        setNow(t);
        const b = boxAt(boxes, t, maxGap);
        setFaceBox(b ? placeBox(b, { width: v.videoWidth || facts.width, height: v.videoHeight || facts.height }, el.clientWidth, el.clientHeight) : null);
      }
      if (v && !v.paused) raf = requestAnimationFrame(tick);
    };
    tick();
    const v = video.current;
    const on = () => {
      cancelAnimationFrame(raf);
      tick();
    };
    v?.addEventListener('play', on);
    v?.addEventListener('seeked', on);
    v?.addEventListener('pause', on);
    return () => {
      cancelAnimationFrame(raf);
      v?.removeEventListener('play', on);
      v?.removeEventListener('seeked', on);
      v?.removeEventListener('pause', on);
    };
  }, [boxes, offset, maxGap, facts]);

  const seekTo = (t: number) => {
    const v = video.current;
    if (!v) return;
    v.currentTime = Math.max(0, t) + offset;
    setNow(t);
  };
  const jump = (dir: 1 | -1) => {
    const s = segmentStart(segments, video.current ? video.current.currentTime - offset : now, dir);
    if (s !== null) seekTo(s);
  };
  const toggle = () => {
    const v = video.current;
    if (!v) return;
    if (v.paused) void v.play().catch((e: unknown) => setProblem(`The video does not play: ${e instanceof Error ? e.message : String(e)}`));
    else v.pause();
  };

  // `.` / `,` next and previous segment, space plays and pauses, Escape closes.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (e.key === '.') jump(1);
      else if (e.key === ',') jump(-1);
      else if (e.key === 'Escape') closePlayer();
      else if (e.key === ' ' && el?.closest('.player')) toggle();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const current = segmentAt(segments, now);
  const title = person ? identityName(person.identity_id, person.label) : 'Episode';
  return (
    <section className="player card" aria-label="Video player" data-episode-id={target.episodeId}>
      <div className="player-head">
        <h3 className="card-title">
          {title}
          {target.trackIds.length === 1 ? <span className="muted"> · track {target.trackIds[0]}</span> : null}
        </h3>
        <button type="button" className="btn-ghost btn-small" aria-label="Close the player" title="Close (Esc)" onClick={closePlayer}>
          <Icon name="close" size={14} />
        </button>
      </div>
      {(cannot ?? problem) ? (
        <div className="banner banner-error" role="alert">
          {cannot ?? problem}
        </div>
      ) : null}
      <div className="player-stage" ref={stage} hidden={(cannot ?? problem) !== null}>
        {bridge && !cannot ? (
          <video
            ref={video}
            className="player-video"
            src={bridge.videoUrl(target.episodeId)}
            preload="auto"
            playsInline
            onPlay={() => setPlaying(true)}
            onPause={() => setPlaying(false)}
            onError={() => {
              const err = video.current?.error;
              // 4: MEDIA_ERR_SRC_NOT_SUPPORTED (a codec inside a container the browser knows)
              setProblem(err?.code === 4 ? unplayable(facts?.file ?? 'the video', facts?.codec ?? 'unknown codec') : `The video could not be loaded${err?.message ? `: ${err.message}` : ''}.`);
            }}
          />
        ) : null}
        {faceBox ? <div className="face-box" data-testid="face-box" style={{ left: faceBox.left, top: faceBox.top, width: faceBox.width, height: faceBox.height }} /> : null}
      </div>
      <div
        className="scrub"
        role="slider"
        tabIndex={0}
        aria-label="Position in the episode"
        aria-valuemin={0}
        aria-valuemax={Math.round(duration)}
        aria-valuenow={Math.round(now)}
        aria-valuetext={formatClock(now)}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          seekTo(((e.clientX - r.left) / r.width) * duration);
        }}
      >
        {marks.map((m) => (
          <span key={m.start} className={`scrub-mark${current && current[0] === m.start ? ' on' : ''}`} style={{ left: `${m.left}%`, width: `${m.width}%` }} />
        ))}
        <span className="scrub-head" style={{ left: `${duration > 0 ? Math.min(100, (now / duration) * 100) : 0}%` }} />
      </div>
      <div className="player-controls">
        <button type="button" className="btn btn-small" onClick={() => jump(-1)} title="Previous segment (,)" disabled={segments.length === 0}>
          ‹ Previous segment
        </button>
        <button type="button" className="btn btn-small btn-primary" onClick={toggle} aria-label={playing ? 'Pause' : 'Play'} disabled={(cannot ?? problem) !== null}>
          <Icon name={playing ? 'stop' : 'play'} size={14} /> {playing ? 'Pause' : 'Play'}
        </button>
        <button type="button" className="btn btn-small" onClick={() => jump(1)} title="Next segment (.)" disabled={segments.length === 0}>
          Next segment ›
        </button>
        <span className="player-time mono" data-now={now.toFixed(3)}>
          {formatClock(now)} / {formatClock(duration)}
        </span>
        <span className="muted small">
          {segments.length} segment{segments.length === 1 ? '' : 's'} on screen
        </span>
      </div>
    </section>
  );
}
