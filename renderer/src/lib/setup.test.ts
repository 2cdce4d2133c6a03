import { describe, expect, it } from 'vitest';
import type { ModelCheck, SetupCheck, ToolCheck } from '../../../shared/ipc.js';
import { modelRow, setupSummary, setupTone, shortVersion, toolRow } from './setup.js';

const ffmpeg: ToolCheck = {
  tool: 'ffmpeg',
  source: 'bundled',
  path: '/app/node_modules/@ffmpeg-installer/linux-x64/ffmpeg',
  version: 'ffmpeg version N-47683-g0e8eb07980-static',
  state: 'ok',
  problem: null,
  fix: null,
};

const detector: ModelCheck = {
  file: 'yunet_n_dynamic.onnx',
  description: 'YuNet face detector (n), dynamic input size',
  stage: 'detect_track',
  kind: 'folder',
  lookedIn: ['/home/me/.cache/screentime/models'],
  path: null,
  present: false,
  verified: false,
  downloadsOnFirstUse: true,
  downloadDir: '/home/me/.cache/screentime/models',
  state: 'will_download',
  problem: 'Not on this computer yet',
  fix: 'Nothing to do on a computer that is online.',
};

const check = (models: ModelCheck[], tools: ToolCheck[] = [ffmpeg]): SetupCheck => ({ ok: [...tools, ...models].every((r) => r.state === 'ok'), tools, models });

describe('setup check wording', () => {
  it('says where a tool came from and which version it is', () => {
    const row = toolRow(ffmpeg);
    expect(row.details).toEqual([
      ['Source', 'shipped with the app'],
      ['File', ffmpeg.path],
      ['Version', ffmpeg.version],
    ]);
    expect(toolRow({ ...ffmpeg, tool: 'ffprobe', source: 'env' }).details[0]).toEqual(['Source', 'set by SCREENTIME_FFPROBE']);
    expect(shortVersion('ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers')).toBe('ffmpeg version 5.1.6-0+deb12u1');
    expect(shortVersion('ffmpeg version 7.0')).toBe('ffmpeg version 7.0');
  });

  it('says where a missing model was looked for and that it downloads on first use', () => {
    const row = modelRow(detector);
    expect(row.details).toContainEqual(['Looked in', '/home/me/.cache/screentime/models']);
    expect(row.details).toContainEqual(['Checksum', 'not checked (no file)']);
    expect(row.details).toContainEqual(['Download', 'on first use, into /home/me/.cache/screentime/models']);
    expect(row.details).toContainEqual(['Needed by', 'Detect & track']);
    const wrong = modelRow({ ...detector, path: '/m/yunet_n_dynamic.onnx', present: true, downloadsOnFirstUse: false, downloadDir: null, state: 'wrong_checksum' });
    expect(wrong.details).toContainEqual(['File', '/m/yunet_n_dynamic.onnx']);
    expect(wrong.details).toContainEqual(['Checksum', 'sha256 does not match the pinned one']);
    // A model that is there needs no download line.
    expect(modelRow({ ...detector, path: '/m/yunet_n_dynamic.onnx', present: true, verified: true, downloadsOnFirstUse: false, downloadDir: null, state: 'ok' }).details.map(([k]) => k)).toEqual(['Needed by', 'File', 'Checksum']);
  });

  it('colours and sums up the states', () => {
    expect(setupTone('ok')).toBe('ok');
    expect(setupTone('will_download')).toBe('info');
    expect(setupTone('wrong_checksum')).toBe('bad');
    expect(setupSummary(null)).toBe('Not checked yet.');
    expect(setupSummary(check([{ ...detector, state: 'ok' }]))).toBe('ffmpeg, ffprobe and every model: OK.');
    expect(setupSummary(check([detector]))).toBe('One model is downloaded on the first run.');
    expect(setupSummary(check([detector], [{ ...ffmpeg, state: 'missing' }]))).toBe('2 items need attention.');
  });
});
