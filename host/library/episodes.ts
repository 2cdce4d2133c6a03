// What the window sees of a library entry: video facts, stage states from the manifest (with
// the runner's live runs on top), identity count, results and exports.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type IdentitiesFile, type ScreentimeFile } from '../../shared/artifacts.js';
import type { EpisodeDetail, EpisodeSummary, Results, StageState } from '../../shared/ipc.js';
import { STAGES, type StageName } from '../../shared/stages.js';
import { readManifest, stageStates } from '../../pipeline/runtime/manifest.js';
import { screentimeCsv } from '../../pipeline/screentime/compute.js';
import type { ActiveRun } from '../runner/types.js';
import type { LibraryEntry, LibraryStore } from './store.js';

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function readIdentities(outDir: string): IdentitiesFile | null {
  const v = readJson<IdentitiesFile>(path.join(outDir, ARTIFACT_FILES.identities));
  return v && Array.isArray(v.identities) ? v : null;
}

export function readScreentime(outDir: string): ScreentimeFile | null {
  const v = readJson<ScreentimeFile>(path.join(outDir, ARTIFACT_FILES.screentime));
  return v && Array.isArray(v.identities) ? v : null;
}

/** Manifest states, with the stages this host is running right now marked 'running'. */
export function liveStageStates(entry: LibraryEntry, active: ActiveRun[]): Record<StageName, StageState> {
  const states = stageStates(readManifest(entry.outDir));
  for (const run of active) if (run.episodeId === entry.episodeId) states[run.stage] = 'running';
  return states;
}

export async function summarize(library: LibraryStore, entry: LibraryEntry, active: ActiveRun[]): Promise<EpisodeSummary> {
  const problem = await library.refresh(entry.episodeId);
  const fresh = library.has(entry.episodeId) ? library.get(entry.episodeId) : entry;
  const identities = readIdentities(fresh.outDir);
  return {
    episodeId: fresh.episodeId,
    name: fresh.name,
    dir: fresh.dir,
    video: problem ? null : fresh.video,
    problem,
    stages: liveStageStates(fresh, active),
    identityCount: identities ? identities.identities.filter((i) => !i.ignored).length : null,
  };
}

export async function listEpisodes(library: LibraryStore, active: ActiveRun[]): Promise<EpisodeSummary[]> {
  const out: EpisodeSummary[] = [];
  for (const e of library.all()) out.push(await summarize(library, e, active));
  return out;
}

export async function episodeDetail(library: LibraryStore, episodeId: string, active: ActiveRun[]): Promise<EpisodeDetail> {
  const entry = library.get(episodeId);
  const summary = await summarize(library, entry, active);
  const manifest = readManifest(entry.outDir);
  const stageInfo: EpisodeDetail['stageInfo'] = {};
  for (const s of STAGES) {
    const rec = manifest?.stages[s];
    if (rec) stageInfo[s] = { elapsedS: rec.elapsed_s, finishedAt: rec.finished_at, stats: rec.stats ?? {}, error: rec.error };
  }
  return { ...summary, artifactDir: entry.outDir, stageInfo };
}

export function readResults(library: LibraryStore, episodeId: string): Results {
  const entry = library.get(episodeId);
  return {
    episodeId,
    identities: readIdentities(entry.outDir)?.identities ?? [],
    screentime: readScreentime(entry.outDir),
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
