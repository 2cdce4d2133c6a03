// `npm run eval:distances`: the evidence behind the clustering cut. Distances between track
// prototypes (and still-photo faces) of the SAME person and of DIFFERENT people, per source:
//   - labelled clips (episode_gt, dev/fotb): track labels from the shot-level truth
//     (pipeline/eval/track-labels.ts), same/different pairs of good tracks;
//   - faces seen together in one frame in every dev clip: certainly different people;
//   - solvay_1927.png: 29 different people in one photo;
//   - dev/refs/*.png: one photo per fotb character (different people), and each photo against
//     the fotb tracks of the same and of other characters (same person across sources).
// Reads the stage outputs `npm run eval` left in bench/.work/eval/ (run it first). Prints a table
// of quantiles and, per candidate cut, the share of same-person pairs it would keep apart
// (splits) and of different-person pairs it would join (merges); writes
// bench/.work/eval/distances.json.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DetectionRow, TrackRow } from '../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../shared/stages.js';
import { coOccurringTracks } from '../pipeline/cluster/constraints.js';
import { readIdentities, readJsonl, readPrototypes } from '../pipeline/cluster/io.js';
import { createDlibEmbedder } from '../pipeline/embed/dlib-embedder.js';
import type { Embedder } from '../pipeline/embed/embedder.js';
import { identityVector } from '../pipeline/people/name-identities.js';
import { embedImageFaces, readPhotoRgb } from '../pipeline/people/photo.js';
import { YunetDetector, type Face } from '../pipeline/detect/yunet.js';
import { DEV_CLIPS, DEV_PHOTO } from '../pipeline/eval/dev-set.js';
import { matchDetections, readCornerBoxes } from '../pipeline/eval/photo-recall.js';
import type { GroundTruth } from '../pipeline/eval/score.js';
import { labelTracks } from '../pipeline/eval/track-labels.js';
import { DETECTOR_MODEL } from '../pipeline/stages/detect-track.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = path.join(REPO, 'bench', '.work', 'eval');
const SHARED = process.env.SCREENTIME_SHARED_DIR ?? path.resolve(REPO, '..', 'shared');
const MEDIA = process.env.SCREENTIME_MEDIA_DIR ?? path.join(SHARED, 'media');
const MODELS = process.env.SCREENTIME_MODELS_DIR ?? path.join(SHARED, 'models');
const CUTS = [0.3, 0.32, 0.33, 0.34, 0.35, 0.36, 0.38, 0.4, 0.42, 0.45];

interface Labelled { label: string; v: Float32Array }
interface Series { source: string; kind: 'same' | 'different'; d: number[] }

const log = (m: string) => process.stderr.write(`[distances] ${m}\n`);

function dist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) { const x = a[k]! - b[k]!; s += x * x; }
  return Math.sqrt(s);
}

function pairs(source: string, items: readonly Labelled[]): Series[] {
  const same: number[] = [], diff: number[] = [];
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) (items[i]!.label === items[j]!.label ? same : diff).push(dist(items[i]!.v, items[j]!.v));
  return [{ source, kind: 'same', d: same }, { source, kind: 'different', d: diff }];
}

/** Good-track prototypes of a clip's eval output, labelled from its truth where it has one. */
function clipTracks(clip: string, truthFile: string | null): { labelled: Labelled[]; cannot: number[]; labels: Map<number, string> } | null {
  const out = path.join(WORK, clip, ARTIFACT_DIR_NAME);
  if (!existsSync(path.join(out, 'prototypes.f32'))) return null;
  const protos = readPrototypes(out);
  const vec = (row: number) => protos.vectors.subarray(row * protos.dim, (row + 1) * protos.dim);
  const dets = readJsonl<DetectionRow>(path.join(out, 'detections.jsonl'));
  const cannot = coOccurringTracks(dets)
    .filter(([a, b]) => protos.byTrack.has(a) && protos.byTrack.has(b))
    .map(([a, b]) => dist(vec(protos.byTrack.get(a)!.row), vec(protos.byTrack.get(b)!.row)));
  if (!truthFile) return { labelled: [], cannot, labels: new Map() };
  const xs = new Map<number, number[]>();
  for (const d of dets) if (d.track_id >= 0) { let l = xs.get(d.track_id); if (!l) xs.set(d.track_id, (l = [])); l.push((d.bbox[0] + d.bbox[2]) / 2); }
  const tracks = readJsonl<TrackRow>(path.join(out, 'tracks.jsonl')).map((t) => {
    const l = xs.get(t.track_id) ?? [0];
    return { track_id: t.track_id, first_ts: t.first_ts, last_ts: t.last_ts, mean_x: l.reduce((a, b) => a + b, 0) / l.length };
  });
  const labels = labelTracks(tracks, JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth);
  const labelled = [...protos.byTrack.values()]
    .filter((p) => !p.weak && labels.has(p.track_id))
    .map((p) => ({ label: labels.get(p.track_id)!, v: vec(p.row) }));
  return { labelled, cannot, labels };
}

