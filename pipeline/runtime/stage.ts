// What every pipeline stage implements. `runStageProcess` (run-stage.ts) owns the rest:
// argument parsing, the manifest, the lock, signals, progress on stdout, exit codes.

import type { Manifest, VideoFacts } from '../../shared/artifacts.js';
import type { Profile, Sampling, StageName } from '../../shared/stages.js';

export interface StageConfig {
  profile: Profile;
  /** Analyse every Nth frame (detect_track). */
  stride: number;
  /**
   * detect_track's frame sampling; absent: `stride`, the default. Only a non-default sampling is
   * recorded, so a default run's config (and its hash) is what it was before the option existed.
   */
  sampling?: Exclude<Sampling, 'stride'>;
  /** Hard cap on busy compute threads of the whole stage (decoder and inference included). */
  threads: number;
  device: 'cpu';
  modelsDir: string;
}

export interface StageContext {
  stage: StageName;
  episodeDir: string;
  videoPath: string;
  /** Artifact folder (`<episode>/screentime` or --out). */
  outDir: string;
  video: VideoFacts;
  config: StageConfig;
  manifest: Manifest;
  /** Aborted on SIGTERM / SIGINT / stdin closing: stop within 2 s, kill children, write nothing more. */
  signal: AbortSignal;
  /** Report work done; throttled and turned into `progress` events on stdout. */
  progress(done: number, total: number): void;
  /** A human-readable line on stderr. */
  log(message: string): void;
}

/** A stage returns its stats (they go into the manifest and the final `summary` event). */
export type StageFn = (ctx: StageContext) => Promise<Record<string, number | string | boolean | null>>;

/** An error whose message is fit to show a user, with the exit code it maps to. */
export class StageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StageError';
  }
}
