import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import { DAY, HOUR } from '../../src/core/time/iso.js';
import { findDemo } from '../../src/demos.js';
import {
  browserBundle,
  browserBundleDir,
  BrowserBundleMissingError,
} from '../../src/adapters/pages/browser-bundle.js';
import { renderHtmlReport } from '../../src/adapters/pages/html-report.js';
import {
  countOf,
  escapeHtml,
  formatIsoTime,
  formatTime,
  pushStatusLabel,
} from '../../src/report/format.js';
import { buildReportData, jsonForScript, type ReportData } from '../../src/report/html-report.js';
import {
  buildTimelineModel,
  LANES,
  LEGEND,
  type Lane,
  type LaneKind,
  type TimelineItem,
  type TimelineModel,
} from '../../src/report/timeline-model.js';
import { fixture, runScenarioFile, type ScenarioRun } from '../helpers/run-scenario.js';

const demoRun = (name: string): ScenarioRun => {
  const demo = findDemo(name);
  if (!demo) throw new Error(`no demo ${name}`);
  return runScenarioFile(demo.path);
};

const modelOf = (run: ScenarioRun): TimelineModel =>
  buildTimelineModel(run.events, {
    start: run.spec.start,
    end: run.spec.end,
    devices: run.spec.devices.map((d) => d.id),
  });

