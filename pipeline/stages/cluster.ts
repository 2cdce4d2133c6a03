// cluster: track prototypes -> identities, in two passes.
//   1. The GOOD tracks (at least one face passed faces_embed's quality gates) are clustered:
//      average linkage on euclidean distance of the L2-normalised prototypes, cut at
//      CLUSTER_THRESHOLD, with cannot-link constraints between tracks seen at the same time in
//      different places.
//   2. Each WEAK track is attached to an identity only when it is clearly that identity's
//      (pipeline/cluster/assign.ts); otherwise it is "unsure" and counts for nobody until the
//      user assigns it.
// Then the user's recorded edits (edits.json) are applied again, so labels, merges, splits,
// ignores and assignments survive a re-run.

import path from 'node:path';
import { existsSync } from 'node:fs';
import { ARTIFACT_FILES, type DetectionRow, type IdentitiesFile, type UnsureTrack } from '../../shared/artifacts.js';
import { clusterVectors } from '../cluster/agglomerative.js';
import { attachWeakTracks, groupDistance, type AttachResult } from '../cluster/assign.js';
import { attachBySetup, SAME_LOOK_MAX_DISTANCE } from '../cluster/same-look.js';
import { decodeLook } from '../detect/frame-look.js';
import { coOccurringTracks } from '../cluster/constraints.js';
import { moveToNearestIdentity } from '../cluster/nearest-identity.js';
import { resumeAfterSplits, splitIfTwoPeople } from '../cluster/split-check.js';
import { buildIdentities, type Prototypes } from '../cluster/identities.js';
import { joinGroupsOfSameSetup } from '../cluster/same-setup.js';
import { readJsonl, readPrototypes, readTracks } from '../cluster/io.js';
import { applyEditsToGroups, editsForCurrentTracks } from '../review/edits.js';
import { readLibrary } from '../people/library.js';
import { PEOPLE_DIR_ENV } from '../people/location.js';
import { PEOPLE_MATCH, personVectors } from '../people/match.js';
import { nameIdentities } from '../people/name-identities.js';
import { writeJsonAtomic } from '../runtime/atomic.js';
import type { StageContext, StageFn } from '../runtime/stage.js';

/**
 * Merge clusters while their average prototype distance is below this. Chosen on the distance
 * distributions of several sources (docs/pipeline-identities.md, "Choosing the cut").
 */
export const CLUSTER_THRESHOLD = 0.36;

/**
 * The re-check of every identity for two people (pipeline/cluster/split-check.ts) re-clusters it
 * at this tighter cut, where the pooled evidence joins about 1 % of different-person pairs ...
 */
export const SPLIT_TIGHT_THRESHOLD = 0.3;
/** ... and splits it when two sub-groups of at least 3 tracks each are this well separated. */
export const SPLIT_MIN_TRACKS = 3;
export const SPLIT_MIN_SEPARATION = 1.3;

/** A weak track joins an identity only this close to it on average ... */
export const ATTACH_MAX_DISTANCE = CLUSTER_THRESHOLD;
/** ... and with the next identity at least this much further away. */
export const ATTACH_MIN_MARGIN = 0.06;

export interface ClusterOutcome {
  /** Groups of track ids (good tracks, with the weak tracks attached to them). */
  groups: number[][];
  unsure: UnsureTrack[];
  weak: number;
  attached: number;
  /** Of those, attached by their close-up's camera setup (pipeline/cluster/same-look.ts). */
  attachedBySetup: number;
  /** Identities split in two by the re-check. */
  splitsFound: number;
  /** Good tracks moved to the identity nearest to them (pipeline/cluster/nearest-identity.ts). */
  movedToNearest: number;
  cannotLinkPairs: number;
  clusterMs: number;
  /** Track pairs seen apart in one frame: different people (the library never names both alike). */
  together: Array<[number, number]>;
}

