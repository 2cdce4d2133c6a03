import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_BYTES, type SampleRow } from '../../shared/artifacts.js';
import { EXIT } from '../../shared/stages.js';
import { SampleFile, samplesByTrack } from './faces-embed-samples.js';

const row = (sample_idx: number, track_id: number): SampleRow => ({
  sample_idx, track_id, frame_idx: sample_idx * 4, ts: sample_idx * 0.16, quality: 0.5, conf: 0.9, face_px: 60,
  bbox: [0, 0, 60, 60], landmarks: [[70, 80], [120, 80], [96, 105], [75, 130], [117, 130]], crop_box: [-30, -30, 90, 90],
});

describe('samplesByTrack', () => {
  it('groups samples per track in the order of tracks.jsonl and leaves out tracks without samples', () => {
    const samples = [row(0, 3), row(1, 1), row(2, 3), row(3, 1)];
    const groups = samplesByTrack(samples, [{ track_id: 1 }, { track_id: 2 }, { track_id: 3 }]);
    expect(groups.map((g) => [g.trackId, g.rows.map((r) => r.sample_idx)])).toEqual([[1, [1, 3]], [3, [0, 2]]]);
  });

  it('samples of a track tracks.jsonl does not list are not embedded', () => {
    expect(samplesByTrack([row(0, 9)], [{ track_id: 1 }])).toEqual([]);
  });
});

describe('SampleFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'screentime-samples-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a samples.rgb shorter than the samples listed, as bad input', async () => {
    const bin = path.join(dir, 'short.rgb');
    writeFileSync(bin, Buffer.alloc(SAMPLE_BYTES * 2 - 1));
    await expect(SampleFile.open(bin, 2)).rejects.toMatchObject({ exitCode: EXIT.BAD_INPUT, message: expect.stringMatching(/samples.rgb has 221183 bytes, samples.jsonl lists 2 samples/) });
  });

  it('aligns a sample read by its offset to a 150x150 chip', async () => {
    const bin = path.join(dir, 'two.rgb');
    const bytes = Buffer.alloc(SAMPLE_BYTES * 2);
    bytes.fill(200, SAMPLE_BYTES); // sample 1 is light grey, sample 0 black
    writeFileSync(bin, bytes);
    const file = await SampleFile.open(bin, 2);
    try {
      const mean = (c: Uint8Array) => c.reduce((a, v) => a + v, 0) / c.length;
      const light = await file.alignedChip(row(1, 0));
      expect(light.length).toBe(150 * 150 * 3);
      expect(mean(light)).toBeGreaterThan(150);
      expect(mean(await file.alignedChip(row(0, 0)))).toBe(0);
      await expect(file.alignedChip(row(2, 0))).rejects.toMatchObject({ exitCode: EXIT.BAD_INPUT, message: 'samples.rgb ends before sample 2' });
    } finally {
      await file.close();
    }
  });
});
