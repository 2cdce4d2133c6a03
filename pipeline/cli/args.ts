// Pure command-line parsing for `screentime` (node:util parseArgs); main.ts acts on the result.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SEGMENT_EXPORT_FORMATS, type SegmentExportFormat } from '../export/episode-export.js';
import { DEFAULT_PROFILE, DEFAULT_SAMPLING, MAX_STRIDE, MAX_THREADS, PROFILES, SAMPLINGS, STAGES, isProfile, isSampling, isStageName, type Profile, type Sampling, type StageName } from '../../shared/stages.js';

export const DEFAULT_THREADS = 2;

export interface CommonStageOptions {
  episode: string;
  profile: Profile;
  stride: number | undefined;
  /** detect_track's frame sampling; undefined: the default (stride). */
  sampling: Sampling | undefined;
  threads: number;
  out: string | undefined;
  models: string | undefined;
  json: boolean;
}

export type Command =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'usage-error'; message: string; help: string }
  | { kind: 'stage'; stage: StageName; options: CommonStageOptions; people?: string }
  | { kind: 'run'; stages: StageName[]; options: CommonStageOptions; people?: string }
  | PeopleCommand
  | { kind: 'models'; action: 'fetch' | 'verify' | 'list'; dir: string | undefined; models: string | undefined; mirror: string | undefined; force: boolean; json: boolean }
  | { kind: 'worker'; argv: string[] }
  | { kind: 'export'; episode: string; format: SegmentExportFormat; person: string | undefined; out: string | undefined; startTc: string | undefined; dir: string | undefined }
  | { kind: 'report'; paths: string[]; format: 'csv' | 'json'; out: string | undefined };

/** `screentime people ...`: the people library (pipeline/people/). */
export type PeopleCommand =
  | { kind: 'people'; action: 'list'; dir: string | undefined; json: boolean }
  | { kind: 'people'; action: 'add'; dir: string | undefined; json: boolean; name: string; show: string | undefined; learn: boolean }
  | { kind: 'people'; action: 'enrol'; dir: string | undefined; json: boolean; person: string; photos: string[]; face: number | undefined; episode: string | undefined; identity: number | undefined; models: string | undefined }
  | { kind: 'people'; action: 'remove'; dir: string | undefined; json: boolean; person: string; faceId: string | undefined }
  | { kind: 'people'; action: 'export' | 'import'; dir: string | undefined; json: boolean; file: string };

const STAGE_OPTION_HELP = `Options:
  --profile P     ${PROFILES.join(' | ')} (default ${DEFAULT_PROFILE})
  --stride N      analyse every Nth frame, 1-${MAX_STRIDE} (default: from the profile and the frame rate)
  --sampling S    ${SAMPLINGS.join(' | ')}: every Nth frame, or I/P frames only where the
                  stream has B-frames (default ${DEFAULT_SAMPLING}; decodable is opt-in)
  --threads N     cap on busy compute threads, 1-${MAX_THREADS} (default ${DEFAULT_THREADS})
  --out DIR       artifact folder (default <episode>/screentime)
  --models DIR    folder holding the model files (default: see "screentime models --help")
  --json          JSON lines on stdout (default when stdout is not a terminal)
  -h, --help      this help`;

