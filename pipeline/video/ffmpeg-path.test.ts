import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ffmpegPath, ffprobePath, locateTool, packagedResources, platformPackage, resolveTool, type Machine } from './ffmpeg-path.js';
import { probeVideo } from './probe.js';
import { FrameDecoder } from './decode.js';
import { mediaPath, missing } from '../../test-support/shared-data.js';

const CHECKOUT = '/work/app/dist/pipeline/video/ffmpeg-path.js';
const PACKAGED = '/opt/Screentime/resources/app.asar/dist/pipeline/video/ffmpeg-path.js';

/** A machine where the listed packages are installed under /work/app/node_modules and the listed files run. */
function machine(o: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; moduleFile?: string; packages?: string[]; runnable?: string[] }): Machine {
  const packages = new Set(o.packages ?? []);
  const runnable = new Set(o.runnable ?? []);
  return {
    env: o.env ?? {},
    platform: o.platform ?? 'linux',
    arch: 'x64',
    moduleFile: o.moduleFile ?? CHECKOUT,
    resolvePackage: (_installer, pkg) => (packages.has(pkg) ? path.join('/work/app/node_modules', pkg, 'package.json') : null),
    isExecutable: (f) => runnable.has(f),
  };
}

describe('which ffmpeg / ffprobe runs', () => {
  const npmFfmpeg = '/work/app/node_modules/@ffmpeg-installer/linux-x64/ffmpeg';
  const npmFfprobe = '/work/app/node_modules/@ffprobe-installer/linux-x64/ffprobe';

  it('names the per-platform package the installers ship', () => {
    expect(platformPackage('ffmpeg', 'linux', 'x64')).toBe('@ffmpeg-installer/linux-x64');
    expect(platformPackage('ffprobe', 'darwin', 'arm64')).toBe('@ffprobe-installer/darwin-arm64');
    expect(platformPackage('ffmpeg', 'win32', 'x64')).toBe('@ffmpeg-installer/win32-x64');
  });

  it('finds the resources folder of a packaged app from a file inside app.asar', () => {
    expect(packagedResources(PACKAGED)).toBe('/opt/Screentime/resources');
    expect(packagedResources('C:\\Programs\\Screentime\\resources\\app.asar\\dist\\pipeline\\video\\ffmpeg-path.js')).toBe('C:\\Programs\\Screentime\\resources');
    expect(packagedResources(CHECKOUT)).toBeNull();
    expect(packagedResources('/opt/Screentime/resources/app.asar.unpacked/x.js')).toBeNull();
  });

  it('prefers the environment, then the shipped build, then PATH', () => {
    const packages = ['@ffmpeg-installer/linux-x64'];
    expect(resolveTool('ffmpeg', machine({ env: { SCREENTIME_FFMPEG: '/opt/ff/ffmpeg' }, packages, runnable: [npmFfmpeg] }))).toBe('/opt/ff/ffmpeg');
    expect(resolveTool('ffmpeg', machine({ packages, runnable: [npmFfmpeg] }))).toBe(npmFfmpeg);
    expect(resolveTool('ffmpeg', machine({}))).toBe('ffmpeg');
    expect(resolveTool('ffmpeg', machine({ platform: 'win32' }))).toBe('ffmpeg.exe');
  });

  it('says where the file came from (the setup check shows it)', () => {
    const packages = ['@ffmpeg-installer/linux-x64', '@ffprobe-installer/linux-x64'];
    const runnable = [npmFfmpeg, '/opt/ff/ffprobe'];
    expect(locateTool('ffmpeg', machine({ env: { SCREENTIME_FFMPEG: 'ffmpeg' }, packages, runnable }))).toEqual({ file: 'ffmpeg', source: 'env' });
    // An ffprobe found beside an explicit ffmpeg counts as chosen by the environment too.
    expect(locateTool('ffprobe', machine({ env: { SCREENTIME_FFMPEG: '/opt/ff/ffmpeg' }, packages, runnable }))).toEqual({ file: '/opt/ff/ffprobe', source: 'env' });
    expect(locateTool('ffmpeg', machine({ packages, runnable }))).toEqual({ file: npmFfmpeg, source: 'bundled' });
    expect(locateTool('ffmpeg', machine({ packages }))).toEqual({ file: 'ffmpeg', source: 'path' });
  });

  it('runs the packaged app its own copy in <resources>/bin', () => {
    const bin = '/opt/Screentime/resources/bin/ffprobe';
    expect(resolveTool('ffprobe', machine({ moduleFile: PACKAGED, runnable: [bin] }))).toBe(bin);
    // An app packaged without the copy still works where the machine has ffmpeg.
    expect(resolveTool('ffprobe', machine({ moduleFile: PACKAGED }))).toBe('ffprobe');
  });

  it('finds ffprobe beside an explicit ffmpeg before the shipped one', () => {
    const m = (env: NodeJS.ProcessEnv) => machine({ env, packages: ['@ffprobe-installer/linux-x64'], runnable: [npmFfprobe, '/opt/ff/ffprobe'] });
    expect(resolveTool('ffprobe', m({ SCREENTIME_FFPROBE: '/x/ffprobe', SCREENTIME_FFMPEG: '/opt/ff/ffmpeg' }))).toBe('/x/ffprobe');
    expect(resolveTool('ffprobe', m({ SCREENTIME_FFMPEG: '/opt/ff/ffmpeg' }))).toBe('/opt/ff/ffprobe');
    // A bare name is looked up on PATH by the spawn; nothing can be said about what is beside it.
    expect(resolveTool('ffprobe', m({ SCREENTIME_FFMPEG: 'ffmpeg' }))).toBe(npmFfprobe);
    expect(resolveTool('ffprobe', m({ SCREENTIME_FFMPEG: '/elsewhere/ffmpeg' }))).toBe(npmFfprobe);
  });

  it('falls back to PATH when the shipped binary is missing or not executable', () => {
    // A platform the installers do not ship (no package), and an install that skipped the chmod.
    expect(resolveTool('ffprobe', machine({ platform: 'freebsd' }))).toBe('ffprobe');
    expect(resolveTool('ffprobe', machine({ packages: ['@ffprobe-installer/linux-x64'], runnable: [] }))).toBe('ffprobe');
  });

  it('uses .exe names on Windows', () => {
    const exe = path.join('/work/app/node_modules', '@ffmpeg-installer/win32-x64', 'ffmpeg.exe');
    expect(resolveTool('ffmpeg', machine({ platform: 'win32', packages: ['@ffmpeg-installer/win32-x64'], runnable: [exe] }))).toBe(exe);
  });
});

