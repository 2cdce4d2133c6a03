// What the window sees of a library entry: video facts, stage states from the manifest (with
// the runner's live runs on top), identity count, results and exports.
// A damaged artifact of one episode shows on that episode only (`artifactProblem`); reading its
// results then fails with a message naming the file, never with an empty result.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type IdentitiesFile, type Manifest } from '../../shared/artifacts.js';
import type { EpisodeDetail, EpisodeSummary, Results, StageState } from '../../shared/ipc.js';
import { STAGES, type StageName } from '../../shared/stages.js';
import { inspectManifest, readIdentities as readIdentitiesFile, readScreentime } from '../../pipeline/cluster/io.js';
import { stageStates } from '../../pipeline/runtime/manifest.js';
import { screentimeCsv } from '../../pipeline/screentime/compute.js';
import { historySummary, readHistory } from '../../pipeline/review/edits.js';
import type { ActiveRun } from '../runner/types.js';
import type { LibraryEntry, LibraryStore } from './store.js';

export { readScreentime };

/**
 * A list entry. `problem` (video missing or unreadable) blocks running stages; `artifactProblem`
 * names a damaged artifact and does not, since re-running the stage that writes it repairs it.
 */
export type ListedEpisode = EpisodeSummary & { artifactProblem: string | null };

/** identities.json, or null before cluster has run; a damaged one throws, naming the file. */
export function readIdentities(outDir: string): IdentitiesFile | null {
  return existsSync(path.join(outDir, ARTIFACT_FILES.identities)) ? readIdentitiesFile(outDir) : null;
}

/** Manifest states, with the stages this host is running right now marked 'running'. */
export function liveStageStates(entry: LibraryEntry, active: ActiveRun[], manifest: Manifest | null = inspectManifest(entry.outDir).manifest): Record<StageName, StageState> {
  const states = stageStates(manifest);
  for (const run of active) if (run.episodeId === entry.episodeId) states[run.stage] = 'running';
  return states;
}

/** Number of people (identities not ignored), or null before cluster; a damaged file adds to `problems`. */
function identityCount(outDir: string, problems: string[]): number | null {
  try {
    const identities = readIdentities(outDir);
    return identities ? identities.identities.filter((i) => !i.ignored).length : null;
  } catch (e) {
    problems.push((e as Error).message);
    return null;
  }
}

export async function summarize(library: LibraryStore, entry: LibraryEntry, active: ActiveRun[]): Promise<ListedEpisode> {
  const problem = await library.refresh(entry.episodeId);
  const fresh = library.has(entry.episodeId) ? library.get(entry.episodeId) : entry;
  const { manifest, problems } = inspectManifest(fresh.outDir);
  const count = identityCount(fresh.outDir, problems);
  return {
    episodeId: fresh.episodeId,
    name: fresh.name,
    dir: fresh.dir,
    video: problem ? null : fresh.video,
    problem,
    stages: liveStageStates(fresh, active, manifest),
    identityCount: count,
    // each message may end in '; run X again', so a full stop separates them
    artifactProblem: problems.length ? problems.join('. ') : null,
  };
}

/** What the list shows of an episode whose summary failed for a reason nobody foresaw. */
function unreadable(entry: LibraryEntry, e: unknown): ListedEpisode {
  const stages = Object.fromEntries(STAGES.map((s) => [s, 'not_run'])) as Record<StageName, StageState>;
  const message = e instanceof Error && e.message ? e.message : String(e);
  return { episodeId: entry.episodeId, name: entry.name, dir: entry.dir, video: entry.video, problem: null, stages, identityCount: null, artifactProblem: `could not read ${entry.outDir}: ${message}` };
}

/** Every episode; one that cannot be read is listed with why, never hiding the others. */
export async function listEpisodes(library: LibraryStore, active: ActiveRun[]): Promise<ListedEpisode[]> {
  const out: ListedEpisode[] = [];
  for (const e of library.all()) {
    try {
      out.push(await summarize(library, e, active));
    } catch (err) {
      out.push(unreadable(e, err));
    }
  }
  return out;
}

export async function episodeDetail(library: LibraryStore, episodeId: string, active: ActiveRun[]): Promise<EpisodeDetail & ListedEpisode> {
  const entry = library.get(episodeId);
  const summary = await summarize(library, entry, active);
  const { manifest } = inspectManifest(entry.outDir);
  const stageInfo: EpisodeDetail['stageInfo'] = {};
  for (const s of STAGES) {
    const rec = manifest?.stages[s];
    if (rec) stageInfo[s] = { elapsedS: rec.elapsed_s, finishedAt: rec.finished_at, stats: rec.stats ?? {}, error: rec.error };
  }
  return { ...summary, artifactDir: entry.outDir, stageInfo };
}

export function readResults(library: LibraryStore, episodeId: string): Results {
  const entry = library.get(episodeId);
  const ids = readIdentities(entry.outDir);
  return {
    episodeId,
    identities: ids?.identities ?? [],
    unsure: ids?.unsure ?? [],
    screentime: readScreentime(entry.outDir),
    history: historySummary(readHistory(entry.outDir)),
  };
}

export function exportContent(entry: LibraryEntry, r: Results, format: 'csv' | 'json'): { fileName: string; content: string } {
  const safeName = entry.name.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '') || 'episode';
  if (!r.screentime) throw new Error(`No screen time yet for ${entry.name}: run the screentime stage first`);
  // The same CSV the pipeline writes (screentime.csv), from the current (possibly edited) results.
  if (format === 'csv') return { fileName: `${safeName}-screentime.csv`, content: screentimeCsv(r.screentime) };
  const doc = { episode: entry.name, video: entry.video?.file ?? entry.videoPath, identities: r.identities, screentime: r.screentime };
  return { fileName: `${safeName}-screentime.json`, content: `${JSON.stringify(doc, null, 2)}\n` };
}
