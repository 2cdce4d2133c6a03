// Opt-in timing run (not part of the normal suite: it needs a quiet machine and a long video).
//   SCREENTIME_BENCH_VIDEO=/path/to/1080p.mp4 npx vitest run pipeline/stages/detect-track.perf.test.ts
// Runs ffmpeg decode-only (same decoder thread count as the stage) and detect_track on the same
// file, alternately, and prints fps, the ratio of wall times, YuNet ms/frame and peak RSS.

import { describe, it, expect } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Manifest } from '../../shared/artifacts.js';
import type { StageContext } from '../runtime/stage.js';
import { probeVideo } from '../video/probe.js';
import { ffmpegPath } from '../video/ffmpeg-path.js';
import { detectTrack } from './detect-track.js';
import { MODELS_DIR } from '../../test-support/shared-data.js';

const VIDEO = process.env.SCREENTIME_BENCH_VIDEO;
const THREADS = Number(process.env.SCREENTIME_BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.SCREENTIME_BENCH_ROUNDS ?? 2);

/** CPU seconds of this process plus its reaped children (utime+stime+cutime+cstime), Linux. */
function cpuTotal(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

function rssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

describe('detect_track timing', () => {
  it.skipIf(!VIDEO)('decode-only vs detect_track on the same file (set SCREENTIME_BENCH_VIDEO)', async () => {
    const video = await probeVideo(VIDEO!);
    const decoderThreads = Math.max(1, THREADS - 1);
    const lines: string[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const c0 = cpuTotal();
      const t0 = performance.now();
      await execa(ffmpegPath(), ['-nostdin', '-v', 'error', '-threads', String(decoderThreads), '-i', VIDEO!, '-an', '-f', 'null', '-'], { stdin: 'ignore' });
      const decodeS = (performance.now() - t0) / 1000;
      const decodeCpu = cpuTotal() - c0;

      const outDir = mkdtempSync(path.join(tmpdir(), 'screentime-bench-'));
      mkdirSync(outDir, { recursive: true });
      let peak = rssMb();
      const rssAt: number[] = [];
      const ctx: StageContext = {
        stage: 'detect_track', episodeDir: path.dirname(VIDEO!), videoPath: VIDEO!, outDir, video,
        config: { profile: 'balanced', stride: 0, threads: THREADS, device: 'cpu', modelsDir: MODELS_DIR },
        manifest: { schema_version: 1, video, stages: {} } as Manifest,
        signal: new AbortController().signal,
        progress: (d) => { const m = rssMb(); peak = Math.max(peak, m); if (d % 250 < 5) rssAt.push(Math.round(m)); },
        log: () => {},
      };
      const c1 = cpuTotal();
      const t1 = performance.now();
      const stats = await detectTrack(ctx);
      const stageS = (performance.now() - t1) / 1000;
      const stageCpu = cpuTotal() - c1;
      const n = Number(stats.frames_decoded);
      ratios.push(stageS / decodeS);
      lines.push(
        `round ${r + 1}: decode-only ${(n / decodeS).toFixed(1)} fps (${decodeS.toFixed(2)} s), detect_track ${(n / stageS).toFixed(1)} fps (${stageS.toFixed(2)} s), ` +
        `ratio ${(stageS / decodeS).toFixed(2)}, CPU s ${decodeCpu.toFixed(1)} vs ${stageCpu.toFixed(1)}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}, YuNet ${stats.yunet_ms} ms/frame, ${stats.frames_analysed} analysed, peak RSS ${peak.toFixed(0)} MB, RSS over time ${rssAt.join(' ')}`,
      );
    }
    console.log(`${path.basename(VIDEO!)} ${video.width}x${video.height}, threads ${THREADS}\n${lines.join('\n')}`);
    expect(ratios.length).toBe(ROUNDS);
  }, 1_800_000);
});
