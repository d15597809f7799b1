/**
 * The fleet summary of a section as cards: WNS connections, channels (expiring within 15 days),
 * pushes by outcome, enrollment (when devices enroll), sessions by trigger, renewals by rule and
 * channel requests by outcome. The numbers come from the model ({@link FleetSummary}); rows carry
 * the legend's swatches.
 */
import type { LegendEntry } from '../../report/timeline-legend.js';
import type { FleetSummary } from '../../report/timeline-types.js';
import { el, esc } from '../shared/dom.js';
import { withSwatch } from './legend.js';

/** A row of a card: its label (HTML) and its value (text). */
type Row = readonly [labelHtml: string, value: string | number];

function card(title: string, value: string, rows: readonly Row[]): HTMLElement {
  const c = el('div', 'card');
  c.appendChild(el('div', 'card-title', esc(title)));
  c.appendChild(el('div', 'card-value', esc(value)));
  if (rows.length) {
    const body = rows
      .map(([label, v]) => `<tr><td>${label}</td><td class="num">${esc(v)}</td></tr>`)
      .join('');
    c.appendChild(el('div', 'card-rows', `<table>${body}</table>`));
  }
  return c;
}

const sum = (values: readonly number[]): number => values.reduce((n, v) => n + v, 0);

function channelsCard(s: FleetSummary, label: (kind: string, v: string, t: string) => string) {
  const rows: Row[] = [
    [label('channel', 'valid', 'valid'), s.channels.valid],
    [label('channel', 'none', 'expired'), s.channels.expired],
    [esc('no channel'), s.channels.none],
  ];
  if (s.channels.expiringDevices.length)
    rows.push([esc('expiring'), s.channels.expiringDevices.join(', ')]);
  return card('Channels expiring ≤ 15 days', String(s.channels.expiringWithin15Days), rows);
}

/** Triggers of enrollment, listed only for a section where devices enroll or sessions had them. */
const ENROLLMENT_TRIGGERS: ReadonlySet<string> = new Set(['enrolled', 'unenroll']);

/** True when the section shows enrollment: an attempt, an enrollment or an unenrollment. */
function hasEnrollment(s: FleetSummary): boolean {
  const e = s.enrollment;
  return e.started + e.enrolled + e.unenrolled.device + e.unenrolled.server > 0;
}

function sessionsCard(s: FleetSummary, label: (kind: string, v: string, t: string) => string) {
  const shown = Object.entries(s.sessions).filter(
    ([trigger, c]) =>
      !ENROLLMENT_TRIGGERS.has(trigger) || hasEnrollment(s) || c.started + c.failed + c.skipped > 0,
  );
  const rows = shown.map(([trigger, c]): Row => {
    const extra: string[] = [];
    if (c.failed) extra.push(`${c.failed} failed`);
    if (c.skipped) extra.push(`${c.skipped} not possible`);
    const value = `${c.started}${extra.length ? ` (${extra.join(', ')})` : ''}`;
    return [label('session', trigger, trigger), value];
  });
  const started = sum(Object.values(s.sessions).map((c) => c.started));
  return card('Sessions by trigger', String(started), rows);
}

function enrollmentCard(s: FleetSummary, label: (kind: string, v: string, t: string) => string) {
  const e = s.enrollment;
  const rows: Row[] = [
    [label('enrollment', 'enrolling', 'attempts'), e.started],
    [label('enrollment', 'enrolled', 'completed'), e.completed],
  ];
  for (const [stage, n] of Object.entries(e.failed))
    if (n) rows.push([label('enrollment', 'failed', `failed at ${stage}`), n]);
  if (e.unenrolled.device) rows.push([esc('left (Alert 1226)'), e.unenrolled.device]);
  if (e.unenrolled.server) rows.push([esc('removed by the server'), e.unenrolled.server]);
  return card('Enrolled', `${e.enrolled} / ${s.devices}`, rows);
}

/** The summary cards of one section. */
export function renderSummary(s: FleetSummary, legend: readonly LegendEntry[]): HTMLElement {
  const label = (kind: string, variant: string, text: string): string =>
    withSwatch(legend, kind, variant, text);
  const box = el('section', 'summary');
  box.appendChild(
    card('WNS connected', `${s.connected} / ${s.devices}`, [
      ['devices', s.devices],
      ['events', s.events],
    ]),
  );
  box.appendChild(channelsCard(s, label));
  const pushes = Object.entries(s.pushes);
  box.appendChild(
    card(
      'Pushes by outcome',
      String(sum(pushes.map(([, n]) => n))),
      pushes.map(([outcome, n]) => [label('push', outcome, outcome), n]),
    ),
  );
  if (hasEnrollment(s)) box.appendChild(enrollmentCard(s, label));
  box.appendChild(sessionsCard(s, label));
  const rules = Object.entries(s.renewals);
  box.appendChild(
    card(
      'Renewals by rule',
      String(sum(rules.map(([, n]) => n))),
      rules.map(([rule, n]) => [label('renewal-window', rule, rule), n]),
    ),
  );
  const a = s.attempts;
  box.appendChild(
    card(
      'Channel requests',
      String(a.succeeded + a.failed + a.skipped + a.pending),
      (['succeeded', 'failed', 'skipped'] as const).map((o) => [
        label('renewal-attempt', o, o),
        a[o],
      ]),
    ),
  );
  return box;
}