export const HELP = {
  main: `Usage: screentime <command> [options]

Who is on screen in an episode, and for how long.

Commands:
  run <episode>              run every stage in order (${STAGES.join(' -> ')})
  stage <name> <episode>     run one stage: ${STAGES.join(' | ')}
  models fetch|verify|list   download or check the face models
  export <episode>           per-person segments for editing tools (CMX3600 EDL, marker CSV)
  report <episode>...        screen time per person per episode (CSV or JSON)
  people list|add|enrol|remove|export|import   the people library that names identities
  worker [...]               serve pipeline jobs from a Redis queue

<episode> is an episode folder holding one video, or the video file itself.
Run "screentime <command> --help" for the options of a command.`,
  run: `Usage: screentime run <episode> [options]

Runs ${STAGES.join(', ')} in order and stops at the first failure.

${STAGE_OPTION_HELP}
  --from STAGE    start at this stage (earlier ones must have completed)
  --people DIR    name identities from this people library (see "screentime people --help")`,
  stage: `Usage: screentime stage <${STAGES.join('|')}> <episode> [options]

Runs one stage. Earlier stages must have completed for the same episode.

${STAGE_OPTION_HELP}
  --people DIR    cluster: name identities from this people library`,
  people: `Usage: screentime people <command> [options]

  list                             the people and their reference faces
  add <name> [--show S] [--learn]  a new person (--learn: names accepted in episodes add faces)
  enrol <person> <photo>...        add a face from each photo (--face N picks one when a photo shows several)
  enrol <person> --episode E --identity N
                                   add the best faces of identity N of episode E (after cluster)
  remove <person> [--face ID]      remove a person, or one of their faces
  export <file>                    the whole library as one file
  import <file>                    add the people and faces of an exported file

<person> is a person id (p_...) or a name.

Options:
  --people DIR    the library folder (default: $SCREENTIME_PEOPLE_DIR, else the user's data folder)
  --models DIR    enrol: folder holding the face detector
  --json          print the result as JSON`,
  models: `Usage: screentime models <fetch|verify|list> [options]

  fetch     download the pinned models into the user cache and check their sha256
  verify    check that every model is found and intact (same search as the stages)
  list      print the models, their source URLs and sha256

Options:
  --dir DIR       fetch: download into DIR instead of the user cache
  --mirror URL    fetch: download <URL>/<file> instead of the pinned URL (sha256 still checked)
  --force         fetch: download even when a verified copy is present
  --models DIR    verify: look in DIR first
  --json          print the result as JSON

Models are searched in: --models DIR, $SCREENTIME_MODELS_DIR, the app's resources/models,
then the user cache (~/.cache/screentime/models on Linux).`,
  export: `Usage: screentime export <episode> --format edl|markers-csv [options]

Writes every screen-time segment (one per person and appearance) for an editing tool:
  edl           CMX3600 edit decision list, one event per segment, with the person's name as
                clip-name, locator (Avid) and marker (Resolve) comments
  markers-csv   one row per segment: person, in/out timecode, frames, seconds
Timecode runs at the video's frame rate; drop-frame at 29.97 and 59.94.

Options:
  --format F      edl | markers-csv (required)
  --person NAME   only this person (name as shown, person id, or #<identity id>)
  --out FILE      write here (default: stdout)
  --start-tc TC   timecode of the first frame (default 00:00:00:00), or "container" for the
                  container time of that frame
  --dir DIR       artifact folder (default <episode>/screentime)
  -h, --help      this help`,
  report: `Usage: screentime report <episode|show folder>... --format csv|json [options]

Screen time per person per episode. A show folder (no video of its own) stands for its
sub-folders. People are joined across episodes by their library person id, else by name;
unnamed "Person N" rows belong to one episode.

Options:
  --format F      csv | json (default csv)
  --out FILE      write here (default: stdout)
  -h, --help      this help`,
};

function intOption(name: string, v: string | undefined, min: number, max: number): number | undefined | string {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) return `--${name} must be a whole number, got "${v}"`;
  const n = Number(v);
  if (n < min || n > max) return `--${name} must be between ${min} and ${max}, got ${n}`;
  return n;
}

const stageOptions = {
  profile: { type: 'string' },
  stride: { type: 'string' },
  sampling: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  models: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  people: { type: 'string' },
} as const;

