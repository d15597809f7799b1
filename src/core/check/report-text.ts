/**
 * The text report of `dmpush check` (docs/decisions/0015-check-as-recorded-runs-and-pure-judges.md):
 * one aligned line per check (mark, id, title, the verdict's summary), then the totals and the
 * server. In verbose mode each check's evidence and source follow its line. Pure.
 *
 * @example
 * ```text
 * ✔ pfn-set         The server sets Push/PFN  Push/PFN set in the first session
 *     2026-01-01T00:00:05.000Z  syncml  Replace Push/PFN (CmdID 3)
 *     source: Push notification support for device management <https://learn.microsoft.com/…>
 * ✘ gone-410-stops  Stops after 410           2 pushes to a channel after its 410
 *     …
 *
 * 2 checks: 1 passed, 1 failed, 0 warned, 0 skipped
 * server https://mdm.example/MDM.svc · started 2026-01-01T00:00:00.000Z · dmpush 0.1.0
 * ```
 *
 * @module
 */
import { formatInstant } from '../time/iso.js';
import type { CheckOutcome, CheckReport, CheckResult, Evidence } from './model.js';

export interface CheckTextOptions {
  /** Each check's evidence (instant, kind, text) and source under its line. */
  readonly verbose?: boolean;
  /** ANSI colours on the marks and the totals (off by default). */
  readonly color?: boolean;
}

/** The mark of each result. */
const RESULT_MARKS: Readonly<Record<CheckResult, string>> = {
  pass: '✔',
  fail: '✘',
  warn: '!',
  skip: '–',
};

/** ANSI SGR colour of each result: green, red, yellow, dim. */
const COLORS: Readonly<Record<CheckResult, string>> = {
  pass: '32',
  fail: '31',
  warn: '33',
  skip: '2',
};

const paint = (text: string, result: CheckResult, on: boolean): string =>
  on ? `\u001b[${COLORS[result]}m${text}\u001b[0m` : text;

/**
 * Text from a server or a document made one terminal-safe line: control characters (line breaks,
 * escape sequences) become spaces, so no text can break the table or drive the terminal.
 */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
}

/** `14 checks: 10 passed, 1 failed, 2 warned, 1 skipped`. */
export function totalsLine(report: CheckReport): string {
  const { passed, failed, warned, skipped } = report.summary;
  const n = report.checks.length;
  return `${n} check${n === 1 ? '' : 's'}: ${passed} passed, ${failed} failed, ${warned} warned, ${skipped} skipped`;
}

/** One evidence item in one line: `2026-01-01T00:00:05.000Z  syncml  Replace Push/PFN (CmdID 3)`. */
export function evidenceLine(e: Evidence): string {
  return `${formatInstant(e.time)}  ${e.kind.padEnd(6)}  ${oneLine(e.text)}`;
}

/** The lines under a check in the verbose report. */
function details(check: CheckOutcome): string[] {
  const lines = check.evidence.map((e) => `    ${evidenceLine(e)}`);
  if (!lines.length) lines.push('    (no evidence)');
  lines.push(`    source: ${oneLine(check.source.document)} <${oneLine(check.source.url)}>`);
  return lines;
}

/** The totals, coloured by the worst result present. */
function totals(report: CheckReport, color: boolean): string {
  const s = report.summary;
  const worst: CheckResult = s.failed ? 'fail' : s.warned ? 'warn' : 'pass';
  return paint(totalsLine(report), worst, color);
}

/** The report as text, ending with a newline. */
export function renderCheckText(report: CheckReport, options: CheckTextOptions = {}): string {
  const color = options.color ?? false;
  const idWidth = Math.max(0, ...report.checks.map((c) => c.id.length));
  const titles = report.checks.map((c) => oneLine(c.title));
  const titleWidth = Math.max(0, ...titles.map((t) => t.length));
  const lines: string[] = [];
  report.checks.forEach((check, i) => {
    const mark = paint(RESULT_MARKS[check.result], check.result, color);
    const title = (titles[i] ?? '').padEnd(titleWidth);
    lines.push(
      `${mark} ${check.id.padEnd(idWidth)}  ${title}  ${oneLine(check.summary)}`.trimEnd(),
    );
    if (options.verbose) lines.push(...details(check));
  });
  if (lines.length) lines.push('');
  lines.push(totals(report, color));
  lines.push(
    `server ${oneLine(report.server)} · started ${oneLine(report.startedAt)} · dmpush ${oneLine(report.dmpushVersion)}`,
  );
  return `${lines.join('\n')}\n`;
}
