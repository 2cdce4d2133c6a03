// Review edits: rename, merge, split a track out, ignore, assign an unsure track. Every edit is
//   1. applied at once to identities.json, and screen time is recomputed (no stage re-runs), and
//   2. recorded in edits.json as statements about TRACKS, so the cluster stage can apply them
//      again after a re-run for as long as those tracks exist.
// edits.json is a state, not a log; the rules that keep the two paths in agreement:
//   - splits: tracks detached from whatever clustering puts them with (applied first),
//   - merges: groups of tracks that belong together (applied after splits),
//   - labels: a label names the group that holds most of its tracks,
//   - ignored: a group is ignored when more than half of its tracks are listed;
//   - an unsure track assigned to a person is a merge with that person's tracks; one made a
//     person of its own is a split (the cluster stage keeps a lone unsure track unsure unless it
//     is listed in splits).

import { existsSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type EditsFile, type IdentitiesFile, type IdentityRow, type ScreentimeFile } from '../../shared/artifacts.js';
import type { Edit } from '../../shared/ipc.js';
import { EditSchema } from '../../shared/ipc-schemas.js';
import { EXIT } from '../../shared/stages.js';
import { buildIdentity, type IdentityDraft, type Prototypes } from '../cluster/identities.js';
import { detectStride, readEdits, readIdentities, readManifestFile, readPrototypes, readShots, readTracks, screentimeParams } from '../cluster/io.js';
import { readActiveLock } from '../runtime/lock.js';
import { StageError } from '../runtime/stage.js';
import { computeScreentime, gapToleranceFor, screentimeCsv } from '../screentime/compute.js';

export function emptyEdits(): EditsFile {
  return { labels: [], merges: [], splits: [], ignored: [] };
}

const uniqSorted = (a: Iterable<number>) => [...new Set(a)].sort((x, y) => x - y);

/**
 * Re-applies recorded edits to freshly clustered groups of track ids (the cluster stage).
 * Tracks that no longer exist are ignored; groups never become empty.
 */
export function applyEditsToGroups(groups: readonly number[][], edits: EditsFile): IdentityDraft[] {
  const known = new Set(groups.flat());
  let gs: number[][] = groups.map((g) => [...g]);
  // 1. splits
  const splits = new Set(edits.splits.filter((t) => known.has(t)));
  if (splits.size) {
    gs = gs.map((g) => (g.length > 1 ? g.filter((t) => !splits.has(t)) : g)).filter((g) => g.length > 0);
    for (const t of splits) if (!gs.some((g) => g.length === 1 && g[0] === t)) gs.push([t]);
  }
  // 2. merges: union every group that holds a track of a merge group
  for (const m of edits.merges) {
    const want = new Set(m.filter((t) => known.has(t)));
    if (want.size < 2) continue;
    const hit: number[][] = [], rest: number[][] = [];
    for (const g of gs) (g.some((t) => want.has(t)) ? hit : rest).push(g);
    if (hit.length > 1) gs = [...rest, hit.flat()];
  }
  // 3. labels: each entry names the group holding most of its tracks; a group takes the entry
  //    with most of its tracks (later entries win ties: they are the user's newer word)
  const trackGroup = new Map<number, number>();
  gs.forEach((g, i) => g.forEach((t) => trackGroup.set(t, i)));
  const best = new Map<number, { overlap: number; label: string }>();
  for (const e of edits.labels) {
    const counts = new Map<number, number>();
    for (const t of e.track_ids) {
      const gi = trackGroup.get(t);
      if (gi !== undefined) counts.set(gi, (counts.get(gi) ?? 0) + 1);
    }
    let gi = -1, n = 0;
    for (const [g, c] of counts) if (c > n || (c === n && g < gi)) { gi = g; n = c; }
    if (gi < 0) continue;
    const cur = best.get(gi);
    if (!cur || n >= cur.overlap) best.set(gi, { overlap: n, label: e.label });
  }
  // 4. ignored
  const ign = new Set(edits.ignored);
  return gs.map((g, i) => ({
    track_ids: uniqSorted(g),
    label: best.get(i)?.label ?? null,
    ignored: g.filter((t) => ign.has(t)).length * 2 > g.length,
  }));
}

function findIdentity(identities: readonly IdentityRow[], id: number): IdentityRow {
  const r = identities.find((i) => i.identity_id === id);
  if (!r) throw new StageError(`no identity ${id}`, EXIT.BAD_INPUT);
  return r;
}

