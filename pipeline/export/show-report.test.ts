import { describe, expect, it } from 'vitest';
import type { ScreentimeFile, ScreentimeIdentity } from '../../shared/artifacts.js';
import { buildShowReport, showReportCsv, unionSeconds } from './show-report.js';

type Row = ScreentimeIdentity & { person_id?: string };
const row = (identity_id: number, label: string | null, segments: Array<[number, number]>, person_id?: string): Row => ({
  identity_id, label, segments, visible_s: unionSeconds(segments), n_tracks: 1, ...(person_id ? { person_id } : {}),
});
const st = (rows: Row[], duration_s = 60): ScreentimeFile => ({ duration_s, gap_tolerance_s: 0.5, identities: rows });

describe('unionSeconds', () => {
  it('counts overlapping time once', () => {
    expect(unionSeconds([[0, 2], [1, 3], [5, 6], [6, 6]])).toBe(4);
    expect(unionSeconds([])).toBe(0);
  });
});

describe('buildShowReport', () => {
  const ep1 = { name: 'S01E01', screentime: st([row(0, 'Ann', [[0, 10]], 'p1'), row(1, 'Bob', [[0, 4]]), row(2, null, [[20, 23]])], 60) };
  const ep2 = { name: 'S01E02', screentime: st([row(4, 'Annie', [[0, 5]], 'p1'), row(0, ' bob ', [[1, 2]]), row(1, null, [[5, 6]]), row(3, 'Bob', [[1.5, 3]])], 50) };
  const r = buildShowReport([ep1, ep2]);

  it('joins people by person_id first, then by name; never joins unnamed people', () => {
    expect(r.episodes).toEqual([{ name: 'S01E01', durationS: 60 }, { name: 'S01E02', durationS: 50 }]);
    const ann = r.people.find((p) => p.key === 'person:p1')!;
    // the library id joins "Ann" and "Annie"; the first name seen names the row
    expect(ann).toMatchObject({ name: 'Ann', personId: 'p1', joined: true, seconds: [10, 5], totalS: 15, episodesSeen: 2 });
    // same name, any case or spacing; two rows of one episode count overlapping time once
    const bob = r.people.find((p) => p.key === 'name:bob')!;
    expect(bob).toMatchObject({ name: 'Bob', personId: null, seconds: [4, 2], totalS: 6, episodesSeen: 2 });
    const unnamed = r.people.filter((p) => !p.joined);
    expect(unnamed.map((p) => [p.name, p.seconds])).toEqual([
      ['Person 3 (S01E01)', [3, 0]],
      ['Person 2 (S01E02)', [0, 1]],
    ]);
    expect(r.people.map((p) => p.name)).toEqual(['Ann', 'Bob', 'Person 3 (S01E01)', 'Person 2 (S01E02)']);
  });

  it('writes a CSV with one column per episode', () => {
    expect(showReportCsv(r).trim().split('\n')).toEqual([
      'person,person_id,S01E01,S01E02,total_s,episodes_seen',
      'Ann,p1,10.000,5.000,15.000,2',
      'Bob,,4.000,2.000,6.000,2',
      'Person 3 (S01E01),,3.000,0.000,3.000,1',
      'Person 2 (S01E02),,0.000,1.000,1.000,1',
    ]);
  });

  it('is empty for no episodes', () => {
    expect(buildShowReport([])).toEqual({ episodes: [], people: [] });
  });
});
