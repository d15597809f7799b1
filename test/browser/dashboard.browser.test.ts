/**
 * The live dashboard in real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * `dmpush serve` in process on a virtual clock, the page at `/` of its control port. It loads
 * with no console errors and no request off the control port, shows the fleet, the chosen
 * device's timeline and DM tree; a control changes a device and the page follows over the
 * WebSocket without a reload; its screenshot is not blank. With DMPUSH_SCREENSHOT=1 the
 * screenshot is kept as docs/img/dashboard.png.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, expectNotBlank, launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import { api, TEST_SERVE } from '../helpers/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

it(`Chromium is installed at ${CHROMIUM} (the browser tests need it)`, () => {
  expect(
    existsSync(CHROMIUM),
    `install it: apt-get install -y chromium (.ci/run does), or set DMPUSH_CHROMIUM`,
  ).toBe(true);
});

describe('the live dashboard in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-dashboard-'));
  let s: RunningServe;
  let browser: Browser | undefined;
  let page: Page;
  let requests = 0;
  const problems: string[] = [];
  /** Console errors Chromium logs for an API answer of 4xx that the test asked for. */
  let expectedHttpErrors = 0;

  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${s.controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  const text = (selector: string): Promise<string> => page.locator(selector).innerText();
  const fleetRow = (id: string) => page.locator(`#fleet-body tr[data-device="${id}"]`);

  beforeAll(async () => {
    s = await startServe(io, TEST_SERVE);
    // First contact: the server sets Push/PFN, the devices get their channels.
    await post('/api/clock/advance', { duration: 'PT1M' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (expectedHttpErrors > 0 && /status of 400/.test(m.text())) expectedHttpErrors--;
      else problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      requests++;
      if (!r.url().startsWith(`${s.controlUrl}/`)) problems.push(`request: ${r.url()}`);
    });
    await page.goto(`${s.controlUrl}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.waitForSelector('#live.ok', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no console errors and asks only its own control API', async () => {
    expect(problems).toEqual([]);
    expect(await text('#live')).toBe('live');
    expect(requests).toBeGreaterThan(1);
  });

  it('lists the fleet with each device state', async () => {
    expect(await page.locator('#fleet-body tr').count()).toBe(2);
    const laptop = await fleetRow('laptop').innerText();
    expect(laptop).toMatch(/^laptop\s+1607\s+80%/);
    expect(laptop).toContain('connected');
    expect(laptop).toContain('0 success');
    expect(laptop).toMatch(/\d\d-\d\d \d\d:\d\d$/);
    expect(await text('#fleet-count')).toBe('2 devices');
    expect(await text('#clock-mode')).toBe('virtual clock');
  });

  it('shows the chosen device: its timeline and its DM tree with Push/PFN', async () => {
    await fleetRow('tablet').click();
    await expect.poll(() => text('#device-title')).toMatch(/^tablet Windows 10 1607/);
    await expect
      .poll(() => page.locator('#tree-body tr[data-uri$="/Push/PFN"]').innerText())
      .toMatch(/PFN\s+chr\s+.*Contoso\.MDM_8wekyb3d8bbwe/);
    await fleetRow('laptop').click();
    await expect
      .poll(() => page.locator('#device-panel').getAttribute('data-device'))
      .toBe('laptop');
    await page.waitForSelector('#device-panel:not([data-busy])');
    await expect
      .poll(() => page.locator('#tree-body tr[data-uri$="/Push/ChannelURI"]').innerText())
      .toMatch(/ChannelURI\s+chr\s+.*http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const labels = async (): Promise<string[]> =>
      (await page.locator('#timeline .vis-labelset .vis-label').allInnerTexts()).map((l) =>
        l.trim(),
      );
    await expect.poll(labels).toContain('laptop Windows 10 1607');
    expect(await labels()).toContain('Sessions');
    expect(await page.locator('#timeline .vis-item.k-session').count()).toBeGreaterThan(0);
    expect(await page.locator('#timeline .vis-item.k-channel.v-valid').count()).toBe(1);
    expect(await text('#device-facts')).toContain('Contoso.MDM_8wekyb3d8bbwe');
  });

  it('the battery control puts the device in Battery Saver and the page follows live', async () => {
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#live.ok');
    // The page now holds this navigation's document: it must change without another reload.
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    const battery = page.locator('form[name="ctl-battery"]');
    await battery.locator('input[name="level"]').fill('5');
    await battery.locator('input[name="charging"]').uncheck();
    await battery.locator('button').click();
    await expect
      .poll(() => battery.locator('.result').innerText())
      .toBe('battery 5%, Battery Saver on, screen on, WNS disconnected');
    await expect.poll(() => fleetRow('laptop').innerText()).toMatch(/5%\s+on\s+disconnected/);
    await expect.poll(() => text('#device-facts')).toMatch(/Battery Saver on/);
    await expect
      .poll(() => page.locator('#timeline .vis-item.k-battery-saver.v-on').count())
      .toBe(1);
    await expect.poll(() => page.locator('#timeline .vis-item.k-wns.v-down').count()).toBe(1);
    expect(await text('#feed')).toMatch(/laptop .*Battery Saver/i);
    // A change made elsewhere (the API) shows up too.
    const res = await fetch(`${s.controlUrl}/api/devices/tablet`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ network: { connected: false, internet: false } }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => fleetRow('tablet').innerText()).toMatch(/disconnected/);
    expect(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(
      42,
    );
    expect(problems).toEqual([]);
  });

  it('shows an API error next to the control that caused it', async () => {
    expectedHttpErrors = 1;
    const pfn = page.locator('form[name="ctl-push"]');
    await pfn.locator('input[name="ttlSeconds"]').evaluate((e) => {
      const input = e as unknown as { value: string; removeAttribute(name: string): void };
      input.removeAttribute('min');
      input.value = '-5';
    });
    await pfn.locator('button').click();
    await expect
      .poll(() => pfn.locator('.result.error').innerText())
      .toMatch(/^ttlSeconds: expected a whole number of seconds, got -5/);
    await pfn.locator('input[name="ttlSeconds"]').fill('');
    await expect.poll(() => expectedHttpErrors).toBe(0);
    expect(problems).toEqual([]);
  });

  it('sends a push through the emulator with a cache policy and shows the result', async () => {
    const push = page.locator('form[name="ctl-push"]');
    await push.locator('select[name="cachePolicy"]').selectOption('cache');
    await push.locator('input[name="ttlSeconds"]').fill('3600');
    await push.locator('button').click();
    // The device is in Battery Saver, off WNS: WNS accepts the notification into its cache.
    await expect.poll(() => push.locator('.result.ok').innerText()).toMatch(/outcome: sent/);
    expect(await push.locator('.result').innerText()).toMatch(/notificationStatus: received/);
  });

  it('shows what happens when the clock advances', async () => {
    const before = await text('#clock-now');
    const sessions = await page.locator('#timeline .vis-item.k-session').count();
    // Charging again: Battery Saver ends, WNS comes back with the cached push, a push session runs.
    const res = await fetch(`${s.controlUrl}/api/devices/laptop`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ battery: { charging: true } }),
    });
    expect(res.status).toBe(200);
    await post('/api/clock/advance', { duration: 'PT2H' });
    await expect.poll(() => text('#clock-now')).not.toBe(before);
    await expect.poll(() => fleetRow('laptop').innerText()).toMatch(/off\s+connected/);
    await expect
      .poll(() => page.locator('#timeline .vis-item.k-session').count())
      .toBeGreaterThan(sessions);
    await expect.poll(() => text('#feed')).toMatch(/laptop .*session/i);
    // The cached push reached the device when WNS came back.
    await expect.poll(() => page.locator('#timeline .vis-item.vis-point.k-push').count()).toBe(1);
    await expect.poll(() => text('#feed')).toMatch(/laptop .*push.*cache/i);
    expect(problems).toEqual([]);
  });

  it('keeps the zoom of the timeline across live redraws; "show all" brings back the whole', async () => {
    type Scripted = {
      dmpushDashboard: {
        timelines(): { getWindow(): { start: Date; end: Date } }[];
        view(): { start: number; end: number } | null;
      };
    };
    const visible = (): Promise<number[]> =>
      page.evaluate(() => {
        const w = (globalThis as unknown as Scripted).dmpushDashboard.timelines()[0]?.getWindow();
        return w ? [w.start.valueOf(), w.end.valueOf()] : [];
      });
    const span = async (): Promise<number> => {
      const [a, b] = await visible();
      return (b as number) - (a as number);
    };
    await page.waitForSelector('#device-panel:not([data-busy])');
    const whole = await span();
    await page.locator('#timeline .vis-panel.vis-center').first().hover();
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -400);
    await page.keyboard.up('Control');
    const kept = (): Promise<number[]> =>
      page.evaluate(() => {
        const v = (globalThis as unknown as Scripted).dmpushDashboard.view();
        return v ? [v.start, v.end] : [];
      });
    // The zoom has settled when the page's kept window is the one shown.
    await expect
      .poll(async () => JSON.stringify(await kept()) === JSON.stringify(await visible()))
      .toBe(true);
    const zoomed = await kept();
    expect(await span()).toBeLessThan(whole * 0.9);
    // A change of the device: a live update redraws its timeline.
    const rev = await page.locator('#device-panel').getAttribute('data-rev');
    const res = await fetch(`${s.controlUrl}/api/devices/laptop`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ battery: { level: 70 } }),
    });
    expect(res.status).toBe(200);
    await expect
      .poll(() => page.locator('#device-panel').getAttribute('data-rev'), { timeout: 5000 })
      .not.toBe(rev);
    await page.waitForSelector('#device-panel:not([data-busy])');
    expect(await visible()).toEqual(zoomed);
    await page.locator('#timeline-fit').click();
    await expect.poll(span).toBeGreaterThan(whole * 0.9);
    expect(problems).toEqual([]);
  });

  it('takes a screenshot that is not blank', async () => {
    const file = join(dir, 'dashboard.png');
    await page.mouse.move(0, 0);
    // Live updates settled: the timeline has been redrawn after the last one.
    await page.waitForSelector('#device-panel:not([data-busy])');
    expect(await page.locator('#timeline .vis-item').count()).toBeGreaterThan(10);
    await page.screenshot({ path: file, fullPage: false });
    expectNotBlank(file, 0.005);
    if (process.env['DMPUSH_SCREENSHOT'] === '1') {
      copyFileSync(file, 'docs/img/dashboard.png');
      expect(statSync('docs/img/dashboard.png').size).toBeLessThan(300_000);
    }
    expect(problems).toEqual([]);
  });
});

describe('the dashboard with a larger fleet', () => {
  let s: RunningServe;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  const ids = async (): Promise<string[]> =>
    page
      .locator('#fleet-body tr')
      .evaluateAll((rows) =>
        rows.map((r) => (r as unknown as { dataset: { device: string } }).dataset.device),
      );

  beforeAll(async () => {
    s = await startServe(io, { ...TEST_SERVE, scenario: undefined, devices: 120 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${s.controlUrl}/#pc-77`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('pages the fleet list, opens on the page of the chosen device, and finds devices by id', async () => {
    expect(await page.locator('#fleet-count').innerText()).toBe('120 devices');
    // The device named in the address is selected, on its page.
    expect(await page.locator('#fleet-range').innerText()).toBe('51–100 of 120');
    expect(await page.locator('#fleet-body tr.selected').getAttribute('data-device')).toBe('pc-77');
    await page.locator('#fleet-pager button[data-page="1"]').click();
    expect(await page.locator('#fleet-range').innerText()).toBe('101–120 of 120');
    expect(await ids()).toHaveLength(20);
    expect(await page.locator('#fleet-pager button[data-page="1"]').isDisabled()).toBe(true);
    await page.locator('#fleet-pager button[data-page="-1"]').click();
    await page.locator('#fleet-pager button[data-page="-1"]').click();
    expect((await ids()).slice(0, 2)).toEqual(['pc-1', 'pc-2']);
    await page.locator('#fleet-filter').fill('pc-11');
    expect(await ids()).toEqual([
      'pc-11',
      ...Array.from({ length: 10 }, (_, i) => `pc-${110 + i}`),
    ]);
    expect(await page.locator('#fleet-pager').isHidden()).toBe(true);
    await page.locator('#fleet-body tr[data-device="pc-113"]').click();
    await expect
      .poll(() => page.locator('#device-panel').getAttribute('data-device'))
      .toBe('pc-113');
    expect(problems).toEqual([]);
  });
});

/**
 * `n` timeline events of `device`, one kind after another (poll sessions, pushes received,
 * battery changes), spread evenly from just after `after` to `until`, in time order.
 */
function busyEvents(device: string, n: number, after: number, until: number): TimelineEvent[] {
  const step = (until - after - 1) / n;
  return Array.from({ length: n }, (_, i): TimelineEvent => {
    const time = after + 1 + Math.floor(i * step);
    switch (i % 4) {
      case 0:
        return { time, device, type: 'session.started', trigger: 'poll' };
      case 1:
        return { time, device, type: 'session.completed', trigger: 'poll' };
      case 2:
        return {
          time,
          device,
          type: 'push.received',
          msgId: `seeded-${i}`,
          channelUri: 'http://127.0.0.1/?token=seeded',
          cached: false,
          priority: 3,
        };
      default:
        return { time, device, type: 'power.changed', charging: i % 8 === 3, level: 40 + (i % 50) };
    }
  });
}

describe('the dashboard with a device of 100,000 events', () => {
  let s: RunningServe;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  const timelineBytes: number[] = [];
  const panel = (): ReturnType<Page['locator']> => page.locator('#device-panel');
  /** Waits (bounded by real time) for the panel to draw again after revision `rev`. */
  const redrawn = async (rev: string | null): Promise<void> => {
    await expect.poll(() => panel().getAttribute('data-rev'), { timeout: 10_000 }).not.toBe(rev);
    await page.waitForSelector('#device-panel:not([data-busy])', { timeout: 10_000 });
  };
  /** A round trip into the page: how long (real ms) the page takes to run a script. */
  const roundTrip = async (): Promise<number> => {
    const t0 = performance.now();
    await page.evaluate(() => 1);
    return performance.now() - t0;
  };
  const items = (): Promise<number> => page.locator('#timeline .vis-item').count();

  beforeAll(async () => {
    s = await startServe(io, TEST_SERVE);
    // A month, then hours in which nothing happens (the devices poll every 8 hours by then).
    await api(s).advance('P30D');
    await api(s).advance('PT3H');
    // The cheapest honest way to a busy device: its events go into the fleet's event log
    // directly (as the devices emit theirs), between the last real event and now.
    const last = s.events.list().at(-1)?.time ?? s.clock.now();
    expect(s.clock.now() - last).toBeGreaterThan(100_000);
    for (const e of busyEvents('laptop', 100_000, last, s.clock.now())) s.events.emit(e);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => {
      if (/\/api\/devices\/laptop\/timeline/.test(r.url()))
        void r.body().then((b) => timelineBytes.push(b.length));
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('selects it and draws a window of its timeline quickly, in a small answer; the page stays responsive', async () => {
    expect(s.events.list({ device: 'laptop' }).length).toBeGreaterThanOrEqual(99_000);
    await page.goto(`${s.controlUrl}/#tablet`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.waitForSelector('#device-panel:not([data-busy])', { timeout: 15_000 });
    const rev = await panel().getAttribute('data-rev');
    const t0 = performance.now();
    await page.locator('#fleet-body tr[data-device="laptop"]').click();
    await redrawn(rev);
    // Before windows: a 12 MB answer and 75,000 items, and a tab that stopped answering.
    expect(performance.now() - t0).toBeLessThan(8_000);
    expect(await roundTrip()).toBeLessThan(1_000);
    expect(await panel().getAttribute('data-device')).toBe('laptop');
    await expect.poll(() => timelineBytes.length).toBeGreaterThan(0);
    expect(Math.max(...timelineBytes)).toBeLessThan(500_000);
    const shown = await items();
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(1_500);
    // The bar says what is shown, and the overview covers the whole timeline.
    expect(await page.locator('#timeline-window').isVisible()).toBe(true);
    expect(await page.locator('.window-range').innerText()).toMatch(/^1,000 events of 100,\d{3}, /);
    expect(await page.locator('#timeline-window .slice').count()).toBe(120);
    expect(problems).toEqual([]);
  });

  it('moves the window earlier, to a slice of the overview, and back to the newest, each answer small', async () => {
    const range = (): Promise<string> => page.locator('.window-range').innerText();
    const newest = await range();
    let rev = await panel().getAttribute('data-rev');
    await page.locator('button[data-window="earlier"]').click();
    await redrawn(rev);
    const earlier = await range();
    expect(earlier).not.toBe(newest);
    expect(earlier).toMatch(/^1,000 events of /);
    expect(await page.locator('button[data-window="later"]').isEnabled()).toBe(true);
    rev = await panel().getAttribute('data-rev');
    await page.locator('#timeline-window .slice').nth(40).click();
    await redrawn(rev);
    expect(await range()).not.toBe(earlier);
    expect(await items()).toBeLessThan(1_500);
    expect(await roundTrip()).toBeLessThan(1_000);
    rev = await panel().getAttribute('data-rev');
    await page.locator('button[data-window="newest"]').click();
    await redrawn(rev);
    expect(await range()).toBe(newest);
    expect(Math.max(...timelineBytes)).toBeLessThan(500_000);
    expect(problems).toEqual([]);
  });
});
