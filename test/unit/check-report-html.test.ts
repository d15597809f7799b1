import { describe, expect, it } from 'vitest';
import { renderCheckHtml } from '../../src/adapters/pages/check-report.js';
import {
  summarize,
  type CheckReport,
  type Recording,
  type SituationId,
} from '../../src/core/check/model.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import { checkExcerpt, EXCERPT_EVENTS, renderCheckPage } from '../../src/report/check-report.js';
import type { PageAssets } from '../../src/report/page-assets.js';
import type { ReportData } from '../../src/report/report-data.js';
import { DAY, event, HOUR, MINUTE, recording, T0 } from '../helpers/check-recordings.js';
import { outcome, SOURCE } from '../helpers/check-recordings.js';

const ASSETS: PageAssets = {
  library: { name: 'vis-timeline', version: '8.0.0', script: '/* library */' },
  bundle: { script: '/* bundle */', style: '/* style */' },
};

const push = (time: number, msgId: string): TimelineEvent[] => [
  event(time, {
    type: 'push.sent',
    msgId,
    channelUri: 'https://wns.example/c1',
    status: 200,
    cachePolicy: 'cache',
    ttlSeconds: null,
  }),
  event(time + 1000, {
    type: 'push.received',
    msgId,
    channelUri: 'https://wns.example/c1',
    cached: false,
    priority: 'high',
  }),
];

/** The lifecycle: a channel at the start, pushes at 1 h and at 10 h. */
const LIFECYCLE = recording('lifecycle', {
  timeline: [
    event(T0, {
      type: 'channel.issued',
      channelUri: 'https://wns.example/c1',
      expiresAt: T0 + 30 * DAY,
    }),
    ...push(T0 + HOUR, 'm1'),
    event(T0 + HOUR + 5000, { type: 'session.started', trigger: 'push' }),
    event(T0 + HOUR + 9000, { type: 'session.completed', trigger: 'push' }),
    ...push(T0 + 10 * HOUR, 'm2'),
  ],
});

/** The throttle: a push a minute for 600 minutes. */
const THROTTLE = recording('throttle', {
  timeline: Array.from(
    { length: 600 },
    (_, i) => push(T0 + i * MINUTE, `t${i}`)[0] as TimelineEvent,
  ),
});

const HOSTILE = '<script>alert(1)</script>';
const CHECKS = [
  outcome({
    id: 'push-wakes-session',
    result: 'pass',
    evidence: [
      { time: T0 + HOUR, kind: 'wns', text: 'push to /c1 → 200' },
      { time: T0 + HOUR + 5000, kind: 'device', text: 'session.started trigger=push' },
    ],
  }),
  outcome({
    id: 'throttle-406-backoff',
    result: 'fail',
    situation: 'throttle',
    summary: HOSTILE,
    evidence: [{ time: T0 + 300 * MINUTE, kind: 'wns', text: 'push to /c1 → 406 & "Retry-After"' }],
  }),
  outcome({
    id: 'cache-policy',
    result: 'warn',
    title: `Cache ${HOSTILE}`,
    evidence: [{ time: T0 + 10 * HOUR, kind: 'wns', text: 'push to /c1 → 200' }],
  }),
  outcome({
    id: 'offline-across-expiry',
    result: 'skip',
    situation: 'expiry',
    summary: 'no trigger',
  }),
];

const REPORT: CheckReport = {
  server: 'https://mdm.example/<MDM>.svc',
  startedAt: '2026-01-01T00:00:00.000Z',
  dmpushVersion: '0.1.0',
  checks: CHECKS,
  summary: summarize(CHECKS),
};
const RECORDINGS = new Map<SituationId, Recording>([
  ['lifecycle', LIFECYCLE],
  ['throttle', THROTTLE],
]);

const dataOf = (html: string): ReportData => {
  const json = /<script type="application\/json" id="dmpush-data">(.*?)<\/script>/s.exec(html)?.[1];
  return JSON.parse(json ?? 'null') as ReportData;
};

