import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EditsFile, IdentitiesFile, IdentityRow, Manifest, PrototypeRow, ScreentimeFile, TrackRow, ShotRow } from '../../shared/artifacts.js';
import type { Edit } from '../../shared/ipc.js';
import { buildIdentities, type Prototypes } from '../cluster/identities.js';
import { f32Bytes, readEdits } from '../cluster/io.js';
import { applyEdit, applyEdits, applyEditsToGroups, applyEditToIdentities, emptyEdits, readHistory, recordEdit, redoEdit, undoEdit } from './edits.js';
import { MAX_LOG, picture, pushStep, stepEntry, undoPicture, emptyHistory, type LogEntry } from './history.js';

/** 6 tracks, 2-d unit prototypes: tracks 0,1,2 near one direction, 3,4 another, 5 a third. */
function protos(): Prototypes {
  const dirs = [[1, 0], [0.99, 0.14], [0.98, -0.2], [0, 1], [0.1, 0.99], [-1, 0]];
  const vectors = new Float32Array(dirs.flat().map((x, i, a) => x / Math.hypot(a[i - (i % 2)]!, a[i - (i % 2) + 1]!)));
  const byTrack = new Map<number, PrototypeRow>();
  dirs.forEach((_, t) => byTrack.set(t, { row: t, track_id: t, n_faces: 2 + t, best_quality: 10 + t, thumb: `thumbs/t${t}.jpg`, sample_thumbs: [`thumbs/t${t}_1.jpg`] }));
  return { vectors, dim: 2, byTrack };
}

const groupsOf = (ids: readonly IdentityRow[]) => ids.map((i) => [...i.track_ids].sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);
const draftsKey = (ds: ReturnType<typeof applyEditsToGroups>) =>
  ds.map((d) => `${[...d.track_ids].sort((a, b) => a - b).join('+')}|${d.label}|${d.ignored}`).sort();
const idsKey = (ids: readonly IdentityRow[]) => ids.map((d) => `${d.track_ids.join('+')}|${d.label}|${d.ignored}`).sort();

