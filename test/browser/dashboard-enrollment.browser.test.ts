/**
 * Enrollment in headless Chromium. The dashboard of a real `dmpush serve` (virtual clock): a
 * device that is not enrolled says so; enrollment events put in the fleet's event log show on
 * the device's timeline (an Enrollment lane, a failed attempt with its stage, the enrolled period,
 * a server-side unenrollment, the enrolled session). The device panel's enrollment facts and the
 * fleet list's badge are checked with the server's own device answers given an `enrollment`
 * value by the test (HTTP and `/api/live` alike), and without the field, as a server that
 * predates it sends them. The HTML report of a run with enrollment draws it from disk.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/adapters/pages/html-report.js';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/core/time/iso.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import { formatTime } from '../../src/report/format.js';
import { CHROMIUM, expectNotBlank, launchChromium } from '../helpers/browser.js';
import { api, TEST_SERVE } from '../helpers/serve.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};
const DISCOVERY = 'https://enterpriseenrollment.contoso.com/EnrollmentServer/Discovery.svc';
const THUMBPRINT = '3A7F0C9E1B2D4F6A8C0E2B4D6F8A0C2E4B6D8F0A';
const MANAGEMENT_URL = 'https://mdm.contoso.com/ManagementServer/MDM.svc';

/**
 * `device` fails once at the policy stage, tries again `retry` ms later, enrolls with Contoso and
 * runs its first session.
 */
function laptopEnrolls(device: string, t: number, retry: number): TimelineEvent[] {
  const again = t + retry;
  return [
    { time: t, device, type: 'enrollment.started', discoveryUrl: DISCOVERY },
    {
      time: t + 2 * SECOND,
      device,
      type: 'enrollment.failed',
      stage: 'policy',
      status: 500,
      reason: 's:Receiver: the policy service is unavailable',
    },
    { time: again, device, type: 'enrollment.started', discoveryUrl: DISCOVERY },
    {
      time: again + SECOND,
      device,
      type: 'enrollment.discovered',
      authPolicy: 'OnPremise',
      policyUrl: 'https://enterpriseenrollment.contoso.com/EnrollmentServer/Policy.svc',
      enrollmentUrl: 'https://enterpriseenrollment.contoso.com/EnrollmentServer/Enrollment.svc',
    },
    {
      time: again + 4 * SECOND,
      device,
      type: 'enrollment.completed',
      providerId: 'Contoso',
      managementUrl: MANAGEMENT_URL,
      certificateThumbprint: THUMBPRINT,
    },
    { time: again + 4 * SECOND, device, type: 'session.started', trigger: 'enrolled' },
    { time: again + 6 * SECOND, device, type: 'session.completed', trigger: 'enrolled' },
  ];
}

/** `device` enrolls at once (an attempt of no time), then the server removes its account. */
function tabletLeaves(device: string, t: number): TimelineEvent[] {
  return [
    { time: t, device, type: 'enrollment.started', discoveryUrl: DISCOVERY },
    {
      time: t,
      device,
      type: 'enrollment.completed',
      providerId: 'Contoso',
      managementUrl: MANAGEMENT_URL,
      certificateThumbprint: THUMBPRINT,
    },
    {
      time: t + 20 * SECOND,
      device,
      type: 'unenrolled',
      providerId: 'Contoso',
      initiator: 'server',
    },
  ];
}

it(`Chromium is installed at ${CHROMIUM} (the browser tests need it)`, () => {
  expect(existsSync(CHROMIUM), 'install it: apt-get install -y chromium').toBe(true);
});

