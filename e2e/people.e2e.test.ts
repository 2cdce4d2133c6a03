// The people library in the window, end to end: real photos enrolled through the People dialog
// (the real detector and embedder in the browser host), real TV footage (dev/fotb) run from the
// window with the library, names appearing on the identity cards, a suggestion rejected.
// Part of the family is enrolled (eddie, grandma, louis): their cards are named, evan's card only
// suggests his look-alike brother, and nobody else gets a name.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { EditsFile, IdentitiesFile } from '../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../shared/stages.js';
import { mediaPath, tempEpisode } from '../test-support/shared-data.js';
import { DEV_CLIPS } from '../pipeline/eval/dev-set.js';
import { addByTyping, launchChromium, missingForE2e, newPage, screenshot, startHost } from './support.js';

const FOTB = DEV_CLIPS.find((c) => c.name === 'fotb')!;
const PART = [...FOTB.refsPart!];
const photo = (n: string) => mediaPath(path.join(FOTB.refs!, `${n}.png`));
const skip = missingForE2e(mediaPath(FOTB.video), ...PART.map(photo));

const chipStates = (page: Page) => page.locator('li.episode-item', { hasText: 'fotb' }).locator('.chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-state') ?? ''));

async function lightAndDark(page: Page, name: string): Promise<void> {
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

describe.skipIf(skip !== null)(`people library in the window ${skip ?? ''}`, () => {
  let host: Awaited<ReturnType<typeof startHost>> | null = null;
  let browser: Browser | null = null;
  let dir = '';
  const lib = path.join(mkdtempSync(path.join(tmpdir(), 'screentime-e2e-people-')), 'people');

  beforeAll(async () => {
    dir = tempEpisode(FOTB.video, 'fotb');
    host = await startHost();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.cleanup();
    if (dir) rmSync(path.dirname(dir), { recursive: true, force: true });
    rmSync(path.dirname(lib), { recursive: true, force: true });
  });

  it('enrol from photos, run the episode, see names appear, reject a suggestion, add that identity to the library', async () => {
    const { page, context, errors } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await page.getByRole('button', { name: 'People' }).click();
      const dialog = page.getByRole('dialog', { name: 'People library' });
      await dialog.waitFor();
      // a library folder of its own (the location lives in the settings)
      await dialog.getByRole('button', { name: 'Change folder…' }).click();
      await dialog.getByLabel('Library folder').fill(lib);
      await dialog.getByRole('button', { name: 'Use' }).click();
      await expect.poll(() => dialog.locator('.people-dir .mono').innerText()).toBe(lib);

      for (const name of PART) {
        await dialog.getByLabel('Name of a new person').fill(name);
        await dialog.getByRole('button', { name: 'Add person' }).click();
        const row = dialog.getByRole('listitem', { name });
        await row.waitFor();
        await row.locator('input[type=file]').setInputFiles(photo(name));
        await expect.poll(() => row.locator('.person-meta').innerText(), { timeout: 60_000 }).toMatch(/^1 face/);
        await expect.poll(() => row.locator('img.person-thumb').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(112);
      }
      const stored = JSON.parse(readFileSync(path.join(lib, 'people.json'), 'utf8')) as { people: Array<{ name: string; faces: unknown[] }> };
      expect(stored.people.map((p) => [p.name, p.faces.length]).sort()).toEqual(PART.map((n) => [n, 1]).sort());
      await lightAndDark(page, 'people-dialog');
      await dialog.getByRole('button', { name: 'Done' }).click();

      // run the episode from the window: cluster gets the library
      await addByTyping(page, dir);
      await page.locator('li.episode-item', { hasText: 'fotb' }).click();
      await page.getByRole('button', { name: 'Run all' }).click();
      await expect.poll(() => chipStates(page), { timeout: 14 * 60_000, interval: 1000 }).toEqual(['completed', 'completed', 'completed', 'completed']);
      await page.getByRole('tab', { name: /Results/ }).click();
      const cards = page.locator('article.identity-card');
      await cards.first().waitFor();

      const ids = JSON.parse(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'identities.json'), 'utf8')) as IdentitiesFile;
      const named = ids.identities.filter((i) => i.match === 'auto');
      expect(named.map((i) => i.label).sort()).toEqual([...PART].sort());
      for (const i of named) await expect.poll(() => page.locator(`article[data-identity-id="${i.identity_id}"] .identity-name`).innerText()).toBe(i.label);
      const sug = ids.identities.find((i) => i.match === 'suggested');
      expect(sug, 'evan is offered as his brother, not named').toBeDefined();
      const card = page.locator(`article[data-identity-id="${sug!.identity_id}"]`);
      await expect.poll(() => card.locator('.person-line-text').innerText()).toMatch(new RegExp(`^Is this ${sug!.person_name}\\?`));
      await card.scrollIntoViewIfNeeded();
      await lightAndDark(page, 'people-names');

      await card.getByRole('button', { name: 'Reject' }).click();
      await expect.poll(() => card.locator('.person-line-text').count()).toBe(0);
      const edits = JSON.parse(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'edits.json'), 'utf8')) as EditsFile;
      expect(edits.people).toEqual([{ track_ids: sug!.track_ids, person_id: sug!.person_id, decision: 'rejected' }]);

      // "Add to people library": the rejected identity is evan, who is not in the library yet
      await card.getByRole('button', { name: 'Add to people library' }).click();
      await dialog.waitFor();
      await dialog.getByLabel('Name of a new person').fill('evan');
      await dialog.getByRole('button', { name: 'Add person' }).click();
      const evan = dialog.getByRole('listitem', { name: 'evan' });
      await evan.getByRole('button', { name: 'Add faces here' }).click();
      await expect.poll(() => evan.locator('.person-meta').innerText(), { timeout: 30_000 }).toMatch(/^[1-5] faces? /);
      const after = JSON.parse(readFileSync(path.join(lib, 'people.json'), 'utf8')) as { people: Array<{ name: string; faces: Array<{ source: { kind: string; track_id?: number } }> }> };
      const faces = after.people.find((p) => p.name === 'evan')!.faces;
      expect(faces.every((f) => f.source.kind === 'episode' && sug!.track_ids.includes(f.source.track_id!))).toBe(true);
      await dialog.getByRole('button', { name: 'Done' }).click();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