function parseStageLike(kind: 'run' | 'stage', rest: string[], stdoutIsTTY: boolean): Command {
  const help = HELP[kind];
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: stageOptions, allowPositionals: true, strict: true });
  } catch (e) {
    return { kind: 'usage-error', message: (e as Error).message, help };
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help', text: help };
  const pos = parsed.positionals;
  let stage: StageName | undefined;
  if (kind === 'stage') {
    const name = pos.shift();
    if (!name) return { kind: 'usage-error', message: 'missing stage name', help };
    if (!isStageName(name)) return { kind: 'usage-error', message: `unknown stage "${name}" (expected ${STAGES.join(', ')})`, help };
    stage = name;
    if (v.from !== undefined) return { kind: 'usage-error', message: '--from is an option of "run"', help };
  }
  if (pos.length === 0) return { kind: 'usage-error', message: 'missing <episode> (an episode folder or a video file)', help };
  if (pos.length > 1) return { kind: 'usage-error', message: `one episode at a time (got ${pos.length}: ${pos.join(', ')})`, help };
  const profile = v.profile ?? DEFAULT_PROFILE;
  if (!isProfile(profile)) return { kind: 'usage-error', message: `--profile must be one of ${PROFILES.join(', ')}, got "${profile}"`, help };
  const stride = intOption('stride', v.stride, 1, MAX_STRIDE);
  if (typeof stride === 'string') return { kind: 'usage-error', message: stride, help };
  if (v.sampling !== undefined && !isSampling(v.sampling)) {
    return { kind: 'usage-error', message: `--sampling must be one of ${SAMPLINGS.join(', ')}, got "${v.sampling}"`, help };
  }
  const threads = intOption('threads', v.threads, 1, MAX_THREADS);
  if (typeof threads === 'string') return { kind: 'usage-error', message: threads, help };
  if (v.out === '') return { kind: 'usage-error', message: '--out needs a folder', help };
  if (v.models === '') return { kind: 'usage-error', message: '--models needs a folder', help };
  const options: CommonStageOptions = {
    episode: pos[0]!,
    profile,
    stride,
    sampling: v.sampling,
    threads: threads ?? DEFAULT_THREADS,
    out: v.out,
    models: v.models,
    json: v.json ?? !stdoutIsTTY,
  };
  if (v.people === '') return { kind: 'usage-error', message: '--people needs a folder', help };
  if (v.people !== undefined && kind === 'stage' && stage !== 'cluster') return { kind: 'usage-error', message: '--people is an option of the cluster stage (and of run)', help };
  const people = v.people !== undefined ? { people: v.people } : {};
  if (kind === 'stage') return { kind: 'stage', stage: stage!, options, ...people };
  let stages: StageName[] = [...STAGES];
  if (v.from !== undefined) {
    if (!isStageName(v.from)) return { kind: 'usage-error', message: `--from must be one of ${STAGES.join(', ')}, got "${v.from}"`, help };
    stages = stages.slice(STAGES.indexOf(v.from));
  }
  return { kind: 'run', stages, options, ...people };
}

function parsePeople(rest: string[]): Command {
  const help = HELP.people;
  const parsed = parseSub(rest, {
    people: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, show: { type: 'string' }, learn: { type: 'boolean' },
    face: { type: 'string' }, episode: { type: 'string' }, identity: { type: 'string' }, models: { type: 'string' },
  } as const, help);
  if ('kind' in parsed) return parsed;
  const v = parsed.values;
  if (v.help) return { kind: 'help', text: help };
  const [action, ...pos] = parsed.positionals;
  if (v.people === '') return { kind: 'usage-error', message: '--people needs a folder', help };
  const base = { kind: 'people' as const, dir: v.people, json: v.json ?? false };
  const usage = (message: string): Command => ({ kind: 'usage-error', message, help });
  switch (action) {
    case 'list':
      if (pos.length) return usage(`unexpected argument "${pos[0]}"`);
      return { ...base, action };
    case 'add':
      if (pos.length !== 1) return usage('people add takes one name (quote a name with spaces)');
      return { ...base, action, name: pos[0]!, show: v.show, learn: v.learn ?? false };
    case 'enrol': {
      const [person, ...photos] = pos;
      if (!person) return usage('people enrol needs a person');
      const face = intOption('face', v.face, 1, 1000);
      if (typeof face === 'string') return usage(face);
      const identity = intOption('identity', v.identity, 0, 1_000_000);
      if (typeof identity === 'string') return usage(identity);
      if ((v.episode === undefined) !== (identity === undefined)) return usage('--episode and --identity go together');
      if (v.episode !== undefined && photos.length) return usage('enrol from photos or from an episode, not both');
      if (v.episode === undefined && photos.length === 0) return usage('people enrol needs photos, or --episode and --identity');
      if (face !== undefined && photos.length !== 1) return usage('--face picks the face of one photo: enrol one photo at a time with it');
      return { ...base, action, person, photos, face, episode: v.episode, identity, models: v.models };
    }
    case 'remove':
      if (pos.length !== 1) return usage('people remove takes one person');
      return { ...base, action, person: pos[0]!, faceId: v.face };
    case 'export':
    case 'import':
      if (pos.length !== 1) return usage(`people ${action} takes one file`);
      return { ...base, action, file: pos[0]! };
    default:
      return usage(action ? `unknown people command "${action}"` : 'missing people command (list, add, enrol, remove, export or import)');
  }
}

