#!/usr/bin/env node
// A small real stage for runner tests that must control the stage's behaviour (ignore SIGTERM,
// fail with an error event, never print anything). It speaks the same protocol as the pipeline
// CLI (`stage <stage> <episodeDir> --profile P --stride N --threads N`): JSON lines on stdout,
// human lines on stderr, and it runs a real ffmpeg child that decodes the episode video to null.
//
// FIXTURE_MODE: 'normal' (default) | 'ignore-term' (survives SIGTERM, so the runner must SIGKILL)
//               | 'fail' (error event + exit 3 after the first progress) | 'quiet-fail' (stderr only, exit 1)
// FIXTURE_LOOP=1 loops the video forever (long runs for cancel / timeout tests).
// FIXTURE_REALTIME_S=N decodes N seconds of video at real-time speed.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const argv = process.argv.slice(2);
const stage = argv[1];
const episodeDir = argv[2];
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const threads = Number(opt('--threads', '2'));
const stride = Number(opt('--stride', '6'));
const profile = opt('--profile', 'balanced');
const mode = process.env.FIXTURE_MODE ?? 'normal';
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const video = readdirSync(episodeDir).find((f) => f.endsWith('.mp4'));
if (!video) {
  out({ type: 'error', stage, code: 3, message: `no video in ${episodeDir}` });
  process.exit(3);
}
out({ type: 'start', stage, episode: path.basename(episodeDir), video, profile, stride, threads, device: 'cpu', pid: process.pid });
process.stderr.write(`fixture: decoding ${video} with ${threads} threads\n`);

// Signal and stdin handlers go in before ffmpeg starts: a runner that sees ffmpeg may signal
// the group at once, and a SIGTERM that lands before the handler would end even a stubborn stage.
let ff = null;
const stop = () => {
  ff?.kill('SIGKILL');
  process.exit(130);
};
if (mode === 'ignore-term') {
  process.on('SIGTERM', () => process.stderr.write('fixture: ignoring SIGTERM\n'));
} else {
  process.on('SIGTERM', stop);
}
// The lifetime tie: our parent went away when stdin closes. A stubborn stage ignores that too,
// so that only the runner's SIGKILL can end it.
if (mode !== 'ignore-term') {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
}
process.stdin.resume();

const total = 1450;
ff = spawn(
  'ffmpeg',
  [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    ...(process.env.FIXTURE_LOOP ? ['-stream_loop', '-1'] : []),
    // FIXTURE_REALTIME_S=N: decode only N seconds, at real-time speed (a run of known length).
    ...(process.env.FIXTURE_REALTIME_S ? ['-re', '-t', process.env.FIXTURE_REALTIME_S] : []),
    '-threads', String(threads), '-i', path.join(episodeDir, video),
    '-vf', `select=not(mod(n\\,${stride}))`, '-fps_mode', 'passthrough',
    '-f', 'null', '-threads', String(threads), '-progress', 'pipe:1', '-',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let done = 0;
let firstProgress = true;
ff.stdout.setEncoding('utf8');
ff.stdout.on('data', (chunk) => {
  for (const line of chunk.split('\n')) {
    const m = /^frame=(\d+)/.exec(line);
    if (!m) continue;
    done = Number(m[1]) * stride;
    out({ type: 'progress', stage, frames_done: done % total, frames_total: total, fps: 0, eta_s: null, fraction: (done % total) / total });
    if (firstProgress && (mode === 'fail' || mode === 'quiet-fail')) {
      ff.kill('SIGKILL');
      if (mode === 'fail') {
        process.stderr.write('fixture: about to fail\n');
        out({ type: 'error', stage, code: 3, message: 'the video could not be decoded at frame 12 (fixture)' });
        process.exit(3);
      }
      process.stderr.write('fixture: decoder lost its mind\n');
      process.exit(1);
    }
    firstProgress = false;
  }
});
ff.on('exit', (code) => {
  // A stubborn stage outlives its decoder too: only SIGKILL ends it.
  if (mode === 'ignore-term' && code !== 0) return setInterval(() => {}, 1000);
  if (code === 0) {
    out({ type: 'summary', stage, status: 'completed', elapsed_s: process.uptime(), stats: { frames: done } });
    process.exit(0);
  }
  process.exit(code ?? 1);
});


