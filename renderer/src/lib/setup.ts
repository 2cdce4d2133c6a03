// Wording of the setup check (app:check) for the Setup dialog and Settings: one row per tool or
// model, each with a state the user can read at a glance and details that say where it is.

import type { ModelCheck, SetupCheck, SetupState, ToolCheck } from '../../../shared/ipc.js';
import { STAGE_LABELS } from './format.js';

export const SETUP_STATE_LABELS: Record<SetupState, string> = {
  ok: 'OK',
  will_download: 'Downloads on first run',
  missing: 'Missing',
  wrong_checksum: 'Wrong checksum',
  failed: 'Failed',
};

/** Chip colour: green when OK, blue for a download still to come, red for anything to fix. */
export function setupTone(state: SetupState): 'ok' | 'info' | 'bad' {
  if (state === 'ok') return 'ok';
  return state === 'will_download' ? 'info' : 'bad';
}

export interface SetupRow {
  /** Stable key, also `data-item` for tests: the tool name or the model file. */
  id: string;
  name: string;
  description: string;
  state: SetupState;
  /** Label / value pairs under the name. */
  details: Array<[string, string]>;
  problem: string | null;
  fix: string | null;
}

function toolSource(t: ToolCheck): string {
  const variable = t.tool === 'ffmpeg' ? 'SCREENTIME_FFMPEG' : 'SCREENTIME_FFPROBE';
  const sources: Record<ToolCheck['source'], string> = {
    env: `set by ${variable}`,
    bundled: 'shipped with the app',
    path: 'found on PATH',
    missing: 'not found',
  };
  return sources[t.source];
}

/** "ffmpeg version 4.1 https://…  Copyright (c) …" without the copyright, which says nothing here. */
export function shortVersion(line: string): string {
  return line.split(/\s+Copyright\b/)[0]!.trim();
}

export function toolRow(t: ToolCheck): SetupRow {
  const details: Array<[string, string]> = [['Source', toolSource(t)]];
  if (t.path) details.push(['File', t.path]);
  if (t.version) details.push(['Version', shortVersion(t.version)]);
  const description = t.tool === 'ffmpeg' ? 'Decodes the video frames' : 'Reads the video’s length, frame rate and size';
  return { id: t.tool, name: t.tool, description, state: t.state, details, problem: t.problem, fix: t.fix };
}

function checksumText(m: ModelCheck): string {
  if (!m.present) return 'not checked (no file)';
  return m.verified ? 'sha256 verified' : 'sha256 does not match the pinned one';
}

/** Whether and where a model is downloaded; null for one that is there and needs no download. */
function downloadText(m: ModelCheck): string | null {
  if (m.kind === 'bundled') return 'never: it ships with the app';
  if (m.downloadsOnFirstUse) return `on first use, into ${m.downloadDir}`;
  return m.present ? null : 'off (a models folder was named, or offline)';
}

export function modelRow(m: ModelCheck): SetupRow {
  const details: Array<[string, string]> = [['Needed by', STAGE_LABELS[m.stage]]];
  if (m.path) details.push(['File', m.path]);
  else if (m.lookedIn.length) details.push(['Looked in', m.lookedIn.join(', ')]);
  details.push(['Checksum', checksumText(m)]);
  const download = downloadText(m);
  if (download) details.push(['Download', download]);
  return { id: m.file, name: m.file, description: m.description, state: m.state, details, problem: m.problem, fix: m.fix };
}

/** Rows that are not OK. */
export function needsAttention(c: SetupCheck): number {
  return [...c.tools, ...c.models].filter((r) => r.state !== 'ok').length;
}

/** One line for Settings: all good, or how many rows want a look. */
export function setupSummary(c: SetupCheck | null): string {
  if (!c) return 'Not checked yet.';
  const n = needsAttention(c);
  if (n === 0) return 'ffmpeg, ffprobe and every model: OK.';
  const downloads = c.models.filter((m) => m.state === 'will_download').length;
  if (downloads === n) return `${n === 1 ? 'One model is' : `${n} models are`} downloaded on the first run.`;
  return `${n} ${n === 1 ? 'item needs' : 'items need'} attention.`;
}
