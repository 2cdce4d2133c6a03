// Exports for editing tools and the show report in a real browser against the real browser host:
// the pipeline runs once through the real CLI on the ground-truth episode; the window exports an
// EDL that is parsed back and checked against screentime.json to the frame, and shows and exports
// the report of two episodes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import type { ScreentimeFile } from '../shared/artifacts.js';
import { ARTIFACT_DIR_NAME } from '../shared/stages.js';
import { parseEdl } from '../pipeline/export/edl.js';
import { personName } from '../pipeline/export/segments.js';
import { applyEdit } from '../pipeline/review/edits.js';
import { CLI_JS, MODELS_DIR, mediaPath, tempEpisode } from '../test-support/shared-data.js';
import { addByTyping, launchChromium, missingForE2e, newPage, parseCsv, screenshot, startHost } from './support.js';

const VIDEO = 'episode_gt.mp4';
const FPS = 25;
const skip = missingForE2e(mediaPath(VIDEO));

const readScreentime = (dir: string) => JSON.parse(readFileSync(path.join(dir, ARTIFACT_DIR_NAME, 'screentime.json'), 'utf8')) as ScreentimeFile;

async function download(page: Page, click: () => Promise<void>, temps: string[]): Promise<{ name: string; text: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const dir = mkdtempSync(path.join(tmpdir(), 'screentime-e2e-dl-'));
  temps.push(dir);
  const file = path.join(dir, dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), text: readFileSync(file, 'utf8') };
}

async function dark(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await screenshot(page, name);
  await page.emulateMedia({ colorScheme: 'light' });
}

