// Where every missed second goes, on each labelled clip of the development set: the labelled time
// of each person that the identity matched to them does not cover, split by cause
// (pipeline/eval/missed-time.ts), from the artifacts `npm run eval` left in bench/.work/eval/.
// For every unsure track, extra or wrong identity that explains missed time it prints why the
// track is where it is: the faces_embed gate that rejected its samples, and its distances to the
// two nearest identities (average over their track prototypes, as the cluster stage measures, and
// the nearest single face pair).
//
//   npm run eval:missed [--only fotb] [--json FILE]

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ARTIFACT_DIR_NAME } from '../shared/stages.js';
import { ARTIFACT_FILES, type FaceRow, type SampleRow } from '../shared/artifacts.js';
import { DEV_CLIPS } from '../pipeline/eval/dev-set.js';
import { scoreScreentime, type GroundTruth } from '../pipeline/eval/score.js';
import { MISSED_CAUSES, missedByCause, missedPieces, type MissedPiece, type TrackFacts } from '../pipeline/eval/missed-time.js';
import { EMBEDDING_DIM, readF32, readIdentities, readJsonl, readManifestFile, readPrototypes, readScreentime, readShots, readTracks } from '../pipeline/cluster/io.js';
import { episodeScreentimeParams } from '../pipeline/screentime/params.js';
import { trackSpan } from '../pipeline/screentime/compute.js';
import { DEFAULT_GATES, shapeRejectReason } from '../pipeline/embed/select.js';
import { cutByFrameEdge } from '../pipeline/embed/pose.js';
import { profileDefaults } from '../pipeline/detect/profiles.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The outputs of `npm run eval` (`--work`: another folder it was given). */
let WORK = path.join(REPO, 'bench', '.work', 'eval');
const SHARED = process.env.SCREENTIME_SHARED_DIR ?? path.resolve(REPO, '..', 'shared');
const MEDIA = process.env.SCREENTIME_MEDIA_DIR ?? path.join(SHARED, 'media');

const f2 = (v: number) => v.toFixed(2);

