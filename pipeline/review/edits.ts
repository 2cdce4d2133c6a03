// Review edits: rename, merge, split a track out, ignore, assign an unsure track, move a track to
// another person (or a new one). Every edit is
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
//     is listed in splits);
//   - a track moved to another person is a split (it leaves whoever clustering puts it with) plus
//     a merge with that person's tracks; one moved to a new person is a split.
// edits.json also keeps the undo log and the redo list (history.ts); undo and redo write all
// files in one go, like an edit.

import { existsSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACT_FILES, type DetectionRow, type EditsFile, type IdentitiesFile, type IdentityRow, type Manifest, type ScreentimeFile, type TrackRow } from '../../shared/artifacts.js';
import type { Edit, EditHistory } from '../../shared/ipc.js';
import { EditSchema } from '../../shared/ipc-schemas.js';
import { EXIT } from '../../shared/stages.js';
import { z } from 'zod';
import { buildIdentity, type IdentityDraft, type Prototypes } from '../cluster/identities.js';
import { readEdits, readIdentities, readJsonl, readManifestFile, readPrototypes, readShots, readTracks, requireFile } from '../cluster/io.js';
import { readActiveLock } from '../runtime/lock.js';
import { StageError } from '../runtime/stage.js';
import { computeScreentime, screentimeCsv } from '../screentime/compute.js';
import { defaultGapTolerance, episodeScreentimeParams } from '../screentime/params.js';
import { carryEdits, editedTrackIds, matchTracks, trackSpans, type EditedTracks } from './track-carry.js';
import { describeStep, emptyHistory, picture, pushStep, stepEntry, undoPicture, type History } from './history.js';

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
    case 'ignore': {
      const idn = findIdentity(identities, edit.identityId);
      const T = new Set(idn.track_ids);
      e.ignored = edit.ignored ? uniqSorted([...e.ignored, ...T]) : e.ignored.filter((t) => !T.has(t));
      break;
    }
    // a split is a move to a new person
    case 'split':
    case 'move': {
      const t = edit.trackId;
      const to = edit.kind === 'move' ? edit.identityId : null;
      const owner = identities.find((i) => i.track_ids.includes(t));
      if (!owner) throw new StageError(`no identity holds track ${t}`, EXIT.BAD_INPUT);
      if (to === owner.identity_id) break;
      if (to === null && owner.track_ids.length === 1) break; // already alone
      const target = to === null ? null : findIdentity(identities, to);
      e.merges = e.merges.map((g) => g.filter((x) => x !== t)).filter((g) => g.length >= 2);
      dropFromLabels(new Set([t]));
      // the tracks left behind keep their person's name, even when the label was recorded on
      // the track that leaves
      const rest = owner.track_ids.filter((x) => x !== t);
      if (owner.label !== null && rest.length > 0) {
        dropFromLabels(new Set(rest));
        e.labels.push({ track_ids: rest, label: owner.label });
      }
      if (!e.splits.includes(t)) e.splits.push(t);
      e.ignored = e.ignored.filter((x) => x !== t);
      if (target) {
        const T = new Set([...target.track_ids, t]);
        const overlapping = e.merges.filter((g) => g.some((x) => T.has(x)));
        e.merges = e.merges.filter((g) => !g.some((x) => T.has(x)));
        e.merges.push(uniqSorted([...T, ...overlapping.flat()]));
        if (target.ignored) e.ignored = uniqSorted([...e.ignored, t]);
      }
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
    case 'move': {
      const owner = identities.find((i) => i.track_ids.includes(edit.trackId));
      if (!owner) throw new StageError(`no identity holds track ${edit.trackId}`, EXIT.BAD_INPUT);
      if (edit.identityId === owner.identity_id) return [...identities];
      if (edit.identityId === null) return applyEditToIdentities(identities, { kind: 'split', trackId: edit.trackId }, protos);
      const target = findIdentity(identities, edit.identityId);
      return identities
        .map((r) => (r === owner ? rebuild(r, { track_ids: r.track_ids.filter((t) => t !== edit.trackId) }) : r === target ? rebuild(r, { track_ids: [...r.track_ids, edit.trackId] }) : r))
        .filter((r) => r.track_ids.length > 0);
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

function serially<T>(outDir: string, work: (dir: string) => T): Promise<T> {
  const key = path.resolve(outDir);
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.catch(() => {}).then(() => work(key));
  queues.set(key, run);
  return run.finally(() => {
    if (queues.get(key) === run) queues.delete(key);
  });
}

export type EditOutcome = { identities: IdentitiesFile; screentime: ScreentimeFile };

/**
 * Applies a review edit to an artifact folder: updates edits.json (its state and undo log),
 * identities.json, screentime.json and screentime.csv, and returns the new identities and screen
 * time. Refuses while the cluster or screentime stage is running on the folder.
 */
export async function applyEdit(outDir: string, edit: Edit): Promise<EditOutcome> {
  return applyEdits(outDir, [edit]);
}

/** Several edits as one step of the undo log (a bulk assign): all are applied, or none. */
export async function applyEdits(outDir: string, edits: readonly Edit[]): Promise<EditOutcome> {
  const parsed = edits.map((edit) => EditSchema.safeParse(edit));
  for (const p of parsed) if (!p.success) throw new StageError(`invalid edit: ${p.error.issues.map((i) => i.message).join('; ')}`, EXIT.USAGE);
  if (parsed.length === 0) throw new StageError('no edit given', EXIT.USAGE);
  return serially(outDir, (dir) => applyEditsNow(dir, parsed.map((p) => p.data!)));
}

/** Undoes the last step of the log; refuses when there is none. */
export async function undoEdit(outDir: string): Promise<EditOutcome> {
  return serially(outDir, (dir) => undoNow(dir));
}

/** Applies the last undone step again; refuses when there is none. */
export async function redoEdit(outDir: string): Promise<EditOutcome> {
  return serially(outDir, (dir) => redoNow(dir));
}

const personLinkSchema = z.object({ person_id: z.string().nullable(), person_name: z.string().nullable(), match: z.enum(['auto', 'suggested', 'confirmed', 'none']), distance: z.number().nullable() });
const pictureIdentity = z.object({ id: z.number().int().nonnegative(), tracks: z.array(z.number().int().nonnegative()), label: z.string().nullable(), ignored: z.boolean(), person: personLinkSchema.optional() });
const pictureSchema = z.object({
  identities: z.array(pictureIdentity),
  unsure: z.array(z.object({ track_id: z.number().int().nonnegative(), thumb: z.string().nullable(), nearest_identity: z.number().int().nonnegative().nullable(), distance: z.number().nullable() })),
});
const stateSchema = z.object({
  labels: z.array(z.object({ track_ids: z.array(z.number().int().nonnegative()), label: z.string() })),
  merges: z.array(z.array(z.number().int().nonnegative())),
  splits: z.array(z.number().int().nonnegative()),
  ignored: z.array(z.number().int().nonnegative()),
  // the people library decisions (accepted / rejected names): without them an undo would forget them
  people: z.array(z.object({ track_ids: z.array(z.number().int().nonnegative()), person_id: z.string().min(1), decision: z.enum(['confirmed', 'rejected']) })).optional(),
});
const entrySchema = z.object({ at: z.string(), edits: z.array(EditSchema).min(1), state: stateSchema, moved: z.array(z.number().int().nonnegative()), before: pictureSchema });
const historySchema = z.looseObject({ log: z.array(entrySchema).optional(), redo: z.array(entrySchema).optional() });

/**
 * The undo log and redo list of edits.json; none when the file is absent or older than the log.
 * A log that does not parse is an error, like the rest of edits.json (never silently dropped).
 */
export function readHistory(outDir: string): History {
  const f = path.join(outDir, ARTIFACT_FILES.edits);
  if (!existsSync(f)) return emptyHistory();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    throw new StageError(`${ARTIFACT_FILES.edits}: ${(e as Error).message}`, EXIT.BAD_INPUT);
  }
  const h = historySchema.safeParse(raw);
  if (!h.success) throw new StageError(`${ARTIFACT_FILES.edits}: undo log: ${h.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, EXIT.BAD_INPUT);
  return { log: h.data.log ?? [], redo: h.data.redo ?? [] };
}

/** What the window shows on its undo and redo buttons. */
export function historySummary(h: History): EditHistory {
  const u = h.log[h.log.length - 1];
  const r = h.redo[h.redo.length - 1];
  return { undo: h.log.length, redo: h.redo.length, nextUndo: u ? describeStep(u.edits) : null, nextRedo: r ? describeStep(r.edits) : null };
}

interface Loaded {
  current: IdentitiesFile;
  edits: EditsFile;
  history: History;
  protos: Prototypes;
}

function load(outDir: string): Loaded {
  for (const stage of ['cluster', 'screentime'] as const) {
    const lock = readActiveLock(outDir, stage);
    if (lock) throw new StageError(`${stage} is running on this episode (pid ${lock.pid}); edit again when it has finished`, EXIT.ALREADY_RUNNING);
  }
  return { current: readIdentities(outDir), edits: readEdits(outDir), history: readHistory(outDir), protos: readPrototypes(outDir) };
}

/** Applies edits in order to identities and edits state; throws (and nothing is written) if one is refused. */
function applyInOrder(current: IdentitiesFile, state: EditsFile, edits: readonly Edit[], protos: Prototypes): { identities: IdentitiesFile; state: EditsFile } {
  let identities = current;
  for (const edit of edits) {
    if (edit.kind === 'assign' && !(identities.unsure ?? []).some((u) => u.track_id === edit.trackId)) {
      throw new StageError(`track ${edit.trackId} is not among the unsure tracks`, EXIT.BAD_INPUT);
    }
    state = recordEdit(state, identities.identities, edit);
    identities = {
      ...identities,
      identities: applyEditToIdentities(identities.identities, edit, protos),
      unsure: (identities.unsure ?? []).filter((u) => edit.kind !== 'assign' || u.track_id !== edit.trackId),
    };
  }
  return { identities, state };
}

function applyEditsNow(outDir: string, edits: readonly Edit[]): EditOutcome {
  const { current, edits: state, history, protos } = load(outDir);
  const next = applyInOrder(current, state, edits, protos);
  const entry = stepEntry(edits, state, picture(current.identities, current.unsure ?? []), picture(next.identities.identities, next.identities.unsure ?? []));
  return save(outDir, next.state, pushStep(history, entry), next.identities);
}

function undoNow(outDir: string): EditOutcome {
  const { current, history, protos } = load(outDir);
  const entry = history.log[history.log.length - 1];
  if (!entry) throw new StageError('nothing to undo', EXIT.BAD_INPUT);
  const back = undoPicture(picture(current.identities, current.unsure ?? []), entry);
  const rows = new Map(current.identities.map((r) => [r.identity_id, r]));
  const identities: IdentitiesFile = {
    ...current,
    identities: back.identities.map((p) => {
      const same = rows.get(p.id);
      // an identity the undo left as it was keeps its row (no need to rebuild it)
      if (same && same.track_ids.join(',') === [...p.tracks].sort((a, b) => a - b).join(',')) return { ...same, label: p.label, ignored: p.ignored, ...p.person };
      return { ...buildIdentity(p.id, { track_ids: p.tracks, label: p.label, ignored: p.ignored }, protos), ...p.person };
    }),
    unsure: back.unsure,
  };
  return save(outDir, entry.state, { log: history.log.slice(0, -1), redo: history.redo.concat([entry]) }, identities);
}

function redoNow(outDir: string): EditOutcome {
  const { current, edits: state, history, protos } = load(outDir);
  const entry = history.redo[history.redo.length - 1];
  if (!entry) throw new StageError('nothing to redo', EXIT.BAD_INPUT);
  const next = applyInOrder(current, state, entry.edits, protos);
  const again = stepEntry(entry.edits, state, picture(current.identities, current.unsure ?? []), picture(next.identities.identities, next.identities.unsure ?? []));
  return save(outDir, next.state, { log: history.log.concat([again]), redo: history.redo.slice(0, -1) }, next.identities);
}

/** The edited tracks' spans and detect_track's run; null without detections or a recorded run. */
function editedTracksOf(outDir: string, manifest: Manifest, tracks: readonly TrackRow[], state: EditsFile): EditedTracks | null {
  const run = manifest.stages.detect_track?.config_hash;
  if (!run) return null;
  const ids = editedTrackIds(state);
  // spans already recorded for this run are kept: detections.jsonl (long on a long episode) is
  // read only when an edit names a track not recorded yet
  const before = recordedTracks(outDir);
  const known = before?.run === run ? before.spans : {};
  const missing = new Set([...ids].filter((t) => !(String(t) in known)));
  const file = path.join(outDir, ARTIFACT_FILES.detections);
  if (missing.size && !existsSync(file)) return null;
  const added = missing.size ? trackSpans(tracks, readJsonl<DetectionRow>(file), missing) : {};
  const spans = Object.fromEntries([...ids].flatMap((t) => {
    const sp = known[String(t)] ?? added[String(t)];
    return sp ? [[String(t), sp]] : [];
  }));
  return { run, spans };
}

/** The `tracks` record of edits.json, when there is a valid one. */
function recordedTracks(outDir: string): EditedTracks | null {
  const file = path.join(outDir, ARTIFACT_FILES.edits);
  if (!existsSync(file)) return null;
  try {
    const r = editedTracksSchema.safeParse((JSON.parse(readFileSync(file, 'utf8')) as { tracks?: unknown }).tracks);
    return r.success ? r.data : null;
  } catch {
    return null; // a damaged edits.json is reported by readEdits, not here
  }
}

/**
 * The edits for the tracks now on disk. When detect_track ran again with other settings since the
 * edits were saved (another config hash), each edited track is carried over to the new track at
 * the same frames and place (track-carry.ts) and edits.json is rewritten for the new run; the undo
 * log goes (its steps name the old tracks). The cluster stage calls this before it applies them.
 */
export function editsForCurrentTracks(outDir: string): { edits: EditsFile; carried: { kept: number; dropped: number } | null } {
  const edits = readEdits(outDir);
  const file = path.join(outDir, ARTIFACT_FILES.edits);
  const recorded = recordedTracks(outDir);
  const manifest = readManifestFile(outDir);
  const run = manifest.stages.detect_track?.config_hash;
  if (!recorded || !run || recorded.run === run) return { edits, carried: null };
  const tracks = readTracks(outDir);
  const detections = readJsonl<DetectionRow>(requireFile(outDir, ARTIFACT_FILES.detections, 'detect_track'));
  const map = matchTracks(recorded.spans, trackSpans(tracks, detections));
  const next = carryEdits(edits, map);
  const spans = trackSpans(tracks, detections, editedTrackIds(next));
  writeAllAtomic([[file, `${JSON.stringify({ ...next, tracks: { run, spans }, log: [], redo: [] }, null, 2)}\n`]]);
  const ids = editedTrackIds(edits);
  const kept = [...ids].filter((t) => map.has(t)).length;
  return { edits: next, carried: { kept, dropped: ids.size - kept } };
}

const spanSchema = z.object({ first_frame: z.number(), last_frame: z.number(), box: z.tuple([z.number(), z.number(), z.number(), z.number()]) });
const editedTracksSchema = z.object({ run: z.string().min(1), spans: z.record(z.string(), spanSchema) });

/** Writes the edits state with its history, the identities and the recomputed screen time. */
function save(outDir: string, state: EditsFile, history: History, identities: IdentitiesFile): EditOutcome {
  const manifest = readManifestFile(outDir);
  const tracks = readTracks(outDir);
  const shots = readShots(outDir);
  // keep the gap tolerance the screentime stage used, when it ran
  const stFile = path.join(outDir, ARTIFACT_FILES.screentime);
  let prevSt: ScreentimeFile | null = null;
  if (existsSync(stFile)) {
    try { prevSt = JSON.parse(readFileSync(stFile, 'utf8')) as ScreentimeFile; } catch { prevSt = null; }
  }
  const gap = prevSt && typeof prevSt.gap_tolerance_s === 'number' ? prevSt.gap_tolerance_s : defaultGapTolerance(manifest);
  // the stage's own parameters (under decodable sampling: detect_track's largest step)
  const screentime = computeScreentime(identities.identities, tracks, shots, episodeScreentimeParams(manifest, gap));
  // the state stays readable; the log is written one step per line
  const steps = (l: History['log']) => (l.length ? `[\n${l.map((e) => `    ${JSON.stringify(e)}`).join(',\n')}\n  ]` : '[]');
  // where the edited tracks are, so a detect_track re-run with other settings can carry the edits over
  const edited = editedTracksOf(outDir, manifest, tracks, state);
  const carried = edited ? `\n  "tracks": ${JSON.stringify(edited)},` : '';
  const editsDoc = `${JSON.stringify(state, null, 2).slice(0, -2)},${carried}\n  "log": ${steps(history.log)},\n  "redo": ${steps(history.redo)}\n}\n`;
  writeAllAtomic([
    [path.join(outDir, ARTIFACT_FILES.edits), editsDoc],
    [path.join(outDir, ARTIFACT_FILES.identities), `${JSON.stringify(identities, null, 2)}\n`],
    [path.join(outDir, ARTIFACT_FILES.screentime), `${JSON.stringify(screentime, null, 2)}\n`],
    [path.join(outDir, ARTIFACT_FILES.screentimeCsv), screentimeCsv(screentime)],
  ]);
  return { identities, screentime };
}
