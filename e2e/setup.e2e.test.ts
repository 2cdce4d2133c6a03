// The setup check (app:check) in a real browser against the real browser host: with everything in
// place it stays out of the way and Settings opens it (ffmpeg from the shipped build, the detector
// verified); a detector with the wrong checksum, or one still to be downloaded, opens it by itself.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { MODELS_DIR } from '../test-support/shared-data.js';
import { launchChromium, missingForE2e, newPage, screenshot, startHost } from './support.js';

const DETECTOR = 'yunet_n_dynamic.onnx';
const skip = missingForE2e(path.join(MODELS_DIR, DETECTOR));

let browser: Browser | null = null;
const temps: string[] = [];

function tempDir(name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `screentime-e2e-${name}-`));
  temps.push(d);
  return d;
}

function row(dialog: Locator, item: string): Locator {
  return dialog.locator(`li.setup-row[data-item="${item}"]`);
}

/** The Setup dialog once its check has answered (a re-check shows "Checking…" on its button). */
async function setupDialog(page: Page): Promise<Locator> {
  const dialog = page.getByRole('dialog', { name: 'Setup' });
  await dialog.waitFor({ timeout: 15_000 });
  await dialog.getByRole('button', { name: 'Check again' }).waitFor({ timeout: 15_000 });
  return dialog;
}

/** Lets colour transitions finish, so screenshots show the final colours. */
async function settle(page: Page): Promise<void> {
  await page.waitForTimeout(400);
}

describe.skipIf(skip !== null)(`setup check end to end ${skip ?? ''}`, () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('stays closed when all is OK; Settings opens it: ffmpeg OK, the detector verified (light and dark)', async () => {
    const host = await startHost();
    try {
      for (const scheme of ['light', 'dark'] as const) {
        const { page, context, errors } = await newPage(browser!, scheme);
        try {
          await page.goto(host.host.url);
          await page.getByRole('heading', { name: 'No episode selected' }).waitFor();
          await page.getByRole('button', { name: 'Settings' }).click();
          const settings = page.getByRole('dialog', { name: 'Settings' });
          // The summary shows the check has answered; being OK, it did not open by itself.
          await settings.getByText('ffmpeg, ffprobe and every model: OK.').waitFor({ timeout: 15_000 });
          expect(await page.getByRole('dialog', { name: 'Setup' }).count()).toBe(0);
          await settings.getByRole('button', { name: 'Setup check…' }).click();
          const dialog = await setupDialog(page);
          expect(await settings.count()).toBe(0);
          await expect.poll(() => dialog.locator('.modal-text').first().innerText()).toBe('Everything the pipeline needs is on this computer and verified.');

          const ffmpeg = row(dialog, 'ffmpeg');
          expect(await ffmpeg.getAttribute('data-state')).toBe('ok');
          const ffmpegText = await ffmpeg.innerText();
          expect(ffmpegText).toContain('OK');
          expect(ffmpegText).toContain('shipped with the app');
          expect(ffmpegText).toMatch(/ffmpeg version \S+/);
          expect(await row(dialog, 'ffprobe').getAttribute('data-state')).toBe('ok');

          const detector = row(dialog, DETECTOR);
          expect(await detector.getAttribute('data-state')).toBe('ok');
          const detectorText = await detector.innerText();
          expect(detectorText).toContain(path.join(path.resolve(MODELS_DIR), DETECTOR));
          expect(detectorText).toContain('sha256 verified');
          expect(detectorText).toContain('Detect & track');
          expect(await row(dialog, 'face_recognition_model.bin').getAttribute('data-state')).toBe('ok');

          await settle(page);
          await screenshot(page, `setup-ok-${scheme}`);
          await page.keyboard.press('Escape');
          await dialog.waitFor({ state: 'detached' });
          expect(errors).toEqual([]);
        } finally {
          await context.close();
        }
      }
    } finally {
      await host.cleanup();
    }
  });

  it('opens by itself when the detector has the wrong checksum, and says what to do', async () => {
    const models = tempDir('wrong-models');
    const file = path.join(models, DETECTOR);
    writeFileSync(file, 'not the detector');
    const host = await startHost({ runnerEnv: { SCREENTIME_MODELS_DIR: models } });
    const { page, context, errors } = await newPage(browser!, 'light');
    try {
      await page.goto(host.host.url);
      const dialog = await setupDialog(page);
      const detector = row(dialog, DETECTOR);
      expect(await detector.getAttribute('data-state')).toBe('wrong_checksum');
      const text = await detector.innerText();
      expect(text).toContain('Wrong checksum');
      expect(text).toContain('sha256 does not match the pinned one');
      expect(text).toContain('not the pinned 104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12');
      expect(text).toContain(`What to do: Delete ${file}`);
      // Only the detector is wrong: the tools are still fine.
      expect(await row(dialog, 'ffmpeg').getAttribute('data-state')).toBe('ok');
      await settle(page);
      await screenshot(page, 'setup-wrong-checksum-light');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await host.cleanup();
    }
  });

  it('on a first start shows the detector as downloaded on the first run, without downloading it', async () => {
    const cache = tempDir('cache');
    // No models folder named: the stages (and the check) look in the user cache and may download.
    const host = await startHost({ runnerEnv: { SCREENTIME_MODELS_DIR: '', XDG_CACHE_HOME: cache } });
    const { page, context, errors } = await newPage(browser!, 'dark');
    try {
      await page.goto(host.host.url);
      const dialog = await setupDialog(page);
      const detector = row(dialog, DETECTOR);
      expect(await detector.getAttribute('data-state')).toBe('will_download');
      const text = await detector.innerText();
      expect(text).toContain('Downloads on first run');
      expect(text).toContain(`on first use, into ${path.join(cache, 'screentime', 'models')}`);
      expect(existsSync(path.join(cache, 'screentime', 'models', DETECTOR))).toBe(false);
      await settle(page);
      await screenshot(page, 'setup-first-run-dark');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await host.cleanup();
    }
  });
});