/** Track pairs seen apart in one frame (different people), from detections.jsonl. */
function tracksSeenTogether(outDir: string): Array<[number, number]> {
  const detFile = path.join(outDir, ARTIFACT_FILES.detections);
  return existsSync(detFile) ? coOccurringTracks(readJsonl<DetectionRow>(detFile)) : [];
}

/** Row pairs "a:b" (a < b) that may never share an identity. */
function cannotLinkRows(pairs: ReadonlyArray<[number, number]>, rowOfTrack: ReadonlyMap<number, number>): Set<string> {
  const out = new Set<string>();
  for (const [a, b] of pairs) {
    const ra = rowOfTrack.get(a), rb = rowOfTrack.get(b);
    if (ra !== undefined && rb !== undefined) out.add(ra < rb ? `${ra}:${rb}` : `${rb}:${ra}`);
  }
  return out;
}

/** Rows [first..] of `vectors` copied into a compact matrix. */
function subMatrix(p: Prototypes, rows: readonly number[]): Float32Array {
  const m = new Float32Array(rows.length * p.dim);
  rows.forEach((r, i) => m.set(p.vectors.subarray(r * p.dim, (r + 1) * p.dim), i * p.dim));
  return m;
}

/** Both passes, on prototypes already read. Pure apart from reading detections for the constraints. */
export function clusterTracks(outDir: string, protos: Prototypes, threshold: number): ClusterOutcome {
  const rows = [...protos.byTrack.values()].sort((a, b) => a.row - b.row);
  const rowOfTrack = new Map(rows.map((r) => [r.track_id, r.row]));
  const together = tracksSeenTogether(outDir);
  const cannot = cannotLinkRows(together, rowOfTrack);
  const good = rows.filter((r) => !r.weak).map((r) => r.row);
  const weak = rows.filter((r) => r.weak).map((r) => r.row);

  // pass 1: the good tracks
  const local = new Map(good.map((r, i) => [r, i]));
  const goodCannot: Array<[number, number]> = [];
  for (const k of cannot) {
    const [a, b] = k.split(':').map(Number) as [number, number];
    const la = local.get(a), lb = local.get(b);
    if (la !== undefined && lb !== undefined) goodCannot.push([la, lb]);
  }
  const tc = performance.now();
  const res = clusterVectors(subMatrix(protos, good), good.length, protos.dim, { threshold, cannotLink: goodCannot });
  const clusterMs = performance.now() - tc;
  const clustered: number[][] = Array.from({ length: res.k }, () => []);
  good.forEach((r, i) => clustered[res.labels[i]!]!.push(r));
  const checked: number[][] = [];
  const halves: Array<[number, number]> = [];
  const split = { tightThreshold: SPLIT_TIGHT_THRESHOLD, minTracks: SPLIT_MIN_TRACKS, minSeparation: SPLIT_MIN_SEPARATION };
  for (const g of clustered) {
    const parts = splitIfTwoPeople(protos.vectors, protos.dim, g, split);
    if (parts.length === 2) halves.push([checked.length, checked.length + 1]);
    checked.push(...parts);
  }
  const splitsFound = halves.length;
  const resumed = halves.length ? resumeAfterSplits(protos.vectors, protos.dim, checked, halves, cannot, threshold, split) : checked;
  // identities the same camera setup shows to be one person (pipeline/cluster/same-setup.ts)
  const joined = joinGroupsOfSameSetup(outDir, protos, resumed, cannot, threshold);
  // each good track in the identity it is nearest to on average (pipeline/cluster/nearest-identity.ts)
  const { groups: rowGroups, moved: movedToNearest } = moveToNearestIdentity(protos.vectors, protos.dim, joined, cannot, threshold);

  // pass 2: the weak tracks
  const att = placeWeakTracks(outDir, protos, rowGroups, weak, cannot);
  const trackOfRow = new Map(rows.map((r) => [r.row, r]));
  const groups = rowGroups.map((g) => g.map((r) => trackOfRow.get(r)!.track_id));
  const unsureRows: Array<{ row: number; nearest: number; distance: number }> = [];
  weak.forEach((r, i) => {
    const gi = att.group[i]!;
    if (gi >= 0) groups[gi]!.push(trackOfRow.get(r)!.track_id);
    else unsureRows.push({ row: r, nearest: att.nearest[i]!, distance: att.distance[i]! });
  });
  // a suggestion names the group by one of its tracks; identities are numbered later
  const unsure = unsureRows.map((u) => ({
    track_id: trackOfRow.get(u.row)!.track_id,
    thumb: trackOfRow.get(u.row)!.thumb,
    nearest_identity: u.nearest >= 0 ? groups[u.nearest]![0]! : null,
    distance: Number.isFinite(u.distance) ? Math.round(u.distance * 1e4) / 1e4 : null,
  }));
  return { groups, unsure, weak: weak.length, attached: weak.length - unsure.length, attachedBySetup: att.bySetup, splitsFound, movedToNearest, cannotLinkPairs: cannot.size, clusterMs, together };
}

