// `npm run web` (node dist/host/web/serve.js [--port N] [--data-dir DIR] [--open]): parses the
// command line, starts the host, optionally opens the default browser, and closes the host on
// SIGINT / SIGTERM so every stage tree dies with it.

import { spawn } from 'node:child_process';
import path from 'node:path';

export interface CliArgs {
  port?: number;
  dataDir?: string;
  open: boolean;
}

const USAGE = 'usage: screentime-web [--port N] [--data-dir DIR] [--open]';

export function parseCliArgs(argv: string[]): CliArgs | { error: string } {
  const out: CliArgs = { open: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--port') {
      const v = value();
      const n = Number(v);
      if (!v || !Number.isInteger(n) || n < 0 || n > 65535) return { error: `--port must be a number 0-65535 (got ${v ?? 'nothing'})` };
      out.port = n;
    } else if (flag === '--data-dir') {
      const v = value();
      if (!v) return { error: '--data-dir needs a folder' };
      out.dataDir = path.resolve(v);
    } else if (flag === '--open') out.open = true;
    else if (flag === '--help' || flag === '-h') return { error: USAGE };
    else return { error: `unknown option ${a}; ${USAGE}` };
  }
  return out;
}

function openBrowser(url: string): void {
  // Argument arrays only: the URL never passes through a shell.
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['explorer.exe', [url]] : ['xdg-open', [url]];
  try {
    spawn(cmd, args as string[], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  } catch {
    /* no browser opener: the URL is printed anyway */
  }
}

interface StartedHost {
  url: string;
  close(): Promise<void>;
}

/** Runs the host for the command line; `start` is serve.ts's startWebHost (passed in: no import cycle). */
export async function runWebHostCli(argv: string[], start: (o: { port: number; dataDir?: string }) => Promise<StartedHost>): Promise<void> {
  const args = parseCliArgs(argv);
  if ('error' in args) {
    console.error(args.error);
    process.exit(2);
  }
  const host = await start({ port: args.port ?? 0, dataDir: args.dataDir });
  if (args.open) openBrowser(host.url);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void host.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
