#!/usr/bin/env node
// Offline packaging check for CI: runs electron-builder for an unpacked Linux app against a stub
// Electron (no download), then lists app.asar and fails unless the app's entry points are inside
// and the native modules are unpacked beside it. Needs `npm run build` first.
//
//   node build/check-package.mjs [--keep]
//
// Exit 0 = the package would start the right files; 1 = something is missing (printed).

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
/** Other platforms' native binaries must not ride along in a Linux package. */
export const FORBIDDEN_UNPACKED = ['node_modules/onnxruntime-node/bin/napi-v6/darwin', 'node_modules/onnxruntime-node/bin/napi-v6/win32'];
/** Things that must NOT ship: sources, tests, maps. */
export const FORBIDDEN_IN_ASAR = [/^\/(host|electron|pipeline|shared|renderer|queue|e2e|test-support)\/.*\.tsx?$/, /^\/dist\/.*\.test\.js$/, /^\/dist\/.*\.map$/, /^\/build\//];

function fail(msg) {
  console.error(`check-package: ${msg}`);
  process.exitCode = 1;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return r;
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
  if (!process.exitCode) console.log('check-package: OK');
} finally {
  if (keep) console.log(`check-package: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
