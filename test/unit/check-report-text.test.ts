import { describe, expect, it } from 'vitest';
import { renderCheckText } from '../../src/core/check/report-text.js';
import { checkReport as report, MINUTE, outcome, SOURCE, T0 } from '../helpers/check-recordings.js';

const CHECKS = [
  outcome({
    id: 'pfn-set',
    result: 'pass',
    title: 'Sets Push/PFN',
    summary: 'Push/PFN set in the first session',
    evidence: [{ time: T0 + MINUTE, kind: 'syncml', text: 'Replace Push/PFN (CmdID 3)' }],
  }),
  outcome({ id: 'gone-410-stops', result: 'fail', summary: 'pushed 3 times after a 410' }),
  outcome({ id: 'cache-policy', result: 'warn', summary: 'X-WNS-Cache-Policy: no-cache' }),
  outcome({ id: 'push-wakes-session', result: 'skip', summary: 'no trigger' }),
];

describe('renderCheckText', () => {
  const text = renderCheckText(report(CHECKS));
  const lines = text.split('\n');

  it('writes one line per check with its mark, id, title and summary', () => {
    expect(lines[0]).toBe(
      '✔ pfn-set             Sets Push/PFN                Push/PFN set in the first session',
    );
    expect(lines[1]?.startsWith('✘ gone-410-stops ')).toBe(true);
    expect(lines[1]?.endsWith('pushed 3 times after a 410')).toBe(true);
    expect(lines[2]?.startsWith('! cache-policy ')).toBe(true);
    expect(lines[3]?.startsWith('– push-wakes-session ')).toBe(true);
  });

  it('aligns the titles and the summaries in columns', () => {
    const at = (line: string | undefined, part: string): number => line?.indexOf(part) ?? -1;
    expect(at(lines[1], 'Title of gone-410-stops')).toBe(at(lines[0], 'Sets Push/PFN'));
    expect(at(lines[3], 'no trigger')).toBe(at(lines[0], 'Push/PFN set'));
    expect(at(lines[2], 'X-WNS-Cache')).toBe(at(lines[0], 'Push/PFN set'));
  });

  it('ends with the totals and the server', () => {
    expect(lines.slice(4)).toEqual([
      '',
      '4 checks: 1 passed, 1 failed, 1 warned, 1 skipped',
      'server https://mdm.example/ManagementServer/MDM.svc · started 2026-01-01T00:00:00.000Z · dmpush 0.1.0',
      '',
    ]);
  });

  it('has no colour unless asked', () => {
    expect(text).not.toContain('\u001b[');
    const coloured = renderCheckText(report(CHECKS), { color: true });
    expect(coloured).toContain('\u001b[32m✔\u001b[0m pfn-set');
    expect(coloured).toContain('\u001b[31m✘\u001b[0m gone-410-stops');
    // A failure colours the totals red.
    expect(coloured).toContain('\u001b[31m4 checks: 1 passed');
  });

  it('verbose: lists the evidence (ISO instant, kind, text) and the source under each check', () => {
    const verbose = renderCheckText(report(CHECKS), { verbose: true }).split('\n');
    expect(verbose[1]).toBe('    2026-01-01T00:01:00.000Z  syncml  Replace Push/PFN (CmdID 3)');
    expect(verbose[2]).toBe(`    source: ${SOURCE.document} <${SOURCE.url}>`);
    expect(verbose[4]).toBe('    (no evidence)');
  });

  it('keeps each check on one line whatever its text holds (no line breaks, no escapes)', () => {
    const hostile = outcome({
      id: 'syncml-hygiene',
      result: 'fail',
      summary: 'bad\nline\u001b[2Jcleared',
    });
    const out = renderCheckText(report([hostile]));
    expect(out.split('\n')[0]).toMatch(/bad line \[2Jcleared$/);
    expect(out).not.toContain('\u001b');
  });

  it('reports a run without checks as 0 checks', () => {
    expect(renderCheckText(report([]))).toMatch(
      /^0 checks: 0 passed, 0 failed, 0 warned, 0 skipped\n/,
    );
  });
});