/** Records an edit (made on `identities`) into the edits state; returns a new EditsFile. */
export function recordEdit(edits: EditsFile, identities: readonly IdentityRow[], edit: Edit): EditsFile {
  const e: EditsFile = {
    labels: edits.labels.map((l) => ({ track_ids: [...l.track_ids], label: l.label })),
    merges: edits.merges.map((m) => [...m]),
    splits: [...edits.splits],
    ignored: [...edits.ignored],
    ...(edits.people ? { people: edits.people.map((p) => ({ ...p, track_ids: [...p.track_ids] })) } : {}),
  };
  const dropFromLabels = (tracks: Set<number>) => {
    e.labels = e.labels.map((l) => ({ ...l, track_ids: l.track_ids.filter((t) => !tracks.has(t)) })).filter((l) => l.track_ids.length > 0);
  };
  switch (edit.kind) {
    case 'rename': {
      const idn = findIdentity(identities, edit.identityId);
      const T = new Set(idn.track_ids);
      dropFromLabels(T);
      e.labels.push({ track_ids: uniqSorted(T), label: edit.label.trim() });
      // a typed name replaces whatever the people library said about these tracks
      if (e.people) e.people = e.people.filter((p) => p.decision === 'rejected' || !p.track_ids.some((t) => T.has(t)));
      break;
    }
    case 'person': {
      const idn = findIdentity(identities, edit.identityId);
      const T = new Set(idn.track_ids);
      const people = (e.people ?? []).filter((p) => !(p.person_id === edit.personId && p.track_ids.some((t) => T.has(t))));
      if (edit.decision === 'confirm') {
        if (!edit.label) throw new StageError('accepting a person needs their name', EXIT.BAD_INPUT);
        dropFromLabels(T);
        e.labels.push({ track_ids: uniqSorted(T), label: edit.label.trim() });
        e.people = [...people.filter((p) => p.decision === 'rejected' || !p.track_ids.some((t) => T.has(t))), { track_ids: uniqSorted(T), person_id: edit.personId, decision: 'confirmed' }];
      } else {
        if (idn.match === 'confirmed' && idn.person_id === edit.personId) dropFromLabels(T);
        e.people = [...people, { track_ids: uniqSorted(T), person_id: edit.personId, decision: 'rejected' }];
      }
      break;
    }
    case 'merge': {
      const members = [...new Set(edit.identityIds)].map((id) => findIdentity(identities, id));
      const T = new Set(members.flatMap((m) => m.track_ids));
      const label = mergedLabel(members);
      dropFromLabels(T);
      if (label !== null) e.labels.push({ track_ids: uniqSorted(T), label });
      const overlapping = e.merges.filter((g) => g.some((t) => T.has(t)));
      e.merges = e.merges.filter((g) => !g.some((t) => T.has(t)));
      e.merges.push(uniqSorted([...T, ...overlapping.flat()]));
      const allIgnored = members.every((m) => m.ignored);
      e.ignored = allIgnored ? uniqSorted([...e.ignored, ...T]) : e.ignored.filter((t) => !T.has(t));
      break;
    }
    case 'split': {
      const t = edit.trackId;
      const owner = identities.find((i) => i.track_ids.includes(t));
      if (!owner) throw new StageError(`no identity holds track ${t}`, EXIT.BAD_INPUT);
      if (owner.track_ids.length === 1) break; // already alone
      if (!e.splits.includes(t)) e.splits.push(t);
      e.merges = e.merges.map((g) => g.filter((x) => x !== t)).filter((g) => g.length >= 2);
      dropFromLabels(new Set([t]));
      e.ignored = e.ignored.filter((x) => x !== t);
      break;
    }
    case 'ignore': {
      const idn = findIdentity(identities, edit.identityId);
      const T = new Set(idn.track_ids);
      e.ignored = edit.ignored ? uniqSorted([...e.ignored, ...T]) : e.ignored.filter((t) => !T.has(t));
      break;
    }
    case 'assign': {
      const t = edit.trackId;
      if (identities.some((i) => i.track_ids.includes(t))) throw new StageError(`track ${t} already belongs to a person`, EXIT.BAD_INPUT);
      e.splits = e.splits.filter((x) => x !== t);
      e.merges = e.merges.map((g) => g.filter((x) => x !== t)).filter((g) => g.length >= 2);
      if (edit.identityId === null) {
        e.splits.push(t);
        break;
      }
      const target = findIdentity(identities, edit.identityId);
      const T = new Set([...target.track_ids, t]);
      const overlapping = e.merges.filter((g) => g.some((x) => T.has(x)));
      e.merges = e.merges.filter((g) => !g.some((x) => T.has(x)));
      e.merges.push(uniqSorted([...T, ...overlapping.flat()]));
      if (target.ignored) e.ignored = uniqSorted([...e.ignored, t]);
      break;
    }
  }
  e.splits.sort((a, b) => a - b);
  return e;
}