describe('the binaries this checkout resolves', () => {
  // `npm ci` installs the build for this platform; an override in the environment wins over it.
  const explicit = process.env.SCREENTIME_FFMPEG !== undefined || process.env.SCREENTIME_FFPROBE !== undefined;
  const HAM = mediaPath('short_hamilton_clip.mp4');

  it.skipIf(explicit)('are the shipped ffmpeg and ffprobe, and they run', () => {
    const ff = ffmpegPath();
    const probe = ffprobePath();
    expect(ff).toContain(`${path.sep}@ffmpeg-installer${path.sep}`);
    expect(probe).toContain(`${path.sep}@ffprobe-installer${path.sep}`);
    for (const bin of [ff, probe]) {
      const r = spawnSync(bin, ['-version'], { encoding: 'utf8' });
      expect(r.status, `${bin} -version`).toBe(0);
      expect(r.stdout).toMatch(/^ff(mpeg|probe) version /);
    }
  });

  it.skipIf(explicit || missing(HAM) !== null)(`probe and decode on a machine without ffmpeg on PATH ${missing(HAM) ?? ''}`, async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const facts = await probeVideo(HAM);
      expect(facts.frame_count).toBe(275);
      const dec = new FrameDecoder({ videoPath: HAM, width: 64, height: 36, stride: 25, decoderThreads: 1 });
      let n = 0;
      for await (const f of dec.frames()) n += f.frameIdx >= 0 ? 1 : 0;
      expect(n).toBe(11);
      expect(dec.tinyFrames).toBe(275);
    } finally {
      process.env.PATH = saved;
    }
  });
});
