/**
 * The dashboard of a fleet started with `--api-token`, in headless Chromium: opened as
 * `/#token=<token>` it works (fetches carry the token as a header, `/api/live` as
 * `access_token`) and takes the token out of the address bar; opened without it, the API refuses
 * the page's requests.
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { launchChromium } from '../helpers/browser.js';
import { TEST_SERVE } from '../helpers/serve.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};
const TOKEN = 'dashboard-token-0123456789';

describe('the dashboard of a fleet with an API token', () => {
  let s: RunningServe;
  let browser: Browser;

  beforeAll(async () => {
    s = await startServe(io, { ...TEST_SERVE, apiToken: TOKEN });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('opened as /#token=…, it loads, goes live and hides the token', async () => {
    const page = await browser.newPage();
    const unauthorized: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 401) unauthorized.push(r.url());
    });
    await page.goto(`${s.controlUrl}/#token=${TOKEN}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.waitForSelector('#live.ok', { timeout: 15_000 });
    expect(await page.locator('#fleet-body tr').count()).toBe(2);
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.locator('#device-panel').getAttribute('data-device')).toBe('laptop');
    expect(unauthorized).toEqual([]);
    // A reload keeps working: the tab kept the token.
    await page.reload();
    await page.waitForSelector('#live.ok', { timeout: 15_000 });
    expect(unauthorized).toEqual([]);
    await page.close();
  });

  it('opened without the token, the API refuses its requests', async () => {
    const page = await browser.newPage();
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/')) statuses.push(r.status());
    });
    await page.goto(`${s.controlUrl}/`);
    await expect.poll(() => statuses.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 401)).toBe(true);
    expect(await page.locator('#live.ok').count()).toBe(0);
    await page.close();
  });
});
