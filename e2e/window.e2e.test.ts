// The window in a real browser against the real browser host and the real pipeline:
// add an episode, run every stage locally, review and edit the results, export; reload during a
// run and prove from /proc that the stage's process tree died; reject a folder with no video.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ScreentimeFile } from '../shared/artifacts.js';
import { mediaPath, tempEpisode } from '../test-support/shared-data.js';
import { descendants, waitGone } from '../test-support/proc.js';
import { addByTyping, dropUris, launchChromium, missingForE2e, newPage, parseCsv, screenshot, stagePids, startHost } from './support.js';

const EPISODE = mediaPath('episode_gt.mp4');
const skip = missingForE2e(EPISODE);

let host: Awaited<ReturnType<typeof startHost>> | null = null;
let browser: Browser | null = null;
const temps: string[] = [];

/** Lets colour transitions finish after a theme switch, so screenshots show the final colours. */
async function settle(page: Page): Promise<void> {
  await page.waitForTimeout(400);
}

function libraryItem(page: Page, name: string) {
  return page.locator('li.episode-item', { hasText: name });
}

/** The stage chips of a library row, as { stage: state }. */
async function chipStates(page: Page, name: string): Promise<string[]> {
  return libraryItem(page, name).locator('.chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-state') ?? ''));
}

