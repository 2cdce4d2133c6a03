// Shared pieces of the browser end-to-end tests: the real browser host (built code in dist/),
// Debian's Chromium driven by playwright-core, and a temp data dir per test file.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { WebHost, WebHostOptions } from '../host/web/serve.js';
import { CLI_JS, MODELS_DIR, REPO_ROOT, missing } from '../test-support/shared-data.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SERVE_JS = path.join(REPO_ROOT, 'dist', 'host', 'web', 'serve.js');
export const RENDERER_INDEX = path.join(REPO_ROOT, 'dist', 'renderer', 'index.html');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

/** Why the browser tests cannot run here (build outputs or Chromium absent), or null. */
export function missingForE2e(...more: string[]): string | null {
  return missing(CHROMIUM, SERVE_JS, RENDERER_INDEX, CLI_JS, ...more);
}

export async function startHost(opts: Partial<WebHostOptions> = {}): Promise<{ host: WebHost; dataDir: string; cleanup(): Promise<void> }> {
  // The built host, exactly what `npm run web` runs: its runner spawns dist/pipeline/cli/main.js.
  const mod = (await import(pathToFileURL(SERVE_JS).href)) as typeof import('../host/web/serve.js');
  // Stage processes inherit the host's environment: point them at the models beside the checkout.
  process.env.SCREENTIME_MODELS_DIR ??= MODELS_DIR;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'screentime-e2e-data-'));
  const lines: string[] = [];
  const host = await mod.startWebHost({ dataDir, port: 0, log: (l) => lines.push(l), ...opts });
  return {
    host,
    dataDir,
    async cleanup() {
      await host.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function newPage(browser: Browser, colorScheme: 'light' | 'dark' = 'light'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, colorScheme, acceptDownloads: true, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Adds paths the way a user of the browser host does: "Open folder…", type, Enter. */
export async function addByTyping(page: Page, p: string): Promise<void> {
  await page.getByRole('button', { name: /Open folder/ }).click();
  const box = page.getByRole('dialog', { name: 'Open episode folder' }).getByLabel('Folder or video path');
  await box.fill(p);
  await box.press('Enter');
}

/** Drops paths on the window as a Linux file manager does: a text/uri-list of file:// URIs. */
export async function dropUris(page: Page, paths: string[]): Promise<void> {
  const list = paths.map((p) => pathToFileURL(p).href).join('\r\n');
  await page.evaluate((uriList) => {
    const dt = new DataTransfer();
    dt.setData('text/uri-list', uriList);
    const target = document.querySelector('main') ?? document.body;
    target.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }));
    target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
    target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, list);
}


/** RFC 4180 CSV (quoted cells, doubled quotes) -> rows of cells; enough to read an export back. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell.length > 0 || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Pids of stage processes (the CLI) working on `episodeDir`, found by their command lines. */
export function stagePids(episodeDir: string, stage: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmd.split('\0');
    if (args.some((a) => a.endsWith(path.join('cli', 'main.js'))) && args.includes(stage) && args.some((a) => a.startsWith(episodeDir))) out.push(Number(name));
  }
  return out;
}
