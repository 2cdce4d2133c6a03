// `npm run soak`: stops a real detect_track in every way the browser host must survive, many times
// over, and counts what is left behind. Each cycle starts the stage through the browser host
// (docs/web-protocol.md), waits for its first progress event, then does one of:
//
//   reload     the window reloads: a real Chromium page reloads, or a `ws` client closes its
//              socket cleanly (a page unloading sends a close frame)
//   close      the window closes: a real Chromium page closes, or a `ws` client drops its TCP
//              connection without a close frame (a tab that crashed or was killed)
//   host-kill  the host process gets SIGKILL (no code of the host runs), then a new host starts
//              on the same data dir
//
// Reload and close cycles run against one long-lived host, whose open fds and RSS are read at the
// start, middle and end; host-kill cycles use a second host that is killed and replaced. After
// every cycle the stage's tree must be gone within a bound and the episode's `screentime/` folder
// must hold no temp file, no lock of a dead pid and no manifest record stuck at `running`: checked
// per cycle because the next stage's start would sweep such leftovers and hide them. Prints ONE
// JSON object on stdout (progress on stderr); exits 1 when anything leaked, the host's fds grew or
// a cycle could not run, 2 when it could not set up (see docs/local-mode.md, "Soak run").
//
//   node dist/bench/soak.js [--cycles N] [--models DIR] [--browser-every K] [--bound-ms MS]
//                           [--jitter-ms MS] [--fd-margin N] [--settle-s S] [--keep]

import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { WebSocket } from 'ws';
import type { EventChannel, EventOf, RequestChannel, RequestOf, ResponseOf, Wire } from '../shared/ipc.js';
import { descendants, isGone } from '../test-support/proc.js';
import { fdKinds, groupMembers, openFds, pidsWithArg, procId, processGroup, rssBytes, stillAlive, commandLine, type ProcId } from '../test-support/proc-stats.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVE_JS = path.join(REPO, 'dist', 'host', 'web', 'serve.js');
const CHROMIUM = '/usr/bin/chromium';
// shared-data.ts finds ../shared next to its own file, which sits one folder deeper once compiled
// into dist/: pin the checkout's sibling before loading it (an explicit setting still wins).
process.env.SCREENTIME_SHARED_DIR ??= path.resolve(REPO, '..', 'shared');
const { mediaPath, MODELS_DIR } = await import('../test-support/shared-data.js');

const VIDEO = 'episode_gt.mp4';
const EPISODE_NAME = 'Soak Episode';
const FIRST_PROGRESS_MS = 90_000;
const HOST_START_MS = 20_000;
/** How long a start refused as "already running" is retried before it counts as an error. */
const BUSY_RETRY_MS = 5000;
const TEMP_NAME = /\.(tmp|old)-\d+$/;

const log = (m: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  cycles: number;
  models: string;
  browserEvery: number;
  boundMs: number;
  jitterMs: number;
  fdMargin: number;
  settleS: number;
  keep: boolean;
}

const USAGE =
  'usage: node dist/bench/soak.js [--cycles N] [--models DIR] [--browser-every K] [--bound-ms MS] [--jitter-ms MS] [--fd-margin N] [--settle-s S] [--keep]';

/** A bad command line: reported as one line with the usage, not as a stack trace. */
class UsageError extends Error {}