describe('recorded edits re-apply to the same clustering exactly as they were applied at once', () => {
  const P = protos();
  const base = [[0, 1, 2], [3, 4], [5]];

  it('a scripted session', () => {
    let ids = buildIdentities(base.map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    let edits = emptyEdits();
    const idOf = (t: number) => ids.find((i) => i.track_ids.includes(t))!.identity_id;
    const steps: Array<() => Edit> = [
      () => ({ kind: 'rename', identityId: idOf(0), label: 'Ann' }),
      () => ({ kind: 'split', trackId: 2 }),
      () => ({ kind: 'merge', identityIds: [idOf(2), idOf(3)] }),
      () => ({ kind: 'ignore', identityId: idOf(5), ignored: true }),
      () => ({ kind: 'rename', identityId: idOf(3), label: 'Bob' }),
      () => ({ kind: 'merge', identityIds: [idOf(0), idOf(5)] }), // labelled + ignored -> keeps Ann, not ignored
      () => ({ kind: 'split', trackId: 0 }),
    ];
    for (const step of steps) {
      const e = step();
      edits = recordEdit(edits, ids, e);
      ids = applyEditToIdentities(ids, e, P);
      expect(draftsKey(applyEditsToGroups(base, edits))).toEqual(idsKey(ids));
    }
    expect(groupsOf(ids)).toEqual([[0], [1, 5], [2, 3, 4]]);
    expect(ids.find((i) => i.track_ids.includes(1))!.label).toBe('Ann');
    expect(ids.find((i) => i.track_ids.includes(3))!.label).toBe('Bob');
    expect(ids.find((i) => i.track_ids.includes(0))!.label).toBeNull();
    expect(ids.every((i) => !i.ignored)).toBe(true);
  });

  it('random edit sequences agree too', () => {
    let seed = 3;
    const r = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let run = 0; run < 40; run++) {
      let ids = buildIdentities(base.map((g) => ({ track_ids: g, label: null, ignored: false })), P);
      let edits = emptyEdits();
      for (let k = 0; k < 8; k++) {
        const pick = () => ids[Math.floor(r() * ids.length)]!;
        const x = r();
        let e: Edit;
        if (x < 0.25) e = { kind: 'rename', identityId: pick().identity_id, label: `L${k}` };
        else if (x < 0.5 && ids.length >= 2) {
          const a = pick(), b = ids.filter((i) => i !== a)[Math.floor(r() * (ids.length - 1))]!;
          e = { kind: 'merge', identityIds: [a.identity_id, b.identity_id] };
        } else if (x < 0.75) e = { kind: 'split', trackId: Math.floor(r() * 6) };
        else e = { kind: 'ignore', identityId: pick().identity_id, ignored: r() < 0.7 };
        edits = recordEdit(edits, ids, e);
        ids = applyEditToIdentities(ids, e, P);
        expect(draftsKey(applyEditsToGroups(base, edits))).toEqual(idsKey(ids));
      }
    }
  });

  it('edits follow their tracks when clustering changes, and forget tracks that are gone', () => {
    const edits: EditsFile = { labels: [{ track_ids: [0, 1, 2], label: 'Ann' }], merges: [[3, 5]], splits: [9], ignored: [4] };
    // new clustering: 0 and 1 together, 2 elsewhere with 4, 3 alone, 5 alone, track 9 no longer exists
    const d = applyEditsToGroups([[0, 1], [2, 4], [3], [5]], edits);
    expect(draftsKey(d)).toEqual(['0+1|Ann|false', '2+4|null|false', '3+5|null|false'].sort());
  });

  it('rejects edits naming identities or tracks that do not exist', () => {
    const ids = buildIdentities(base.map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    expect(() => recordEdit(emptyEdits(), ids, { kind: 'rename', identityId: 42, label: 'x' })).toThrow(/no identity 42/);
    expect(() => applyEditToIdentities(ids, { kind: 'split', trackId: 42 }, P)).toThrow(/track 42/);
  });
});

/** An artifact folder with 6 tracks in 2 shots, clustered as [[0,1,2],[3,4],[5]]. */
function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'screentime-edits-'));
  const P = protos();
  const rows = [...P.byTrack.values()];
  writeFileSync(path.join(dir, 'prototypes.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'prototypes.f32'), f32Bytes(P.vectors));
  const shots: ShotRow[] = [{ shot: 0, start_frame: 0, end_frame: 250, start_ts: 0, end_ts: 10 }, { shot: 1, start_frame: 250, end_frame: 500, start_ts: 10, end_ts: 20 }];
  const span = (t: number, a: number, b: number, shot: number): TrackRow => ({ track_id: t, first_ts: a, last_ts: b, first_frame: a * 25, last_frame: b * 25, n_detections: 5, shot, mean_conf: 0.9, boxes: 'detections.jsonl' });
  const tracks = [span(0, 1, 3, 0), span(1, 4, 5, 0), span(2, 11, 12, 1), span(3, 6, 8, 0), span(4, 13, 15, 1), span(5, 16, 17, 1)];
  writeFileSync(path.join(dir, 'tracks.jsonl'), tracks.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'shots.jsonl'), shots.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const manifest = {
    schema_version: 1,
    video: { file: 'x.mp4', duration_s: 20, fps: 25, width: 640, height: 360, frame_count: 500, start_time_s: 0, codec: 'h264' },
    stages: { detect_track: { status: 'completed', config: { stride: 5 }, config_hash: 'x', inputs: {}, started_at: '', finished_at: '', elapsed_s: 1, pid: null, host: null, stats: {}, error: null } },
  } as unknown as Manifest;
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const ids = buildIdentities([[0, 1, 2], [3, 4], [5]].map((g) => ({ track_ids: g, label: null, ignored: false })), P);
  writeFileSync(path.join(dir, 'identities.json'), JSON.stringify({ identities: ids }));
  return dir;
}

const read = <T>(dir: string, f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as T;

describe('applyEdit on an artifact folder', () => {
  it('renames, merges, splits and ignores, rewriting every file and the screen time at once', async () => {
    const dir = folder();
    const ids0 = read<IdentitiesFile>(dir, 'identities.json').identities;
    const a = ids0.find((i) => i.track_ids.includes(0))!.identity_id;
    const b = ids0.find((i) => i.track_ids.includes(3))!.identity_id;
    const c = ids0.find((i) => i.track_ids.includes(5))!.identity_id;

    let res = await applyEdit(dir, { kind: 'rename', identityId: a, label: '  Ann ' });
    expect(res.identities.identities.find((i) => i.identity_id === a)!.label).toBe('Ann');
    expect(read<EditsFile>(dir, 'edits.json').labels).toEqual([{ track_ids: [0, 1, 2], label: 'Ann' }]);
    expect(readFileSync(path.join(dir, 'screentime.csv'), 'utf8')).toContain(',Ann,');
    // stride 5 at 25 fps: half step 0.1 s; track 0 spans 0.9..3.1, track 1 3.9..5.1, track 2 10.9..12.1
    const ann = res.screentime.identities.find((r) => r.identity_id === a)!;
    expect(ann.visible_s).toBeCloseTo(2.2 + 1.2 + 1.2, 3);

    res = await applyEdit(dir, { kind: 'merge', identityIds: [a, b] });
    expect(res.identities.identities).toHaveLength(2);
    const merged = res.identities.identities.find((i) => i.identity_id === Math.min(a, b))!;
    expect(merged.track_ids).toEqual([0, 1, 2, 3, 4]);
    expect(merged.label).toBe('Ann');
    expect(merged.n_faces).toBe(2 + 3 + 4 + 5 + 6);

    res = await applyEdit(dir, { kind: 'split', trackId: 3 });
    const alone = res.identities.identities.find((i) => i.track_ids.length === 1 && i.track_ids[0] === 3)!;
    expect(alone.label).toBeNull();
    expect(alone.thumb).toBe('thumbs/t3.jpg');

    res = await applyEdit(dir, { kind: 'ignore', identityId: c, ignored: true });
    expect(res.screentime.identities.map((r) => r.identity_id)).not.toContain(c);
    const onDisk = read<ScreentimeFile>(dir, 'screentime.json');
    expect(onDisk).toEqual(res.screentime);
    expect(read<IdentitiesFile>(dir, 'identities.json')).toEqual(res.identities);
    expect(readEdits(dir)).toEqual({ labels: [{ track_ids: [0, 1, 2, 4], label: 'Ann' }], merges: [[0, 1, 2, 4]], splits: [3], ignored: [5] });
    // no temp files left behind
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a run sampled on decodable frames: the recomputed screen time allows for detect_track\'s largest step, as the stage does', async () => {
    const dir = folder();
    const m = read<Manifest>(dir, 'manifest.json');
    m.stages.detect_track!.stats = { sampling: 'decodable', mean_step_frames: 5.2, max_step_frames: 30 };
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const ids0 = read<IdentitiesFile>(dir, 'identities.json').identities;
    const a = ids0.find((i) => i.track_ids.includes(0))!.identity_id;
    const res = await applyEdit(dir, { kind: 'rename', identityId: a, label: 'Ann' });
    // Steps of up to 30 frames (1.2 s): gap tolerance 2.4 s, and a track first seen less than 30
    // frames into its shot starts at the cut. Track 0 (frame 25 of shot 0) runs 0..3.1 and joins
    // track 1 (3.9..5.1) across 0.8 s; track 2 (frame 275, 25 into shot 1) runs 10..12.1. With the
    // stride alone (5) it would be 2.2 + 1.2 + 1.2 s.
    expect(res.screentime.gap_tolerance_s).toBe(2.4);
    expect(res.screentime.identities.find((r) => r.identity_id === a)!.visible_s).toBeCloseTo(5.1 + 2.1, 3);
  });

  it('concurrent edits are applied one after the other, none lost', async () => {
    const dir = folder();
    const ids0 = read<IdentitiesFile>(dir, 'identities.json').identities;
    await Promise.all(ids0.map((i, k) => applyEdit(dir, { kind: 'rename', identityId: i.identity_id, label: `P${k}` })));
    const after = read<IdentitiesFile>(dir, 'identities.json').identities;
    expect(after.map((i) => i.label).sort()).toEqual(['P0', 'P1', 'P2']);
    expect(read<EditsFile>(dir, 'edits.json').labels).toHaveLength(3);
  });

  it('assigns unsure tracks to a person or makes them a person of their own; a re-run of cluster keeps both', async () => {
    const dir = folder();
    // tracks 2 and 5 are unsure: they belong to nobody and count for nobody
    const P = protos();
    const ids = buildIdentities([[0, 1], [3, 4]].map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    const unsure = [2, 5].map((t) => ({ track_id: t, thumb: `thumbs/t${t}.jpg`, nearest_identity: null, distance: null }));
    writeFileSync(path.join(dir, 'identities.json'), JSON.stringify({ identities: ids, unsure }));
    const ann = ids.find((i) => i.track_ids.includes(0))!.identity_id;
    await expect(applyEdit(dir, { kind: 'assign', trackId: 3, identityId: ann })).rejects.toThrow(/not among the unsure/);

    let res = await applyEdit(dir, { kind: 'assign', trackId: 2, identityId: ann });
    expect(res.identities.identities.find((i) => i.identity_id === ann)!.track_ids).toEqual([0, 1, 2]);
    expect(res.identities.unsure!.map((u) => u.track_id)).toEqual([5]);
    // track 2 spans 11-12 s (shot 1): Ann's time grows by it
    const annTime = res.screentime.identities.find((i) => i.identity_id === ann)!.visible_s;
    res = await applyEdit(dir, { kind: 'assign', trackId: 5, identityId: null });
    expect(res.identities.unsure).toEqual([]);
    const own = res.identities.identities.find((i) => i.track_ids.length === 1 && i.track_ids[0] === 5)!;
    expect(own.identity_id).toBe(Math.max(...ids.map((i) => i.identity_id)) + 1);
    expect(res.screentime.identities.find((i) => i.identity_id === ann)!.visible_s).toBeCloseTo(annTime, 3);

    // what the cluster stage does on a re-run: the same groups and unsure tracks, then the edits
    const drafts = applyEditsToGroups([[0, 1], [3, 4], [2], [5]], readEdits(dir));
    expect(draftsKey(drafts)).toEqual(idsKey(res.identities.identities));
  });

  it('refuses invalid edits and unknown identities without touching the files', async () => {
    const dir = folder();
    const before = readFileSync(path.join(dir, 'identities.json'), 'utf8');
    await expect(applyEdit(dir, { kind: 'rename', identityId: 1, label: '   ' })).rejects.toThrow(/invalid edit/);
    await expect(applyEdit(dir, { kind: 'merge', identityIds: [0, 99] })).rejects.toThrow(/no identity 99/);
    expect(readFileSync(path.join(dir, 'identities.json'), 'utf8')).toBe(before);
    expect(existsSync(path.join(dir, 'edits.json'))).toBe(false);
  });
});

describe('people-library decisions are edits', () => {
  const P = protos();
  const named = () => buildIdentities([[0, 1, 2], [3, 4], [5]].map((g) => ({ track_ids: g, label: null, ignored: false })), P)
    .map((i) => (i.track_ids.includes(0) ? { ...i, label: 'Ann', person_id: 'p_ann', person_name: 'Ann', match: 'auto' as const, distance: 0.2 }
      : i.track_ids.includes(3) ? { ...i, person_id: 'p_bob', person_name: 'Bob', match: 'suggested' as const, distance: 0.3 } : i));

  it('accepting a suggestion names the identity and records the person and the label', () => {
    const ids = named();
    const bob = ids.find((i) => i.track_ids.includes(3))!;
    const edit: Edit = { kind: 'person', identityId: bob.identity_id, personId: 'p_bob', decision: 'confirm', label: 'Bob' };
    const after = applyEditToIdentities(ids, edit, P).find((i) => i.identity_id === bob.identity_id)!;
    expect(after).toMatchObject({ label: 'Bob', person_id: 'p_bob', match: 'confirmed', distance: 0.3 });
    const e = recordEdit(emptyEdits(), ids, edit);
    expect(e.people).toEqual([{ track_ids: [3, 4], person_id: 'p_bob', decision: 'confirmed' }]);
    expect(e.labels).toEqual([{ track_ids: [3, 4], label: 'Bob' }]);
    expect(() => recordEdit(emptyEdits(), ids, { ...edit, label: undefined })).toThrow(/needs their name/);
  });

  it('rejecting removes the library name (never a typed one) and is remembered for those tracks', () => {
    const ids = named();
    const ann = ids.find((i) => i.track_ids.includes(0))!;
    const edit: Edit = { kind: 'person', identityId: ann.identity_id, personId: 'p_ann', decision: 'reject' };
    expect(applyEditToIdentities(ids, edit, P).find((i) => i.identity_id === ann.identity_id)).toMatchObject({ label: null, person_id: null, match: 'none' });
    const e = recordEdit(emptyEdits(), ids, edit);
    expect(e.people).toEqual([{ track_ids: [0, 1, 2], person_id: 'p_ann', decision: 'rejected' }]);
    // a rename unlinks the person: the typed name stays whatever the library says later
    const renamed = applyEditToIdentities(ids, { kind: 'rename', identityId: ann.identity_id, label: 'Anna' }, P).find((i) => i.identity_id === ann.identity_id)!;
    expect(renamed).toMatchObject({ label: 'Anna', person_id: null, match: 'none' });
  });
});

/** One random edit of the given kinds on 6 tracks (a merge needs two people: else a rename). */
function randomEdit(r: () => number, ids: readonly IdentityRow[], k: number, kinds: ReadonlyArray<Edit['kind']>): Edit {
  const pick = () => ids[Math.floor(r() * ids.length)]!;
  const kind = kinds[Math.floor(r() * kinds.length)]!;
  if (kind === 'merge' && ids.length >= 2) {
    const a = pick(), b = ids.filter((i) => i !== a)[Math.floor(r() * (ids.length - 1))]!;
    return { kind: 'merge', identityIds: [a.identity_id, b.identity_id] };
  }
  if (kind === 'split') return { kind: 'split', trackId: Math.floor(r() * 6) };
  if (kind === 'ignore') return { kind: 'ignore', identityId: pick().identity_id, ignored: r() < 0.7 };
  if (kind === 'move') return { kind: 'move', trackId: Math.floor(r() * 6), identityId: r() < 0.3 ? null : pick().identity_id };
  return { kind: 'rename', identityId: pick().identity_id, label: `L${k}` };
}

describe('moving a track to another person', () => {
  const P = protos();
  const base = [[0, 1, 2], [3, 4], [5]];

  it('random sequences with moves re-apply to the same clustering exactly as they were applied', () => {
    let seed = 11;
    const r = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let run = 0; run < 60; run++) {
      let ids = buildIdentities(base.map((g) => ({ track_ids: g, label: null, ignored: false })), P);
      let edits = emptyEdits();
      for (let k = 0; k < 8; k++) {
        const e = randomEdit(r, ids, k, ['rename', 'merge', 'ignore', 'move', 'move']);
        edits = recordEdit(edits, ids, e);
        ids = applyEditToIdentities(ids, e, P);
        expect(draftsKey(applyEditsToGroups(base, edits))).toEqual(idsKey(ids));
      }
    }
  });

  it('the track leaves its person and joins the other; the last track of a person takes the person with it', () => {
    const ids = buildIdentities(base.map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    const of = (t: number, rows = ids) => rows.find((i) => i.track_ids.includes(t))!;
    const moved = applyEditToIdentities(ids, { kind: 'move', trackId: 2, identityId: of(3).identity_id }, P);
    expect(groupsOf(moved)).toEqual([[0, 1], [2, 3, 4], [5]]);
    expect(of(3, moved).identity_id).toBe(of(3).identity_id);
    const emptied = applyEditToIdentities(ids, { kind: 'move', trackId: 5, identityId: of(0).identity_id }, P);
    expect(groupsOf(emptied)).toEqual([[0, 1, 2, 5], [3, 4]]);
  });
});

describe('undo of review steps (pure)', () => {
  const P = protos();
  const base = [[0, 1, 2], [3, 4], [5]];
  const pic = (rows: readonly IdentityRow[]) => picture(rows, []).identities;

  it('undoing each step of a random session gives back exactly the identities before it', () => {
    let seed = 5;
    const r = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let run = 0; run < 60; run++) {
      let ids = buildIdentities(base.map((g) => ({ track_ids: g, label: null, ignored: false })), P);
      let state = emptyEdits();
      for (let k = 0; k < 8; k++) {
        const e = randomEdit(r, ids, k, ['rename', 'merge', 'split', 'ignore', 'move', 'move']);
        const nextState = recordEdit(state, ids, e);
        const next = applyEditToIdentities(ids, e, P);
        const entry = stepEntry([e], state, picture(ids, []), picture(next, []));
        expect(undoPicture(picture(next, []), entry).identities).toEqual(pic(ids).sort((a, b) => a.id - b.id));
        ids = next;
        state = nextState;
      }
    }
  });

  it('after a re-run of cluster, an undone split puts the track back with its companions wherever they are now', () => {
    let ids = buildIdentities(base.map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    const ann = ids.find((i) => i.track_ids.includes(0))!.identity_id;
    let state = recordEdit(emptyEdits(), ids, { kind: 'rename', identityId: ann, label: 'Ann' });
    ids = applyEditToIdentities(ids, { kind: 'rename', identityId: ann, label: 'Ann' }, P);
    const split: Edit = { kind: 'split', trackId: 2 };
    const entry = stepEntry([split], state, picture(ids, []), picture(applyEditToIdentities(ids, split, P), []));
    state = recordEdit(state, ids, split);
    // the re-run clusters differently (5 now goes with 0 and 1) and re-applies the edits
    const rerun = buildIdentities(applyEditsToGroups([[0, 1, 2, 5], [3, 4]], state), P);
    expect(groupsOf(rerun)).toEqual([[0, 1, 5], [2], [3, 4]]);
    const back = undoPicture(picture(rerun, []), entry);
    expect(back.identities.map((i) => i.tracks).sort((a, b) => a[0]! - b[0]!)).toEqual([[0, 1, 2, 5], [3, 4]]);
    expect(back.identities.find((i) => i.tracks.includes(0))!.label).toBe('Ann');
  });

  it('an undone assign sends the track back to the unsure list', () => {
    const ids = buildIdentities([[0, 1], [3, 4]].map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    const unsure = [{ track_id: 2, thumb: 'thumbs/t2.jpg', nearest_identity: null, distance: null }];
    const e: Edit = { kind: 'assign', trackId: 2, identityId: ids[0]!.identity_id };
    const after = applyEditToIdentities(ids, e, P);
    const entry = stepEntry([e], emptyEdits(), picture(ids, unsure), picture(after, []));
    const back = undoPicture(picture(after, []), entry);
    expect(back.unsure).toEqual(unsure);
    expect(back.identities.map((i) => i.tracks)).toEqual(pic(ids).sort((a, b) => a.id - b.id).map((i) => i.tracks));
  });

  it('a new step clears the redo list; the log keeps the last MAX_LOG steps', () => {
    const entry = (n: number): LogEntry => stepEntry([{ kind: 'split', trackId: n }], emptyEdits(), { identities: [], unsure: [] }, { identities: [], unsure: [] }, String(n));
    let h = { log: [entry(1)], redo: [entry(2)] };
    h = pushStep(h, entry(3));
    expect(h.redo).toEqual([]);
    expect(h.log.map((e) => e.at)).toEqual(['1', '3']);
    let long = emptyHistory();
    for (let i = 0; i < MAX_LOG + 5; i++) long = pushStep(long, entry(i));
    expect(long.log).toHaveLength(MAX_LOG);
    expect(long.log[0]!.at).toBe('5');
  });
});

describe('undo and redo on an artifact folder', () => {
  const files = ['edits.json', 'identities.json', 'screentime.json', 'screentime.csv'];
  const snapshot = (dir: string) => ({
    identities: read<IdentitiesFile>(dir, 'identities.json'),
    state: readEdits(dir),
    csv: readFileSync(path.join(dir, 'screentime.csv'), 'utf8'),
  });

  it('undo and redo survive a restart (everything is read back from edits.json), and a new edit clears redo', async () => {
    const dir = folder();
    const ids0 = read<IdentitiesFile>(dir, 'identities.json').identities;
    const a = ids0.find((i) => i.track_ids.includes(0))!.identity_id;
    const b = ids0.find((i) => i.track_ids.includes(3))!.identity_id;
    await expect(undoEdit(dir)).rejects.toThrow(/nothing to undo/);
    await applyEdit(dir, { kind: 'rename', identityId: a, label: 'Ann' });
    const afterRename = snapshot(dir);
    await applyEdit(dir, { kind: 'move', trackId: 2, identityId: b });
    const afterMove = snapshot(dir);
    expect(afterMove.identities.identities.find((i) => i.identity_id === b)!.track_ids).toEqual([2, 3, 4]);
    expect(readHistory(dir).log.map((e) => e.edits[0]!.kind)).toEqual(['rename', 'move']);

    // nothing is held in memory between calls: each call reads edits.json afresh, as after a restart
    await undoEdit(dir);
    expect(snapshot(dir)).toEqual(afterRename);
    expect(readHistory(dir).redo).toHaveLength(1);
    await redoEdit(dir);
    expect(snapshot(dir)).toEqual(afterMove);
    await undoEdit(dir);
    await undoEdit(dir);
    expect(snapshot(dir).identities.identities.map((i) => [i.identity_id, i.track_ids, i.label])).toEqual(ids0.map((i) => [i.identity_id, i.track_ids, i.label]));
    expect(readEdits(dir)).toEqual(emptyEdits());
    await expect(undoEdit(dir)).rejects.toThrow(/nothing to undo/);
    expect(readHistory(dir).redo).toHaveLength(2);

    await applyEdit(dir, { kind: 'ignore', identityId: a, ignored: true });
    expect(readHistory(dir)).toMatchObject({ redo: [] });
    await expect(redoEdit(dir)).rejects.toThrow(/nothing to redo/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    for (const f of files) expect(existsSync(path.join(dir, f))).toBe(true);
  });

  it('undo gives back what the people library said: a rejected suggestion comes back, with its decision undone', async () => {
    const dir = folder();
    const P = protos();
    const ids = buildIdentities([[0, 1, 2], [3, 4], [5]].map((g) => ({ track_ids: g, label: null, ignored: false })), P).map((i) =>
      i.track_ids.includes(3) ? { ...i, person_id: 'p_bob', person_name: 'Bob', match: 'suggested' as const, distance: 0.3 } : { ...i, person_id: null, person_name: null, match: 'none' as const, distance: null },
    );
    writeFileSync(path.join(dir, 'identities.json'), JSON.stringify({ identities: ids }));
    const bob = ids.find((i) => i.track_ids.includes(3))!.identity_id;
    const bobRow = () => read<IdentitiesFile>(dir, 'identities.json').identities.find((i) => i.identity_id === bob)!;
    await applyEdit(dir, { kind: 'person', identityId: bob, personId: 'p_bob', decision: 'reject' });
    expect(bobRow()).toMatchObject({ person_id: null, match: 'none' });
    expect(readEdits(dir).people).toEqual([{ track_ids: [3, 4], person_id: 'p_bob', decision: 'rejected' }]);
    // an unrelated step and its undo keep the rejection (the log's copy of the state carries it)
    const ann = ids.find((i) => i.track_ids.includes(0))!.identity_id;
    await applyEdit(dir, { kind: 'rename', identityId: ann, label: 'Ann' });
    await undoEdit(dir);
    expect(readEdits(dir).people).toEqual([{ track_ids: [3, 4], person_id: 'p_bob', decision: 'rejected' }]);
    // undoing the rejection brings the suggestion back
    await undoEdit(dir);
    expect(bobRow()).toMatchObject({ person_id: 'p_bob', person_name: 'Bob', match: 'suggested', distance: 0.3 });
    expect(readEdits(dir).people ?? []).toEqual([]);
    await redoEdit(dir);
    expect(bobRow()).toMatchObject({ person_id: null, match: 'none' });
  });

  it('each save keeps where the edited tracks are, for a detect_track re-run; detections are read only for tracks not recorded yet', async () => {
    const dir = folder();
    const det = (t: number, frame: number, x: number) => JSON.stringify({ frame_idx: frame, ts: frame / 25, bbox: [x, 50, 40, 40], conf: 0.9, landmarks: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], track_id: t });
    writeFileSync(path.join(dir, 'detections.jsonl'), [det(0, 25, 100), det(0, 75, 110), det(1, 100, 300), det(2, 275, 500)].join('\n') + '\n');
    const ann = read<IdentitiesFile>(dir, 'identities.json').identities.find((i) => i.track_ids.includes(0))!;
    await applyEdit(dir, { kind: 'rename', identityId: ann.identity_id, label: 'Ann' });
    const tracksOf = () => (read<{ tracks: { run: string; spans: Record<string, { first_frame: number; box: number[] }> } }>(dir, 'edits.json')).tracks;
    expect(tracksOf().run).toBe('x');
    expect(Object.keys(tracksOf().spans).sort()).toEqual(ann.track_ids.map(String).sort());
    expect(tracksOf().spans['0']).toEqual({ first_frame: 25, last_frame: 75, box: [105, 50, 40, 40] });
    // the same tracks again: their spans come from edits.json, so a missing detections file is fine
    rmSync(path.join(dir, 'detections.jsonl'));
    await applyEdit(dir, { kind: 'rename', identityId: ann.identity_id, label: 'Anna' });
    expect(tracksOf().spans['0']).toEqual({ first_frame: 25, last_frame: 75, box: [105, 50, 40, 40] });
  });

  it('a bulk assign is one step: one undo gives every track back to the unsure list', async () => {
    const dir = folder();
    const P = protos();
    const ids = buildIdentities([[0, 1], [3, 4]].map((g) => ({ track_ids: g, label: null, ignored: false })), P);
    const unsure = [2, 5].map((t) => ({ track_id: t, thumb: `thumbs/t${t}.jpg`, nearest_identity: null, distance: null }));
    writeFileSync(path.join(dir, 'identities.json'), JSON.stringify({ identities: ids, unsure }));
    const before = read<IdentitiesFile>(dir, 'identities.json');
    const target = ids.find((i) => i.track_ids.includes(0))!.identity_id;
    // one refused edit refuses the whole step and writes nothing
    await expect(applyEdits(dir, [{ kind: 'assign', trackId: 2, identityId: target }, { kind: 'assign', trackId: 3, identityId: target }])).rejects.toThrow(/not among the unsure/);
    expect(existsSync(path.join(dir, 'edits.json'))).toBe(false);
    const res = await applyEdits(dir, [{ kind: 'assign', trackId: 2, identityId: target }, { kind: 'assign', trackId: 5, identityId: target }]);
    expect(res.identities.unsure).toEqual([]);
    expect(res.identities.identities.find((i) => i.identity_id === target)!.track_ids).toEqual([0, 1, 2, 5]);
    expect(readHistory(dir).log).toHaveLength(1);
    const undone = await undoEdit(dir);
    expect(undone.identities.unsure).toEqual(before.unsure);
    expect(undone.identities.identities.map((i) => i.track_ids)).toEqual(before.identities.map((i) => i.track_ids));
  });
});