/** The label a merge keeps: that of the largest labelled member. */
function mergedLabel(members: readonly IdentityRow[]): string | null {
  const labelled = members.filter((m) => m.label !== null).sort((a, b) => b.n_faces - a.n_faces || a.identity_id - b.identity_id);
  return labelled[0]?.label ?? null;
}

/**
 * Applies one edit to the current identities directly, keeping identity ids stable: a merge keeps
 * the smallest id, a split-out track gets a new id after the largest.
 */
export function applyEditToIdentities(identities: readonly IdentityRow[], edit: Edit, protos: Prototypes): IdentityRow[] {
  const rebuild = (r: IdentityRow, d: Partial<IdentityDraft> = {}) =>
    buildIdentity(r.identity_id, { track_ids: d.track_ids ?? r.track_ids, label: d.label !== undefined ? d.label : r.label, ignored: d.ignored ?? r.ignored }, protos);
  switch (edit.kind) {
    case 'rename': {
      const idn = findIdentity(identities, edit.identityId);
      const unlinked = idn.match !== undefined ? { person_id: null, person_name: null, match: 'none' as const, distance: null } : {};
      return identities.map((r) => (r.identity_id === edit.identityId ? { ...r, label: edit.label.trim(), ...unlinked } : r));
    }
    case 'person': {
      const idn = findIdentity(identities, edit.identityId);
      if (edit.decision === 'confirm') {
        const same = idn.person_id === edit.personId;
        return identities.map((r) => (r === idn ? { ...r, label: edit.label!.trim(), person_id: edit.personId, person_name: edit.label!.trim(), match: 'confirmed' as const, distance: same ? r.distance ?? null : null } : r));
      }
      if (idn.person_id !== edit.personId) return [...identities];
      // the library's name goes with the person; a name the user typed would have unlinked it already
      return identities.map((r) => (r === idn ? { ...r, label: r.match === 'suggested' ? r.label : null, person_id: null, person_name: null, match: 'none' as const, distance: null } : r));
    }
    case 'ignore': {
      findIdentity(identities, edit.identityId);
      return identities.map((r) => (r.identity_id === edit.identityId ? { ...r, ignored: edit.ignored } : r));
    }
    case 'merge': {
      const ids = new Set(edit.identityIds);
      const members = [...ids].map((id) => findIdentity(identities, id));
      if (members.length < 2) return [...identities];
      const target = Math.min(...ids);
      const merged = buildIdentity(target, {
        track_ids: members.flatMap((m) => m.track_ids),
        label: mergedLabel(members),
        ignored: members.every((m) => m.ignored),
      }, protos);
      return identities.filter((r) => !ids.has(r.identity_id) || r.identity_id === target).map((r) => (r.identity_id === target ? merged : r));
    }
    case 'assign': {
      if (identities.some((i) => i.track_ids.includes(edit.trackId))) throw new StageError(`track ${edit.trackId} already belongs to a person`, EXIT.BAD_INPUT);
      if (edit.identityId === null) {
        const newId = Math.max(-1, ...identities.map((i) => i.identity_id)) + 1;
        return [...identities, buildIdentity(newId, { track_ids: [edit.trackId], label: null, ignored: false }, protos)];
      }
      const target = findIdentity(identities, edit.identityId);
      return identities.map((r) => (r === target ? rebuild(r, { track_ids: [...r.track_ids, edit.trackId] }) : r));
    }
    case 'split': {
      const owner = identities.find((i) => i.track_ids.includes(edit.trackId));
      if (!owner) throw new StageError(`no identity holds track ${edit.trackId}`, EXIT.BAD_INPUT);
      if (owner.track_ids.length === 1) return [...identities];
      const newId = Math.max(...identities.map((i) => i.identity_id)) + 1;
      const out = identities.map((r) => (r === owner ? rebuild(r, { track_ids: r.track_ids.filter((t) => t !== edit.trackId) }) : r));
      out.push(buildIdentity(newId, { track_ids: [edit.trackId], label: null, ignored: false }, protos));
      return out;
    }
  }
}