async function openEpisode(page: Page, name: string, dir: string): Promise<void> {
  await addByTyping(page, dir);
  await libraryItem(page, name).waitFor();
  await libraryItem(page, name).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

describe.skipIf(skip !== null)(`window end to end ${skip ?? ''}`, () => {
  beforeAll(async () => {
    host = await startHost();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.cleanup();
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('names a dropped folder that holds no video, and why it was refused', async () => {
    const { page, context } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await page.getByRole('heading', { name: 'No episode selected' }).waitFor();
      // Keyboard: Ctrl+O opens the path dialog, Escape closes it.
      await page.keyboard.press('Control+o');
      await page.getByRole('dialog', { name: 'Open episode folder' }).waitFor();
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      const root = mkdtempSync(path.join(tmpdir(), 'screentime-e2e-empty-'));
      temps.push(root);
      const empty = path.join(root, 'Season 2 extras');
      mkdirSync(empty);
      await dropUris(page, [empty]);
      const alert = page.getByRole('alert').filter({ hasText: 'Season 2 extras' });
      await alert.waitFor({ timeout: 10_000 });
      const text = await alert.innerText();
      expect(text).toContain('Could not add “Season 2 extras”');
      // The reason is in words, not just "error".
      expect(text.toLowerCase()).toMatch(/video/);
      expect(await page.locator('li.episode-item').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('reloading during detect_track kills the stage process tree and shows the run as not completed', async () => {
    const dir = tempEpisode('episode_gt.mp4', 'Reload Test');
    temps.push(path.dirname(dir));
    const { page, context } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await openEpisode(page, 'Reload Test', dir);
      await page.getByRole('button', { name: 'Run Detect & track' }).click();
      // Wait until frames are really being processed.
      const bar = page.getByRole('progressbar');
      await expect.poll(async () => Number((await bar.getAttribute('aria-valuenow').catch(() => null)) ?? 0), { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
      expect(await page.getByText('Runs on this computer. Closing or reloading this window stops the run.').isVisible()).toBe(true);
      // Local mode never shows queue vocabulary.
      expect(await page.locator('body').innerText()).not.toMatch(/job id|polling/i);

      const stage = stagePids(dir, 'detect_track');
      expect(stage.length).toBeGreaterThan(0);
      const tree = [...stage, ...stage.flatMap((p) => descendants(p))];

      await page.reload();
      const alive = await waitGone(tree, 10_000);
      expect(alive).toEqual([]);
      expect(stagePids(dir, 'detect_track')).toEqual([]);

      // The new page (a new session) shows the run as not completed.
      await libraryItem(page, 'Reload Test').waitFor();
      await expect.poll(async () => (await chipStates(page, 'Reload Test'))[0], { timeout: 10_000 }).toMatch(/^(interrupted|cancelled)$/);
      await libraryItem(page, 'Reload Test').click();
      const row = page.locator('li.stage-row[data-stage="detect_track"]');
      await expect.poll(async () => row.getAttribute('data-state'), { timeout: 10_000 }).toMatch(/^(interrupted|cancelled)$/);
      await screenshot(page, 'after-reload-light');
    } finally {
      await context.close();
    }
  });

  it('adds an episode, runs all stages locally, edits the results and exports a CSV that matches screentime.json', async () => {
    const dir = tempEpisode('episode_gt.mp4', 'Episode GT');
    temps.push(path.dirname(dir));
    const { page, context, errors } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await openEpisode(page, 'Episode GT', dir);
      await expect.poll(() => chipStates(page, 'Episode GT')).toEqual(['not_run', 'not_run', 'not_run', 'not_run']);
      await screenshot(page, 'library-light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await settle(page);
      await screenshot(page, 'library-dark');
      await page.emulateMedia({ colorScheme: 'light' });

      const t0 = Date.now();
      await page.getByRole('button', { name: 'Run all' }).click();

      // Watch the progress bar while the stages run: its value must move.
      const seen: number[] = [];
      let shot = false;
      // The library chips stay visible whichever tab the episode view shows.
      const allDone = async () => (await chipStates(page, 'Episode GT')).every((s) => s === 'completed');
      const deadline = Date.now() + 540_000;
      while (Date.now() < deadline && !(await allDone())) {
        const v = await page
          .locator('[role=progressbar]')
          .getAttribute('aria-valuenow', { timeout: 200 })
          .catch(() => null);
        if (v !== null && seen[seen.length - 1] !== Number(v)) seen.push(Number(v));
        if (!shot && v !== null && Number(v) >= 20 && (await page.locator('[data-live-stage="detect_track"]').isVisible())) {
          // Let a couple of readings arrive so the sparkline has a line.
          await page.waitForTimeout(1500);
          await screenshot(page, 'running-light');
          await page.emulateMedia({ colorScheme: 'dark' });
          await settle(page);
          await screenshot(page, 'running-dark');
          await page.emulateMedia({ colorScheme: 'light' });
          shot = true;
        }
        const failed = page.locator('[data-outcome="error"]');
        if (await failed.isVisible()) throw new Error(`a stage failed: ${await failed.innerText()}`);
        await page.waitForTimeout(100);
      }
      const runSeconds = (Date.now() - t0) / 1000;
      console.log(`run all took ${runSeconds.toFixed(1)} s; progress values seen: ${seen.join(' ')}`);
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(await chipStates(page, 'Episode GT')).toEqual(['completed', 'completed', 'completed', 'completed']);

      // Results: eight people on the ground-truth episode.
      await page.getByRole('tab', { name: /Results/ }).click();
      const cards = page.locator('article.identity-card');
      await expect.poll(() => cards.count(), { timeout: 20_000 }).toBe(8);
      await expect.poll(() => libraryItem(page, 'Episode GT').locator('.identity-count').innerText()).toBe('8 people');
      // Every card shows a face that actually loaded.
      await expect
        .poll(() => page.locator('article.identity-card img.thumb').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0)), { timeout: 10_000 })
        .toBe(true);
      await page.locator('.timeline-card rect.segment').first().hover();
      await expect.poll(() => page.locator('.timeline-readout').innerText()).toMatch(/\d:\d\d – \d:\d\d/);
      await screenshot(page, 'results-light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await settle(page);
      await screenshot(page, 'results-dark');
      await page.emulateMedia({ colorScheme: 'light' });

      // Rename the person with the most screen time.
      const first = cards.first();
      const firstId = Number(await first.getAttribute('data-identity-id'));
      await first.locator('button.identity-name').click();
      const input = first.getByRole('textbox');
      await input.fill('Anchor');
      await input.press('Enter');
      await expect.poll(() => page.locator(`article.identity-card[data-identity-id="${firstId}"] .identity-name`).innerText()).toBe('Anchor');

      // Merge the next two.
      const a = cards.nth(1);
      const b = cards.nth(2);
      const idA = Number(await a.getAttribute('data-identity-id'));
      const idB = Number(await b.getAttribute('data-identity-id'));
      const tracksBefore = Number((await a.locator('.identity-meta').innerText()).match(/(\d+) track/)![1]) + Number((await b.locator('.identity-meta').innerText()).match(/(\d+) track/)![1]);
      await a.getByRole('checkbox').check();
      await b.getByRole('checkbox').check();
      await page.getByRole('button', { name: /^Merge/ }).click();
      await expect.poll(() => cards.count(), { timeout: 20_000 }).toBe(7);
      const ids = await cards.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-identity-id'))));
      expect(ids.filter((id) => id === idA || id === idB).length).toBeLessThanOrEqual(1);

      // Export CSV through the window's download and compare it with the artifact on disk.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const csvPath = path.join(mkdtempSync(path.join(tmpdir(), 'screentime-e2e-dl-')), download.suggestedFilename());
      temps.push(path.dirname(csvPath));
      await download.saveAs(csvPath);
      expect(download.suggestedFilename()).toMatch(/\.csv$/);
      const rows = parseCsv(readFileSync(csvPath, 'utf8')).filter((r) => r.length > 1);
      const [head, ...body] = rows;
      // Columns are read by name, so the check survives new columns being added to the export.
      const col = (name: string) => head!.indexOf(name);
      for (const name of ['identity_id', 'label', 'visible_s', 'n_tracks']) expect(head, `CSV column ${name}`).toContain(name);
      const st = JSON.parse(readFileSync(path.join(dir, 'screentime', 'screentime.json'), 'utf8')) as ScreentimeFile;
      expect(body.length).toBe(st.identities.length);
      expect(st.identities.length).toBe(7);
      const byId = new Map(body.map((r) => [Number(r[col('identity_id')]), r]));
      for (const i of st.identities) {
        const r = byId.get(i.identity_id);
        expect(r, `identity ${i.identity_id} in the CSV`).toBeDefined();
        expect(Number(r![col('visible_s')])).toBeCloseTo(i.visible_s, 2);
        expect(Number(r![col('n_tracks')])).toBe(i.n_tracks);
        expect(r![col('label')]).toBe(i.label ?? '');
        if (col('n_segments') >= 0) expect(Number(r![col('n_segments')])).toBe(i.segments.length);
      }
      expect(body.some((r) => r[col('label')] === 'Anchor')).toBe(true);
      const mergedRow = st.identities.find((i) => i.n_tracks === tracksBefore && i.identity_id !== firstId);
      expect(mergedRow, 'an identity holding both merged people\'s tracks').toBeDefined();
      // Screen time is shown in the window as it is on disk.
      const shown = await page.locator('.identity-time').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-visible-s'))));
      expect(shown.sort((x, y) => x - y)).toEqual(st.identities.map((i) => i.visible_s).sort((x, y) => x - y));

      // Split a track out of the merged person, then mark someone as "not a person".
      const mergedCard = page.locator(`article.identity-card[data-identity-id="${mergedRow!.identity_id}"]`);
      await mergedCard.getByRole('button', { name: /Split/ }).click();
      await mergedCard.getByRole('button', { name: 'Split out' }).first().click();
      await expect.poll(() => cards.count(), { timeout: 20_000 }).toBe(8);
      const last = cards.last();
      const lastId = await last.getAttribute('data-identity-id');
      await last.getByRole('button', { name: 'Not a person' }).click();
      const ignored = page.locator(`article.identity-card[data-identity-id="${lastId}"]`);
      await expect.poll(() => ignored.getAttribute('class'), { timeout: 20_000 }).toMatch(/ignored/);
      await expect.poll(() => page.locator('.results-summary').innerText()).toMatch(/^7 people/);
      await expect.poll(() => libraryItem(page, 'Episode GT').locator('.identity-count').innerText()).toBe('7 people');
      expect(errors).toEqual([]);
    } catch (e) {
      await screenshot(page, 'failure-full-flow').catch(() => undefined);
      throw e;
    } finally {
      await context.close();
    }
  }, 720_000);
});