/** Faces of a still image, largest first, as the people library enrols them (pipeline/people/photo.ts). */
async function embedStill(file: string, det: YunetDetector, embedder: Embedder): Promise<Array<{ face: Face; v: Float32Array }>> {
  const img = await readPhotoRgb(file);
  return (await embedImageFaces(img.data, img.width, img.height, det, embedder)).map((f) => ({ face: f.face, v: f.embedding }));
}

/**
 * Identities of a clip's eval output (clustered without a library), each labelled with the person
 * most of its labelled tracks belong to, with the prototype the people library matches against.
 */
function clipIdentities(clip: string, trackLabels: ReadonlyMap<number, string>): Labelled[] {
  const out = path.join(WORK, clip, ARTIFACT_DIR_NAME);
  if (!existsSync(path.join(out, 'identities.json'))) return [];
  const protos = readPrototypes(out);
  const out2: Labelled[] = [];
  for (const idn of readIdentities(out).identities) {
    const votes = new Map<string, number>();
    for (const t of idn.track_ids) { const l = trackLabels.get(t); if (l) votes.set(l, (votes.get(l) ?? 0) + (protos.byTrack.get(t)?.n_faces ?? 0)); }
    const top = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
    const v = identityVector(idn, protos);
    if (top && v) out2.push({ label: top[0], v });
  }
  return out2;
}

function quantile(d: readonly number[], p: number): number {
  const s = [...d].sort((a, b) => a - b);
  return s.length ? s[Math.floor(p * (s.length - 1))]! : NaN;
}