function parseOptions() {
  return parseArgs({
    options: {
      cycles: { type: 'string' },
      models: { type: 'string' },
      'browser-every': { type: 'string' },
      'bound-ms': { type: 'string' },
      'jitter-ms': { type: 'string' },
      'fd-margin': { type: 'string' },
      'settle-s': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

/** The options, or null for --help. */
function readOptions(): Options | null {
  let values;
  try {
    values = parseOptions();
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) return null;
  const o: Options = {
    cycles: Number(values.cycles ?? 100),
    models: path.resolve(values.models ?? MODELS_DIR),
    // Every K-th reload / close cycle drives a real Chromium page; the rest use a bare `ws` client
    // (same protocol, a fraction of the time per cycle). 0 = never.
    browserEvery: Number(values['browser-every'] ?? 4),
    boundMs: Number(values['bound-ms'] ?? 5000),
    jitterMs: Number(values['jitter-ms'] ?? 800),
    fdMargin: Number(values['fd-margin'] ?? 4),
    // pidusage holds /proc/<pid>/stat open for 60 s after a pid's last sample and sweeps every
    // 30 s: the end count is read again once those have gone, or after this many seconds.
    settleS: Number(values['settle-s'] ?? 100),
    keep: values.keep ?? false,
  };
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && !(Number.isInteger(v) && v >= 0)) throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a whole number >= 0 (got ${v})\n${USAGE}`);
  }
  if (o.cycles < 1) throw new UsageError(`--cycles must be at least 1\n${USAGE}`);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Hosts: `node dist/host/web/serve.js` as child processes, so one can be SIGKILLed and each one's
// fds and RSS read from /proc.

interface HostProc {
  child: ChildProcess;
  pid: number;
  url: string;
  exited: Promise<void>;
}

async function spawnHost(dataDir: string, models: string): Promise<HostProc> {
  const child = spawn(process.execPath, [SERVE_JS, '--port', '0', '--data-dir', dataDir], {
    // Stage processes inherit the host's environment: this is how they find the models.
    env: { ...process.env, SCREENTIME_MODELS_DIR: models },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start in ${HOST_START_MS} ms: ${stderr}`)), HOST_START_MS);
    let out: string | null = '';
    // The listener stays for the host's whole life: an unread stdout pipe would fill and block it.
    child.stdout!.on('data', (d: Buffer) => {
      if (out === null) return;
      out += d.toString();
      const m = /Screentime is at (\S+)/.exec(out);
      if (m) {
        out = null;
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`host exited during start-up: ${stderr}`)));
  }).catch((e: unknown) => {
    // A host that never came up must not outlive the soak.
    child.kill('SIGKILL');
    throw e;
  });
  return { child, pid: child.pid!, url, exited };
}

/** Graceful stop (SIGTERM ends every session and the runner); SIGKILL if it hangs. */
async function stopHost(h: HostProc): Promise<boolean> {
  if (h.child.exitCode !== null || h.child.signalCode !== null) return true;
  h.child.kill('SIGTERM');
  const ok = await Promise.race([h.exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!ok) h.child.kill('SIGKILL');
  return ok;
}

function wsUrl(h: HostProc): string {
  const u = new URL(h.url);
  return `ws://${u.host}/ws?token=${encodeURIComponent(u.searchParams.get('token') ?? '')}`;
}

// ---------------------------------------------------------------------------------------------
// A bare client of the bridge protocol, typed by the same channel maps as the window's client.

type Listener = (event: string, payload: unknown) => void;

class BridgeClient {
  private nextId = 1;
  private readonly pending = new Map<number, (w: Wire<unknown>) => void>();
  private readonly listeners = new Set<Listener>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.route(String(data)));
    // A host that dies resets the connection; that is expected here, not a failure of the soak.
    ws.on('error', () => undefined);
  }

  static open(h: HostProc): Promise<BridgeClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl(h));
      ws.once('open', () => resolve(new BridgeClient(ws)));
      ws.once('error', reject);
    });
  }

  private route(text: string): void {
    const m = JSON.parse(text) as { id?: number; response?: Wire<unknown>; event?: string; payload?: unknown };
    if (typeof m.id === 'number' && m.response) {
      this.pending.get(m.id)?.(m.response);
      this.pending.delete(m.id);
    } else if (typeof m.event === 'string') {
      for (const l of this.listeners) l(m.event, m.payload);
    }
  }

  invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<Wire<ResponseOf<C>>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (w: Wire<unknown>) => void);
      this.ws.send(JSON.stringify({ id, channel, request: request ?? null }));
    });
  }

  /** The next `event` whose payload matches, or a rejection after timeoutMs. */
  next<E extends EventChannel>(event: E, match: (p: EventOf<E>) => boolean, timeoutMs: number): Promise<EventOf<E>> {
    return new Promise((resolve, reject) => {
      const l: Listener = (e, p) => {
        if (e !== event || !match(p as EventOf<E>)) return;
        done();
        resolve(p as EventOf<E>);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(l);
      };
      this.listeners.add(l);
    });
  }

  /** A clean close handshake: what a page that unloads (reload, navigation) does. */
  close(): void {
    this.ws.close(1001, 'going away');
  }

  /** The TCP connection dropped with no close frame: a tab that crashed or was killed. */
  terminate(): void {
    this.ws.terminate();
  }
}

