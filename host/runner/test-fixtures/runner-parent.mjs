#!/usr/bin/env node
// Plays the desktop main process for the "main process SIGKILLed" test: it starts one stage with
// the compiled LocalRunner and then just waits. The test SIGKILLs this process (no handler can
// run) and checks that the stage and its ffmpeg die on their own because their stdin closed.
//
// argv: <compiled local-runner.js> <cliPath> <episodeDir> [stride]

import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [runnerJs, cliPath, episodeDir, stride] = process.argv.slice(2);
const { LocalRunner } = await import(pathToFileURL(path.resolve(runnerJs)).href);
const runner = new LocalRunner({ cliPath, env: process.env.SCREENTIME_MODELS_DIR ? { SCREENTIME_MODELS_DIR: process.env.SCREENTIME_MODELS_DIR } : {} });
const result = runner.run(
  {
    episodeId: '0123456789abcdef',
    episodeDir,
    outDir: path.join(episodeDir, 'screentime'),
    stage: 'detect_track',
    profile: 'low_power',
    stride: stride ? Number(stride) : undefined,
    sessionId: 'parent',
  },
  (e) => {
    if (e.event === 'stage:started') process.stdout.write(`started ${runner.active()[0]?.pid}\n`);
  },
);
result.then((r) => process.stdout.write(`ended ${r.status} ${r.error ?? ''}\n`));
