// A custom artifact folder in queue mode: the app's queue port hands it to the job, the worker
// passes it to the stage as --out, and the stage writes there and nowhere else, exactly as local
// mode does with the same request. Real redis-server, a real worker process (`screentime worker`),
// real detect_track on real video, and the real LocalRunner for the local side.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../shared/ipc.js';
import { CLI_JS, MODELS_DIR, mediaPath, missing, tempEpisode } from '../test-support/shared-data.js';
import { queueBinding } from '../host/bridge/queue-binding.js';
import { SettingsStore } from '../host/library/settings.js';
import { LocalRunner } from '../host/runner/local-runner.js';
import { loadQueueService } from './load-service.js';
import { redisMissing, startTestRedis, type TestRedis } from './test-redis.js';

const CLIP = mediaPath('short_hamilton_clip.mp4');
const skip = redisMissing() ?? missing(CLI_JS, CLIP, path.join(MODELS_DIR, 'yunet_n_dynamic.onnx'));
if (skip) console.warn(`out-dir.test.ts: ${skip}${existsSync(CLI_JS) ? '' : ' (run `npm run build:node` first)'}`);

/** The artifact files a completed detect_track leaves (locks and temp files are gone by then). */
function artifactFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

function stageStatus(outDir: string): string | undefined {
  const m = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as { stages: Record<string, { status: string }> };
  return m.stages.detect_track?.status;
}

describe.skipIf(skip)('a custom artifact folder, queue mode and local mode alike', () => {
  let redis: TestRedis;
  let worker: ChildProcess | null = null;
  const scratch = mkdtempSync(path.join(tmpdir(), 'screentime-outdir-'));

  beforeAll(async () => {
    redis = await startTestRedis();
    worker = spawn(process.execPath, [CLI_JS, 'worker', '--redis', redis.url, '--name', 'wout', '--state-dir', scratch, '--threads', '2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SCREENTIME_MODELS_DIR: MODELS_DIR },
    });
    let err = '';
    worker.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const end = Date.now() + 20_000;
    while (!/ready: redis/.test(err)) {
      if (worker.exitCode !== null || Date.now() > end) throw new Error(`the worker did not start:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await redis?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('writes into the given folder, not <episode>/screentime, and leaves the same files', async () => {
    // Local mode first: the reference.
    const localEp = tempEpisode('short_hamilton_clip.mp4', 'Local');
    const localOut = path.join(scratch, 'local-artifacts');
    const runner = new LocalRunner({ cliPath: CLI_JS, env: { SCREENTIME_MODELS_DIR: MODELS_DIR } });
    const local = await runner.run(
      { episodeId: 'local', episodeDir: localEp, outDir: localOut, stage: 'detect_track', profile: 'low_power', sessionId: 's' },
      () => {},
    );
    await runner.shutdown();
    expect(local.status).toBe('completed');

    // Queue mode through the port the app's bridge uses.
    const queuedEp = tempEpisode('short_hamilton_clip.mp4', 'Queued');
    const queuedOut = path.join(scratch, 'queued-artifacts');
    const settings = new SettingsStore(mkdtempSync(path.join(scratch, 'settings-')));
    settings.set({ redisUrl: redis.url });
    const binding = queueBinding(settings, loadQueueService);
    const port = binding.queue()!;
    const seen: JobInfo[] = [];
    port.onJob!((j) => seen.push(j));
    try {
      const [job] = await port.submit({ episodeId: 'queued', episodeDir: queuedEp, outDir: queuedOut, episodeName: 'Queued', stages: ['detect_track'], profile: 'low_power' });
      const end = Date.now() + 180_000;
      let last: JobInfo | undefined;
      while (!last || (last.state !== 'completed' && last.state !== 'failed')) {
        if (Date.now() > end) throw new Error(`the job did not end; last state ${last?.state}`);
        await new Promise((r) => setTimeout(r, 200));
        last = (await port.list()).find((j) => j.jobId === job!.jobId);
      }
      expect(last.state).toBe('completed');
    } finally {
      await binding.close();
    }

    for (const [ep, out] of [[localEp, localOut], [queuedEp, queuedOut]] as const) {
      expect(existsSync(path.join(ep, 'screentime'))).toBe(false);
      expect(stageStatus(out)).toBe('completed');
      expect(readFileSync(path.join(out, 'tracks.jsonl'), 'utf8').trim().length).toBeGreaterThan(0);
    }
    expect(artifactFiles(queuedOut)).toEqual(artifactFiles(localOut));
  });
});
