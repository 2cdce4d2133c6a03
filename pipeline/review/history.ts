// Undo and redo of review edits. edits.json keeps, beside the edits state the cluster stage reads,
// an ordered log of what the user did (oldest first) and a redo list (the last undone last).
// Each log entry holds the edits state before the step, the tracks it moved and the identities it
// changed as they were before (only those: the log stays small on long episodes), so an undo needs
// no stage re-run and still works when cluster (or, where the tracks still match, detect_track)
// ran again after the edit:
//   - tracks the step MOVED (their identity id changed, or they left or joined the unsure list)
//     go back next to the tracks they were with before, wherever clustering has put those now;
//   - an identity that comes back exactly as it was keeps its id, name and mark; any other takes
//     its name and mark from the edits state before the step (the cluster stage's rule).
// Without a re-run in between this gives back exactly the identities before the step.

import type { EditsFile, IdentityRow, UnsureTrack } from '../../shared/artifacts.js';
import type { PersonMatch } from '../../shared/people.js';
import type { Edit } from '../../shared/ipc.js';
import { applyEditsToGroups } from './edits.js';

/** One identity as the log keeps it: enough to rebuild its row from the prototypes. */
export interface PictureIdentity {
  id: number;
  tracks: number[];
  label: string | null;
  ignored: boolean;
  /** The people library's word on it (cluster with a library), so an undo gives it back too. */
  person?: PersonLink;
}

/** An identity's link to a person of the people library (IdentityRow's fields of the same names). */
export interface PersonLink {
  person_id: string | null;
  person_name: string | null;
  match: PersonMatch;
  distance: number | null;
}

/** The person link of a row, when cluster ran with a people library. */
export function personLink(i: IdentityRow): PersonLink | undefined {
  if (i.match === undefined) return undefined;
  return { person_id: i.person_id ?? null, person_name: i.person_name ?? null, match: i.match, distance: i.distance ?? null };
}

const sameLink = (a: PersonLink | undefined, b: PersonLink | undefined) => (a?.person_id ?? null) === (b?.person_id ?? null) && (a?.match ?? null) === (b?.match ?? null);

/** The identities and unsure tracks at one moment. */
export interface Picture {
  identities: PictureIdentity[];
  unsure: UnsureTrack[];
}

export interface LogEntry {
  /** ISO time of the step. */
  at: string;
  /** One user action: usually one edit, several for a bulk assign. */
  edits: Edit[];
  /** The edits state (labels, merges, splits, ignored) before the step. */
  state: EditsFile;
  /** Tracks whose place the step changed (another identity, or in or out of the unsure list). */
  moved: number[];
  /** Before the step: the identities that held a moved track, and the moved unsure tracks. */
  before: Picture;
}

export interface History {
  log: LogEntry[];
  redo: LogEntry[];
}

/** Steps kept in the log: older ones fall off (the edits themselves stay in force). */
export const MAX_LOG = 100;

export function emptyHistory(): History {
  return { log: [], redo: [] };
}

export function picture(identities: readonly IdentityRow[], unsure: readonly UnsureTrack[]): Picture {
  return {
    identities: identities.map((i) => {
      const person = personLink(i);
      return { id: i.identity_id, tracks: [...i.track_ids], label: i.label, ignored: i.ignored, ...(person ? { person } : {}) };
    }),
    unsure: unsure.map((u) => ({ ...u })),
  };
}

const key = (tracks: readonly number[]) => [...tracks].sort((a, b) => a - b).join(',');

/** The log entry of a step, from the identities before and after it. */
export function stepEntry(edits: readonly Edit[], state: EditsFile, before: Picture, after: Picture, at = new Date().toISOString()): LogEntry {
  const moved = movedTracks(before, after);
  const m = new Set(moved);
  // the identities the step changed in any way: tracks, name, mark or person
  const later = new Map(after.identities.map((i) => [i.id, i]));
  const changed = (i: PictureIdentity) => {
    const a = later.get(i.id);
    return !a || key(a.tracks) !== key(i.tracks) || a.label !== i.label || a.ignored !== i.ignored || !sameLink(a.person, i.person) || i.tracks.some((t) => m.has(t));
  };
  return {
    at,
    edits: [...edits],
    state,
    moved,
    before: { identities: before.identities.filter(changed), unsure: before.unsure.filter((u) => m.has(u.track_id)) },
  };
}

/** A new step: appended to the log (the oldest dropped past MAX_LOG); the redo list is cleared. */
export function pushStep(h: History, entry: LogEntry): History {
  const log = h.log.concat([entry]);
  return { log: log.length > MAX_LOG ? log.slice(log.length - MAX_LOG) : log, redo: [] };
}

/** Where each track is in a picture: an identity id, or 'unsure'. */
function placeOf(p: Picture): Map<number, number | 'unsure'> {
  const m = new Map<number, number | 'unsure'>();
  for (const i of p.identities) for (const t of i.tracks) m.set(t, i.id);
  for (const u of p.unsure) m.set(u.track_id, 'unsure');
  return m;
}

/** Tracks whose place differs between two pictures (identity ids stay stable across edits). */
export function movedTracks(before: Picture, after: Picture): number[] {
  const a = placeOf(before);
  const b = placeOf(after);
  const out = new Set<number>();
  for (const [t, p] of a) if (b.get(t) !== p) out.add(t);
  for (const [t, p] of b) if (a.get(t) !== p) out.add(t);
  return [...out].sort((x, y) => x - y);
}

