// The editing-tool exports and the show report for library episodes: the same content the
// `screentime export` / `screentime report` commands write (pipeline/export/).

import type { ExportResult } from '../../shared/ipc.js';
import type { ShowReport } from '../../shared/report.js';
import { readScreentime } from '../../pipeline/cluster/io.js';
import { exportEpisodeSegments, safeFileStem, type SegmentExportFormat } from '../../pipeline/export/episode-export.js';
import { buildShowReport, showReportCsv, showReportJson } from '../../pipeline/export/show-report.js';
import type { LibraryEntry } from './store.js';

export function segmentExportContent(entry: LibraryEntry, format: SegmentExportFormat, person?: string): { fileName: string; content: string } {
  const { fileName, content } = exportEpisodeSegments(entry.outDir, entry.name, { format, person });
  return { fileName, content };
}

/** The report over episodes in the order given; one without screen time is an error naming it. */
export function showReportOf(entries: readonly LibraryEntry[]): ShowReport {
  return buildShowReport(
    entries.map((e) => {
      const screentime = readScreentime(e.outDir);
      if (!screentime) throw new Error(`No screen time yet for ${e.name}: run the screentime stage first`);
      return { name: e.name, screentime };
    }),
  );
}

export function showReportContent(entries: readonly LibraryEntry[], format: 'csv' | 'json'): { fileName: string; content: string } {
  const report = showReportOf(entries);
  const stem = entries.length === 1 ? safeFileStem(entries[0]!.name) : `${safeFileStem(entries[0]!.name)}-and-${entries.length - 1}-more`;
  return format === 'csv' ? { fileName: `${stem}-report.csv`, content: showReportCsv(report) } : { fileName: `${stem}-report.json`, content: showReportJson(report) };
}

/** Hands content to the host's Save dialog (Electron) or back to the window to download (browser host). */
export async function deliver(
  saveExport: ((fileName: string, content: string) => Promise<string | null>) | undefined,
  file: { fileName: string; content: string },
): Promise<ExportResult> {
  if (saveExport) return { savedPath: await saveExport(file.fileName, file.content), fileName: file.fileName, content: null };
  return { savedPath: null, fileName: file.fileName, content: file.content };
}