const lane = (model: TimelineModel, kind: LaneKind, device = 'laptop'): Lane => {
  const l = model.devices.find((d) => d.id === device)?.lanes.find((x) => x.kind === kind);
  if (!l) throw new Error(`no ${kind} lane for ${device}`);
  return l;
};
const items = (model: TimelineModel, kind: LaneKind, device = 'laptop'): readonly TimelineItem[] =>
  lane(model, kind, device).items;

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('timeline model: offline-across-expiry-1511', () => {
  const run = demoRun('offline-across-expiry-1511');
  const model = modelOf(run);

  it('has one device with every lane but enrollment (it never enrolls), in order, on the run axis', () => {
    expect(model.start).toBe(run.spec.start);
    expect(model.end).toBe(run.spec.end);
    expect(model.devices.map((d) => [d.id, d.os])).toEqual([['laptop', '1511']]);
    expect(model.devices[0]!.lanes.map((l) => l.kind)).toEqual(
      LANES.filter((l) => !l.optional).map((l) => l.kind),
    );
  });

  it('every item is well formed: rows of its lane, start ≤ end, a sentence, a legend entry', () => {
    const legend = new Set(LEGEND.map((e) => `${e.kind} ${e.variant}`));
    for (const l of model.devices[0]!.lanes) {
      for (const item of l.items) {
        expect(l.rows).toContain(item.row);
        expect(item.lane).toBe(l.kind);
        expect(item.device).toBe('laptop');
        if (item.end !== null) expect(item.end).toBeGreaterThanOrEqual(item.start);
        expect(item.explanation).toMatch(/^[A-Z0-9].*\.$/);
        if (item.kind !== 'push-status') expect(legend).toContain(`${item.kind} ${item.variant}`);
      }
      const ids = l.items.map((i) => i.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('WNS connection: up, down for no-network while offline (day 10 to day 40), up again', () => {
    const wns = items(model, 'wns');
    expect(wns.map((i) => i.variant)).toEqual(['up', 'down', 'up']);
    const down = wns[1]!;
    expect(down.start).toBe(T0 + 10 * DAY);
    expect(down.label).toBe('down: no-network');
    expect(down.explanation).toContain('the device has no network');
    expect(wns[2]!.end).toBe(run.spec.end);
  });

  it('network: online, no network from day 10 to day 40, then wifi', () => {
    const net = items(model, 'network');
    expect(net.map((i) => [i.variant, i.start, i.end])).toEqual([
      ['online', T0, T0 + 10 * DAY],
      ['offline', T0 + 10 * DAY, T0 + 40 * DAY],
      ['online', T0 + 40 * DAY, run.spec.end],
    ]);
    expect(net[2]!.label).toBe('wifi');
  });

  it('channel lifetime: the first channel until it expires on day 30, none until the renewal, then a new one', () => {
    const ch = items(model, 'channel').filter((i) => i.kind === 'channel');
    const issued = run.of('channel.issued', 'laptop');
    expect(ch.map((i) => i.variant)).toEqual(['valid', 'none', 'valid']);
    expect([ch[0]!.start, ch[0]!.end]).toEqual([T0, T0 + 30 * DAY]);
    expect(ch[0]!.explanation).toContain('expired at 2026-01-31 00:00');
    expect([ch[1]!.start, ch[1]!.end]).toEqual([T0 + 30 * DAY, issued[1]!.time]);
    expect([ch[2]!.start, ch[2]!.end]).toEqual([issued[1]!.time, issued[1]!.expiresAt]);
    const status = items(model, 'channel').filter((i) => i.kind === 'push-status');
    expect(status.map((i) => i.label)).toEqual(['Status 0', 'Status 5', 'Status 0']);
  });

  it('renewal: one window per decision, earliest–latest as a range (the 15-day mark as a wait)', () => {
    const decisions = run.of('renewal.scheduled', 'laptop');
    const windows = items(model, 'renewal').filter((i) => i.kind === 'renewal-window');
    expect(windows).toHaveLength(decisions.length);
    for (const [i, d] of decisions.entries()) {
      const w = windows.find(
        (x) =>
          x.variant === d.rule && x.start === (d.rule === 'fifteen-day-mark' ? d.time : d.earliest),
      );
      expect(w, `window of decision ${i}`).toBeDefined();
      if (d.rule === 'within-fifteen-days') expect(w!.end! - w!.start).toBe(2 * HOUR);
      if (d.rule === 'expired') expect(w!.end! - w!.start).toBe(8 * HOUR);
      if (d.rule === 'fifteen-day-mark') expect(w!.end).toBe(d.at);
    }
    expect(windows[0]!.label).toBe('renew at 15 days left (01-16)');
  });

  it('renewal attempts say what happened and what comes next, in words', () => {
    const attempts = items(model, 'renewal').filter((i) => i.kind === 'renewal-attempt');
    expect(attempts).toHaveLength(run.of('channel.requested', 'laptop').length);
    expect(attempts.filter((a) => a.variant === 'failed')).toHaveLength(100);
    expect(attempts.filter((a) => a.variant === 'succeeded')).toHaveLength(2);
    const first = attempts.find((a) => a.start === T0 + 15 * DAY)!;
    expect(first.explanation).toBe(
      '1511: renewal attempt at 2026-01-16 00:00 failed: no network (15 days left on the channel); next in 4 ± 1 h (rule within-fifteen-days): window 03:00 – 05:00, drawn 03:53:28.',
    );
    const afterExpiry = attempts.filter((a) => a.variant === 'failed' && a.start > T0 + 30 * DAY);
    expect(afterExpiry.length).toBeGreaterThan(5);
    expect(afterExpiry[0]!.explanation).toMatch(
      /^1511: renewal attempt at .* failed: no network \(channel expired .* ago\); next in 1 day ± 4 h \(rule expired\)/,
    );
    expect(attempts.at(-1)!.explanation).toContain('succeeded: new ChannelURI valid until');
  });

  it('sessions: one point per start or skip, coloured by trigger', () => {
    const sessions = items(model, 'session');
    expect(sessions).toHaveLength(
      run.of('session.started', 'laptop').length + run.of('session.skipped', 'laptop').length,
    );
    expect(sessions.every((s) => s.end === null)).toBe(true);
    expect(new Set(sessions.map((s) => s.variant))).toEqual(
      new Set(['provisioned', 'poll', 'skipped', 'renewal']),
    );
    expect(sessions[0]!.explanation).toBe(
      'OMA-DM session (trigger provisioned) 2026-01-01 00:00: completed after 3 s.',
    );
    expect(sessions.find((s) => s.variant === 'skipped')!.explanation).toBe(
      'Poll due at 2026-01-11 02:00: no session possible, no network.',
    );
  });

  it('fleet summary: connected, channels, sessions by trigger, renewals by rule', () => {
    const s = model.summary;
    expect(s.at).toBe(run.spec.end);
    expect(s.devices).toBe(1);
    expect(s.connected).toBe(1);
    expect(s.events).toBe(run.events.length);
    expect(s.channels).toEqual({
      valid: 1,
      expiringWithin15Days: 0,
      expired: 0,
      none: 0,
      expiringDevices: [],
    });
    const rules = { 'fifteen-day-mark': 0, 'within-fifteen-days': 0, expired: 0, 'no-network': 0 };
    for (const d of run.of('renewal.scheduled')) rules[d.rule]++;
    expect(s.renewals).toEqual(rules);
    expect(s.attempts).toEqual({ succeeded: 2, failed: 100, skipped: 0, pending: 0 });
    expect(s.sessions.poll).toEqual({
      started: run.of('session.started').filter((e) => e.trigger === 'poll').length,
      failed: 0,
      skipped: run.of('session.skipped').length,
    });
    expect(s.sessions.renewal.started).toBe(1);
    expect(Object.values(s.pushes).every((n) => n === 0)).toBe(true);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(modelOf(demoRun('offline-across-expiry-1511')))).toBe(
      JSON.stringify(model),
    );
  });
});

describe('timeline model: other demos', () => {
  it('no-network-1607: skipped attempts read "1607: no network at …, attempt skipped, next in 4 ± 1 h"', () => {
    const model = modelOf(demoRun('no-network-1607'));
    const skipped = items(model, 'renewal').filter((i) => i.variant === 'skipped');
    expect(skipped.length).toBeGreaterThan(20);
    for (const a of skipped)
      expect(a.explanation).toMatch(
        /^1607: no network at \d{4}-\d\d-\d\d \d\d:\d\d, attempt skipped \(.*\); next in 4 ± 1 h \(rule no-network\): window /,
      );
    expect(model.summary.attempts.skipped).toBe(skipped.length);
    expect(model.summary.renewals['no-network']).toBe(skipped.length);
  });

  it('battery-saver: battery level, the Battery Saver period, and each push outcome', () => {
    const run = demoRun('battery-saver');
    const model = modelOf(run);
    const at = (h: number) => run.spec.start + h * HOUR;
    const power = items(model, 'power');
    expect(power.filter((i) => i.kind === 'battery').map((i) => [i.label, i.variant])).toEqual([
      ['30% → 20%', 'mid'],
      ['20% → 10%', 'low'],
      ['10% ⚡', 'low'],
    ]);
    const saver = power.filter((i) => i.kind === 'battery-saver');
    expect(saver.map((i) => [i.start, i.end])).toEqual([[at(5), at(10)]]);
    expect(items(model, 'wns').find((i) => i.variant === 'down')!.label).toBe(
      'down: battery-saver',
    );
    const pushes = items(model, 'push');
    expect(pushes.map((p) => [p.variant, p.label, p.start, p.end])).toEqual([
      ['dropped', '#1 dropped', at(6), null],
      ['expired', '#2 expired', at(7), at(8)],
      ['delivered-from-cache', '#3 cached → delivered', at(9), at(10)],
    ]);
    expect(pushes[1]!.explanation).toBe(
      'Push laptop#2 sent 2026-01-01 15:00 (cache, TTL 3600 s): the device was offline, WNS cached it until 16:00; dropped at 16:00: its TTL expired while it waited in the cache.',
    );
    expect(model.summary.pushes).toEqual({
      delivered: 0,
      'delivered-from-cache': 1,
      cached: 0,
      dropped: 1,
      expired: 1,
      rejected: 0,
    });
    expect(model.summary.sessions.push.started).toBe(1);
  });

  it('data-sense-cap: the limit period; pfn-blocked: a cloud-wide blocked band and a rejected push', () => {
    const ds = modelOf(demoRun('data-sense-cap'));
    const limit = items(ds, 'data-sense');
    expect(limit).toHaveLength(1);
    expect(limit[0]!.end).toBe(Date.parse('2026-02-01T00:00:00Z'));
    expect(limit[0]!.label).toMatch(/^limit reached \(\d+ MB\)$/);

    const blocked = modelOf(demoRun('pfn-blocked'));
    expect(blocked.cloud).toHaveLength(1);
    expect(blocked.cloud[0]).toMatchObject({
      kind: 'pfn-blocked',
      device: null,
      start: Date.parse('2026-01-06T00:00:00Z'),
      end: blocked.end,
    });
    const rejected = items(blocked, 'push').filter((p) => p.variant === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.explanation).toContain('WNS answered 410 (pfn-blocked)');
    expect(blocked.summary.pushes.rejected).toBe(1);
    expect(blocked.summary.channels.expiringWithin15Days).toBe(1);
    expect(blocked.summary.channels.expiringDevices).toEqual(['laptop']);
  });
});

describe('timeline model: summary state and limits', () => {
  const started = (device: string, time = T0): TimelineEvent => ({
    time,
    device,
    type: 'device.started',
    os: '1607',
    pfn: 'P',
    battery: 80,
    charging: false,
    connected: true,
    internet: true,
    metered: false,
  });
  const issued = (device: string, time: number, expiresAt: number): TimelineEvent => ({
    time,
    device,
    type: 'channel.issued',
    channelUri: `https://x/${device}`,
    expiresAt,
  });
  const events: TimelineEvent[] = [
    started('a'),
    started('b'),
    started('c'),
    started('d'),
    issued('a', T0, T0 + 10 * DAY),
    issued('b', T0, T0 + 20 * DAY),
    issued('c', T0, T0 + 2 * DAY),
    { time: T0, device: 'a', type: 'wns.connected' },
    { time: T0, device: 'b', type: 'wns.connected' },
    { time: T0 + DAY, device: 'b', type: 'wns.disconnected', reason: 'cloud' },
    { time: T0 + 2 * DAY, device: 'c', type: 'channel.expired', channelUri: 'https://x/c' },
  ];

  it('counts connections and channels at `now`: expiring within 15 days, expired, none', () => {
    const m = buildTimelineModel(events, { start: T0, end: T0 + 3 * DAY });
    expect(m.summary.connected).toBe(1);
    expect(m.summary.channels).toEqual({
      valid: 2,
      expiringWithin15Days: 1,
      expired: 1,
      none: 1,
      expiringDevices: ['a'],
    });
    const later = buildTimelineModel(events, { start: T0, end: T0 + 3 * DAY, now: T0 + 6 * DAY });
    expect(later.summary.channels.expiringWithin15Days).toBe(2);
  });

  it('shows at most maxDevices devices, in the given order, and counts all in the summary', () => {
    const m = buildTimelineModel(events, { devices: ['d', 'c'], maxDevices: 3 });
    expect(m.devices.map((d) => d.id)).toEqual(['d', 'c', 'a']);
    expect(m.omittedDevices).toEqual(['b']);
    expect(m.summary.devices).toBe(4);
    expect(m.start).toBe(T0);
    expect(m.end).toBe(T0 + 2 * DAY);
  });

  it('an empty run gives an empty model', () => {
    const m = buildTimelineModel([], { start: T0, end: T0 + DAY });
    expect(m.devices).toEqual([]);
    expect(m.summary.devices).toBe(0);
  });
});

describe('HTML report', () => {
  const run = demoRun('battery-saver');
  const options = {
    title: 'Battery </script> <b>report</b>',
    description: 'story',
    seed: run.spec.seed,
    events: run.events,
    start: run.spec.start,
    end: run.spec.end,
    devices: ['laptop'],
  };
  const html = renderHtmlReport(options);

  const embedded = (page: string): ReportData => {
    const m = /<script type="application\/json" id="dmpush-data">([^<]*)<\/script>/.exec(page);
    if (!m) throw new Error('no data script');
    return JSON.parse(m[1]!) as ReportData;
  };

  it('is one self-contained page: the library, the data and the view inline, nothing fetched', () => {
    expect(html.startsWith('<!doctype html>\n')).toBe(true);
    expect(html).toContain('vis-timeline 8.');
    expect(html).toContain('window.dmpushReport');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)\b/i);
    expect(html).not.toContain('sourceMappingURL');
    // Every script element closes where it should: three opened, three closed.
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
    expect(html).toContain('<title>Battery &lt;/script&gt; &lt;b&gt;report&lt;/b&gt;</title>');
  });

  it('embeds the report data as JSON, escaped for a script element', () => {
    const data = embedded(html);
    expect(data).toEqual(JSON.parse(JSON.stringify(buildReportData(options))));
    expect(data.title).toBe(options.title);
    expect(data.sections[0]!.model.devices[0]!.id).toBe('laptop');
    expect(jsonForScript({ a: '</script><!-- \u2028' })).toBe(
      '{"a":"\\u003c/script>\\u003c!-- \\u2028"}',
    );
  });

  it('device ids with markup stay data', () => {
    const evil = '</script><script>alert(1)</script>';
    const page = renderHtmlReport({
      title: 't',
      events: run.events.map((e) => ({ ...e, device: e.device === null ? null : evil })),
    });
    expect(page).not.toContain(evil);
    expect(embedded(page).sections[0]!.model.devices[0]!.id).toBe(evil);
  });

  it('is byte-identical for the same input, and holds one section per run', () => {
    expect(renderHtmlReport(options)).toBe(html);
    const two = buildReportData({
      title: 'two',
      sections: [
        { title: 'one', events: run.events },
        { title: 'two', events: run.events.slice(0, 5) },
      ],
    });
    expect(two.sections.map((s) => s.title)).toEqual(['one', 'two']);
  });
});

describe("the pages' browser code, bundled from src/browser/ by npm run build", () => {
  it('the report inlines the built report bundle: its script and its styles', () => {
    const html = renderHtmlReport({ title: 't', events: demoRun('battery-saver').events });
    const bundle = browserBundle('report');
    expect(bundle.script).toContain('window.dmpushReport');
    expect(html).toContain(`<style>${bundle.style}</style>`);
    expect(html).toContain(
      `<script>\n${bundle.script.replace(/<\/(script)/gi, '<\\/$1')}\n</script>`,
    );
    // The library is a global of the page, never bundled in: the bundle is small.
    expect(bundle.script.length).toBeLessThan(100_000);
    expect(bundle.script).not.toMatch(/\bfrom\s*["']|\brequire\(/);
  });

  it('a missing bundle is an error that says to run npm run build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmpush-no-bundle-'));
    try {
      const error = (() => {
        try {
          browserBundle('dashboard', dir);
        } catch (e) {
          return e;
        }
        throw new Error('no error');
      })();
      expect(error).toBeInstanceOf(BrowserBundleMissingError);
      expect(error).toMatchObject({ code: 'E_NOT_BUILT', path: join(dir, 'dashboard.js') });
      expect((error as Error).message).toMatch(
        /^the browser code is not built: .*dashboard\.js is missing\. Run `npm run build`/,
      );
      expect(browserBundleDir('/pkg')).toBe(join('/pkg', 'dist', 'browser'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('value renderers shared by the model, the report and the dashboard', () => {
  it('write times, Push/Status values, counts and HTML text one way', () => {
    const t = Date.parse('2026-01-16T03:53:07Z');
    expect(formatTime(t)).toBe('2026-01-16 03:53');
    expect(formatTime(t, t - HOUR, true)).toBe('03:53:07');
    expect(formatIsoTime('2026-01-16T03:53:07.000Z')).toBe('2026-01-16 03:53');
    expect(formatIsoTime(null)).toBe('—');
    expect(pushStatusLabel(0)).toBe('0 success');
    expect(pushStatusLabel(5)).toBe('5 Channel URI expired');
    expect([countOf(1, 'device'), countOf(2, 'device')]).toEqual(['1 device', '2 devices']);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});

describe('CLI: --format html and --out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const BASIC = fixture('fixtures/scenarios/basic.yaml');

  async function cli(argv: string[], isTty = false) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readFile: (path) => readFileSync(path, 'utf8'),
      isTty,
    });
    return { code, stdout, stderr };
  }
  const data = (page: string): ReportData =>
    JSON.parse(
      /<script type="application\/json" id="dmpush-data">([^<]*)<\/script>/.exec(page)![1]!,
    ) as ReportData;

  it('demo <name> --out report.html writes the HTML report (the extension picks the format)', async () => {
    const out = join(dir, 'report.html');
    const r = await cli(['demo', 'offline-across-expiry-1511', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(
        `^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: HTML report, 1 device, \\d+ events, \\d+ KB\\n$`,
      ),
    );
    const page = readFileSync(out, 'utf8');
    expect(page.startsWith('<!doctype html>')).toBe(true);
    const d = data(page);
    expect(d.title).toBe('dmpush demo offline-across-expiry-1511');
    expect(d.sections[0]!.title).toBe('offline-across-expiry-1511');
    expect(d.sections[0]!.description).toMatch(/^A 1511 laptop is offline/);
    expect(d.sections[0]!.seed).toBe(7);
  });

  it('run <scenario> --format html writes the page to standard output, or to --out', async () => {
    const r = await cli(['run', BASIC, '--format', 'html']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(data(r.stdout).sections[0]!.model.devices.map((d) => d.id)).toEqual([
      'laptop',
      'tablet',
    ]);
    const out = join(dir, 'run.report');
    const f = await cli(['run', BASIC, '--format', 'html', '--out', out, '--device', 'tablet']);
    expect(f.code).toBe(0);
    expect(data(readFileSync(out, 'utf8')).sections[0]!.model.devices.map((d) => d.id)).toEqual([
      'tablet',
    ]);
  });

  it('--out with a timeline format writes the same bytes as standard output', async () => {
    const jsonl = await cli(['run', BASIC, '--format', 'jsonl']);
    const out = join(dir, 'timeline.jsonl');
    const r = await cli(['run', BASIC, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*timeline\.jsonl: \d+ events \(jsonl\), \d+ KB\n$/);
    expect(readFileSync(out, 'utf8')).toBe(jsonl.stdout);
    const text = await cli(['demo', 'battery-saver']);
    const txt = join(dir, 'demo.txt');
    expect((await cli(['demo', 'battery-saver', '--out', txt])).code).toBe(0);
    expect(readFileSync(txt, 'utf8')).toBe(text.stdout);
    const forced = join(dir, 'forced.html');
    expect((await cli(['demo', 'battery-saver', '--format', 'text', '--out', forced])).code).toBe(
      0,
    );
    expect(readFileSync(forced, 'utf8')).toBe(text.stdout);
  });

  it('demo --all --out all.html: one report, one section per demo', async () => {
    const out = join(dir, 'all.html');
    const r = await cli(['demo', '--all', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/HTML report, 10 runs, 10 devices, \d+ events/);
    const d = data(readFileSync(out, 'utf8'));
    expect(d.sections.map((s) => s.title)).toContain('offline-across-expiry-1511');
    expect(d.sections).toHaveLength(10);
  });

  it.each([
    [['demo', '--out', 'x.html'], '--out needs a demo name or --all'],
    [['demo', '--format', 'html'], '--format html needs a demo name or --all'],
    [['demo', 'battery-saver', '--all', '--out', 'x.html'], 'give a demo name or --all, not both'],
    [
      ['run', BASIC, '--out', '/nonexistent-dir/x/report.html'],
      '--out /nonexistent-dir/x/report.html: cannot write the file (ENOENT)',
    ],
    [['run', BASIC, '--out', ''], '--out needs a file name'],
    [['run', BASIC, '--format', 'pdf'], "'pdf' is invalid"],
  ])('%j exits 2 with a clear message', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('does not print a whole HTML page to a terminal', async () => {
    const r = await cli(['demo', 'battery-saver', '--format', 'html'], true);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --out report.html');
  });

  it('bad flags leave no file behind', () => {
    expect(existsSync('x.html')).toBe(false);
  });
});