/** The identities and unsure tracks after an undo. */
export interface UndoResult {
  identities: PictureIdentity[];
  unsure: UnsureTrack[];
}

/**
 * The identities after undoing `entry` on the current ones (`now`). Pure: rows are rebuilt by
 * the caller from the prototypes.
 */
export function undoPicture(now: Picture, entry: LogEntry): UndoResult {
  const moved = new Set(entry.moved);
  const known = new Set<number>([...now.identities.flatMap((i) => i.tracks), ...now.unsure.map((u) => u.track_id)]);
  // 1. the moved tracks leave wherever they are now
  const groups = now.identities.map((i) => i.tracks.filter((t) => !moved.has(t))).filter((g) => g.length > 0);
  let unsure = now.unsure.filter((u) => !moved.has(u.track_id));
  // 2. and go back to their companions of before (the unmoved tracks they were with), in the
  //    group that holds most of those now; moved tracks without companions form their old groups
  const where = new Map<number, number>();
  groups.forEach((g, gi) => g.forEach((t) => where.set(t, gi)));
  const beforeUnsure = new Map(entry.before.unsure.map((u) => [u.track_id, u]));
  for (const bi of entry.before.identities) {
    const back = bi.tracks.filter((t) => moved.has(t) && known.has(t));
    if (back.length === 0) continue;
    const votes = new Map<number, number>();
    for (const t of bi.tracks) {
      const gi = moved.has(t) ? undefined : where.get(t);
      if (gi !== undefined) votes.set(gi, (votes.get(gi) ?? 0) + 1);
    }
    let best = -1, n = 0;
    for (const [gi, c] of votes) if (c > n || (c === n && gi < best)) { best = gi; n = c; }
    if (best >= 0) groups[best] = groups[best]!.concat(back);
    else groups.push(back);
  }
  for (const t of moved) {
    const u = beforeUnsure.get(t);
    if (u && known.has(t)) unsure = unsure.concat([u]);
  }
  // 3. labels and marks from the edits state before the step (the cluster stage's rule), except
  //    that a group exactly as it was before keeps its id, label, mark and person
  const drafts = applyEditsToGroups(groups, entry.state);
  const beforeByKey = new Map(entry.before.identities.map((i) => [key(i.tracks), i]));
  const nowByKey = new Map(now.identities.map((i) => [key(i.tracks), i]));
  const used = new Set<number>();
  const out: PictureIdentity[] = [];
  const pending: Array<{ tracks: number[]; label: string | null; ignored: boolean }> = [];
  for (const d of drafts) {
    const k = key(d.track_ids);
    const b = beforeByKey.get(k);
    if (b && !used.has(b.id)) {
      used.add(b.id);
      out.push({ id: b.id, tracks: d.track_ids, label: b.label, ignored: b.ignored, ...(b.person ? { person: b.person } : {}) });
      continue;
    }
    const c = nowByKey.get(k);
    if (c && !used.has(c.id)) {
      used.add(c.id);
      out.push({ id: c.id, tracks: d.track_ids, label: d.label, ignored: d.ignored, ...(c.person ? { person: c.person } : {}) });
      continue;
    }
    pending.push({ tracks: d.track_ids, label: d.label, ignored: d.ignored });
  }
  // a group that changed keeps the id of the identity now holding most of its tracks, if free
  const nowOf = new Map<number, number>();
  for (const i of now.identities) for (const t of i.tracks) nowOf.set(t, i.id);
  const unplaced: typeof pending = [];
  for (const p of pending) {
    const votes = new Map<number, number>();
    for (const t of p.tracks) {
      const id = nowOf.get(t);
      if (id !== undefined && !used.has(id)) votes.set(id, (votes.get(id) ?? 0) + 1);
    }
    const best = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    if (best) {
      used.add(best[0]);
      out.push({ id: best[0], ...p });
    } else unplaced.push(p);
  }
  let next = Math.max(-1, ...now.identities.map((i) => i.id), ...entry.before.identities.map((i) => i.id), ...used) + 1;
  for (const p of unplaced) out.push({ id: next++, ...p });
  out.sort((a, b) => a.id - b.id);
  unsure.sort((a, b) => a.track_id - b.track_id);
  return { identities: out, unsure };
}

/** Words for the undo and redo buttons' tooltips. */
export function describeStep(edits: readonly Edit[]): string {
  if (edits.length > 1) {
    const kinds = new Set(edits.map((e) => e.kind));
    return kinds.size === 1 && kinds.has('assign') ? `assign ${edits.length} unsure tracks` : `${edits.length} edits`;
  }
  const e = edits[0];
  if (!e) return 'nothing';
  switch (e.kind) {
    case 'rename':
      return `rename Person ${e.identityId + 1} to “${e.label.trim()}”`;
    case 'merge':
      return `merge ${e.identityIds.length} people`;
    case 'split':
      return `split track ${e.trackId} out`;
    case 'ignore':
      return e.ignored ? `mark Person ${e.identityId + 1} “not a person”` : `mark Person ${e.identityId + 1} a person again`;
    case 'assign':
      return e.identityId === null ? `make unsure track ${e.trackId} a new person` : `assign unsure track ${e.trackId} to Person ${e.identityId + 1}`;
    case 'move':
      return e.identityId === null ? `move track ${e.trackId} to a new person` : `move track ${e.trackId} to Person ${e.identityId + 1}`;
    case 'person':
      return e.decision === 'confirm' ? `accept “${e.label ?? 'the suggested name'}” for Person ${e.identityId + 1}` : `reject the suggested name for Person ${e.identityId + 1}`;
  }
}
