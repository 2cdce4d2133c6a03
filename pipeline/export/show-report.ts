// Show report: screen time per person per episode, people joined across episodes.
//
// Who is the same person in two episodes: the people library's `person_id` on a screentime row
// when present; else the same name (label, case and spacing ignored). An unnamed "Person N" is
// only a cluster number inside its episode, so it is never joined: it gets a row of its own.

import type { ScreentimeFile } from '../../shared/artifacts.js';
import type { ReportPerson, ShowReport } from '../../shared/report.js';
import { csvCell } from '../screentime/compute.js';
import { personIdOf, personName } from './segments.js';

export type { ReportPerson, ShowReport };

export interface ReportEpisode {
  name: string;
  screentime: ScreentimeFile;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Seconds covered by segments that may overlap (two rows of one person in one episode). */
export function unionSeconds(segments: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...segments].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [cs, ce] = [NaN, NaN];
  for (const [s, e] of sorted) {
    if (!(e > s)) continue;
    if (Number.isNaN(cs) || s > ce) {
      if (!Number.isNaN(cs)) total += ce - cs;
      [cs, ce] = [s, e];
    } else ce = Math.max(ce, e);
  }
  if (!Number.isNaN(cs)) total += ce - cs;
  return total;
}

const normName = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

export function buildShowReport(episodes: readonly ReportEpisode[]): ShowReport {
  const rows = new Map<string, { name: string; personId: string | null; joined: boolean; segs: Array<Array<[number, number]>> }>();
  episodes.forEach((ep, i) => {
    for (const row of ep.screentime.identities) {
      const personId = personIdOf(row);
      const label = row.label?.trim() ? row.label.trim() : null;
      const key = personId ? `person:${personId}` : label ? `name:${normName(label)}` : `episode:${i}:${row.identity_id}`;
      let r = rows.get(key);
      if (!r) {
        const name = label ?? (personId ? personId : `${personName(null, row.identity_id)} (${ep.name})`);
        r = { name, personId, joined: Boolean(personId || label), segs: episodes.map(() => []) };
        rows.set(key, r);
      }
      r.segs[i]!.push(...row.segments);
    }
  });
  const people: ReportPerson[] = [...rows].map(([key, r]) => {
    const seconds = r.segs.map((s) => r3(unionSeconds(s)));
    return { key, name: r.name, personId: r.personId, joined: r.joined, seconds, totalS: r3(seconds.reduce((a, b) => a + b, 0)), episodesSeen: seconds.filter((s) => s > 0).length };
  });
  // Joined people first (the show's cast), then by total time; names break ties for a stable order.
  people.sort((a, b) => Number(b.joined) - Number(a.joined) || b.totalS - a.totalS || a.name.localeCompare(b.name));
  return { episodes: episodes.map((e) => ({ name: e.name, durationS: e.screentime.duration_s })), people };
}

/** One row per person: name, person_id, seconds per episode (a column each), total, episodes seen. */
export function showReportCsv(report: ShowReport): string {
  const head = ['person', 'person_id', ...report.episodes.map((e) => e.name), 'total_s', 'episodes_seen'];
  const lines = [head.map((h) => csvCell(h)).join(',')];
  for (const p of report.people) {
    lines.push([csvCell(p.name), csvCell(p.personId), ...p.seconds.map((s) => csvCell(s.toFixed(3))), csvCell(p.totalS.toFixed(3)), csvCell(p.episodesSeen)].join(','));
  }
  return lines.join('\n') + '\n';
}

export function showReportJson(report: ShowReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
