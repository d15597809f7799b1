/**
 * The HTML report in real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * it opens from disk with no server, draws the timeline with no console errors, explains items
 * on hover and selection, and its screenshot is not blank. `.ci/run` installs Chromium.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, expectNotBlank, filePage, launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { listDemos } from '../../src/demos.js';

async function writeReport(argv: string[]): Promise<void> {
  let stderr = '';
  const code = await runCli(argv, {
    stdout: () => {},
    stderr: (t) => void (stderr += t),
    readFile: (path) => readFileSync(path, 'utf8'),
  });
  if (code !== 0) throw new Error(`dmpush ${argv.join(' ')} exited ${code}: ${stderr}`);
}

it(`Chromium is installed at ${CHROMIUM} (the browser tests need it)`, () => {
  expect(
    existsSync(CHROMIUM),
    `install it: apt-get install -y chromium (.ci/run does), or set DMPUSH_CHROMIUM`,
  ).toBe(true);
});

describe('HTML report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-browser-'));
  const report = join(dir, 'report.html');
  const all = join(dir, 'all.html');
  let browser: Browser | undefined;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    await writeReport(['demo', 'offline-across-expiry-1511', '--out', report]);
    await writeReport(['demo', '--all', '--out', all]);
    browser = await launchChromium();
    ({ page, problems } = await filePage(browser));
    await page.goto(pathToFileURL(report).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads from file:// with no console errors and no network requests', () => {
    expect(problems).toEqual([]);
  });

  it('shows the device lane and the expected items of offline-across-expiry-1511', async () => {
    const labels = await page.locator('.vis-labelset .vis-label').allInnerTexts();
    expect(labels.map((l) => l.trim())).toEqual([
      'laptop Windows 10 1511',
      'WNS connection',
      'Battery',
      'Data Sense',
      'Network',
      'ChannelURI',
      'Renewal',
      'Pushes',
      'Sessions',
    ]);
    const count = (selector: string) => page.locator(selector).count();
    expect(await count('.vis-item.vis-range.k-channel.v-valid')).toBe(2);
    expect(await count('.vis-item.vis-range.k-channel.v-none')).toBe(1);
    expect(await count('.vis-item.vis-range.k-renewal-window.v-within-fifteen-days')).toBe(90);
    expect(await count('.vis-item.vis-range.k-renewal-window.v-expired')).toBe(10);
    expect(await count('.vis-item.vis-point.k-renewal-attempt.v-failed')).toBe(100);
    expect(await count('.vis-item.vis-point.k-session')).toBe(53);
    await expect
      .poll(() => page.locator('.vis-item.k-wns.v-down').innerText())
      .toBe('down: no-network');
    expect(await page.locator('.vis-item.k-network.v-offline').innerText()).toBe('no network');
    const summary = await page.locator('.summary').innerText();
    expect(summary).toContain('RENEWALS BY RULE');
    expect(summary).toMatch(/within-fifteen-days\s+90/);
    expect(summary).toMatch(/poll\s+21 \(30 not possible\)/);
  });

  it('explains an item in words on hover', async () => {
    await page.locator('.vis-item.vis-range.k-channel.v-valid').first().hover();
    const tooltip = page.locator('div.vis-tooltip');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    expect(await tooltip.innerText()).toMatch(
      /^ChannelURI https:\/\/\S+ issued 2026-01-01 00:00, valid 30 days to 2026-01-31 00:00; expired at 2026-01-31 00:00\.$/,
    );
  });

  it('explains a selected item in the details panel', async () => {
    await page.locator('.vis-item.vis-range.k-wns.v-down').click();
    const details = page.locator('.details');
    await expect.poll(() => details.innerText()).toContain('laptop · WNS connection');
    expect(await details.innerText()).toContain(
      'WNS persistent connection down 2026-01-11 00:00 – 2026-02-10',
    );
    // A renewal attempt after the expiry: the 1511 rule for an expired channel.
    await page.locator('.vis-item.vis-point.k-renewal-attempt.v-failed').last().click();
    await expect
      .poll(() => details.innerText())
      .toMatch(
        /laptop · Renewal[\s\S]*1511: renewal attempt at 2026-02-\d\d \d\d:\d\d failed: no network \(channel expired .* ago\); next in 1 day ± 4 h \(rule expired\)/,
      );
  });

  it('takes a screenshot that is not blank', async () => {
    const file = join(dir, 'report.png');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: file, fullPage: true });
    expectNotBlank(file, 0.01);
  });

  it('draws one timeline per demo in the demo --all report', async () => {
    await page.goto(pathToFileURL(all).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    const demos = listDemos().length;
    expect(await page.locator('.report-section').count()).toBe(demos);
    for (let i = 0; i < demos; i++) {
      const section = page.locator('.report-section').nth(i);
      expect(await section.locator('.vis-item').count()).toBeGreaterThan(10);
    }
    expect(await page.locator('.vis-item.k-pfn-blocked').innerText()).toMatch(/^PFN \S+ blocked$/);
    expect(problems).toEqual([]);
  });
});
