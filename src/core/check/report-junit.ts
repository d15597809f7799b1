/**
 * The JUnit XML report of `dmpush check` (docs/decisions/0015-check-as-recorded-runs-and-pure-judges.md),
 * for CI systems that show test results: one `<testsuite>` for the server, one `<testcase>` per
 * check. Built with fast-xml-parser's `XMLBuilder`, never by joining strings. Pure.
 *
 * - `fail` is a `<failure message="summary" type="check id">` holding the evidence and the source;
 * - `skip` is a `<skipped message="summary"/>`;
 * - `warn` passes, with a `<system-out>` that starts `warning: summary`: JUnit has no warning
 *   state, and a warning must not fail a build that only fails on failures;
 * - `pass` has a `<system-out>` with the summary and the evidence.
 *
 * Any text can be written: it is escaped (quotes, `<`, `&`, carriage returns; line breaks and tabs
 * in attributes as character references), and a character XML 1.0 cannot carry (most C0 controls,
 * lone surrogates, U+FFFE, U+FFFF) is replaced by U+FFFD.
 *
 * @module
 */
import { XMLBuilder } from 'fast-xml-parser';
import { escapeXml, NOT_XML_CHAR } from '../syncml/xml-text.js';
import type { CheckOutcome, CheckReport } from './model.js';
import { evidenceLine } from './report-text.js';

/** Every character XML 1.0 cannot carry. */
const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, 'gu');

/** `text` with each character XML 1.0 cannot carry replaced by U+FFFD. */
const xmlSafe = (text: string): string => text.replace(NOT_XML_CHARS, '\uFFFD');

const BUILDER = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown) => escapeXml(xmlSafe(String(value)), 'text'),
  attributeValueProcessor: (_name: string, value: unknown) =>
    escapeXml(xmlSafe(String(value)), 'attribute'),
});

/** A node of fast-xml-parser's ordered form. */
type Node = Record<string, unknown>;

const node = (name: string, attributes: Record<string, string>, children: Node[] = []): Node => ({
  [name]: children,
  ':@': Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v])),
});
const text = (value: string): Node => ({ '#text': value });

/** Seconds, as JUnit writes times: `1.234`. */
const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** The evidence of a check, one line each. */
const evidenceText = (check: CheckOutcome): string[] =>
  check.evidence.length ? check.evidence.map(evidenceLine) : ['(no evidence)'];

const sourceLine = (check: CheckOutcome): string =>
  `source: "${check.source.quote}" (${check.source.document}, ${check.source.url})`;

/** What a check's testcase holds besides its name and time. */
function outcomeNodes(check: CheckOutcome): Node[] {
  const lines = evidenceText(check);
  switch (check.result) {
    case 'fail':
      return [
        node('failure', { message: check.summary, type: check.id }, [
          text([...lines, sourceLine(check)].join('\n')),
        ]),
      ];
    case 'skip':
      return [node('skipped', { message: check.summary })];
    case 'warn':
      return [node('system-out', {}, [text([`warning: ${check.summary}`, ...lines].join('\n'))])];
    case 'pass':
      return [node('system-out', {}, [text([check.summary, ...lines].join('\n'))])];
  }
}

const testcase = (check: CheckOutcome): Node =>
  node(
    'testcase',
    {
      classname: 'dmpush.check',
      name: `${check.id}: ${check.title}`,
      time: seconds(check.durationMs),
    },
    outcomeNodes(check),
  );

/**
 * The run's real time: each situation's once (its checks share its duration), so the total is not
 * counted several times.
 */
function totalMs(report: CheckReport): number {
  const bySituation = new Map<string, number>();
  for (const c of report.checks)
    bySituation.set(c.situation, Math.max(bySituation.get(c.situation) ?? 0, c.durationMs));
  return [...bySituation.values()].reduce((a, b) => a + b, 0);
}

/** The report as JUnit XML (with its declaration and a final newline). */
export function renderCheckJunit(report: CheckReport): string {
  const s = report.summary;
  const counts = {
    tests: String(report.checks.length),
    failures: String(s.failed),
    errors: '0',
    skipped: String(s.skipped),
    time: seconds(totalMs(report)),
  };
  const properties = node('properties', {}, [
    node('property', { name: 'server', value: report.server }),
    node('property', { name: 'dmpushVersion', value: report.dmpushVersion }),
  ]);
  const suite = node(
    'testsuite',
    { name: `dmpush check: ${report.server}`, ...counts, timestamp: report.startedAt },
    [properties, ...report.checks.map(testcase)],
  );
  const declaration = node('?xml', { version: '1.0', encoding: 'UTF-8' }, [text('')]);
  const xml = BUILDER.build([
    declaration,
    node('testsuites', { name: 'dmpush check', ...counts }, [suite]),
  ]);
  return xml.endsWith('\n') ? xml : `${xml}\n`;
}