describe('renderCheckPage', () => {
  const html = renderCheckPage(REPORT, RECORDINGS, ASSETS);
  const data = dataOf(html);

  it('has a header with the server, the date and the totals, and links to each check', () => {
    expect(html).toContain('<h1>dmpush check: https://mdm.example/&lt;MDM&gt;.svc</h1>');
    expect(html).toContain(
      'Started 2026-01-01 00:00 · 4 checks: 1 passed, 1 failed, 1 warned, 1 skipped · dmpush 0.1.0',
    );
    expect(html).toContain(
      '<a href="#section-1"><code class="check-id">throttle-406-backoff</code></a>',
    );
  });

  it('has one section per check, in order, each opening with its verdict', () => {
    expect(data.sections.map((s) => s.title)).toEqual(CHECKS.map((c) => c.title));
    CHECKS.forEach((check, i) => {
      const intro = data.sections[i]?.intro ?? '';
      expect(intro).toContain(`data-check="${check.id}" data-result="${check.result}"`);
      expect(intro).toContain(`<span class="badge result-${check.result}">${check.result}</span>`);
      expect(intro).toContain(`<a href="${SOURCE.url}" rel="noreferrer">${SOURCE.document}</a>`);
    });
    expect(data.sections[0]?.intro).toContain(
      '<li><time datetime="2026-01-01T01:00:00.000Z">2026-01-01 01:00</time> <span class="kind">wns</span> push to /c1 → 200</li>',
    );
    expect(data.sections[3]?.intro).toContain('No evidence recorded.');
  });

  it('escapes every text: no hostile markup reaches the page or its data', () => {
    expect(html).not.toContain(HOSTILE);
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(data.sections[1]?.intro).toContain(
      '<p class="check-summary">&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
    expect(data.sections[1]?.intro).toContain('→ 406 &amp; &quot;Retry-After&quot;');
    // The header's list of checks is in the page itself.
    expect(html).toContain('</a> Cache &lt;script&gt;alert(1)&lt;/script&gt;</li>');
  });

  it("draws each section's timeline from the excerpt around its evidence", () => {
    const pass = data.sections[0]?.model;
    // The push at 1 h with its session (4 events), not the channel at 0 h nor the push at 10 h.
    expect(pass?.summary.events).toBe(4);
    expect(pass?.summary.pushes.delivered).toBe(1);
    expect(pass?.start).toBe(T0 + HOUR - 10 * MINUTE);
    expect(pass?.end).toBe(T0 + HOUR + 5000 + 10 * MINUTE);
    expect(data.sections[2]?.model.summary.events).toBe(2);
    expect(data.sections[0]?.description).toBe(
      'Situation lifecycle: 4 of its 7 timeline events, around the evidence.',
    );
  });

  it('keeps at most EXCERPT_EVENTS events, those nearest the evidence', () => {
    const wide = outcome({
      id: 'no-push-storm',
      result: 'fail',
      situation: 'throttle',
      evidence: [
        { time: T0, kind: 'wns', text: 'first' },
        { time: T0 + 599 * MINUTE, kind: 'wns', text: 'last' },
      ],
    });
    const excerpt = checkExcerpt(wide, THROTTLE);
    expect(excerpt.events).toHaveLength(EXCERPT_EVENTS);
    const times = excerpt.events.map((e) => (e.time - T0) / MINUTE);
    expect(times.slice(0, 2)).toEqual([0, 1]);
    expect(times.at(-1)).toBe(599);
    expect(times).not.toContain(300);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(data.sections[1]?.model.summary.events).toBeLessThanOrEqual(EXCERPT_EVENTS);
  });

  it('draws an empty timeline for a check whose situation was not recorded', () => {
    expect(data.sections[3]?.model.summary.events).toBe(0);
    expect(data.sections[3]?.description).toBe(
      'No recording of situation expiry: the timeline is empty.',
    );
  });
});

describe('renderCheckHtml', () => {
  it('inlines the report bundle the run report uses', () => {
    const html = renderCheckHtml(REPORT, RECORDINGS);
    expect(html).toContain('id="dmpush-data"');
    expect(html).toContain('dmpushReport');
    expect(dataOf(html).sections).toHaveLength(4);
  });
});