function dist(a: Float32Array, ia: number, b: Float32Array, ib: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const d = a[ia * dim + k]! - b[ib * dim + k]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

interface TrackWhy {
  track_id: number;
  cause: string;
  person: string;
  shot: number;
  seconds: number;
  samples: number;
  rejected: Record<string, number>;
  nearest: Array<{ who: string; mean: number; face_min: number }>;
}

function analyseClip(name: string, truth: string): { table: string; pieces: MissedPiece[]; why: TrackWhy[] } | null {
  const out = path.join(WORK, name, ARTIFACT_DIR_NAME);
  const truthFile = path.join(MEDIA, truth);
  if (!existsSync(path.join(out, ARTIFACT_FILES.screentime)) || !existsSync(truthFile)) return null;
  const gt = JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth;
  const manifest = readManifestFile(out);
  const st = readScreentime(out)!;
  const ids = readIdentities(out);
  const tracks = readTracks(out);
  const shots = new Map(readShots(out).map((s) => [s.shot, s]));
  const protos = readPrototypes(out);
  const params = episodeScreentimeParams(manifest, st.gap_tolerance_s);
  const score = scoreScreentime(st.identities, gt);
  const matched = new Map(score.people.map((p) => [p.person, p.identity_id]));
  const idOfTrack = new Map(ids.identities.flatMap((i) => i.track_ids.map((t) => [t, i.identity_id] as const)));
  const unsure = new Set((ids.unsure ?? []).map((u) => u.track_id));
  const facts: TrackFacts[] = tracks.map((t) => {
    const s = trackSpan(t, shots, params);
    return { track_id: t.track_id, span: s ? [s.start, s.end] : null, identity_id: idOfTrack.get(t.track_id) ?? null, unsure: unsure.has(t.track_id), has_faces: protos.byTrack.has(t.track_id) };
  });
  const pieces = missedPieces({ gt, matched, segments: new Map(st.identities.map((i) => [i.identity_id, i.segments])), tracks: facts });
  const byCause = missedByCause(pieces);

  const head = ['person', 'true s', 'pred s', 'missed', ...MISSED_CAUSES];
  const rows = score.people.map((p) => {
    const c = byCause.get(p.person);
    const missed = c ? Object.values(c).reduce((a, b) => a + b, 0) : 0;
    return [p.person, f2(p.true_s), f2(p.predicted_s), f2(missed), ...MISSED_CAUSES.map((k) => (c && c[k] > 0.005 ? f2(c[k]) : '-'))];
  });
  const totals = MISSED_CAUSES.map((k) => pieces.filter((p) => p.cause === k).reduce((t, p) => t + p.seconds, 0));
  rows.push(['ALL', '', '', f2(totals.reduce((a, b) => a + b, 0)), ...totals.map((t) => (t > 0.005 ? f2(t) : '-'))]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join('  ');

  // why each explaining track is where it is
  const personOfId = new Map(score.people.filter((p) => p.identity_id !== null).map((p) => [p.identity_id!, p.person]));
  const samples = readJsonl<SampleRow>(path.join(out, ARTIFACT_FILES.samples));
  const faces = readJsonl<FaceRow>(path.join(out, ARTIFACT_FILES.faces));
  const emb = readF32(path.join(out, ARTIFACT_FILES.embeddings), faces.length, EMBEDDING_DIM);
  const facesOf = (tid: number) => faces.filter((f) => f.track_id === tid).map((f) => f.embedding_row);
  const seenScale = Math.min(1, profileDefaults('balanced', manifest.video.fps).analysisWidth / Math.max(1, manifest.video.width));
  const why: TrackWhy[] = [];
  for (const p of pieces) {
    for (const tid of p.track_ids) {
      const rejected: Record<string, number> = {};
      const mine = samples.filter((s) => s.track_id === tid);
      for (const s of mine) {
        const r = shapeRejectReason({ conf: s.conf, facePx: s.face_px * seenScale, landmarks: s.landmarks, sharpness: 1, quality: s.quality, edgeCut: cutByFrameEdge(s.bbox, manifest.video.width, manifest.video.height) }, DEFAULT_GATES) ?? 'ok';
        rejected[r] = (rejected[r] ?? 0) + 1;
      }
      const proto = protos.byTrack.get(tid);
      const nearest = proto
        ? ids.identities.filter((idn) => idn.identity_id !== idOfTrack.get(tid)).map((idn) => {
          const rs = idn.track_ids.map((t) => protos.byTrack.get(t)?.row).filter((r): r is number => r !== undefined);
          const mean = rs.reduce((s, r) => s + dist(protos.vectors, proto.row, protos.vectors, r, protos.dim), 0) / Math.max(1, rs.length);
          let faceMin = Infinity;
          for (const a of facesOf(tid)) for (const t of idn.track_ids) for (const b of facesOf(t)) faceMin = Math.min(faceMin, dist(emb, a, emb, b, EMBEDDING_DIM));
          return { who: `${personOfId.get(idn.identity_id) ?? '-'}#${idn.identity_id}`, mean: Math.round(mean * 1000) / 1000, face_min: Math.round(faceMin * 1000) / 1000 };
        }).sort((a, b) => a.mean - b.mean).slice(0, 2)
        : [];
      why.push({ track_id: tid, cause: p.cause, person: p.person, shot: p.shot, seconds: Math.round(p.seconds * 100) / 100, samples: mine.length, rejected, nearest });
    }
  }
  const whyLines = why.map((t) => `  track ${t.track_id} (${t.cause}, ${t.person} shot ${t.shot}, ${f2(t.seconds)} s of the piece): samples ${t.samples} ${JSON.stringify(t.rejected)}; nearest ${t.nearest.map((n) => `${n.who} mean ${n.mean} face-min ${n.face_min}`).join(', ') || 'none'}`);
  const spanLines = pieces.filter((p) => p.cause.startsWith('span') || p.cause === 'no_track').sort((a, b) => b.seconds - a.seconds).slice(0, 15)
    .map((p) => {
      const g = gt.shots[p.shot]!;
      const id = matched.get(p.person);
      const own = tracks.filter((t) => idOfTrack.get(t.track_id) === id && t.last_ts >= g.start_s && t.first_ts < g.end_s)
        .map((t) => `t${t.track_id} seen ${f2(t.first_ts)}-${f2(t.last_ts)}`);
      return `  ${p.person} shot ${p.shot} ${p.cause} ${f2(p.seconds)} s [shot ${f2(g.start_s)}-${f2(g.end_s)}; half step ${params.halfStepS.toFixed(3)} s; ${own.join(', ') || 'no track of the identity'}]`;
    });
  const table = [`${name}: F1 ${score.f1.toFixed(3)}, missed seconds by cause`, line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line),
    'tracks that explain missed time:', ...whyLines, 'largest span / no-track pieces:', ...spanLines].join('\n');
  return { table, pieces, why };
}

function main(): void {
  const { values } = parseArgs({ options: { only: { type: 'string' }, json: { type: 'string' }, work: { type: 'string' } } });
  if (values.work) WORK = path.resolve(values.work);
  const only = values.only ? new Set(values.only.split(',')) : null;
  const all: Record<string, { pieces: MissedPiece[]; why: TrackWhy[] }> = {};
  for (const clip of DEV_CLIPS) {
    if (clip.kind !== 'labelled' || !clip.truth || (only && !only.has(clip.name))) continue;
    const r = analyseClip(clip.name, clip.truth);
    if (!r) {
      process.stdout.write(`${clip.name}: no outputs in ${WORK} (run npm run eval first)\n\n`);
      continue;
    }
    all[clip.name] = { pieces: r.pieces, why: r.why };
    process.stdout.write(`${r.table}\n\n`);
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(all, null, 2)}\n`);
}

main();