/**
 * Pass 2: each weak row joins the identity its face is clearly closest to (assign.ts), else, for
 * a close-up, the one identity whose close-ups share its camera setup (same-look.ts), else stays
 * unsure. Returns attachWeakTracks' result with the setup's attachments filled in.
 */
function placeWeakTracks(outDir: string, protos: Prototypes, groups: readonly (readonly number[])[], weak: readonly number[], cannot: ReadonlySet<string>): AttachResult & { bySetup: number } {
  const att = attachWeakTracks(protos.vectors, protos.dim, groups, weak, cannot, { maxDistance: ATTACH_MAX_DISTANCE, minMargin: ATTACH_MIN_MARGIN });
  const open = weak.map((r, i) => ({ r, i })).filter((w) => att.group[w.i]! < 0);
  if (open.length === 0) return { ...att, bySetup: 0 };
  const trackOf = new Map([...protos.byTrack.values()].map((p) => [p.row, p.track_id]));
  const tracks = new Map(readTracks(outDir).map((t) => [t.track_id, t]));
  const perShot = new Map<number, number>();
  for (const t of tracks.values()) perShot.set(t.shot, (perShot.get(t.shot) ?? 0) + 1);
  const place = (row: number) => {
    const t = tracks.get(trackOf.get(row)!);
    return { shot: t?.shot ?? -1, look: decodeLook(t?.look) };
  };
  const joined = attachBySetup(
    open.map((w) => w.r), groups, place,
    (row, gi) => groupDistance(protos.vectors, protos.dim, row, groups[gi]!, cannot),
    (shot) => perShot.get(shot) ?? 0,
    { maxLookDistance: SAME_LOOK_MAX_DISTANCE, maxFaceDistance: ATTACH_MAX_DISTANCE },
  );
  const group = [...att.group];
  open.forEach((w, k) => { if (joined[k]! >= 0) group[w.i] = joined[k]!; });
  return { ...att, group, bySetup: joined.filter((g) => g >= 0).length };
}

