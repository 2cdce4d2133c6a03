// An episode's per-person segments as an EDL or a marker CSV, read from its artifact folder.
// Used by `screentime export` and by the app's export channel, so both write the same bytes.

import path from 'node:path';
import type { Manifest, ScreentimeFile, VideoFacts } from '../../shared/artifacts.js';
import { readManifestFile, readScreentime } from '../cluster/io.js';
import { writeEdl } from './edl.js';
import { markersCsv, segmentsOnFrames } from './segments.js';
import { frameRateOf, hasDropFrame, rateValue, secondsToFrame, timecodeToFrames, type FrameRate } from './timecode.js';

export const SEGMENT_EXPORT_FORMATS = ['edl', 'markers-csv'] as const;
export type SegmentExportFormat = (typeof SEGMENT_EXPORT_FORMATS)[number];

export interface SegmentExportOptions {
  format: SegmentExportFormat;
  /** Only this person (name, person_id or #identity_id); default everyone. */
  person?: string | undefined;
  /**
   * Timecode of the first decoded frame: a timecode ("01:00:00:00"), or "container" for the
   * container's start time of that frame (manifest video.start_time_s); default 00:00:00:00,
   * which is how editing tools label a file without a timecode track.
   */
  startTc?: string | undefined;
  /** EDL title; default the episode's name. */
  title?: string | undefined;
}

export interface SegmentExport {
  fileName: string;
  content: string;
  rate: FrameRate;
  dropFrame: boolean;
  events: number;
}

/**
 * The timecode rate of a video, from a rational the manifest may carry ("30000/1001") or its
 * float fps. Both go through the float so a file stored as 2997/100 (short_hamilton_clip.mp4)
 * is labelled as the 29.97 drop-frame editors expect.
 */
export function videoFrameRate(video: VideoFacts): FrameRate {
  const exact = (video as VideoFacts & { fps_rational?: unknown }).fps_rational;
  return frameRateOf(typeof exact === 'string' ? rateValue(frameRateOf(exact)) : video.fps);
}

/** The frame number that labels the first decoded frame. */
export function startFrameFor(startTc: string | undefined, video: VideoFacts, rate: FrameRate): number {
  if (startTc === undefined || startTc === '') return 0;
  if (startTc === 'container') return secondsToFrame(video.start_time_s, video.fps);
  return timecodeToFrames(startTc, rate, hasDropFrame(rate) ? undefined : false).frame;
}

export function safeFileStem(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '') || 'episode';
}

/** Pure core: content from the files already read. */
export function segmentExport(manifest: Manifest, screentime: ScreentimeFile, episodeName: string, opts: SegmentExportOptions): SegmentExport {
  const rate = videoFrameRate(manifest.video);
  const dropFrame = hasDropFrame(rate);
  const startFrame = startFrameFor(opts.startTc, manifest.video, rate);
  const segments = segmentsOnFrames(screentime, manifest.video.fps, opts.person);
  const who = opts.person ? `-${safeFileStem(segments[0]?.name ?? opts.person)}` : '';
  const stem = `${safeFileStem(episodeName)}${who}`;
  if (opts.format === 'edl') {
    const title = opts.title ?? (opts.person ? `${episodeName} - ${segments[0]?.name ?? opts.person}` : episodeName);
    const content = writeEdl(segments, { title, rate, dropFrame, clipName: path.basename(manifest.video.file), startFrame });
    return { fileName: `${stem}.edl`, content, rate, dropFrame, events: segments.length };
  }
  return { fileName: `${stem}-markers.csv`, content: markersCsv(segments, rate, { dropFrame, startFrame, fps: manifest.video.fps }), rate, dropFrame, events: segments.length };
}

/** Reads manifest.json and screentime.json of an artifact folder and builds the export. */
export function exportEpisodeSegments(outDir: string, episodeName: string, opts: SegmentExportOptions): SegmentExport {
  const manifest = readManifestFile(outDir);
  const screentime = readScreentime(outDir);
  if (!screentime) throw new Error(`no screen time yet for ${episodeName}: run the screentime stage first`);
  return segmentExport(manifest, screentime, episodeName, opts);
}
