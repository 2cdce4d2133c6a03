// `npm run bench`: throughput, memory and real-time factor of the pipeline on this machine, in
// one run with one thread cap. Prints ONE JSON object on stdout; progress goes to stderr.
//
// Input is made here (cached in bench/.work/, gitignored): ../shared/media/episode_gt.mp4
// re-encoded to 1080p H.264 and looped to N minutes (default 10), plus a 2-minute variant, so
// peak memory can be compared across lengths (it should stay flat: the stages stream).
//
//   node dist/bench/run.js [--minutes N] [--short-minutes M] [--threads T] [--skip-long] [--people-only]

import { existsSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { STAGES, type StageName } from '../shared/stages.js';
import { clusterVectors } from '../pipeline/cluster/agglomerative.js';
import { buildIdentities, type Prototypes } from '../pipeline/cluster/identities.js';
import { encodeVector, LIBRARY_FILE, readLibrary, updateLibrary } from '../pipeline/people/library.js';
import { PEOPLE_MATCH, personVectors } from '../pipeline/people/match.js';
import { nameIdentities } from '../pipeline/people/name-identities.js';
import type { PrototypeRow } from '../shared/artifacts.js';
import type { Person } from '../shared/people.js';
import { probeVideo } from '../pipeline/video/probe.js';
import { CLI, decodeOnly, log, machineFacts, makeInput, MODELS, pipelineOn, r2, REPO, runBench, SOURCE, WORK, type StageRun } from './bench-common.js';

/** 5,000 unit vectors around 60 identities (dlib-like spread), clustered as cluster does. */
function syntheticCluster(n = 5000, dim = 128, ids = 60) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const centres = Array.from({ length: ids }, () => Float32Array.from({ length: dim }, gauss));
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[i % ids]!;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const x = c[d]! / Math.sqrt(dim) + gauss() * 0.025;
      v[i * dim + d] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) v[i * dim + d]! /= norm;
  }
  const t0 = performance.now();
  const res = clusterVectors(v, n, dim, { threshold: 0.6 });
  return { tracks: n, dim, identities_planted: ids, clusters_found: res.k, seconds: r2((performance.now() - t0) / 1000) };
}

/**
 * What naming from the people library adds to cluster: a library of 1,000 people x 20 faces on
 * disk (made once in bench/.work/people-1000x20/), read, turned into person vectors and matched
 * with the identities of a synthetic 1-hour episode (300 identities of 6 tracks, 1,800 tracks, a
 * fifth of the people in it), as runCluster does with --people.
 */