describe.skipIf(skip !== null)(`exports for editing tools and the show report ${skip ?? ''}`, () => {
  let host: Awaited<ReturnType<typeof startHost>> | null = null;
  let browser: Browser | null = null;
  let ep1 = '';
  let ep2 = '';
  const temps: string[] = [];

  beforeAll(async () => {
    ep1 = tempEpisode(VIDEO, 'Episode 1');
    temps.push(path.dirname(ep1));
    const r = await execa(process.execPath, [CLI_JS, 'run', ep1, '--models', MODELS_DIR], { reject: false, stdin: 'ignore' });
    expect(r.exitCode, r.stderr).toBe(0);
    // A second episode with the same artifacts; the top person is named in both, so the report
    // joins them, while the unnamed people stay per episode.
    ep2 = path.join(path.dirname(ep1), 'Episode 2');
    cpSync(ep1, ep2, { recursive: true });
    const top = readScreentime(ep1).identities[0]!.identity_id;
    for (const d of [ep1, ep2]) await applyEdit(path.join(d, ARTIFACT_DIR_NAME), { kind: 'rename', identityId: top, label: 'Anchor' });
    host = await startHost();
    browser = await launchChromium();
  }, 10 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await host?.cleanup();
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('exports an EDL from the results whose events are the segments, to the frame', async () => {
    const st = readScreentime(ep1);
    const { page, context, errors } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await addByTyping(page, ep1);
      await page.locator('li.episode-item', { hasText: 'Episode 1' }).click();
      await page.getByRole('tab', { name: /Results/ }).click();
      const group = page.getByRole('group', { name: 'Exports for editing tools' });
      await group.waitFor();
      await screenshot(page, 'exports-results-light');
      await dark(page, 'exports-results-dark');

      const all = await download(page, () => group.getByRole('button', { name: 'Export EDL' }).click(), temps);
      expect(all.name).toBe('Episode_1.edl');
      const edl = parseEdl(all.text, { num: FPS, den: 1 });
      expect(edl.title).toBe('Episode 1');
      expect(edl.dropFrame).toBe(false);
      const want = st.identities
        .flatMap((i) => i.segments.map(([s, e]) => [personName(i.label, i.identity_id), Math.round(s * FPS), Math.round(e * FPS)] as const))
        .map((x) => x.join(' '))
        .sort();
      expect(edl.events.map((e) => [e.marker!.name, e.recordIn, e.recordOut].join(' ')).sort()).toEqual(want);
      for (const e of edl.events) {
        expect([e.sourceIn, e.sourceOut]).toEqual([e.recordIn, e.recordOut]);
        expect(e.clipName).toBe(VIDEO);
        expect(e.locator?.text).toBe(e.marker!.name);
      }

      // One person: only their segments
      await group.getByRole('combobox', { name: 'Person to export' }).selectOption('Anchor');
      const one = await download(page, () => group.getByRole('button', { name: 'Export EDL' }).click(), temps);
      expect(one.name).toBe('Episode_1-Anchor.edl');
      const anchor = st.identities[0]!;
      expect(parseEdl(one.text, { num: FPS, den: 1 }).events.map((e) => [e.recordIn, e.recordOut])).toEqual(anchor.segments.map(([s, e]) => [Math.round(s * FPS), Math.round(e * FPS)]));
      const csv = await download(page, () => group.getByRole('button', { name: 'Markers CSV' }).click(), temps);
      expect(csv.name).toBe('Episode_1-Anchor-markers.csv');
      const [head, ...rows] = parseCsv(csv.text).filter((r) => r.length > 1);
      expect(rows.map((r) => [r[head!.indexOf('start_tc')], r[head!.indexOf('end_tc')]])).toEqual(
        anchor.segments.map(([s, e]) => [s, e].map((t) => `00:00:${String(Math.floor(t)).padStart(2, '0')}:${String(Math.round(t * FPS) % FPS).padStart(2, '0')}`)),
      );
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows and exports the report of two episodes, joining the named person', async () => {
    const st = readScreentime(ep1);
    const { page, context, errors } = await newPage(browser!);
    try {
      await page.goto(host!.host.url);
      await addByTyping(page, ep2);
      await page.locator('li.episode-item', { hasText: 'Episode 2' }).waitFor();
      await page.getByRole('button', { name: 'Show report' }).click();
      const dialog = page.getByRole('dialog', { name: 'Show report' });
      await dialog.waitFor();
      const table = dialog.locator('table.report-table');
      await table.waitFor();
      expect(await table.locator('thead th').allTextContents()).toEqual(['Person', 'Episode 1', 'Episode 2', 'Total']);
      const anchorRow = table.locator('tbody tr[data-person-key="name:anchor"]');
      const secs = await anchorRow.locator('td').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-seconds'))));
      expect(secs).toEqual([st.identities[0]!.visible_s, st.identities[0]!.visible_s, 2 * st.identities[0]!.visible_s]);
      // everyone else is unnamed: one row per episode, never joined
      expect(await table.locator('tbody tr').count()).toBe(1 + 2 * (st.identities.length - 1));
      // the chart draws one bar per row, Anchor's in two episode colours
      expect(await dialog.locator('svg g[data-person="Anchor"] rect').count()).toBe(2);
      await screenshot(page, 'show-report-light');
      await dark(page, 'show-report-dark');

      const csv = await download(page, () => dialog.getByRole('button', { name: 'Export CSV' }).click(), temps);
      expect(csv.name).toBe('Episode_1-and-1-more-report.csv');
      const [head, ...rows] = parseCsv(csv.text).filter((r) => r.length > 1);
      expect(head).toEqual(['person', 'person_id', 'Episode 1', 'Episode 2', 'total_s', 'episodes_seen']);
      expect(rows[0]).toEqual(['Anchor', '', st.identities[0]!.visible_s.toFixed(3), st.identities[0]!.visible_s.toFixed(3), (2 * st.identities[0]!.visible_s).toFixed(3), '2']);

      // one episode unticked: its column goes
      await dialog.getByRole('checkbox', { name: 'Episode 2' }).uncheck();
      await expect.poll(() => table.locator('thead th').allTextContents()).toEqual(['Person', 'Episode 1', 'Total']);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