export async function runCluster(ctx: StageContext, threshold = CLUSTER_THRESHOLD, peopleDir = process.env[PEOPLE_DIR_ENV] || null): Promise<Record<string, number | string | boolean | null>> {
  const t0 = performance.now();
  const protos = readPrototypes(ctx.outDir);
  const tracks = readTracks(ctx.outDir);
  const n = protos.byTrack.size;
  ctx.progress(0, n);
  const c = clusterTracks(ctx.outDir, protos, threshold);
  if (ctx.signal.aborted) throw ctx.signal.reason;

  // the edits see unsure tracks as groups of their own: an assignment is a recorded merge (or a
  // split, for "a person of their own"); a lone unsure track nobody touched stays unsure
  const { edits, carried } = editsForCurrentTracks(ctx.outDir);
  if (carried) ctx.log(`cluster: detect_track ran again with other settings: ${carried.kept} edited tracks carried over to the new tracks, ${carried.dropped} not found again`);
  const unsureIds = new Set(c.unsure.map((u) => u.track_id));
  const drafts = applyEditsToGroups([...c.groups, ...c.unsure.map((u) => [u.track_id])], edits);
  const stillUnsure = (d: { track_ids: number[] }) => d.track_ids.length === 1 && unsureIds.has(d.track_ids[0]!) && !edits.splits.includes(d.track_ids[0]!);
  let identities = buildIdentities(drafts.filter((d) => !stillUnsure(d)), protos);
  let naming: ReturnType<typeof nameIdentities> | null = null;
  let people = 0;
  let matchMs = 0;
  if (peopleDir) {
    const tm = performance.now();
    const vectors = personVectors(readLibrary(peopleDir));
    people = vectors.length;
    const userLabelled = new Set(identities.filter((i) => i.label !== null).map((i) => i.identity_id));
    naming = nameIdentities(identities, protos, c.together, edits, userLabelled, vectors, PEOPLE_MATCH);
    identities = naming.identities;
    matchMs = performance.now() - tm;
  }
  const idOfTrack = new Map(identities.flatMap((i) => i.track_ids.map((t) => [t, i.identity_id] as const)));
  const unsure = c.unsure
    .filter((u) => drafts.some((d) => stillUnsure(d) && d.track_ids[0] === u.track_id))
    .map((u) => ({ ...u, nearest_identity: u.nearest_identity === null ? null : idOfTrack.get(u.nearest_identity) ?? null }));
  const file: IdentitiesFile = { identities, unsure };
  if (ctx.signal.aborted) throw ctx.signal.reason;
  writeJsonAtomic(path.join(ctx.outDir, ARTIFACT_FILES.identities), file);
  ctx.progress(n, n);

  const singletons = identities.filter((i) => i.track_ids.length === 1).length;
  const low = identities.filter((i) => i.low_cohesion).length;
  const editsApplied = edits.labels.length + edits.merges.length + edits.splits.length + (edits.ignored.length ? 1 : 0);
  if (naming) ctx.log(`people library ${peopleDir}: ${people} people with faces; ${naming.auto} identities named, ${naming.suggested} suggested, ${naming.confirmed} confirmed (${matchMs.toFixed(0)} ms)`);
  ctx.log(`cluster: ${n} tracks (${c.weak} weak: ${c.attached} attached (${c.attachedBySetup} by camera setup), ${unsure.length} unsure) -> ${identities.length} identities (${c.splitsFound} split by the re-check, ${c.movedToNearest} tracks moved to their nearest, ${singletons} single-track, ${low} low cohesion), ${c.cannotLinkPairs} cannot-link pairs, threshold ${threshold}, clustering ${c.clusterMs.toFixed(0)} ms${editsApplied ? `, ${editsApplied} recorded edits applied` : ''}`);
  return {
    tracks: n,
    tracks_without_faces: tracks.filter((t) => !protos.byTrack.has(t.track_id)).length,
    weak_tracks: c.weak,
    weak_attached: c.attached,
    weak_attached_by_setup: c.attachedBySetup,
    identities_split_by_recheck: c.splitsFound,
    tracks_moved_to_nearest: c.movedToNearest,
    unsure_tracks: unsure.length,
    identities: identities.length,
    single_track_identities: singletons,
    low_cohesion_identities: low,
    cannot_link_pairs: c.cannotLinkPairs,
    threshold,
    cluster_ms: Math.round(c.clusterMs),
    elapsed_ms: Math.round(performance.now() - t0),
    edits_applied: editsApplied,
    ...(naming ? { people: people, people_auto: naming.auto, people_suggested: naming.suggested, people_confirmed: naming.confirmed, people_match_ms: Math.round(matchMs) } : {}),
  };
}

export const clusterStage: StageFn = (ctx) => runCluster(ctx);
