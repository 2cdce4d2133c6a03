// Per-profile defaults of the detect_track stage. Pure: the CLI, the desktop host and the stage
// all derive stride / analysis size / samples per track from (profile, fps) with this one function.
// Why these numbers: docs/pipeline-detect.md.

import type { Profile } from '../../shared/stages.js';

export interface DetectProfile {
  /** Analyse every Nth source frame. */
  stride: number;
  /** Width of the frames YuNet sees (height keeps the aspect ratio, rounded to even). */
  analysisWidth: number;
  /** Face samples kept per track for faces_embed. */
  samplesPerTrack: number;
  /**
   * Of those samples, faces_embed embeds at most this many per track (the best by quality that
   * pass its gates). Why these numbers: docs/pipeline-identities.md (measured trade-off).
   */
  embedFacesPerTrack: number;
  /** A lost track survives this many SOURCE frames without a match (converted to samples by the tracker). */
  trackBufferFrames: number;
}

/** Analysed frames per second each profile aims for. */
const RATE: Record<Profile, number> = { low_power: 3, balanced: 6, performance: 10 };
const WIDTH: Record<Profile, number> = { low_power: 480, balanced: 640, performance: 960 };
const SAMPLES: Record<Profile, number> = { low_power: 8, balanced: 12, performance: 16 };
const EMBED: Record<Profile, number> = { low_power: 3, balanced: 4, performance: 8 };

export function profileDefaults(profile: Profile, fps: number): DetectProfile {
  const f = Number.isFinite(fps) && fps > 0 ? fps : 25;
  const stride = Math.max(1, Math.round(f / RATE[profile]));
  return {
    stride,
    analysisWidth: WIDTH[profile],
    samplesPerTrack: SAMPLES[profile],
    embedFacesPerTrack: EMBED[profile],
    trackBufferFrames: Math.max(30, Math.round(f * 1.2)),
  };
}
