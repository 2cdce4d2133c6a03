// Video facts from ffprobe: duration, fps, size, frame count, codec and the time of the first
// video frame (artifact timestamps are relative to it; streams often start later than 0).

import { statSync } from 'node:fs';
import path from 'node:path';
import type { VideoFacts } from '../../shared/artifacts.js';
import { EXIT } from '../../shared/stages.js';
import { StageError } from '../runtime/stage.js';
import { ffprobePath } from './ffmpeg-path.js';

interface ProbeStream {
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  start_time?: string;
}
interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string; start_time?: string };
  frames?: Array<{ pts_time?: string; best_effort_timestamp_time?: string }>;
}

/** "30000/1001" -> 29.97; "0/0", "" or garbage -> NaN. */
export function parseRate(rate: string | undefined): number {
  if (!rate) return NaN;
  const m = /^(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?$/.exec(rate.trim());
  if (!m) return NaN;
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  return den > 0 && num > 0 ? num / den : NaN;
}

function num(v: string | undefined): number {
  if (v === undefined || v === '' || v === 'N/A') return NaN;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

/**
 * Turns ffprobe's JSON into VideoFacts. Throws a user-facing message (string) when the file has
 * no usable video stream. Pure, so the fallbacks can be tested without files.
 */
export function parseProbeJson(json: ProbeJson, file: string): VideoFacts {
  const name = path.basename(file);
  const s = json.streams?.[0];
  if (!s) throw new Error(`${name} has no video stream`);
  const width = s.width ?? 0;
  const height = s.height ?? 0;
  if (!(width > 0 && height > 0)) throw new Error(`${name}: the video stream has no frame size (corrupt or unsupported)`);
  // avg_frame_rate is the real average; r_frame_rate is the timebase guess, used only as a fallback.
  let fps = parseRate(s.avg_frame_rate);
  if (!Number.isFinite(fps)) fps = parseRate(s.r_frame_rate);
  if (!Number.isFinite(fps) || fps <= 0 || fps > 1000) throw new Error(`${name}: cannot tell the frame rate (corrupt or a still image)`);
  let duration = num(s.duration);
  if (!Number.isFinite(duration) || duration <= 0) duration = num(json.format?.duration);
  const nb = num(s.nb_frames);
  if ((!Number.isFinite(duration) || duration <= 0) && Number.isFinite(nb) && nb > 0) duration = nb / fps;
  if (!Number.isFinite(duration) || duration <= 0) throw new Error(`${name}: cannot tell the duration (corrupt or truncated)`);
  const frameCount = Number.isFinite(nb) && nb > 0 ? Math.round(nb) : Math.max(1, Math.round(duration * fps));
  const f0 = json.frames?.[0];
  let start = num(f0?.pts_time);
  if (!Number.isFinite(start)) start = num(f0?.best_effort_timestamp_time);
  if (!Number.isFinite(start)) start = num(s.start_time);
  if (!Number.isFinite(start)) start = 0;
  return {
    file,
    duration_s: duration,
    fps,
    width,
    height,
    frame_count: frameCount,
    start_time_s: start,
    codec: s.codec_name ?? 'unknown',
  };
}

/** First line of ffprobe's complaint, without the file path it repeats. */
function firstLine(stderr: string, file: string): string {
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.split(file).join('').replace(/^:\s*/, '').trim();
}

export async function probeVideo(file: string, opts: { signal?: AbortSignal } = {}): Promise<VideoFacts> {
  const name = path.basename(file);
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new StageError(`video not found: ${file}`, EXIT.BAD_INPUT);
  }
  if (!st.isFile()) throw new StageError(`not a video file: ${file}`, EXIT.BAD_INPUT);
  if (st.size === 0) throw new StageError(`${name} is empty (0 bytes)`, EXIT.BAD_INPUT);
  const args = [
    '-v', 'error',
    '-select_streams', 'v:0',
    // Decode only the first frame: its timestamp is where artifact time 0 is.
    '-read_intervals', '%+#1',
    '-show_entries', 'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration,start_time:format=duration,start_time:frame=pts_time,best_effort_timestamp_time',
    '-of', 'json',
    file,
  ];
  let res;
  try {
    // imported here: a stage whose video facts are cached (every stage after the first) never
    // pays for loading execa (~85 ms)
    const { execa } = await import('execa');
    res = await execa(ffprobePath(), args, { reject: false, timeout: 60_000, cancelSignal: opts.signal, stdin: 'ignore' });
  } catch (e) {
    throw new StageError(`cannot run ffprobe (${(e as Error).message.split('\n')[0]}); install ffmpeg or set SCREENTIME_FFPROBE`, EXIT.INTERNAL);
  }
  if ((res as { code?: string }).code === 'ENOENT' || (res.failed && res.exitCode === undefined && !res.isCanceled)) {
    throw new StageError(`cannot run ffprobe (${ffprobePath()} not found); install ffmpeg or set SCREENTIME_FFPROBE`, EXIT.INTERNAL);
  }
  if (res.isCanceled) throw new StageError('cancelled', EXIT.CANCELLED);
  if (res.exitCode !== 0) {
    const why = firstLine(String(res.stderr), file) || `ffprobe exit code ${res.exitCode}`;
    throw new StageError(`${name} is not a readable video (${why})`, EXIT.BAD_INPUT);
  }
  let json: ProbeJson;
  try {
    json = JSON.parse(String(res.stdout)) as ProbeJson;
  } catch {
    throw new StageError(`${name}: unreadable ffprobe output`, EXIT.BAD_INPUT);
  }
  try {
    const facts = parseProbeJson(json, file);
    return { ...facts, size_bytes: st.size, mtime_ms: Math.round(st.mtimeMs) };
  } catch (e) {
    throw new StageError((e as Error).message, EXIT.BAD_INPUT);
  }
}
