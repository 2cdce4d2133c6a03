// Where the ffmpeg and ffprobe binaries come from, in one place. First found wins:
//   1. SCREENTIME_FFMPEG / SCREENTIME_FFPROBE (for ffprobe also: the ffprobe beside an explicit
//      ffmpeg), so a user or a test can always pick a binary;
//   2. the build shipped with the app. Its source is the npm packages
//      @ffmpeg-installer/<platform>-<arch> and @ffprobe-installer/<platform>-<arch>, pinned in
//      package.json: a packaged app carries them in <resources>/bin/ (electron-builder.yml), and
//      a checkout (`npm start`, the CLI, CI) runs them from node_modules. They come before PATH so
//      that every machine decodes with the binary CI tests, whatever ffmpeg (or none) it has;
//   3. the names on PATH, for platforms without a shipped build.
// Paths are passed to execa as the file argument, never through a shell.

import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Tool = 'ffmpeg' | 'ffprobe';

/** The npm package whose optional dependencies pick each tool's per-platform package. */
const INSTALLER: Record<Tool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

/** What resolution reads from the machine; injected so the order can be tested without files. */
export interface Machine {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: string;
  /** This module's own file: inside resources/app.asar when the app is packaged. */
  moduleFile: string;
  /** Absolute path of a package's package.json, as seen from the installer package; null if absent. */
  resolvePackage: (installer: string, pkg: string) => string | null;
  isExecutable: (file: string) => boolean;
}

export function exeName(tool: Tool, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${tool}.exe` : tool;
}

/** `@ffmpeg-installer/linux-x64` and the like: the package that holds this platform's binary. */
export function platformPackage(tool: Tool, platform: NodeJS.Platform, arch: string): string {
  return `${INSTALLER[tool].split('/')[0]}/${platform}-${arch}`;
}

/**
 * The resources folder of a packaged app, from a file inside its app.asar; null elsewhere. Taken
 * from the module's own path because a stage runs under ELECTRON_RUN_AS_NODE, where nothing
 * promises process.resourcesPath.
 */
export function packagedResources(moduleFile: string): string | null {
  const m = /^(.*)[\\/]app\.asar[\\/]/.exec(moduleFile);
  return m ? m[1]! : null;
}

/**
 * The packaged app's copy. electron-builder copies it there (extraResources) rather than
 * unpacking it beside app.asar: its copy makes a binary executable by every user, while an
 * unpacked file keeps the package's mode, and the ffprobe packages are rwxr--r--, which a user
 * cannot run from a root-owned AppImage.
 */
function inResources(tool: Tool, m: Machine): string | null {
  const resources = packagedResources(m.moduleFile);
  if (!resources) return null;
  const file = path.join(resources, 'bin', exeName(tool, m.platform));
  return m.isExecutable(file) ? file : null;
}

/** The copy npm installed for this platform (a checkout). */
function inNodeModules(tool: Tool, m: Machine): string | null {
  const manifest = m.resolvePackage(INSTALLER[tool], platformPackage(tool, m.platform, m.arch));
  if (!manifest) return null;
  const file = path.join(path.dirname(manifest), exeName(tool, m.platform));
  // Not executable: the package's postinstall (chmod) did not run, e.g. npm --ignore-scripts.
  return m.isExecutable(file) ? file : null;
}

/** The shipped binary of a tool, or null when there is none that can run. */
export function shippedPath(tool: Tool, m: Machine): string | null {
  return inResources(tool, m) ?? inNodeModules(tool, m);
}

/** An explicit ffmpeg usually has its ffprobe beside it. */
function besideExplicitFfmpeg(m: Machine): string | null {
  const ff = m.env.SCREENTIME_FFMPEG;
  if (!ff || !path.isAbsolute(ff)) return null;
  const beside = path.join(path.dirname(ff), exeName('ffprobe', m.platform));
  return m.isExecutable(beside) ? beside : null;
}

function explicitPath(tool: Tool, m: Machine): string | null {
  const own = tool === 'ffmpeg' ? m.env.SCREENTIME_FFMPEG : m.env.SCREENTIME_FFPROBE;
  if (own) return own;
  return tool === 'ffprobe' ? besideExplicitFfmpeg(m) : null;
}

/** Where the file to run came from: the environment, the build shipped with the app, or PATH. */
export type ToolSource = 'env' | 'bundled' | 'path';

/** The file to run for a tool and where it came from; for `path` the file is the bare name. */
export function locateTool(tool: Tool, m: Machine): { file: string; source: ToolSource } {
  const explicit = explicitPath(tool, m);
  if (explicit) return { file: explicit, source: 'env' };
  const shipped = shippedPath(tool, m);
  if (shipped) return { file: shipped, source: 'bundled' };
  return { file: exeName(tool, m.platform), source: 'path' };
}

/** The file to run for a tool: explicit, else shipped, else the bare name for a PATH lookup. */
export function resolveTool(tool: Tool, m: Machine): string {
  return locateTool(tool, m).file;
}

const require = createRequire(import.meta.url);

/** Resolves from the installer package, where npm puts its platform package (hoisted or nested). */
function resolvePackage(installer: string, pkg: string): string | null {
  try {
    const from = require.resolve(`${installer}/package.json`);
    return createRequire(from).resolve(`${pkg}/package.json`);
  } catch {
    return null;
  }
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** This process's machine, for callers that resolve tools with another environment. */
export function thisMachine(): Machine {
  return {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    moduleFile: fileURLToPath(import.meta.url),
    resolvePackage,
    isExecutable,
  };
}

export function ffmpegPath(): string {
  return resolveTool('ffmpeg', thisMachine());
}

export function ffprobePath(): string {
  return resolveTool('ffprobe', thisMachine());
}
