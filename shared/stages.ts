// Names and knobs shared by the pipeline, the desktop host, the queue and the window.

export const STAGES = ['detect_track', 'faces_embed', 'cluster', 'screentime'] as const;
export type StageName = (typeof STAGES)[number];

export const PROFILES = ['low_power', 'balanced', 'performance'] as const;
export type Profile = (typeof PROFILES)[number];
export const DEFAULT_PROFILE: Profile = 'balanced';

/**
 * Which frames detect_track analyses: `stride` (every Nth frame, every frame decoded) or
 * `decodable` (where the stream has B-frames, I/P frames only; docs/pipeline-detect.md). Opt-in:
 * clustering changed with the frames it sampled (people split on the evaluation set).
 */
export const SAMPLINGS = ['stride', 'decodable'] as const;
export type Sampling = (typeof SAMPLINGS)[number];
export const DEFAULT_SAMPLING: Sampling = 'stride';

export const DEVICES = ['cpu'] as const;
export type Device = (typeof DEVICES)[number];

/** Thread cap the desktop app applies in local mode, whatever the caller asks for (thermal safety). */
export const LOCAL_MODE_MAX_THREADS = 2;
/** Default thread cap for queue workers (they run on machines meant for the work). */
export const WORKER_DEFAULT_THREADS = 4;
/** Highest `--threads` a stage accepts (CLI, the window's requests, queue jobs). */
export const MAX_THREADS = 64;

/**
 * Highest stride (analyse every Nth frame) anything accepts: the CLI, the window's requests
 * (ipc-schemas.ts) and the window's field. 120 frames is 4-5 s at 25-30 fps. The tracker needs
 * two hits to confirm a face, so at larger strides any shot shorter than two strides (most of
 * them in TV) yields no tracks at all, and a stride past a few seconds is a mistake rather than a
 * speed setting; the CLI used to accept up to 1000 while the window stopped at 120.
 */
export const MAX_STRIDE = 120;

export function isStageName(v: unknown): v is StageName {
  return typeof v === 'string' && (STAGES as readonly string[]).includes(v);
}

export function isProfile(v: unknown): v is Profile {
  return typeof v === 'string' && (PROFILES as readonly string[]).includes(v);
}

export function isSampling(v: unknown): v is Sampling {
  return typeof v === 'string' && (SAMPLINGS as readonly string[]).includes(v);
}

/** Stages that come after `stage`: re-running `stage` makes their outputs stale. */
export function stagesAfter(stage: StageName): StageName[] {
  return STAGES.slice(STAGES.indexOf(stage) + 1);
}

/** Exit codes of `screentime stage` / `screentime run` (documented in docs/pipeline.md). */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  BAD_INPUT: 3,
  MODEL: 4,
  OUTPUT: 5,
  ALREADY_RUNNING: 6,
  CANCELLED: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Video container extensions an episode folder may hold. */
export const VIDEO_EXTENSIONS = ['.mp4', '.mkv', '.mov', '.m4v', '.avi', '.webm'] as const;

/** Name of the artifact folder inside an episode folder. */
export const ARTIFACT_DIR_NAME = 'screentime';
