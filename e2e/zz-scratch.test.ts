import { it } from 'vitest';
import { startHost, launchChromium, newPage, screenshot, addByTyping } from './support.js';
import { tempEpisode } from '../test-support/shared-data.js';
it('scratch', async () => {
  const { host, cleanup } = await startHost();
  const browser = await launchChromium();
  const { page, errors } = await newPage(browser, 'light');
  await page.goto(host.url);
  const ep = tempEpisode('episode_gt.mp4', 'Episode GT');
  await addByTyping(page, ep);
  await page.waitForTimeout(800);
  await page.getByRole('button', { name: 'Run Detect & track' }).click();
  for (let i = 0; i < 6; i++) { await page.waitForTimeout(3000); await screenshot(page, 'scratch-' + i); console.log(i, await page.locator('[role=progressbar]').getAttribute('aria-valuenow', {timeout: 100}).catch(() => 'none')); }
  console.log('errors', errors);
  await browser.close(); await cleanup();
}, 120000);
