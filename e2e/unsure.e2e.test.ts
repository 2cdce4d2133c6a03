// Unsure faces in the window: real TV footage (dev/fotb) run through the real CLI, opened in
// Chromium through the browser host; the faces the pipeline gave to nobody are listed on their
// own, and assigning one gives its time to the chosen person.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Browser } from 'playwright-core';
import type { IdentitiesFile } from '../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../shared/stages.js';
import { CLI_JS, MODELS_DIR, mediaPath, tempEpisode } from '../test-support/shared-data.js';
import { addByTyping, launchChromium, missingForE2e, newPage, screenshot, startHost } from './support.js';

const VIDEO = 'dev/fotb.mp4';
const skip = missingForE2e(mediaPath(VIDEO), CLI_JS);

describe.skipIf(skip !== null)(`unsure faces in the window ${skip ?? ''}`, () => {
  let host: Awaited<ReturnType<typeof startHost>> | null = null;
  let browser: Browser | null = null;
  let dir = '';

  beforeAll(async () => {
    dir = tempEpisode(VIDEO, 'fotb');
    const r = await execa(process.execPath, [CLI_JS, 'run', dir, '--models', MODELS_DIR], { reject: false, stdin: 'ignore' });
    expect(r.exitCode, r.stderr).toBe(0);
    host = await startHost();
    browser = await launchChromium();
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await host?.cleanup();
    if (dir) rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('lists unsure tracks apart, counted for nobody; assigning one moves it to the person', async () => {
    const ids = JSON.parse(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'identities.json'), 'utf8')) as IdentitiesFile;
    const unsure = ids.unsure ?? [];
    expect(unsure.length).toBeGreaterThan(0);
    const { page, context, errors } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await addByTyping(page, dir);
      await page.locator('li.episode-item', { hasText: 'fotb' }).click();
      await page.getByRole('tab', { name: /Results/ }).click();
      const section = page.getByRole('region', { name: 'Unsure faces' });
      await section.waitFor();
      await expect(section.locator('article.unsure-card').count()).resolves.toBe(unsure.length);
      await section.scrollIntoViewIfNeeded();
      await screenshot(page, 'unsure-faces-light');

      // give the first suggested track to its closest person
      const target = unsure.find((u) => u.nearest_identity !== null)!;
      const person = ids.identities.find((i) => i.identity_id === target.nearest_identity)!;
      const card = section.locator(`article[data-track-id="${target.track_id}"]`);
      await card.getByRole('combobox').selectOption(String(person.identity_id));
      await card.getByRole('button', { name: 'Assign' }).click();
      await expect.poll(() => section.locator('article.unsure-card').count()).toBe(unsure.length - 1);
      const after = JSON.parse(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'identities.json'), 'utf8')) as IdentitiesFile;
      expect(after.identities.find((i) => i.identity_id === person.identity_id)!.track_ids).toContain(target.track_id);
      expect((after.unsure ?? []).map((u) => u.track_id)).not.toContain(target.track_id);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('looks right in the dark theme too', async () => {
    const { page, context } = await newPage(browser!, 'dark');
    try {
      await page.goto(host!.host.url);
      await page.locator('li.episode-item', { hasText: 'fotb' }).click();
      await page.getByRole('tab', { name: /Results/ }).click();
      const section = page.getByRole('region', { name: 'Unsure faces' });
      await section.waitFor();
      await section.scrollIntoViewIfNeeded();
      await page.waitForTimeout(400);
      await screenshot(page, 'unsure-faces-dark');
    } finally {
      await context.close();
    }
  });
});
