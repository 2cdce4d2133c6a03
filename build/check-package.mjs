#!/usr/bin/env node
// Offline packaging check for CI: runs electron-builder for an unpacked Linux app against a stub
// Electron (no download), then lists app.asar and fails unless the app's entry points are inside,
// the native modules are unpacked beside it, and resources/bin holds the shipped ffmpeg and
// ffprobe, runnable by any user and the ones the packaged pipeline picks. Needs `npm run build`
// first.
//
//   node build/check-package.mjs [--keep]
//
// Exit 0 = the package would start the right files; 1 = something is missing (printed).

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ELECTRON_VERSION = '41.7.0';
const keep = process.argv.includes('--keep');

/** Files that must be inside app.asar for the app to start. */
export const REQUIRED_IN_ASAR = [
  '/package.json',
  '/dist/electron/main.js',
  '/dist/electron/preload.cjs',
  '/dist/renderer/index.html',
  '/dist/pipeline/cli/main.js',
  '/dist/host/bridge/dispatch.js',
  '/dist/shared/ipc.js',
];
/** Native parts that must be real files next to the asar (dlopen cannot read inside it). */
export const REQUIRED_UNPACKED = [
  'node_modules/onnxruntime-node/package.json',
  'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
  'node_modules/sharp/package.json',
];
/** The shipped decoders, relative to resources/ (extraResources; pipeline/video/ffmpeg-path.ts). */
export const SHIPPED_BINARIES = ['bin/ffmpeg', 'bin/ffprobe'];
/** Other platforms' native binaries must not ride along in a Linux package. */
export const FORBIDDEN_UNPACKED = ['node_modules/onnxruntime-node/bin/napi-v6/darwin', 'node_modules/onnxruntime-node/bin/napi-v6/win32'];
/** Things that must NOT ship: sources, tests, maps. */
export const FORBIDDEN_IN_ASAR = [
  /^\/(host|electron|pipeline|shared|renderer|queue|e2e|test-support)\/.*\.tsx?$/,
  /^\/dist\/.*\.test\.js$/,
  /^\/dist\/.*\.map$/,
  /^\/build\//,
  // The ffmpeg packages ship once, in resources/bin, not a second time inside the archive.
  /^\/node_modules\/@ff(mpeg|probe)-installer\//,
  // A dependency's stray .env must never ship (@ffmpeg-installer/ffmpeg publishes one).
  /\/\.env$/,
];

function fail(msg) {
  console.error(`check-package: ${msg}`);
  process.exitCode = 1;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return r;
}

/** Each shipped binary is a file any user may run, and runs; returns their version lines. */
function checkShippedBinaries(resources) {
  const versions = [];
  for (const f of SHIPPED_BINARIES) {
    const file = path.join(resources, f);
    if (!existsSync(file)) {
      fail(`not shipped: resources/${f}`);
      continue;
    }
    // An AppImage is mounted read-only and owned by someone else: owner-only x would not do.
    if ((statSync(file).mode & 0o111) !== 0o111) fail(`not executable by every user: ${f}`);
    const v = run(file, ['-version']);
    if (v.status !== 0) fail(`${f} -version failed: ${v.stderr.slice(0, 200)}`);
    else versions.push(v.stdout.split('\n')[0]);
  }
  return versions;
}

/** The packaged files that ffmpeg-path.js needs to run: itself, and package.json (an ES module). */
const RESOLUTION_FILES = ['package.json', 'dist/pipeline/video/ffmpeg-path.js'];

/**
 * Loads the packaged pipeline's ffmpeg-path.js from a copy laid out as the app sees it (a folder
 * named app.asar beside the real resources/bin) and checks that it picks the shipped binaries, as
 * the stage CLI does under Electron, with no override in the environment.
 */
function checkResolution(asarFile, realResources, work) {
  const resources = path.join(work, 'mirror', 'resources');
  const asar = createRequire(import.meta.url)('@electron/asar');
  for (const f of RESOLUTION_FILES) {
    const to = path.join(resources, 'app.asar', f);
    mkdirSync(path.dirname(to), { recursive: true });
    writeFileSync(to, asar.extractFile(asarFile, f));
  }
  symlinkSync(path.join(realResources, 'bin'), path.join(resources, 'bin'));
  const module = path.join(resources, 'app.asar', 'dist', 'pipeline', 'video', 'ffmpeg-path.js');
  const script = `const m = await import(${JSON.stringify(pathToFileURL(module).href)}); console.log(JSON.stringify([m.ffmpegPath(), m.ffprobePath()]));`;
  const env = { ...process.env };
  delete env.SCREENTIME_FFMPEG;
  delete env.SCREENTIME_FFPROBE;
  const out = run(process.execPath, ['--input-type=module', '-e', script], { env });
  if (out.status !== 0) return fail(`loading the packaged ffmpeg-path.js failed: ${out.stderr.slice(0, 400)}`);
  const got = JSON.parse(out.stdout.trim());
  const want = SHIPPED_BINARIES.map((f) => path.join(resources, f));
  for (const [i, w] of want.entries()) if (got[i] !== w) fail(`the packaged pipeline resolves ${got[i]}, expected ${w}`);
}

