// Entry point of the `screentime` command (bin/screentime.js imports the compiled file).
// Thread caps go into the environment BEFORE the heavy modules load: ONNX Runtime, OpenMP and
// libuv read them once, at start-up.

import { parseCli } from './args.js';

async function main(argv: string[]): Promise<number> {
  const cmd = parseCli(argv, Boolean(process.stdout.isTTY));
  if (cmd.kind === 'stage' || cmd.kind === 'run') {
    const { applyThreadEnv } = await import('../runtime/run-stage.js');
    applyThreadEnv(cmd.options.threads);
  }
  const { runCommand } = await import('./commands.js');
  return runCommand(cmd);
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
}

main(process.argv.slice(2)).then(
  async (code) => {
    await Promise.all([flush(process.stdout), flush(process.stderr)]);
    process.exit(code);
  },
  async (e: unknown) => {
    process.stderr.write(`screentime: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    await flush(process.stderr);
    process.exit(1);
  },
);