/** parseArgs for a command with sub-commands: the parsed values, or the usage error. */
function parseSub<O extends ParseArgsConfig['options']>(rest: string[], options: O, help: string) {
  try {
    return parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (e) {
    return { kind: 'usage-error' as const, message: (e as Error).message, help };
  }
}

function parseModels(rest: string[]): Command {
  const help = HELP.models;
  const parsed = parseSub(rest, { dir: { type: 'string' }, mirror: { type: 'string' }, force: { type: 'boolean' }, models: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const, help);
  if ('kind' in parsed) return parsed;
  const v = parsed.values;
  if (v.help) return { kind: 'help', text: help };
  const [action, ...extra] = parsed.positionals;
  if (action !== 'fetch' && action !== 'verify' && action !== 'list') {
    return { kind: 'usage-error', message: action ? `unknown models command "${action}"` : 'missing models command (fetch, verify or list)', help };
  }
  if (extra.length) return { kind: 'usage-error', message: `unexpected argument "${extra[0]}"`, help };
  if (v.mirror !== undefined && !/^https?:\/\//.test(v.mirror)) return { kind: 'usage-error', message: '--mirror must be an http(s) URL', help };
  return { kind: 'models', action, dir: v.dir, models: v.models, mirror: v.mirror, force: v.force ?? false, json: v.json ?? false };
}

/** parseArgs with positionals, strict; an unknown or malformed option becomes a usage error. */
function parseOptions<const O extends ParseArgsOptionsConfig>(rest: string[], options: O, help: string): { values: ParsedValues<O>; positionals: string[] } | Command {
  try {
    const p = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    return { values: p.values as ParsedValues<O>, positionals: p.positionals };
  } catch (e) {
    return { kind: 'usage-error', message: (e as Error).message, help };
  }
}

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
type ParsedValues<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];

function parseExport(rest: string[]): Command {
  const help = HELP.export;
  const parsed = parseOptions(rest, { format: { type: 'string' }, person: { type: 'string' }, out: { type: 'string' }, 'start-tc': { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, help);
  if ('kind' in parsed) return parsed;
  const v = parsed.values;
  if (v.help) return { kind: 'help', text: help };
  const pos = parsed.positionals;
  if (pos.length !== 1) return { kind: 'usage-error', message: pos.length ? `one episode at a time (got ${pos.length})` : 'missing <episode>', help };
  const format = v.format as SegmentExportFormat | undefined;
  if (!format || !SEGMENT_EXPORT_FORMATS.includes(format)) return { kind: 'usage-error', message: `--format must be one of ${SEGMENT_EXPORT_FORMATS.join(', ')}`, help };
  for (const name of ['out', 'person', 'dir', 'start-tc'] as const) if (v[name] === '') return { kind: 'usage-error', message: `--${name} needs a value`, help };
  return { kind: 'export', episode: pos[0]!, format, person: v.person, out: v.out, startTc: v['start-tc'], dir: v.dir };
}

function parseReport(rest: string[]): Command {
  const help = HELP.report;
  const parsed = parseOptions(rest, { format: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, help);
  if ('kind' in parsed) return parsed;
  const v = parsed.values;
  if (v.help) return { kind: 'help', text: help };
  if (parsed.positionals.length === 0) return { kind: 'usage-error', message: 'missing <episode> (episode folders, video files or a show folder)', help };
  const format = v.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') return { kind: 'usage-error', message: `--format must be csv or json, got "${format}"`, help };
  if (v.out === '') return { kind: 'usage-error', message: '--out needs a file', help };
  return { kind: 'report', paths: parsed.positionals, format, out: v.out };
}

export function parseCli(argv: string[], stdoutIsTTY = false): Command {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      if (cmd === 'help' && rest[0] && rest[0] in HELP) return { kind: 'help', text: HELP[rest[0] as keyof typeof HELP] };
      return { kind: 'help', text: HELP.main };
    case '--version':
    case '-v':
    case 'version':
      return { kind: 'version' };
    case 'run':
    case 'stage':
      return parseStageLike(cmd, rest, stdoutIsTTY);
    case 'models':
      return parseModels(rest);
    case 'people':
      return parsePeople(rest);
    case 'worker':
      return { kind: 'worker', argv: rest };
    case 'export':
      return parseExport(rest);
    case 'report':
      return parseReport(rest);
    default:
      return { kind: 'usage-error', message: `unknown command "${cmd}"`, help: HELP.main };
  }
}
