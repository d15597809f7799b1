import { existsSync, readFileSync, statSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { expect } from 'vitest';

/** Debian's Chromium (`.ci/run` installs it), or `DMPUSH_CHROMIUM`. */
export const CHROMIUM = process.env['DMPUSH_CHROMIUM'] ?? '/usr/bin/chromium';

/** Launches headless Chromium with the project's flags; fails with an install hint if missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium; .ci/run does) or set DMPUSH_CHROMIUM`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Checks that a PNG screenshot is not blank: over 30 KB, more than 50 colours, and at least
 * `minColoured` of its pixels coloured (not grey text on white).
 */
export function expectNotBlank(file: string, minColoured: number): void {
  expect(statSync(file).size).toBeGreaterThan(30_000);
  const png = PNG.sync.read(readFileSync(file));
  const colours = new Set<number>();
  let coloured = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
  }
  expect(colours.size).toBeGreaterThan(50);
  expect(coloured / (png.width * png.height)).toBeGreaterThan(minColoured);
}

/**
 * A page for a self-contained file (a report), collecting every console error, page error,
 * failed request and request that leaves the file into `problems`. Open the file with
 * `page.goto(pathToFileURL(file).href)`.
 */
export async function filePage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
      problems.push(`network request: ${r.url()}`);
  });
  return { page, problems };
}