const missingBuild = ['dist/electron/main.js', 'dist/electron/preload.cjs', 'dist/renderer/index.html', 'dist/pipeline/cli/main.js'].filter(
  (f) => !existsSync(path.join(ROOT, f)),
);
if (missingBuild.length) {
  fail(`not built: ${missingBuild.join(', ')} (run npm run build first)`);
  process.exit(1);
}

const work = mkdtempSync(path.join(tmpdir(), 'screentime-pack-'));
const stub = path.join(work, 'electron-dist');
const out = path.join(work, 'out');
try {
  // A stand-in for the Electron binary: electron-builder only copies and renames it.
  run('mkdir', ['-p', stub]);
  writeFileSync(path.join(stub, 'electron'), '#!/bin/sh\necho "stub electron: packaging check only" >&2\nexit 1\n');
  chmodSync(path.join(stub, 'electron'), 0o755);
  writeFileSync(path.join(stub, 'version'), `v${ELECTRON_VERSION}`);
  writeFileSync(path.join(stub, 'LICENSE'), 'stub');

  const builder = path.join(ROOT, 'node_modules', 'electron-builder', 'cli.js');
  const args = [
    builder,
    '--dir',
    '--linux',
    '--publish',
    'never',
    `-c.electronDist=${stub}`,
    `-c.electronVersion=${ELECTRON_VERSION}`,
    `-c.directories.output=${out}`,
  ];
  console.log(`check-package: electron-builder ${args.slice(1).join(' ')}`);
  const b = run(process.execPath, args, { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' } });
  if (b.status !== 0) {
    console.error(b.stdout.slice(-4000));
    console.error(b.stderr.slice(-4000));
    fail(`electron-builder failed (exit ${b.status})`);
    process.exit(1);
  }

  const resources = path.join(out, 'linux-unpacked', 'resources');
  const asarFile = path.join(resources, 'app.asar');
  if (!existsSync(asarFile)) {
    fail(`no ${asarFile}`);
    process.exit(1);
  }
  const asarCli = path.join(ROOT, 'node_modules', '@electron', 'asar', 'bin', 'asar.js');
  const asarBin = existsSync(asarCli) ? [process.execPath, [asarCli]] : ['npx', ['--no-install', '@electron/asar']];
  const l = run(asarBin[0], [...asarBin[1], 'list', asarFile]);
  if (l.status !== 0) {
    fail(`asar list failed: ${l.stderr}`);
    process.exit(1);
  }
  const entries = new Set(l.stdout.split('\n').map((s) => s.trim().replaceAll('\\', '/')).filter(Boolean));
  for (const f of REQUIRED_IN_ASAR) if (!entries.has(f)) fail(`missing from app.asar: ${f}`);
  for (const e of entries) for (const re of FORBIDDEN_IN_ASAR) if (re.test(e)) fail(`should not ship: ${e}`);
  for (const f of REQUIRED_UNPACKED) if (!existsSync(path.join(resources, 'app.asar.unpacked', f))) fail(`not unpacked: ${f}`);
  for (const f of FORBIDDEN_UNPACKED) if (existsSync(path.join(resources, 'app.asar.unpacked', f))) fail(`should not ship in a Linux package: ${f}`);
  const ffmpegVersions = checkShippedBinaries(resources);
  checkResolution(asarFile, resources, work);
  if (!existsSync(path.join(resources, 'icons', 'tray.png'))) fail('missing resources/icons/tray.png');
  const models = readdirSync(path.join(ROOT, 'build', 'models')).filter((f) => f.endsWith('.onnx'));
  for (const m of models) if (!existsSync(path.join(resources, 'models', m))) fail(`model not shipped: ${m}`);
  const exe = path.join(out, 'linux-unpacked', 'screentime');
  if (!existsSync(exe)) fail('no linux-unpacked/screentime executable');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  if (pkg.main !== 'dist/electron/main.js') fail(`package.json main is ${pkg.main}, expected dist/electron/main.js`);

  const unpacked = run('du', ['-sk', resources]).stdout.split('\t')[0];
  console.log(
    `check-package: ${entries.size} entries in app.asar; resources ${Math.round(Number(unpacked) / 1024)} MB; ` +
      `models shipped: ${models.length ? models.join(', ') : 'none (build/models is empty)'}`,
  );
  for (const v of ffmpegVersions) console.log(`check-package: shipped ${v}`);
  if (!process.exitCode) console.log('check-package: OK');
} finally {
  if (keep) console.log(`check-package: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
