// `screentime export` and `screentime report` on real artifacts: the pipeline runs once on the
// ground-truth episode (real video, real models); the EDL is parsed back and every event checked
// against screentime.json to the frame and against the hand-made shot list of episode_gt.json.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScreentimeFile } from '../../shared/artifacts.js';
import { ARTIFACT_DIR_NAME, EXIT } from '../../shared/stages.js';
import { CLI_JS, MODELS_DIR, mediaPath, missing, tempEpisode } from '../../test-support/shared-data.js';
import { parseEdl } from '../export/edl.js';
import { personName } from '../export/segments.js';
import type { ShowReport } from '../export/show-report.js';
import { applyEdit } from '../review/edits.js';

const VIDEO = 'episode_gt.mp4';
const skip = missing(CLI_JS, mediaPath(VIDEO), mediaPath('episode_gt.json'), path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'));

interface GtShot { index: number; start_frame: number; end_frame: number; identities: string[] }
interface Gt { fps: number; frame_count: number; shots: GtShot[] }

const cli = (args: string[]) => execa(process.execPath, [CLI_JS, ...args], { reject: false, stdin: 'ignore', env: { ...process.env, SCREENTIME_MODELS_DIR: MODELS_DIR } });

describe.skipIf(skip)(`screentime export / report on real artifacts ${skip ?? ''}`, () => {
  let dir = '';
  let st: ScreentimeFile;
  const gt = JSON.parse(readFileSync(mediaPath('episode_gt.json'), 'utf8')) as Gt;
  const temps: string[] = [];

  beforeAll(async () => {
    dir = tempEpisode(VIDEO, 'Episode 1');
    temps.push(path.dirname(dir));
    const r = await cli(['run', dir, '--models', MODELS_DIR]);
    expect(r.exitCode, r.stderr).toBe(0);
    st = JSON.parse(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'screentime.json'), 'utf8')) as ScreentimeFile;
  }, 600_000);
  afterAll(() => {
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('writes an EDL whose events are every screen-time segment, to the frame, and the ground truth\'s shots', async () => {
    const out = path.join(path.dirname(dir), 'all.edl');
    const r = await cli(['export', dir, '--format', 'edl', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/segments at 25\/1 fps \(non-drop timecode\)/);
    const edl = parseEdl(readFileSync(out, 'utf8'), { num: gt.fps, den: 1 });
    expect(edl.title).toBe('Episode 1');
    expect(edl.dropFrame).toBe(false);
    const expected = st.identities
      .flatMap((i) => i.segments.map(([s, e]) => ({ name: personName(i.label, i.identity_id), inF: Math.round(s * gt.fps), outF: Math.round(e * gt.fps) })))
      .sort((a, b) => a.inF - b.inF || a.outF - b.outF);
    expect(edl.events.length).toBe(expected.length);
    const got = edl.events.map((e) => ({ name: e.marker!.name, inF: e.recordIn, outF: e.recordOut })).sort((a, b) => a.inF - b.inF || a.outF - b.outF || a.name.localeCompare(b.name));
    expect(got).toEqual([...expected].sort((a, b) => a.inF - b.inF || a.outF - b.outF || a.name.localeCompare(b.name)));
    for (const e of edl.events) {
      expect([e.sourceIn, e.sourceOut]).toEqual([e.recordIn, e.recordOut]);
      expect(e.clipName).toBe(VIDEO);
      expect(e.locator!.frame).toBe(e.recordIn);
      expect(e.marker!.durationFrames).toBe(e.recordOut - e.recordIn);
    }
    expect(edl.events.map((e) => e.number)).toEqual(edl.events.map((_, i) => i + 1));

    // Against the hand-made truth: each person is one GT identity, and their events are that
    // identity's shots (frames 0-based, end exclusive, as CMX3600 out points). Two frames of
    // slack leave room for the cut detector, never for a wrong shot.
    const shotsOf = (who: string) => gt.shots.filter((s) => s.identities.includes(who));
    const byPerson = new Map<string, Array<[number, number]>>();
    for (const e of edl.events) byPerson.set(e.marker!.name, [...(byPerson.get(e.marker!.name) ?? []), [e.recordIn, e.recordOut]]);
    const gtNames = [...new Set(gt.shots.flatMap((s) => s.identities))];
    expect(byPerson.size).toBe(gtNames.length);
    const matched = new Set<string>();
    for (const [name, events] of byPerson) {
      const who = gtNames.find((g) => shotsOf(g).some((s) => Math.abs(s.start_frame - events[0]![0]) <= 2 && Math.abs(s.end_frame - events[0]![1]) <= 2));
      expect(who, `${name}: a GT identity with a shot at ${events[0]}`).toBeDefined();
      matched.add(who!);
      const shots = shotsOf(who!);
      expect(events.length, `${name} (${who}) events`).toBe(shots.length);
      events.forEach(([a, b], k) => {
        expect(Math.abs(a - shots[k]!.start_frame), `${name} event ${k} in`).toBeLessThanOrEqual(2);
        expect(Math.abs(b - shots[k]!.end_frame), `${name} event ${k} out`).toBeLessThanOrEqual(2);
      });
    }
    expect(matched.size).toBe(gtNames.length);
  });

  it('exports one person as a marker CSV on stdout, and refuses a person that is not there', async () => {
    const who = personName(st.identities[0]!.label, st.identities[0]!.identity_id);
    const r = await cli(['export', dir, '--format', 'markers-csv', '--person', who]);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split(','));
    expect(rows[0]!.slice(0, 5)).toEqual(['person', 'identity_id', 'person_id', 'start_tc', 'end_tc']);
    expect(rows.slice(1).map((c) => [c[0], Number(c[6]), Number(c[7])])).toEqual(st.identities[0]!.segments.map(([s, e]) => [who, Math.round(s * 25), Math.round(e * 25)]));
    const bad = await cli(['export', dir, '--format', 'edl', '--person', 'Nobody']);
    expect(bad.exitCode).toBe(EXIT.BAD_INPUT);
    expect(bad.stderr).toMatch(/no person "Nobody"/);
    const usage = await cli(['export', dir, '--format', 'xml']);
    expect(usage.exitCode).toBe(EXIT.USAGE);
  });

  it('reports two episodes of a show folder, joining renamed people and keeping unnamed ones apart', async () => {
    const show = mkdtempSync(path.join(tmpdir(), 'screentime-show-'));
    temps.push(show);
    // the same artifacts under a second episode (natural order puts "Episode 2" first)
    cpSync(dir, path.join(show, 'Episode 2'), { recursive: true });
    cpSync(dir, path.join(show, 'Episode 10'), { recursive: true });
    writeFileSync(path.join(show, 'notes.txt'), 'not an episode');
    const top = st.identities[0]!.identity_id;
    for (const ep of ['Episode 2', 'Episode 10']) await applyEdit(path.join(show, ep, ARTIFACT_DIR_NAME), { kind: 'rename', identityId: top, label: 'Anchor' });
    const out = path.join(show, 'report.json');
    const r = await cli(['report', show, '--format', 'json', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as ShowReport;
    expect(report.episodes.map((e) => e.name)).toEqual(['Episode 2', 'Episode 10']);
    const anchor = report.people[0]!;
    expect(anchor).toMatchObject({ name: 'Anchor', joined: true, episodesSeen: 2, seconds: [st.identities[0]!.visible_s, st.identities[0]!.visible_s] });
    // everyone else is an unnamed cluster of one episode: a row per episode
    expect(report.people.length).toBe(1 + 2 * (st.identities.length - 1));
    expect(report.people.slice(1).every((p) => !p.joined && p.episodesSeen === 1)).toBe(true);
    const csv = await cli(['report', path.join(show, 'Episode 2'), path.join(show, 'Episode 10')]);
    expect(csv.exitCode, csv.stderr).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe('person,person_id,Episode 2,Episode 10,total_s,episodes_seen');
    expect(csv.stdout.split('\n')[1]).toBe(`Anchor,,${st.identities[0]!.visible_s.toFixed(3)},${st.identities[0]!.visible_s.toFixed(3)},${(2 * st.identities[0]!.visible_s).toFixed(3)},2`);
    const none = await cli(['report', path.join(show, 'notes.txt')]);
    expect(none.exitCode).toBe(EXIT.BAD_INPUT);
  });
});