function peopleMatch(people = 1000, facesPer = 20, identities = 300, tracksPer = 6, dim = 128) {
  let seed = 777;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const unit = (c: Float32Array | null, spread: number) => {
    const v = Float32Array.from({ length: dim }, (_, d) => (c ? c[d]! : 0) + gauss() * spread);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const centres = Array.from({ length: people }, () => unit(null, 1));
  const dir = path.join(WORK, `people-${people}x${facesPer}`);
  if (!existsSync(path.join(dir, LIBRARY_FILE))) {
    rmSync(dir, { recursive: true, force: true });
    const now = new Date().toISOString();
    updateLibrary(dir, (lib) => {
      lib.people = centres.map((c, i): Person => ({
        person_id: `p_bench${i}`, name: `Person ${i}`, show: null, locked: false, learn: false, created_at: now, updated_at: now,
        faces: Array.from({ length: facesPer }, (_, k) => ({ face_id: `f_b${i}_${k}`, chip: `chips/f_b${i}_${k}.jpg`, embedding: encodeVector(unit(c, 0.02)), source: { kind: 'photo', file: 'synthetic', box: [0, 0, 1, 1] }, added_at: now })),
      }));
    });
  }
  const nTracks = identities * tracksPer;
  const vectors = new Float32Array(nTracks * dim);
  const byTrack = new Map<number, PrototypeRow>();
  for (let t = 0; t < nTracks; t++) {
    const idn = Math.floor(t / tracksPer);
    vectors.set(unit(idn % 5 === 0 ? centres[idn]! : null, idn % 5 === 0 ? 0.02 : 1), t * dim);
    byTrack.set(t, { row: t, track_id: t, n_faces: 4, best_quality: 1, thumb: null, sample_thumbs: [] });
  }
  const protos: Prototypes = { vectors, dim, byTrack };
  const ids = buildIdentities(Array.from({ length: identities }, (_, i) => ({ track_ids: Array.from({ length: tracksPer }, (_, k) => i * tracksPer + k), label: null, ignored: false })), protos);
  const together: Array<[number, number]> = Array.from({ length: 5000 }, () => [Math.floor(rnd() * nTracks), Math.floor(rnd() * nTracks)] as [number, number]).filter(([a, b]) => a !== b);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const lib = readLibrary(dir);
  const t1 = performance.now();
  const pv = personVectors(lib);
  const t2 = performance.now();
  const named = nameIdentities(ids, protos, together, { labels: [], merges: [], splits: [], ignored: [] }, new Set(), pv, PEOPLE_MATCH);
  const t3 = performance.now();
  const cpu = process.cpuUsage(c0);
  return {
    people, faces_per_person: facesPer, identities, tracks: nTracks,
    library_mb: r2(statSync(path.join(dir, LIBRARY_FILE)).size / 2 ** 20),
    read_s: r2((t1 - t0) / 1000), person_vectors_s: r2((t2 - t1) / 1000), match_s: r2((t3 - t2) / 1000), total_s: r2((t3 - t0) / 1000), cpu_s: r2((cpu.user + cpu.system) / 1e6), loadavg: os.loadavg()[0] !== undefined ? r2(os.loadavg()[0]!) : null,
    named_auto: named.auto, suggested: named.suggested,
    note: 'added to cluster by --people: read people.json, person centroids, match every identity (no assert; the target is < 1 s)',
  };
}

function numStat(stats: Record<string, unknown> | null | undefined, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = stats?.[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

async function main() {
  const { values } = parseArgs({
    options: { minutes: { type: 'string' }, 'short-minutes': { type: 'string' }, threads: { type: 'string' }, 'skip-long': { type: 'boolean' }, 'people-only': { type: 'boolean' } },
  });
  if (values['people-only']) return { people_match_1000x20: peopleMatch() };
  const minutes = Number(values.minutes ?? 10);
  const shortMinutes = Number(values['short-minutes'] ?? 2);
  const threads = Number(values.threads ?? 2);
  if (!(minutes > 0 && shortMinutes > 0 && threads >= 1)) throw new Error('--minutes, --short-minutes and --threads must be positive');
  for (const f of [SOURCE, path.join(MODELS, 'yunet_n_dynamic.onnx'), CLI]) {
    if (!existsSync(f)) throw new Error(`missing ${f} (build with npm run build:node; media and models live in ../shared)`);
  }
  const started = performance.now();
  const loadAtStart = os.loadavg().map(r2);
  const longInput = await makeInput(minutes);
  const shortInput = minutes === shortMinutes ? longInput : await makeInput(shortMinutes);
  const longDir = longInput.dir;
  const shortDir = shortInput.dir;
  const longVideo = longInput.file;
  const facts = await probeVideo(longVideo);
  const shortFacts = await probeVideo(shortInput.file);

  log(`decode-only: ${facts.frame_count} frames of ${facts.width}x${facts.height}`);
  const decode = await decodeOnly(longVideo, threads);
  log(`decode-only: ${decode.fps} fps`);

  const long = values['skip-long'] ? [] : await pipelineOn(longDir, threads, `${minutes}min`);
  const short = minutes === shortMinutes && long.length ? long : await pipelineOn(shortDir, threads, `${shortMinutes}min`);

  log('cluster of 5,000 synthetic tracks');
  const synth = syntheticCluster();
  log('people library: 1,000 people x 20 faces against a 1-hour episode');
  const peopleFigure = peopleMatch();

  const by = (runs: StageRun[], s: StageName) => runs.find((r) => r.stage === s);
  const main = long.length ? long : short;
  const mainFacts = long.length ? facts : shortFacts;
  const dt = by(main, 'detect_track');
  const fe = by(main, 'faces_embed');
  const cl = by(main, 'cluster');
  const allOk = main.length === STAGES.length && main.every((r) => r.exit_code === 0);
  const pipelineWall = main.reduce((a, r) => a + r.wall_s, 0);
  const dtFps = dt && dt.exit_code === 0 ? mainFacts.frame_count / dt.wall_s : null;
  const faces = numStat(fe?.stats, 'faces', 'n_faces', 'faces_embedded', 'embeddings');
  const feMsPerFace = numStat(fe?.stats, 'ms_per_face', 'embed_ms_per_face') ?? (fe && fe.exit_code === 0 && faces ? r2((fe.wall_s * 1000) / faces) : null);

  const result = {
    machine: machineFacts(loadAtStart),
    threads,
    input: {
      long: { minutes, file: path.relative(REPO, longVideo), width: facts.width, height: facts.height, fps: facts.fps, frames: facts.frame_count, bytes: statSync(longVideo).size },
      short: { minutes: shortMinutes, frames: shortFacts.frame_count },
    },
    decode_only: { ...decode, note: 'ffmpeg, every frame, scaled to 640 wide bgr24, -threads same cap, frames passed through, output discarded; cpu_s: user + system' },
    detect_track: dt ? { wall_s: dt.wall_s, fps: dtFps === null ? null : r2(dtFps), ratio_to_decode_only: dtFps === null ? null : r2(dt.wall_s / decode.wall_s), stats: dt.stats, error: dt.error } : null,
    faces_embed: fe ? { wall_s: fe.wall_s, faces, ms_per_face: feMsPerFace, stats: fe.stats, error: fe.error } : null,
    cluster: cl ? { wall_s: cl.wall_s, stats: cl.stats, error: cl.error } : null,
    cluster_synthetic_5000: synth,
    people_match_1000x20: peopleFigure,
    pipeline: {
      completed: allOk,
      wall_s: r2(pipelineWall),
      video_s: r2(mainFacts.duration_s),
      realtime_factor: allOk ? r2(mainFacts.duration_s / pipelineWall) : null,
      note: 'video seconds per wall second over all stages (each a separate process, incl. start-up); >1 is faster than real time',
    },
    peak_rss_mb: {
      note: 'peak of the summed VmRSS of each stage process tree (sampled every 200 ms); main_hwm = VmHWM of the stage process',
      [`${minutes}min`]: Object.fromEntries(long.map((r) => [r.stage, { tree: r.peak_tree_rss_mb, main_hwm: r.peak_main_hwm_mb }])),
      [`${shortMinutes}min`]: Object.fromEntries(short.map((r) => [r.stage, { tree: r.peak_tree_rss_mb, main_hwm: r.peak_main_hwm_mb }])),
    },
    stages: { [`${minutes}min`]: long, [`${shortMinutes}min`]: short },
    loadavg_at_end: os.loadavg().map(r2),
    bench_wall_s: r2((performance.now() - started) / 1000),
  };
  return result;
}

runBench(main);
