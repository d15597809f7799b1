/**
 * The HTML report of `dmpush check` (docs/decisions/0015-check-as-recorded-runs-and-pure-judges.md):
 * the report page of a run (`html-report.ts`), with one section per check. A section opens with
 * the check's verdict (result badge, id, summary, evidence, source) and draws the timeline excerpt
 * that decided it: its situation's events around the evidence, at most {@link EXCERPT_EVENTS} of
 * them. The page's header names the server, the date and the totals, and lists the checks. Built
 * from text, without I/O: `renderCheckHtml` (`src/adapters/pages/check-report.ts`) reads the
 * assets. Every text is HTML-escaped.
 */
import type {
  CheckOutcome,
  CheckReport,
  CheckSource,
  Evidence,
  Recording,
  SituationId,
} from '../core/check/model.js';
import { totalsLine } from '../core/check/report-text.js';
import type { TimelineEvent } from '../core/timeline/events.js';
import { formatInstant, MINUTE } from '../core/time/iso.js';
import { escapeHtml, formatIsoTime, formatTime } from './format.js';
import { renderReportPage } from './html-report.js';
import type { PageAssets } from './page-assets.js';
import type { ReportSection } from './report-data.js';

/** Most timeline events a check's excerpt draws. */
export const EXCERPT_EVENTS = 200;
/** The least time shown before the first evidence and after the last. */
const MIN_MARGIN = 10 * MINUTE;

/** A check's part of its situation's timeline. */
interface Excerpt {
  readonly events: readonly TimelineEvent[];
  readonly start: number;
  readonly end: number;
}

/** The evidence's instants widened by a margin (a tenth of their span, at least 10 minutes). */
function excerptPeriod(check: CheckOutcome, recording: Recording): { from: number; to: number } {
  const times = check.evidence.map((e) => e.time);
  if (!times.length) return { from: recording.start, to: recording.end };
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const margin = Math.max(MIN_MARGIN, (hi - lo) / 10);
  return {
    from: Math.min(lo, Math.max(recording.start, lo - margin)),
    to: Math.max(hi, Math.min(recording.end, hi + margin)),
  };
}

/** How far `t` is from the nearest evidence (0 without evidence: the earliest events are kept). */
const distance = (t: number, evidence: readonly Evidence[]): number =>
  evidence.length ? Math.min(...evidence.map((e) => Math.abs(e.time - t))) : 0;

/**
 * The timeline events that decided `check`: those of its situation between its first and last
 * evidence, widened by a margin; when they are more than {@link EXCERPT_EVENTS}, those nearest an
 * evidence instant (without evidence, the earliest), in time order.
 */
export function checkExcerpt(check: CheckOutcome, recording: Recording): Excerpt {
  const { from, to } = excerptPeriod(check, recording);
  const inPeriod = recording.timeline.filter((e) => e.time >= from && e.time <= to);
  if (inPeriod.length <= EXCERPT_EVENTS) return { events: inPeriod, start: from, end: to };
  const kept = inPeriod
    .map((event, i) => ({ event, i, d: distance(event.time, check.evidence) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, EXCERPT_EVENTS)
    .sort((a, b) => a.i - b.i)
    .map((k) => k.event);
  const times = [...kept.map((e) => e.time), ...check.evidence.map((e) => e.time)];
  return { events: kept, start: Math.min(...times), end: Math.max(...times) };
}

const esc = escapeHtml;

function evidenceItem(e: Evidence): string {
  const when = `<time datetime="${formatInstant(e.time)}">${esc(formatTime(e.time, undefined, true))}</time>`;
  return `<li>${when} <span class="kind">${esc(e.kind)}</span> ${esc(e.text)}</li>`;
}

/** The source, linked when its URL is a web address. */
function sourceHtml(source: CheckSource): string {
  const doc = /^https?:\/\//i.test(source.url)
    ? `<a href="${esc(source.url)}" rel="noreferrer">${esc(source.document)}</a>`
    : `${esc(source.document)} (${esc(source.url)})`;
  return `<blockquote class="check-source">“${esc(source.quote)}” — ${doc}</blockquote>`;
}

const badge = (check: CheckOutcome): string =>
  `<span class="badge result-${check.result}">${check.result}</span>`;

/** The verdict block of a check's section. */
function verdictHtml(check: CheckOutcome): string {
  const evidence = check.evidence.length
    ? `<ol class="check-evidence">${check.evidence.map(evidenceItem).join('')}</ol>`
    : '<p class="note">No evidence recorded.</p>';
  return (
    `<div class="check-verdict" data-check="${esc(check.id)}" data-result="${check.result}">` +
    `${badge(check)} <code class="check-id">${esc(check.id)}</code>` +
    `<p class="check-summary">${esc(check.summary)}</p>${evidence}${sourceHtml(check.source)}</div>`
  );
}

/** What the section's timeline shows, in words. */
function story(check: CheckOutcome, recording: Recording | undefined, shown: number): string {
  if (!recording) return `No recording of situation ${check.situation}: the timeline is empty.`;
  const total = recording.timeline.length;
  const what = check.evidence.length ? 'around the evidence' : 'from its start';
  let text = `Situation ${check.situation}: ${shown} of its ${total} timeline events, ${what}.`;
  if (recording.aborted) text += ` It stopped early: ${recording.aborted}`;
  return text;
}

/** One section of the page per check, in the report's order. */
function checkSections(
  report: CheckReport,
  recordings: ReadonlyMap<SituationId, Recording>,
): ReportSection[] {
  return report.checks.map((check): ReportSection => {
    const recording = recordings.get(check.situation);
    const excerpt = recording ? checkExcerpt(check, recording) : null;
    const times = check.evidence.map((e) => e.time);
    return {
      title: check.title,
      description: story(check, recording, excerpt?.events.length ?? 0),
      events: excerpt?.events ?? [],
      start: excerpt?.start ?? (times.length ? Math.min(...times) : undefined),
      end: excerpt?.end ?? (times.length ? Math.max(...times) : undefined),
      devices: recording?.devices.map((d) => d.id),
      intro: verdictHtml(check),
    };
  });
}

/** The header's list of checks, each linked to its section. */
function indexHtml(report: CheckReport): string {
  const rows = report.checks.map(
    (c, i) =>
      `<li>${badge(c)} <a href="#section-${i}"><code class="check-id">${esc(c.id)}</code></a> ${esc(c.title)}</li>`,
  );
  return `<ul class="check-index">${rows.join('')}</ul>\n`;
}

/**
 * The check report as one self-contained HTML page, with the timeline library and the report's
 * browser bundle given as text. Deterministic: no timestamps of its own.
 */
export function renderCheckPage(
  report: CheckReport,
  recordings: ReadonlyMap<SituationId, Recording>,
  assets: PageAssets,
): string {
  const subtitle = [
    `Started ${formatIsoTime(report.startedAt)}`,
    totalsLine(report),
    `dmpush ${report.dmpushVersion}`,
  ].join(' · ');
  return renderReportPage(
    {
      title: `dmpush check: ${report.server}`,
      subtitle,
      intro: indexHtml(report),
      sections: checkSections(report, recordings),
    },
    assets,
  );
}
