// docs/pipeline.md repeats numbers that live in code; this keeps the two in step.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, PROFILES } from '../../shared/stages.js';
import { REPO_ROOT } from '../../test-support/shared-data.js';
import { profileDefaults } from '../detect/profiles.js';
import { MODELS } from '../models/registry.js';

const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'pipeline.md'), 'utf8');

describe('docs/pipeline.md', () => {
  it('profile table matches profileDefaults()', () => {
    for (const p of PROFILES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${p}\` |`));
      expect(row, p).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      const strides = [25, 29.97, 60].map((f) => profileDefaults(p, f).stride).join(' / ');
      expect(cells[3]).toBe(strides);
      expect(cells[4]).toBe(String(profileDefaults(p, 25).analysisWidth));
      expect(cells[5]).toBe(String(profileDefaults(p, 25).samplesPerTrack));
      expect(cells[6]).toBe(String(profileDefaults(p, 25).embedFacesPerTrack));
    }
  });
  it('exit codes and model hashes match the code', () => {
    for (const [name, code] of Object.entries(EXIT)) expect(doc).toContain(`| ${code} | \`${name}\` |`);
    for (const m of MODELS) expect(doc).toContain(m.sha256);
  });
});
