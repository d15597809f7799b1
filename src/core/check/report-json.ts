/**
 * The JSON report of `dmpush check` (docs/decisions/0015-check-as-recorded-runs-and-pure-judges.md),
 * for CI and scripts. Pure. Its keys are a contract:
 *
 * ```text
 * { server, startedAt, dmpushVersion,
 *   checks: [{ id, title, result, summary, source: { quote, document, url },
 *              evidence: [{ time, kind, text }], durationMs }],
 *   summary: { passed, failed, warned, skipped } }
 * ```
 *
 * Each check carries its `summary`, the verdict's one line: without it a script could tell that a
 * check failed or was skipped but not why (a skip's reason, e.g. "no trigger", is only there),
 * and the text, JUnit and HTML reports all show it. Instants are ISO 8601 UTC with milliseconds.
 *
 * @module
 */
import { formatInstant } from '../time/iso.js';
import type { CheckOutcome, CheckReport, Evidence } from './model.js';

/** An evidence item as JSON. */
interface EvidenceJson {
  readonly time: string;
  readonly kind: Evidence['kind'];
  readonly text: string;
}

/** A check as JSON: its keys in the contract's order. */
interface CheckJson {
  readonly id: CheckOutcome['id'];
  readonly title: string;
  readonly result: CheckOutcome['result'];
  readonly summary: string;
  readonly source: CheckOutcome['source'];
  readonly evidence: readonly EvidenceJson[];
  readonly durationMs: number;
}

const evidenceJson = (e: Evidence): EvidenceJson => ({
  time: formatInstant(e.time),
  kind: e.kind,
  text: e.text,
});

const checkJson = (c: CheckOutcome): CheckJson => ({
  id: c.id,
  title: c.title,
  result: c.result,
  summary: c.summary,
  source: { quote: c.source.quote, document: c.source.document, url: c.source.url },
  evidence: c.evidence.map(evidenceJson),
  durationMs: c.durationMs,
});

/** The report as JSON, indented by two spaces, with a final newline. */
export function renderCheckJson(report: CheckReport): string {
  const { passed, failed, warned, skipped } = report.summary;
  const json = {
    server: report.server,
    startedAt: report.startedAt,
    dmpushVersion: report.dmpushVersion,
    checks: report.checks.map(checkJson),
    summary: { passed, failed, warned, skipped },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
