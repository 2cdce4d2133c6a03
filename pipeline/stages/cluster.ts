// cluster: track prototypes -> identities. Average-linkage clustering (euclidean distance on the
// L2-normalised 128-d prototypes) cut at CLUSTER_THRESHOLD, with cannot-link constraints between
// tracks seen at the same time in different places; then the user's recorded edits (edits.json)
// are applied again, so labels, merges, splits and ignores survive a re-run.

import path from 'node:path';
import { existsSync } from 'node:fs';
import { ARTIFACT_FILES, type DetectionRow, type IdentitiesFile } from '../../shared/artifacts.js';
import { clusterVectors } from '../cluster/agglomerative.js';
import { coOccurringTracks } from '../cluster/constraints.js';
import { buildIdentities } from '../cluster/identities.js';
import { readEdits, readJsonl, readPrototypes, readTracks } from '../cluster/io.js';
import { applyEditsToGroups } from '../review/edits.js';
import { writeJsonAtomic } from '../runtime/atomic.js';
import type { StageContext, StageFn } from '../runtime/stage.js';

/**
 * Merge clusters while their average prototype distance is below this. dlib's "same person below
 * 0.6" is for its raw descriptors (norm ~1.4); on unit vectors the same cut is ~0.42. Measured on
 * episode_gt: same-person prototypes <= 0.35 apart, different people >= 0.46
 * (docs/pipeline-identities.md).
 */
export const CLUSTER_THRESHOLD = 0.42;

export async function runCluster(ctx: StageContext, threshold = CLUSTER_THRESHOLD): Promise<Record<string, number | string | boolean | null>> {
  const t0 = performance.now();
  const protos = readPrototypes(ctx.outDir);
  const tracks = readTracks(ctx.outDir);
  const rows = [...protos.byTrack.values()].sort((a, b) => a.row - b.row);
  const n = rows.length;
  ctx.progress(0, n);
  const rowOfTrack = new Map(rows.map((r) => [r.track_id, r.row]));

  // cannot-link: tracks seen apart in one frame
  const detFile = path.join(ctx.outDir, ARTIFACT_FILES.detections);
  const pairs = existsSync(detFile) ? coOccurringTracks(readJsonl<DetectionRow>(detFile)) : [];
  const cannot: Array<[number, number]> = [];
  for (const [a, b] of pairs) {
    const ra = rowOfTrack.get(a), rb = rowOfTrack.get(b);
    if (ra !== undefined && rb !== undefined) cannot.push([ra, rb]);
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;

  const tc = performance.now();
  const res = clusterVectors(protos.vectors, n, protos.dim, { threshold, cannotLink: cannot });
  const clusterMs = performance.now() - tc;
  const groups: number[][] = Array.from({ length: res.k }, () => []);
  rows.forEach((r, i) => groups[res.labels[i]!]!.push(r.track_id));

  const edits = readEdits(ctx.outDir);
  const drafts = applyEditsToGroups(groups, edits);
  const identities = buildIdentities(drafts, protos);
  const file: IdentitiesFile = { identities };
  if (ctx.signal.aborted) throw ctx.signal.reason;
  writeJsonAtomic(path.join(ctx.outDir, ARTIFACT_FILES.identities), file);
  ctx.progress(n, n);

  const singletons = identities.filter((i) => i.track_ids.length === 1).length;
  const low = identities.filter((i) => i.low_cohesion).length;
  const editsApplied = edits.labels.length + edits.merges.length + edits.splits.length + (edits.ignored.length ? 1 : 0);
  ctx.log(`cluster: ${n} tracks -> ${identities.length} identities (${singletons} single-track, ${low} low cohesion), ${cannot.length} cannot-link pairs, threshold ${threshold}, clustering ${clusterMs.toFixed(0)} ms${editsApplied ? `, ${editsApplied} recorded edits applied` : ''}`);
  return {
    tracks: n,
    tracks_without_faces: tracks.filter((t) => !rowOfTrack.has(t.track_id)).length,
    identities: identities.length,
    single_track_identities: singletons,
    low_cohesion_identities: low,
    cannot_link_pairs: cannot.length,
    threshold,
    cluster_ms: Math.round(clusterMs),
    elapsed_ms: Math.round(performance.now() - t0),
    edits_applied: editsApplied,
  };
}

export const clusterStage: StageFn = (ctx) => runCluster(ctx);