/** Writes several files so that each appears whole: all temp files first, then the renames. */
function writeAllAtomic(files: Array<[string, string]>): void {
  const temps: string[] = [];
  try {
    for (const [f, content] of files) {
      const tmp = `${f}.tmp-${process.pid}`;
      // listed before writing: a write that fails half-way (disk full) still leaves a file to remove
      temps.push(tmp);
      writeFileSync(tmp, content);
    }
    files.forEach(([f], i) => renameSync(temps[i]!, f));
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    throw new StageError(`could not save the edit in ${path.dirname(files[0]![0])}: ${(e as Error).message}`, EXIT.OUTPUT);
  }
}

/** Edits of one artifact folder run one at a time (a quick second click must not lose the first). */
const queues = new Map<string, Promise<unknown>>();

/**
 * Applies a review edit to an artifact folder: updates edits.json, identities.json,
 * screentime.json and screentime.csv, and returns the new identities and screen time.
 * Refuses while the cluster or screentime stage is running on the folder.
 */
export async function applyEdit(outDir: string, edit: Edit): Promise<{ identities: IdentitiesFile; screentime: ScreentimeFile }> {
  const parsed = EditSchema.safeParse(edit);
  if (!parsed.success) throw new StageError(`invalid edit: ${parsed.error.issues.map((i) => i.message).join('; ')}`, EXIT.USAGE);
  const key = path.resolve(outDir);
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.catch(() => {}).then(() => applyEditNow(key, parsed.data));
  queues.set(key, run);
  try {
    return await run;
  } finally {
    if (queues.get(key) === run) queues.delete(key);
  }
}

function applyEditNow(outDir: string, edit: Edit): { identities: IdentitiesFile; screentime: ScreentimeFile } {
  for (const stage of ['cluster', 'screentime'] as const) {
    const lock = readActiveLock(outDir, stage);
    if (lock) throw new StageError(`${stage} is running on this episode (pid ${lock.pid}); edit again when it has finished`, EXIT.ALREADY_RUNNING);
  }
  const current = readIdentities(outDir);
  const edits = readEdits(outDir);
  const protos = readPrototypes(outDir);
  const manifest = readManifestFile(outDir);
  const tracks = readTracks(outDir);
  const shots = readShots(outDir);

  if (edit.kind === 'assign' && !(current.unsure ?? []).some((u) => u.track_id === edit.trackId)) {
    throw new StageError(`track ${edit.trackId} is not among the unsure tracks`, EXIT.BAD_INPUT);
  }
  const nextEdits = recordEdit(edits, current.identities, edit);
  const identities: IdentitiesFile = {
    ...current,
    identities: applyEditToIdentities(current.identities, edit, protos),
    unsure: (current.unsure ?? []).filter((u) => edit.kind !== 'assign' || u.track_id !== edit.trackId),
  };
  // keep the gap tolerance the screentime stage used, when it ran
  const stFile = path.join(outDir, ARTIFACT_FILES.screentime);
  let prevSt: ScreentimeFile | null = null;
  if (existsSync(stFile)) {
    try { prevSt = JSON.parse(readFileSync(stFile, 'utf8')) as ScreentimeFile; } catch { prevSt = null; }
  }
  const gap = prevSt && typeof prevSt.gap_tolerance_s === 'number' ? prevSt.gap_tolerance_s : gapToleranceFor(detectStride(manifest), manifest.video.fps);
  const screentime = computeScreentime(identities.identities, tracks, shots, screentimeParams(manifest, gap));
  writeAllAtomic([
    [path.join(outDir, ARTIFACT_FILES.edits), `${JSON.stringify(nextEdits, null, 2)}\n`],
    [path.join(outDir, ARTIFACT_FILES.identities), `${JSON.stringify(identities, null, 2)}\n`],
    [path.join(outDir, ARTIFACT_FILES.screentime), `${JSON.stringify(screentime, null, 2)}\n`],
    [path.join(outDir, ARTIFACT_FILES.screentimeCsv), screentimeCsv(screentime)],
  ]);
  return { identities, screentime };
}

