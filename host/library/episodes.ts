// What the window sees of a library entry: video facts, stage states from the manifest (with
// the runner's live runs on top), identity count, results and exports.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type IdentitiesFile, type ScreentimeFile } from '../../shared/artifacts.js';
import type { EpisodeDetail, EpisodeSummary, Results, StageState } from '../../shared/ipc.js';
import { STAGES, type StageName } from '../../shared/stages.js';
import { readManifest, stageStates } from '../../pipeline/runtime/manifest.js';
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

/**
 * A spreadsheet cell: quoted when needed, and a leading = + - @ (or tab/CR) neutralised so a
 * label typed by someone cannot run as a formula when the export is opened (CSV injection).
 */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function resultsCsv(r: Results): string {
  const lines = [['identity_id', 'label', 'visible_s', 'share_of_episode', 'n_tracks', 'segments'].join(',')];
  const duration = r.screentime?.duration_s ?? 0;
  for (const i of r.screentime?.identities ?? []) {
    const share = duration > 0 ? (i.visible_s / duration).toFixed(4) : '';
    const segs = i.segments.map(([a, b]) => `${a.toFixed(2)}-${b.toFixed(2)}`).join(' ');
    lines.push([csvCell(i.identity_id), csvCell(i.label), csvCell(Number(i.visible_s.toFixed(3))), share, csvCell(i.n_tracks), csvCell(segs)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function exportContent(entry: LibraryEntry, r: Results, format: 'csv' | 'json'): { fileName: string; content: string } {
  const safeName = entry.name.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '') || 'episode';
  if (!r.screentime) throw new Error(`No screen time yet for ${entry.name}: run the screentime stage first`);
  if (format === 'csv') return { fileName: `${safeName}-screentime.csv`, content: resultsCsv(r) };
  const doc = { episode: entry.name, video: entry.video?.file ?? entry.videoPath, identities: r.identities, screentime: r.screentime };
  return { fileName: `${safeName}-screentime.json`, content: `${JSON.stringify(doc, null, 2)}\n` };
}
