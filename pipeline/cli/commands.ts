// Carries out a parsed command line; returns the process exit code.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../shared/stages.js';
import { fetchModels } from '../models/fetch.js';
import { MODELS, modelSearchDirs, resolveModel } from '../models/registry.js';
import { describeError, installCancelHandlers, processIO, runStages, type RunIO } from '../runtime/run-stage.js';
import { writeFileAtomic } from '../runtime/atomic.js';
import { resolveEpisode } from '../episode/resolve.js';
import { exportEpisodeSegments } from '../export/episode-export.js';
import { readReportEpisodes } from '../export/report-files.js';
import { buildShowReport, showReportCsv, showReportJson } from '../export/show-report.js';
import { PEOPLE_DIR_ENV } from '../people/location.js';
import type { Command } from './args.js';


export function packageVersion(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/pipeline/cli -> repo root is three levels up; pipeline/cli (sources) two.
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const v = (JSON.parse(readFileSync(path.join(here, rel), 'utf8')) as { name?: string; version?: string });
      if (v.name === 'screentime' && v.version) return v.version;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
}

export async function runCommand(cmd: Command, io: RunIO = processIO): Promise<number> {
  switch (cmd.kind) {
    case 'help':
      io.out(cmd.text);
      return EXIT.OK;
    case 'version':
      io.out(packageVersion());
      return EXIT.OK;
    case 'usage-error':
      io.err(`screentime: ${cmd.message}`);
      io.err(cmd.help);
      return EXIT.USAGE;
    case 'stage':
    case 'run': {
      // the cluster stage reads the library folder from the environment (runStages passes stage
      // options it knows; the library is cluster's alone)
      if (cmd.people !== undefined) process.env[PEOPLE_DIR_ENV] = path.resolve(cmd.people);
      const controller = new AbortController();
      const dispose = installCancelHandlers(controller, io);
      try {
        const stages = cmd.kind === 'stage' ? [cmd.stage] : cmd.stages;
        return await runStages(stages, cmd.options, io, controller.signal);
      } finally {
        dispose();
      }
    }
    case 'models':
      return runModels(cmd, io);
    case 'export':
    case 'report':
      return runFileCommand(cmd, io);
    case 'people': {
      const { runPeople } = await import('../people/cli.js');
      return runPeople(cmd, io);
    }
    case 'worker': {
      // The queue worker is its own module: load it only when asked (BullMQ, ioredis).
      const spec = '../../queue/worker-cli.js';
      try {
        const mod = (await import(spec)) as { runWorkerCli?: (argv: string[]) => Promise<number> };
        if (typeof mod.runWorkerCli !== 'function') throw new Error('queue/worker-cli.js has no runWorkerCli()');
        return await mod.runWorkerCli(cmd.argv);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
          io.err('screentime: the queue worker is not available in this build');
          return EXIT.INTERNAL;
        }
        io.err(`screentime worker: ${describeError(e).message}`);
        return describeError(e).code;
      }
    }
  }
}

/**
 * `export` and `report`: content to --out (atomically: a reader never sees half a file) or to
 * stdout. A bad input (no such person, a malformed timecode, an episode without screen time)
 * exits with BAD_INPUT and one line naming it; programming errors stay INTERNAL.
 */
function runFileCommand(cmd: Extract<Command, { kind: 'export' | 'report' }>, io: RunIO): number {
  let content: string;
  let out: string | undefined;
  try {
    if (cmd.kind === 'export') {
      const ep = resolveEpisode(cmd.episode, { out: cmd.dir, checkWritable: false });
      const r = exportEpisodeSegments(ep.outDir, path.basename(ep.episodeDir), { format: cmd.format, person: cmd.person, startTc: cmd.startTc });
      io.err(`${r.events} segments at ${r.rate.num}/${r.rate.den} fps (${r.dropFrame ? 'drop-frame' : 'non-drop'} timecode)`);
      content = r.content;
    } else {
      const report = buildShowReport(readReportEpisodes(cmd.paths));
      content = cmd.format === 'csv' ? showReportCsv(report) : showReportJson(report);
    }
    out = cmd.out;
    if (out) writeFileAtomic(path.resolve(out), content);
    else io.out(content.replace(/\r?\n$/, ''));
    return EXIT.OK;
  } catch (e) {
    const d = describeError(e);
    const code = d.code === EXIT.INTERNAL && !(e instanceof TypeError || e instanceof RangeError) ? EXIT.BAD_INPUT : d.code;
    io.err(`screentime ${cmd.kind}: ${d.message}`);
    return code;
  }
}

async function runModels(cmd: Extract<Command, { kind: 'models' }>, io: RunIO): Promise<number> {
  if (cmd.action === 'list') {
    if (cmd.json) io.out(JSON.stringify(MODELS));
    else for (const m of MODELS) io.out(`${m.file}\t${m.sha256}\t${m.url}`);
    return EXIT.OK;
  }
  if (cmd.action === 'fetch') {
    try {
      const res = await fetchModels({ dir: cmd.dir, mirror: cmd.mirror, force: cmd.force, log: (l) => io.err(l) });
      if (cmd.json) io.out(JSON.stringify(res));
      return EXIT.OK;
    } catch (e) {
      const d = describeError(e);
      io.err(`screentime models fetch: ${d.message}`);
      return d.code;
    }
  }
  // verify
  let code: number = EXIT.OK;
  const results: Array<{ file: string; ok: boolean; path: string | null; error: string | null }> = [];
  for (const m of MODELS) {
    try {
      const p = await resolveModel(m.file, { modelsDir: cmd.models });
      results.push({ file: m.file, ok: true, path: p, error: null });
      if (!cmd.json) io.err(`${m.file}: ok (${p})`);
    } catch (e) {
      const d = describeError(e);
      code = d.code;
      results.push({ file: m.file, ok: false, path: null, error: d.message });
      if (!cmd.json) io.err(d.message);
    }
  }
  if (cmd.json) io.out(JSON.stringify({ searched: modelSearchDirs({ modelsDir: cmd.models }), models: results }));
  return code;
}
