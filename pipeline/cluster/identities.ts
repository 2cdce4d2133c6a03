// Building identity rows from groups of tracks: shared by the cluster stage and by review edits,
// so an identity looks the same whether clustering or a user's edit produced it.

import type { IdentityRow, PrototypeRow } from '../../shared/artifacts.js';
import { cohesion } from './agglomerative.js';

/**
 * An identity whose cohesion (mean cosine of its track prototypes to their centroid) is below
 * this is flagged for review. Measured (docs/pipeline-identities.md, "Cohesion"): the true
 * identities sit at 0.983-0.988 on episode_gt and 0.981-0.988 on dev/fotb (1 for one track); any
 * two of them pooled give 0.938-0.971 on episode_gt and 0.964-0.979 on dev/fotb. The gap is thin
 * on real footage of one family: the flag asks for a look, it decides nothing.
 */
export const LOW_COHESION = 0.98;

/** Thumbnails listed per identity for the review strip. */
export const SAMPLE_THUMBS_PER_IDENTITY = 8;

export interface Prototypes {
  /** rows x dim, row-major, unit vectors */
  vectors: Float32Array;
  dim: number;
  /** per track id */
  byTrack: Map<number, PrototypeRow>;
}

export interface IdentityDraft {
  track_ids: number[];
  label: string | null;
  ignored: boolean;
}

/** The track to show for a group: most faces, then best quality, then lowest id. */
function rankTracks(trackIds: readonly number[], protos: Prototypes): PrototypeRow[] {
  return trackIds
    .map((t) => protos.byTrack.get(t))
    .filter((r): r is PrototypeRow => r !== undefined)
    .sort((a, b) => b.n_faces - a.n_faces || b.best_quality - a.best_quality || a.track_id - b.track_id);
}

export function buildIdentity(identityId: number, draft: IdentityDraft, protos: Prototypes): IdentityRow {
  const track_ids = [...new Set(draft.track_ids)].sort((a, b) => a - b);
  const ranked = rankTracks(track_ids, protos);
  const n_faces = ranked.reduce((s, r) => s + r.n_faces, 0);
  const coh = ranked.length ? cohesion(protos.vectors, protos.dim, ranked.map((r) => r.row)) : 1;
  const thumb = ranked.find((r) => r.thumb)?.thumb ?? null;
  // the review strip: one face from each track first (different moments), then more of the same
  const strip: string[] = [];
  const pools = ranked.map((r) => [...(r.thumb ? [r.thumb] : []), ...r.sample_thumbs.filter((t) => t !== r.thumb)]);
  for (let round = 0; strip.length < SAMPLE_THUMBS_PER_IDENTITY; round++) {
    let any = false;
    for (const p of pools) {
      const t = p[round];
      if (t === undefined) continue;
      any = true;
      if (t !== thumb && !strip.includes(t)) strip.push(t);
      if (strip.length >= SAMPLE_THUMBS_PER_IDENTITY) break;
    }
    if (!any) break;
  }
  const cohesionR = Math.round(coh * 10000) / 10000;
  return {
    identity_id: identityId,
    label: draft.label,
    track_ids,
    n_faces,
    cohesion: cohesionR,
    thumb,
    sample_thumbs: strip,
    ignored: draft.ignored,
    low_cohesion: cohesionR < LOW_COHESION,
  };
}

/** Identities from drafts, numbered 0.. by size (most faces first): the cluster stage's order. */
export function buildIdentities(drafts: readonly IdentityDraft[], protos: Prototypes): IdentityRow[] {
  const rows = drafts.map((d) => buildIdentity(0, d, protos));
  rows.sort((a, b) => b.n_faces - a.n_faces || b.track_ids.length - a.track_ids.length || (a.track_ids[0] ?? 0) - (b.track_ids[0] ?? 0));
  rows.forEach((r, i) => (r.identity_id = i));
  return rows;
}