async function valueOf<T>(w: Promise<Wire<T>>): Promise<T> {
  const r = await w;
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** One stage:run: 'started' at the first progress event, else the error it ended with. */
async function attemptStart(client: BridgeClient, episodeId: string): Promise<'started' | string> {
  const progress = client.next('stage:progress', (p) => p.episodeId === episodeId, FIRST_PROGRESS_MS).then(() => 'started' as const);
  const ended = client
    .invoke('stage:run', { episodeId, stage: 'detect_track', profile: 'balanced' })
    .then((w) => (w.ok ? `${w.value.status}: ${w.value.error ?? 'no error given'}` : w.error));
  // Whichever loses the race must not surface later as an unhandled rejection.
  progress.catch(() => undefined);
  return Promise.race([progress, ended]);
}

/**
 * Starts detect_track over `client` and resolves at its first progress event, with how long the
 * host kept refusing it as "already running" first: the runner forgets a stopped run a moment
 * after its tree is gone, and a client as quick as this one can land in between.
 */
async function startStageOverWs(client: BridgeClient, episodeId: string): Promise<{ refusedMs: number }> {
  const t0 = performance.now();
  for (let refusals = 0; ; refusals++) {
    // Measured up to the attempt the host accepted, not up to its first progress.
    const refusedMs = refusals === 0 ? 0 : performance.now() - t0;
    const outcome = await attemptStart(client, episodeId);
    if (outcome === 'started') return { refusedMs };
    if (!/already running/.test(outcome) || performance.now() - t0 > BUSY_RETRY_MS) throw new Error(`detect_track ended before its first progress: ${outcome}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// The window in Chromium: the real page, the real reload and close.

async function launchBrowser(): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) return null;
  // The flags of e2e/support.ts: headless, no sandbox (containers), no network chatter.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

interface BrowserRun {
  disrupt(kind: 'reload' | 'close'): Promise<void>;
  dispose(): Promise<void>;
}

/** Opens the episode in a fresh page, clicks Run, resolves once the bar shows real progress. */
async function startStageInBrowser(browser: Browser, h: HostProc): Promise<BrowserRun> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  const dispose = () => context.close().catch(() => undefined);
  try {
    await page.goto(h.url);
    await page.locator('li.episode-item', { hasText: EPISODE_NAME }).click();
    await page.getByRole('heading', { level: 1, name: EPISODE_NAME }).waitFor();
    await page.getByRole('button', { name: 'Run Detect & track' }).click();
    // aria-valuetext reads "starting" until the first stage:progress reaches the window. The
    // predicate runs in the page: given as source text, as this Node program has no DOM types.
    await page.waitForFunction(`/^\\d+ of \\d+/.test(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuetext') ?? '')`, undefined, {
      timeout: FIRST_PROGRESS_MS,
      polling: 100,
    });
  } catch (e) {
    await dispose();
    throw e;
  }
  return {
    disrupt: async (kind) => {
      if (kind === 'reload') await page.reload({ waitUntil: 'domcontentloaded' });
      else await page.close();
    },
    dispose,
  };
}

// ---------------------------------------------------------------------------------------------
// What is alive, what is on disk.

interface Tree {
  procs: ProcId[];
  /** Process groups the stage leads (it is spawned detached; its ffmpeg stays in its group). */
  groups: number[];
}

/** The stage's tree under a host right now (the stage and its ffmpeg). */
function snapshotTree(hostPid: number): Tree {
  const procs = descendants(hostPid)
    .map(procId)
    .filter((p): p is ProcId => p !== null);
  const own = processGroup(process.pid);
  const groups = [...new Set(procs.map((p) => processGroup(p.pid)).filter((g): g is number => g !== null && g !== own))];
  return { procs, groups };
}

/** Members of the tree still alive, including group members re-parented after the stage died. */
function aliveIn(tree: Tree): ProcId[] {
  const alive = new Map<number, ProcId>();
  for (const p of tree.procs) if (stillAlive(p)) alive.set(p.pid, p);
  for (const g of tree.groups) {
    for (const pid of groupMembers(g)) {
      const id = procId(pid);
      if (id) alive.set(pid, id);
    }
  }
  return [...alive.values()];
}

/** Waits up to boundMs for the tree to be gone; how long it took, or what is still alive. */
async function waitTreeGone(tree: Tree, boundMs: number): Promise<{ ms: number; alive: ProcId[] }> {
  const t0 = performance.now();
  for (;;) {
    const alive = aliveIn(tree);
    const ms = performance.now() - t0;
    if (alive.length === 0 || ms > boundMs) return { ms, alive };
    await sleep(25);
  }
}

interface Findings {
  tempFiles: string[];
  staleLocks: string[];
  runningRecords: string[];
}

/** Temp names (`*.tmp-<pid>`, `*.old-<pid>`, `thumbs.tmp-<pid>/`) in dir and below, relative. */
function tempNames(dir: string, depth = 2, rel = ''): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const r = path.join(rel, e.name);
    if (TEMP_NAME.test(e.name)) out.push(r);
    else if (e.isDirectory() && depth > 0) out.push(...tempNames(path.join(dir, e.name), depth - 1, r));
  }
  return out;
}

