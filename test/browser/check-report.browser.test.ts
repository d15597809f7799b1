/**
 * The HTML page of `dmpush check` in real headless Chromium: `dmpush check --format html --out`
 * against a proof server that keeps pushing after a 410 (test/helpers/proof-mdm-server.ts), for a
 * few lifecycle checks and the one it fails. The page opens from disk with no console errors and
 * no network request; each check's section shows its result badge, its evidence and its source
 * link, and draws a timeline excerpt with items; the header lists the checks; the screenshot is
 * not blank.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/core/check/checks.js';
import type { CheckId, CheckResult } from '../../src/core/check/model.js';
import { expectNotBlank, filePage, launchChromium } from '../helpers/browser.js';
import { proofServer } from '../helpers/check-cli.js';
import { cli } from '../helpers/cli.js';

/** The checks on the page, in report order, and their results against an `ignore-410` server. */
const EXPECTED: readonly (readonly [CheckId, CheckResult])[] = [
  ['pfn-set', 'pass'],
  ['channel-read', 'pass'],
  ['push-wakes-session', 'pass'],
  ['gone-410-stops', 'fail'],
];

/** Writes the check page of an `ignore-410` proof server to `file` (exit 1: one check fails). */
async function writeCheckPage(file: string): Promise<void> {
  const proof = await proofServer('ignore-410');
  try {
    const only = EXPECTED.map(([id]) => id).join(',');
    const argv = ['check', ...proof.args, '--only', only, '--timeout', '5'];
    const { code, err } = await cli([...argv, '--format', 'html', '--out', file]);
    if (code !== 1) throw new Error(`dmpush ${argv.join(' ')} exited ${code}: ${err}`);
  } finally {
    await proof.server.close();
  }
}

describe('the check page in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-check-browser-'));
  const file = join(dir, 'check.html');
  let browser: Browser | undefined;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    await writeCheckPage(file);
    browser = await launchChromium();
    ({ page, problems } = await filePage(browser));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads from file:// with no console errors and no network requests', () => {
    expect(problems).toEqual([]);
  });

  it('names the server and the totals, and lists each check with its badge', async () => {
    expect(await page.locator('h1').innerText()).toMatch(/^dmpush check: http:\/\/127\.0\.0\.1:/);
    expect(await page.locator('.page-meta').innerText()).toContain(
      '4 checks: 3 passed, 1 failed, 0 warned, 0 skipped',
    );
    const index = page.locator('.check-index li');
    expect(await index.count()).toBe(EXPECTED.length);
    for (const [i, [id, result]] of EXPECTED.entries()) {
      const row = index.nth(i);
      expect(await row.locator('.check-id').innerText()).toBe(id);
      expect(await row.locator(`.badge.result-${result}`).innerText()).toBe(result);
      expect(await row.locator('a').getAttribute('href')).toBe(`#section-${i}`);
    }
  });

  it("draws each check's section: badge, summary, evidence, source link", async () => {
    expect(await page.locator('.report-section').count()).toBe(EXPECTED.length);
    for (const [i, [id, result]] of EXPECTED.entries()) {
      const section = page.locator(`#section-${i}`);
      expect(await section.getAttribute('data-section')).toBe(CHECKS[id].title);
      const verdict = section.locator('.check-verdict');
      expect(await verdict.getAttribute('data-check')).toBe(id);
      expect(await verdict.getAttribute('data-result')).toBe(result);
      expect(await verdict.locator(`.badge.result-${result}`).innerText()).toBe(result);
      expect((await verdict.locator('.check-summary').innerText()).length, id).toBeGreaterThan(10);
      const evidence = verdict.locator('.check-evidence li');
      expect(await evidence.count(), id).toBeGreaterThan(0);
      expect(await evidence.first().locator('time').getAttribute('datetime')).toMatch(/Z$/);
      const link = verdict.locator('.check-source a');
      expect(await link.getAttribute('href')).toBe(CHECKS[id].source.url);
      expect(await link.innerText()).toBe(CHECKS[id].source.document);
    }
    const failed = page.locator('#section-3 .check-summary');
    expect(await failed.innerText()).toMatch(/^After 410 the server pushed \d+ more time/);
  });

  it("draws each check's timeline excerpt with items", async () => {
    for (const [i, [id]] of EXPECTED.entries()) {
      const section = page.locator(`#section-${i}`);
      expect(await section.locator('.story').innerText()).toMatch(
        /^Situation (lifecycle|expiry): \d+ of its \d+ timeline events, around the evidence\./,
      );
      expect(await section.locator('.timeline .vis-item').count(), id).toBeGreaterThan(0);
    }
    // What decided them: the channel the PFN brought, the push and the session it woke.
    const items = (i: number, kind: string): Promise<number> =>
      page.locator(`#section-${i} .timeline .vis-item.vis-point.${kind}`).count();
    expect(await items(0, 'k-push-status.v-ok')).toBe(1);
    expect(await items(0, 'k-session.v-provisioned')).toBe(1);
    expect(await items(2, 'k-push.v-delivered')).toBe(1);
    expect(await items(2, 'k-session.v-push')).toBe(1);
  });

  it('takes a screenshot that is not blank', async () => {
    const shot = join(dir, 'check.png');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: shot, fullPage: true });
    expectNotBlank(shot, 0.01);
  });
});