async function main(): Promise<void> {
  const series: Series[] = [];
  let fotbTracks: Labelled[] = [];
  let fotbIdentities: Labelled[] = [];
  for (const clip of DEV_CLIPS) {
    const r = clipTracks(clip.name, clip.truth ? path.join(MEDIA, clip.truth) : null);
    if (!r) { log(`${clip.name}: no eval output in ${WORK} (run npm run eval first)`); continue; }
    if (clip.truth) series.push(...pairs(`${clip.name} tracks`, r.labelled));
    series.push({ source: `${clip.name} seen together`, kind: 'different', d: r.cannot });
    if (clip.name === 'fotb') { fotbTracks = r.labelled; fotbIdentities = clipIdentities(clip.name, r.labels); }
  }
  const model = path.join(MODELS, DETECTOR_MODEL);
  const photo = path.join(MEDIA, DEV_PHOTO.image);
  const refsDir = path.join(MEDIA, 'dev', 'refs');
  if (existsSync(model)) {
    const det = await YunetDetector.create(model);
    const embedder = await createDlibEmbedder();
    try {
      if (existsSync(photo)) {
        const faces = await embedStill(photo, det, embedder);
        const truth = readCornerBoxes(path.join(MEDIA, DEV_PHOTO.truth)).filter((t) => t.name !== 'detection_0');
        const m = matchDetections(truth, faces.map((f) => f.face));
        const people = m.match.flatMap((k, i) => (k >= 0 ? [{ label: truth[i]!.name, v: faces[k]!.v }] : []));
        series.push(...pairs(`${DEV_PHOTO.name} (${people.length} people)`, people).filter((s) => s.kind === 'different'));
      }
      if (existsSync(refsDir)) {
        const refs: Labelled[] = [];
        for (const f of readdirSync(refsDir).filter((n) => n.endsWith('.png')).sort()) {
          const biggest = (await embedStill(path.join(refsDir, f), det, embedder))[0];
          if (biggest) refs.push({ label: path.basename(f, '.png'), v: biggest.v });
        }
        series.push(...pairs('dev/refs photos', refs).filter((s) => s.kind === 'different'));
        const same: number[] = [], diff: number[] = [];
        for (const r of refs) for (const t of fotbTracks) (r.label === t.label ? same : diff).push(dist(r.v, t.v));
        series.push({ source: 'dev/refs photo vs fotb track', kind: 'same', d: same }, { source: 'dev/refs photo vs fotb track', kind: 'different', d: diff });
        // what the people library compares: a reference photo with an identity's prototype
        const sameI: number[] = [], diffI: number[] = [];
        const closeDiff: string[] = [];
        for (const r of refs) for (const t of fotbIdentities) {
          const d = dist(r.v, t.v);
          (r.label === t.label ? sameI : diffI).push(d);
          if (r.label !== t.label && d < 0.34) closeDiff.push(`${r.label} photo / ${t.label} ${d.toFixed(3)}`);
        }
        series.push({ source: 'dev/refs photo vs fotb identity', kind: 'same', d: sameI }, { source: 'dev/refs photo vs fotb identity', kind: 'different', d: diffI });
        log(`refs vs fotb identities: same ${sameI.map((x) => x.toFixed(3)).join(' ')}; different under 0.34: ${closeDiff.join(', ')}`);
      }
    } finally {
      await embedder.close();
      await det.close();
    }
  }
  const rows = series.filter((s) => s.d.length > 0).map((s) => ({
    source: s.source,
    kind: s.kind,
    n: s.d.length,
    p05: quantile(s.d, 0.05), p25: quantile(s.d, 0.25), p50: quantile(s.d, 0.5), p75: quantile(s.d, 0.75), p95: quantile(s.d, 0.95),
    // per cut: same pairs kept apart (would split a person), different pairs joined (would merge two)
    at: Object.fromEntries(CUTS.map((c) => [c, s.kind === 'same' ? s.d.filter((x) => x >= c).length / s.d.length : s.d.filter((x) => x < c).length / s.d.length])),
  }));
  const f2 = (x: number) => x.toFixed(2);
  const head = `source                              kind       n     p05  p25  p50  p75  p95   ${CUTS.map((c) => `@${c.toFixed(2)}`).join(' ')}`;
  process.stdout.write(`${head}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.source.padEnd(35)} ${r.kind.padEnd(9)} ${String(r.n).padStart(5)}  ${[r.p05, r.p25, r.p50, r.p75, r.p95].map(f2).join(' ')}  ${CUTS.map((c) => (r.at[c]! * 100).toFixed(0).padStart(4) + '%').join('')}\n`);
  }
  // every source counts once, whatever its number of pairs: the cut must hold on each kind of footage
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const pooled = CUTS.map((c) => {
    const split = mean(rows.filter((r) => r.kind === 'same').map((r) => r.at[c]!));
    const merge = mean(rows.filter((r) => r.kind === 'different').map((r) => r.at[c]!));
    return { cut: c, split, merge, error: split + merge };
  });
  process.stdout.write(`${'pooled: mean split rate'.padEnd(63)}${pooled.map((p) => (p.split * 100).toFixed(0).padStart(4) + '%').join('')}\n`);
  process.stdout.write(`${'pooled: mean merge rate'.padEnd(63)}${pooled.map((p) => (p.merge * 100).toFixed(0).padStart(4) + '%').join('')}\n`);
  process.stdout.write(`${'pooled: sum'.padEnd(63)}${pooled.map((p) => (p.error * 100).toFixed(0).padStart(4) + '%').join('')}\n`);
  process.stdout.write('(@cut: for same-person rows the share of pairs at or above the cut, i.e. kept apart; for different-person rows the share below it, i.e. joined)\n');
  writeFileSync(path.join(WORK, 'distances.json'), `${JSON.stringify({ rows, pooled }, null, 2)}\n`);
}

await main();