describe('enrollment on the live dashboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-enrollment-'));
  let s: RunningServe;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  /** What the test makes of the server's devices: an enrollment for the laptop, or no field. */
  let answers: 'laptop-enrolled' | 'no-field' = 'laptop-enrolled';
  let laptopEnrollment: Record<string, unknown> = {};
  let enrolledAt = 0;
  let notAfter = 0;

  const rewrite = (devices: Record<string, unknown>[]): Record<string, unknown>[] =>
    devices.map((d) => {
      if (answers === 'no-field') {
        const { enrollment: _gone, ...rest } = d;
        return rest;
      }
      return d['id'] === 'laptop' ? { ...d, enrollment: laptopEnrollment } : d;
    });

  /** The server's answers with the test's enrollment: `GET /api/devices` and `/api/live`. */
  async function routeDevices(p: Page): Promise<void> {
    await p.route(
      (url) => url.pathname === '/api/devices',
      async (route) => {
        const response = await route.fetch();
        const devices = (await response.json()) as Record<string, unknown>[];
        await route.fulfill({ response, json: rewrite(devices) });
      },
    );
    await p.routeWebSocket(
      (url) => url.pathname === '/api/live',
      (ws) => {
        const server = ws.connectToServer();
        server.onMessage((message) => {
          const msg = JSON.parse(String(message)) as { devices?: Record<string, unknown>[] };
          if (msg.devices) msg.devices = rewrite(msg.devices);
          ws.send(JSON.stringify(msg));
        });
      },
    );
  }

  const text = (selector: string): Promise<string> => page.locator(selector).innerText();
  const fleetRow = (id: string) => page.locator(`#fleet-body tr[data-device="${id}"]`);
  const open = async (id: string): Promise<void> => {
    await fleetRow(id).click();
    await expect.poll(() => page.locator('#device-panel').getAttribute('data-device')).toBe(id);
    await page.waitForSelector('#device-panel:not([data-busy])', { timeout: 10_000 });
  };
  /** Loads the page afresh (a new document, not a move within it) with the tablet selected. */
  const load = async (): Promise<void> => {
    await page.goto('about:blank');
    await page.goto(`${s.controlUrl}/#tablet`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.waitForSelector('#live.ok', { timeout: 15_000 });
  };

  beforeAll(async () => {
    s = await startServe(io, TEST_SERVE);
    await api(s).advance('PT1M');
    // The events go into the fleet's event log (as devices emit theirs), after the last one.
    const last = s.events.list().at(-1)?.time ?? s.clock.now();
    expect(s.clock.now() - last).toBeGreaterThanOrEqual(55 * SECOND);
    for (const e of [
      ...laptopEnrolls('laptop', last + 5 * SECOND, 15 * SECOND),
      ...tabletLeaves('tablet', last + 30 * SECOND),
    ])
      s.events.emit(e);
    enrolledAt = last + 24 * SECOND;
    notAfter = s.clock.now() + 365 * DAY;
    laptopEnrollment = {
      providerId: 'Contoso',
      managementUrl: MANAGEMENT_URL,
      certificateThumbprint: THUMBPRINT,
      certificateSubject: 'CN=laptop.contoso.com',
      certificateNotAfter: new Date(notAfter).toISOString(),
      enrolledAt: new Date(enrolledAt).toISOString(),
      authType: 'OnPremise',
    };
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(`${s.controlUrl}/`)) problems.push(`request: ${r.url()}`);
    });
    await routeDevices(page);
    await load();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a device that is not enrolled says so, with no badge in the fleet list', async () => {
    await expect
      .poll(() => page.locator('#device-panel').getAttribute('data-device'))
      .toBe('tablet');
    await expect.poll(() => text('#device-facts')).toMatch(/Enrollment\s+not enrolled/i);
    expect(await page.locator('#device-facts [data-enrollment="none"]').count()).toBe(1);
    expect(await fleetRow('tablet').locator('.pill.enrolled').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('an enrolled device shows its provider, management URL, certificate and auth type', async () => {
    const badge = fleetRow('laptop').locator('.pill.enrolled');
    expect(await badge.innerText()).toBe('enrolled');
    expect(await badge.getAttribute('title')).toBe('enrolled with Contoso');
    await open('laptop');
    const facts = await text('#device-facts');
    expect(facts).toContain(`enrolled with Contoso (OnPremise) since ${formatTime(enrolledAt)}`);
    // (the labels are in capitals by the stylesheet)
    expect(facts).toContain(`MANAGEMENT URL ${MANAGEMENT_URL}`);
    expect(facts).toContain(
      `CERTIFICATE CN=laptop.contoso.com · expires ${formatTime(notAfter)} · thumbprint ${THUMBPRINT}`,
    );
    expect(await page.locator('#device-facts .pill.bad').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it("the device's timeline has an Enrollment lane: a failed attempt with its stage, then the enrolled period", async () => {
    const labels = (await page.locator('#timeline .vis-labelset .vis-label').allInnerTexts()).map(
      (l) => l.trim(),
    );
    expect(labels.slice(0, 3)).toEqual(['laptop Windows 10 1607', 'Enrollment', 'WNS connection']);
    const failed = page.locator('#timeline .vis-item.vis-range.k-enrollment.v-failed');
    expect(await failed.innerText()).toBe('failed: policy');
    expect(await text('#timeline .vis-item.vis-range.k-enrollment.v-enrolled')).toBe(
      'enrolled: Contoso',
    );
    expect(await page.locator('#timeline .vis-item.k-enrollment.v-enrolling').count()).toBe(1);
    expect(await page.locator('#timeline .vis-item.vis-point.k-session.v-enrolled').count()).toBe(
      1,
    );
    await failed.click();
    const details = page.locator('#timeline .details');
    await expect.poll(() => details.innerText()).toContain('laptop · Enrollment');
    expect(await details.innerText()).toContain(
      'Enrollment failed at the policy stage (HTTP 500: s:Receiver: the policy service is unavailable)',
    );
    const legend = await text('#timeline .legend');
    expect(legend).toMatch(/ENROLLMENT\s+enrolling \(discovery → policy → enroll\)/i);
    expect(legend).toContain('enrollment failed (stage)');
    expect(legend).toContain('session: enrolled (first)');
    expect(problems).toEqual([]);
  });

  it('an unenrollment by the server is a point that says who ended it', async () => {
    await open('tablet');
    // The attempt took no time: it is a point, not an invisible band.
    expect(
      await page.locator('#timeline .vis-item.vis-point.k-enrollment.v-enrolling').count(),
    ).toBe(1);
    const point = page.locator('#timeline .vis-item.vis-point.k-enrollment.v-unenrolled');
    expect(await point.count()).toBe(1);
    await point.click();
    await expect
      .poll(() => page.locator('#timeline .details').innerText())
      .toMatch(/Unenrolled from Contoso at .*: the server removed the device's account\./);
    await expect.poll(() => text('#device-facts')).toMatch(/Enrollment\s+not enrolled/i);
    expect(problems).toEqual([]);
  });

  it('takes a screenshot that is not blank', async () => {
    await open('laptop');
    const file = join(dir, 'dashboard-enrollment.png');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: file });
    expectNotBlank(file, 0.005);
  });

  it('answers without the field (a server that predates enrollment): not enrolled, no error', async () => {
    answers = 'no-field';
    await load();
    expect(await page.locator('#fleet-body .pill.enrolled').count()).toBe(0);
    await open('laptop');
    await expect.poll(() => text('#device-facts')).toMatch(/Enrollment\s+not enrolled/i);
    expect(problems).toEqual([]);
  });
});

describe('enrollment in the HTML report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-enrollment-report-'));
  const T0 = Date.parse('2026-03-02T08:00:00Z');
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const events: TimelineEvent[] = [
      {
        time: T0,
        device: 'laptop',
        type: 'device.started',
        os: '1607',
        pfn: null,
        battery: 80,
        charging: false,
        connected: true,
        internet: true,
        metered: false,
      },
      ...laptopEnrolls('laptop', T0 + 10 * MINUTE, 30 * MINUTE),
    ];
    const file = join(dir, 'report.html');
    writeFileSync(
      file,
      renderHtmlReport({ title: 'enrollment', events, start: T0, end: T0 + 3 * HOUR }),
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the Enrollment lane and counts enrollment in the summary', async () => {
    const labels = (await page.locator('.vis-labelset .vis-label').allInnerTexts()).map((l) =>
      l.trim(),
    );
    expect(labels.slice(0, 3)).toEqual(['laptop Windows 10 1607', 'Enrollment', 'WNS connection']);
    const summary = await page.locator('.summary').innerText();
    expect(summary).toMatch(/ENROLLED\s+1 \/ 1/);
    expect(summary).toMatch(/attempts\s+2/);
    expect(summary).toMatch(/failed at policy\s+1/);
    expect(summary).toMatch(/completed\s+1/);
    expect(problems).toEqual([]);
  });

  it('a failed attempt of seconds in a run of hours is a point, explained on hover', async () => {
    const failed = page.locator('.vis-item.vis-point.k-enrollment.v-failed');
    expect(await failed.count()).toBe(1);
    await failed.hover();
    const tooltip = page.locator('div.vis-tooltip');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    expect(await tooltip.innerText()).toMatch(
      /^Enrollment failed at the policy stage \(HTTP 500: .*\) 2026-03-02 08:10 – 08:10 \(2 s\): the certificate enrollment policy service \(MS-XCEP\) gave no policy; discovery at https:\/\/enterpriseenrollment\.contoso\.com\/EnrollmentServer\/Discovery\.svc\.$/,
    );
    expect(await page.locator('.vis-item.vis-range.k-enrollment.v-enrolled').innerText()).toBe(
      'enrolled: Contoso',
    );
    expect(problems).toEqual([]);
  });
});