/** Lock files whose owner is gone. Read raw: the pipeline's own reader is what is under test. */
function staleLocks(outDir: string): string[] {
  const dir = path.join(outDir, 'locks');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.lock'));
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      const pid = (JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as { pid?: unknown }).pid;
      return typeof pid !== 'number' || isGone(pid);
    } catch {
      // manifest.lock is an empty mutex file: it exists only while a live writer holds it.
      return existsSync(path.join(dir, n));
    }
  });
}

/** Manifest records saying `running` whose process is gone. */
function stuckRecords(outDir: string): string[] {
  let manifest: { stages?: Record<string, { status?: string; pid?: number | null }> };
  try {
    manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch {
    return [];
  }
  return Object.entries(manifest.stages ?? {})
    .filter(([, r]) => r.status === 'running' && (r.pid == null || isGone(r.pid)))
    .map(([stage, r]) => `${stage} (pid ${r.pid ?? '?'})`);
}

function inspectFolder(outDir: string): Findings {
  return { tempFiles: tempNames(outDir), staleLocks: staleLocks(outDir), runningRecords: stuckRecords(outDir) };
}

interface HostSample {
  fds: number | null;
  rssMB: number | null;
  fdKinds: Record<string, number>;
}

/** fds and RSS of an idle host, after in-flight socket closes have settled. */
async function sampleHost(h: HostProc): Promise<HostSample> {
  let last = openFds(h.pid);
  // A socket the client just closed lingers a moment on the host's side: wait for two equal reads.
  for (let i = 0; i < 20; i++) {
    await sleep(150);
    const now = openFds(h.pid);
    if (now === last) break;
    last = now;
  }
  const rss = rssBytes(h.pid);
  return { fds: last, rssMB: rss === null ? null : Math.round(rss / 1e5) / 10, fdKinds: fdKinds(h.pid) };
}

const PROC_STAT = '/proc/<pid>/stat';

/**
 * The host's readings (host/readings/tree-sampler.ts) sample each stage pid with pidusage, which
 * keeps the pid's /proc/<pid>/stat open in its history until the entry expires. Those fds are
 * held, not lost, so growth is judged once they are gone: wait (bounded) for them to close.
 */
async function sampleSettled(h: HostProc, maxS: number): Promise<HostSample & { waitedS: number }> {
  const t0 = performance.now();
  while ((fdKinds(h.pid)[PROC_STAT] ?? 0) > 0 && performance.now() - t0 < maxS * 1000) await sleep(1000);
  return { ...(await sampleHost(h)), waitedS: Math.round((performance.now() - t0) / 1000) };
}

// ---------------------------------------------------------------------------------------------
// Cycles

type Kind = 'reload' | 'close' | 'host-kill';
type Via = 'ws' | 'browser';

interface CycleResult {
  kind: Kind;
  via: Via;
  firstProgressMs: number | null;
  stopMs: number | null;
  /** The stage's tree as it was at the first progress, for the final scan. */
  tree: Tree | null;
  /** Command names in that tree (the stage's node and its ffmpeg). */
  treeNames: string[];
  /** Temp files the stage had open when it was disrupted: the stop had something to clean. */
  tempAtStop: number;
  alive: ProcId[];
  findings: Findings;
  /** How long the host refused the start as "already running" (the previous run not yet forgotten). */
  refusedMs: number;
  /** Host-kill only: the stage's state as the new host reports it. */
  stateAfter?: string;
  error?: string;
}

interface Ctx {
  opts: Options;
  episodeId: string;
  episodeDir: string;
  outDir: string;
  dataDir: string;
  long: HostProc;
  victim: HostProc | null;
  browser: Browser | null;
  hostsStarted: number;
}

function planCycle(i: number, ctx: Ctx): { kind: Kind; via: Via } {
  const kind = (['reload', 'close', 'host-kill'] as const)[i % 3]!;
  const nth = Math.floor(i / 3);
  const browser = kind !== 'host-kill' && ctx.browser !== null && ctx.opts.browserEvery > 0 && nth % ctx.opts.browserEvery === 0;
  return { kind, via: browser ? 'browser' : 'ws' };
}

/** A spread of delays after the first progress, so stops land at different points of the work. */
function jitter(i: number, maxMs: number): number {
  return maxMs === 0 ? 0 : (i * 337) % (maxMs + 1);
}

/** Starts the stage on `h` by the chosen route; returns how to disrupt it and how to tidy up. */
interface Started {
  refusedMs: number;
  disrupt(kind: Kind): Promise<void>;
  dispose(): Promise<void>;
}

async function startOn(h: HostProc, via: Via, ctx: Ctx): Promise<Started> {
  if (via === 'browser') {
    const run = await startStageInBrowser(ctx.browser!, h);
    return { refusedMs: 0, disrupt: (k) => run.disrupt(k === 'reload' ? 'reload' : 'close'), dispose: run.dispose };
  }
  const client = await BridgeClient.open(h);
  let refusedMs: number;
  try {
    ({ refusedMs } = await startStageOverWs(client, ctx.episodeId));
  } catch (e) {
    // Closing the session kills whatever did start.
    client.terminate();
    throw e;
  }
  return {
    refusedMs,
    disrupt: async (k) => {
      if (k === 'reload') client.close();
      else if (k === 'close') client.terminate();
      else {
        h.child.kill('SIGKILL');
        await h.exited;
      }
    },
    dispose: async () => client.terminate(),
  };
}

async function runCycle(i: number, ctx: Ctx): Promise<CycleResult> {
  const { kind, via } = planCycle(i, ctx);
  const res: CycleResult = { kind, via, firstProgressMs: null, stopMs: null, tree: null, treeNames: [], tempAtStop: 0, refusedMs: 0, alive: [], findings: { tempFiles: [], staleLocks: [], runningRecords: [] } };
  if (kind === 'host-kill' && !ctx.victim) ctx.victim = await newHost(ctx);
  const h = kind === 'host-kill' ? ctx.victim! : ctx.long;
  const t0 = performance.now();
  let run;
  try {
    run = await startOn(h, via, ctx);
  } catch (e) {
    res.error = `start failed: ${(e as Error).message.split('\n')[0]}`;
    res.tree = snapshotTree(h.pid);
    res.alive = (await waitTreeGone(res.tree, ctx.opts.boundMs * 2)).alive;
    return res;
  }
  res.firstProgressMs = performance.now() - t0;
  res.refusedMs = run.refusedMs;
  const tree = snapshotTree(h.pid);
  res.tree = tree;
  res.treeNames = tree.procs.map((p) => path.basename(commandLine(p.pid)[0] ?? '?'));
  // Without the stage in the snapshot, "the tree is gone" would be true of nothing.
  if (!tree.procs.some((p) => commandLine(p.pid).some((a) => a.endsWith(path.join('cli', 'main.js'))))) res.error = 'no stage process found under the host at first progress';
  // Once, while the tree is alive: the final leak scan must be able to see what it looks for.
  if (i === 0 && scanLeaks([tree], ctx.episodeDir, [h]).length < tree.procs.length) res.error = 'the leak scan does not see a running stage tree';
  await sleep(jitter(i, ctx.opts.jitterMs));
  res.tempAtStop = tempNames(ctx.outDir).length;
  // The clock runs from the disruption itself: a browser reload takes a while to return.
  const disrupted = run.disrupt(kind).catch((e: unknown) => {
    res.error ??= `disruption failed: ${(e as Error).message.split('\n')[0]}`;
  });
  const gone = await waitTreeGone(tree, ctx.opts.boundMs);
  await disrupted;
  res.alive = gone.alive;
  res.stopMs = gone.alive.length === 0 ? gone.ms : null;
  res.findings = inspectFolder(ctx.outDir);
  await run.dispose();
  if (kind === 'host-kill') await replaceVictim(ctx, res);
  return res;
}

async function newHost(ctx: Ctx): Promise<HostProc> {
  ctx.hostsStarted++;
  return spawnHost(ctx.dataDir, ctx.opts.models);
}

/** After a host was killed: a new one on the same data dir must see the run as not running. */
async function replaceVictim(ctx: Ctx, res: CycleResult): Promise<void> {
  ctx.victim = await newHost(ctx);
  const client = await BridgeClient.open(ctx.victim);
  try {
    const list = await valueOf(client.invoke('library:list', undefined));
    res.stateAfter = list.find((e) => e.episodeId === ctx.episodeId)?.stages.detect_track ?? 'missing';
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Set-up, leak scan, report

function makeEpisode(workDir: string): string {
  const dir = path.join(workDir, EPISODE_NAME);
  mkdirSync(dir, { recursive: true });
  copyFileSync(mediaPath(VIDEO), path.join(dir, VIDEO));
  return dir;
}

async function addEpisode(h: HostProc, dir: string): Promise<string> {
  const client = await BridgeClient.open(h);
  try {
    const added = await valueOf(client.invoke('library:add', { paths: [dir] }));
    const ep = added.added[0];
    if (!ep) throw new Error(`the host refused ${dir}: ${added.rejected.map((r) => r.reason).join('; ')}`);
    return ep.episodeId;
  } finally {
    client.close();
  }
}

interface Leak {
  pid: number;
  comm: string;
  cmd: string;
}

function describePid(pid: number): Leak {
  const cmd = commandLine(pid);
  return { pid, comm: path.basename(cmd[0] ?? '?'), cmd: cmd.join(' ').slice(0, 200) };
}

/**
 * Stage processes still alive anywhere: recorded trees, their groups, anything naming the
 * episode folder, and node / ffmpeg / ffprobe under a live host or under this process.
 */
function scanLeaks(trees: Tree[], episodeDir: string, hosts: HostProc[]): Leak[] {
  const pids = new Set<number>();
  for (const t of trees) for (const p of aliveIn(t)) pids.add(p.pid);
  for (const p of pidsWithArg(episodeDir)) pids.add(p);
  const hostPids = new Set(hosts.map((h) => h.pid));
  const roots = [process.pid, ...hosts.filter((h) => !isGone(h.pid)).map((h) => h.pid)];
  for (const root of roots) {
    for (const p of descendants(root)) {
      if (hostPids.has(p)) continue;
      const name = path.basename(commandLine(p)[0] ?? '');
      if (/^(node|ffmpeg|ffprobe)$/.test(name)) pids.add(p);
    }
  }
  return [...pids].filter((p) => !isGone(p)).map(describePid);
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);
const pct = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]! : null);
const r0 = (v: number | null) => (v === null ? null : Math.round(v));

function countByRoute(results: CycleResult[]) {
  const n = (k: Kind, v?: Via) => results.filter((r) => r.kind === k && (v === undefined || r.via === v)).length;
  return {
    reload: { ws: n('reload', 'ws'), browser: n('reload', 'browser') },
    close: { ws: n('close', 'ws'), browser: n('close', 'browser') },
    hostKill: n('host-kill'),
  };
}

function logCycle(i: number, total: number, r: CycleResult): void {
  const f = r.findings;
  const dirty = [...f.tempFiles, ...f.staleLocks, ...f.runningRecords];
  const parts = [
    `[${i + 1}/${total}] ${r.kind}/${r.via}`,
    ...(r.refusedMs > 0 ? [`refused as already running for ${Math.round(r.refusedMs)} ms`] : []),
    r.firstProgressMs === null ? 'no start' : `first progress ${(r.firstProgressMs / 1000).toFixed(1)} s (${r.treeNames.join('+')})`,
    `${r.tempAtStop} temp files at stop`,
    r.alive.length > 0 ? `ALIVE ${r.alive.map((p) => p.pid).join(',')}` : r.stopMs === null ? 'no tree' : `tree gone in ${(r.stopMs / 1000).toFixed(2)} s`,
    dirty.length ? `LEFT ${dirty.join(', ')}` : 'clean',
  ];
  if (r.stateAfter) parts.push(`new host sees ${r.stateAfter}`);
  if (r.error) parts.push(`ERROR ${r.error}`);
  log(parts.join(', '));
}

function report(ctx: Ctx, results: CycleResult[], samples: Record<'start' | 'middle' | 'end', HostSample> & { settled: HostSample & { waitedS: number } }, leaks: Leak[], dataDirTemp: string[], seconds: number) {
  const stops = results.flatMap((r) => (r.stopMs === null ? [] : [r.stopMs]));
  const starts = results.flatMap((r) => (r.firstProgressMs === null ? [] : [r.firstProgressMs]));
  const refused = results.flatMap((r) => (r.refusedMs > 0 ? [r.refusedMs] : []));
  const sum = (f: (r: CycleResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const leakCounts = {
    processes: leaks.length,
    treesAliveAfterBound: results.filter((r) => r.alive.length > 0).length,
    tempFiles: sum((r) => r.findings.tempFiles.length),
    staleLocks: sum((r) => r.findings.staleLocks.length),
    runningRecords: sum((r) => r.findings.runningRecords.length) + results.filter((r) => r.stateAfter === 'running').length,
    dataDirTempFiles: dataDirTemp.length,
  };
  const fdGrowth = samples.settled.fds !== null && samples.start.fds !== null ? samples.settled.fds - samples.start.fds : null;
  const errors = results.flatMap((r, i) => (r.error ? [`cycle ${i + 1} (${r.kind}/${r.via}): ${r.error}`] : []));
  const ok = Object.values(leakCounts).every((v) => v === 0) && errors.length === 0 && fdGrowth !== null && fdGrowth <= ctx.opts.fdMargin;
  const dirty = results.flatMap((r, i) => {
    const f = r.findings;
    const items = [...f.tempFiles, ...f.staleLocks, ...f.runningRecords, ...r.alive.map((p) => `pid ${p.pid} alive`)];
    return items.length ? [`cycle ${i + 1} (${r.kind}/${r.via}): ${items.join(', ')}`] : [];
  });
  return {
    ok,
    cycles: results.length,
    byKind: countByRoute(results),
    totalSeconds: Math.round(seconds * 10) / 10,
    boundMs: ctx.opts.boundMs,
    leaks: leakCounts,
    longLivedHost: {
      fds: {
        start: samples.start.fds,
        middle: samples.middle.fds,
        end: samples.end.fds,
        endSettled: samples.settled.fds,
        settledAfterS: samples.settled.waitedS,
        growth: fdGrowth,
        allowed: ctx.opts.fdMargin,
      },
      procStatFdsHeld: { middle: samples.middle.fdKinds[PROC_STAT] ?? 0, end: samples.end.fdKinds[PROC_STAT] ?? 0, endSettled: samples.settled.fdKinds[PROC_STAT] ?? 0 },
      fdKinds: { start: samples.start.fdKinds, endSettled: samples.settled.fdKinds },
      rssMB: { start: samples.start.rssMB, middle: samples.middle.rssMB, end: samples.end.rssMB, endSettled: samples.settled.rssMB },
    },
    firstProgressMs: { median: r0(median(starts)), max: r0(starts.length ? Math.max(...starts) : null) },
    stopMs: { median: r0(median(stops)), p95: r0(pct(stops, 0.95)), max: r0(stops.length ? Math.max(...stops) : null) },
    stoppedWhileWritingTemp: results.filter((r) => r.tempAtStop > 0).length,
    refusedAsAlreadyRunning: { cycles: refused.length, maxMs: r0(refused.length ? Math.max(...refused) : null) },
    stateSeenByNewHost: tally(results.flatMap((r) => (r.stateAfter ? [r.stateAfter] : []))),
    hostsStarted: ctx.hostsStarted,
    load: os.loadavg().map((v) => Math.round(v * 100) / 100),
    errors: errors.slice(0, 10),
    leftBehind: [...dirty.slice(0, 20), ...dataDirTemp.map((t) => `data dir: ${t}`)],
    leakedProcesses: leaks.slice(0, 20),
  };
}

function tally(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

async function main(): Promise<number> {
  const opts = readOptions();
  if (!opts) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  for (const f of [SERVE_JS, mediaPath(VIDEO), opts.models]) {
    if (!existsSync(f)) throw new Error(`missing ${f} (build with npm run build; media and models live in ../shared)`);
  }
  const t0 = performance.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'screentime-soak-'));
  const dataDir = path.join(workDir, 'data');
  const episodeDir = makeEpisode(workDir);
  log(`work dir ${workDir}; ${opts.cycles} cycles`);

  const long = await spawnHost(dataDir, opts.models);
  const ctx: Ctx = { opts, episodeId: '', episodeDir, outDir: path.join(episodeDir, 'screentime'), dataDir, long, victim: null, browser: null, hostsStarted: 1 };
  ctx.episodeId = await addEpisode(long, episodeDir);
  ctx.browser = opts.browserEvery > 0 ? await launchBrowser() : null;
  if (opts.browserEvery > 0 && !ctx.browser) log(`no ${CHROMIUM}: every cycle uses the ws client`);

  const none: HostSample = { fds: null, rssMB: null, fdKinds: {} };
  const samples = { start: await sampleHost(long), middle: none, end: none };
  const results: CycleResult[] = [];
  const loopT0 = performance.now();
  for (let i = 0; i < opts.cycles; i++) {
    const r = await runCycle(i, ctx);
    results.push(r);
    logCycle(i, opts.cycles, r);
    if (i + 1 === Math.ceil(opts.cycles / 2)) samples.middle = await sampleHost(long);
  }
  const cyclesSeconds = Math.round((performance.now() - loopT0) / 100) / 10;
  samples.end = await sampleHost(long);
  log(`holding ${samples.end.fdKinds[PROC_STAT] ?? 0} ${PROC_STAT} fds; waiting up to ${opts.settleS} s for them to close`);
  const settled = await sampleSettled(long, opts.settleS);

  // Idle hosts first (nothing may run under them), then again once everything is closed.
  // Idle hosts first: a stage still under one outlived its session, even if closing the host
  // would kill it. Then again once hosts and browser are closed, for anything re-parented.
  const trees = results.flatMap((r) => (r.tree ? [r.tree] : []));
  const hosts = [long, ...(ctx.victim ? [ctx.victim] : [])];
  const leaksIdle = scanLeaks(trees, episodeDir, hosts);
  await ctx.browser?.close();
  const hostsHung = (await Promise.all(hosts.map(stopHost))).filter((ok) => !ok).length;
  await sleep(500);
  const leaks = [...new Map([...leaksIdle, ...scanLeaks(trees, episodeDir, [])].map((l) => [l.pid, l])).values()];
  const final = inspectFolder(ctx.outDir);
  const out = { ...report(ctx, results, { ...samples, settled }, leaks, tempNames(dataDir, 1), (performance.now() - t0) / 1000), cyclesSeconds, hostsHung, finalFolder: final, workDir: null as string | null };
  out.ok = out.ok && hostsHung === 0 && final.tempFiles.length + final.staleLocks.length + final.runningRecords.length === 0;
  const clean = out.ok;
  if (opts.keep || !clean) out.workDir = workDir;
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  if (opts.keep || !clean) log(`kept ${workDir} for inspection`);
  else rmSync(workDir, { recursive: true, force: true });
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(e instanceof UsageError ? e.message : `soak failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(2);
  },
);
