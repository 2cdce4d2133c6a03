// Queue mode in the window against a private Redis: it is offered only once a reachable Redis is
// set in Settings; queued jobs are listed with their ids, survive a reload, and can be cancelled.
// No worker runs here, so jobs stay waiting: this checks the window's side of the queue.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { mediaPath, tempEpisode } from '../test-support/shared-data.js';
import { redisMissing, startTestRedis, type TestRedis } from '../queue/test-redis.js';
import { addByTyping, launchChromium, missingForE2e, newPage, screenshot, startHost } from './support.js';

const skip = missingForE2e(mediaPath('episode_gt.mp4')) ?? redisMissing();

describe.skipIf(skip !== null)(`queue mode in the window ${skip ?? ''}`, () => {
  let redis: TestRedis | null = null;
  let host: Awaited<ReturnType<typeof startHost>> | null = null;
  let browser: Browser | null = null;
  const temps: string[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    host = await startHost();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.cleanup();
    await redis?.stop();
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('enables Queue after a Redis URL is set, lists jobs across a reload, cancels one', async () => {
    const dir = tempEpisode('episode_gt.mp4', 'Queue Test');
    temps.push(path.dirname(dir));
    const { page, context, errors } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await addByTyping(page, dir);
      await page.getByRole('heading', { level: 1, name: 'Queue Test' }).waitFor();

      const queueRadio = page.getByRole('radio', { name: 'Queue' });
      expect(await queueRadio.isDisabled()).toBe(true);
      await expect.poll(() => page.locator('.queue-reason').innerText()).toMatch(/Redis/);

      await page.getByRole('button', { name: 'Settings' }).click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.getByLabel('Queue (Redis URL)').fill(redis!.url);
      await dialog.getByLabel('Queue (Redis URL)').press('Enter');
      await dialog.waitFor({ state: 'detached', timeout: 15_000 });

      await expect.poll(() => queueRadio.isEnabled(), { timeout: 15_000 }).toBe(true);
      await queueRadio.click();
      await page.getByText('Runs on queue workers.', { exact: false }).waitFor();
      await page.getByRole('button', { name: 'Queue all' }).click();

      const rows = page.locator('section.jobs tbody tr');
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
      const ids = await rows.locator('td:first-child').allInnerTexts();
      expect(ids.every((id) => id.trim().length > 0)).toBe(true);
      await screenshot(page, 'queue-light');

      // The jobs live in Redis, not in the page: a reload lists them again, still in queue mode.
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Queue Test' }).waitFor();
      await expect.poll(() => page.getByRole('radio', { name: 'Queue' }).getAttribute('aria-checked'), { timeout: 15_000 }).toBe('true');
      await expect.poll(async () => (await rows.locator('td:first-child').allInnerTexts()).sort(), { timeout: 15_000 }).toEqual([...ids].sort());

      const firstId = ids[0]!.trim();
      await page.getByRole('button', { name: `Cancel job ${firstId}` }).click();
      const row = rows.filter({ has: page.locator('td:first-child', { hasText: firstId }) });
      await expect.poll(() => row.locator('.job-state').innerText(), { timeout: 15_000 }).toMatch(/cancelled|failed/);
      // The theme toggle is a setting kept by the host: it survives a reload.
      await page.getByRole('button', { name: 'Switch to dark theme' }).click();
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Queue Test' }).waitFor();
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
      await page.getByRole('button', { name: 'Switch to light theme' }).waitFor();
      await rows.first().waitFor();
      await page.waitForTimeout(400);
      await screenshot(page, 'queue-dark');
      // Queue mode never claims the run stops with the window.
      expect(await page.getByText('Closing or reloading this window stops the run.').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
