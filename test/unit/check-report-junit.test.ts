import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { summarize, type CheckOutcome, type CheckReport } from '../../src/core/check/model.js';
import { renderCheckJunit } from '../../src/core/check/report-junit.js';
import { MINUTE, T0 } from '../helpers/check-recordings.js';

const SOURCE = {
  quote: 'The server should re-read the ChannelURI.',
  document: 'Push notification support for device management',
  url: 'https://learn.microsoft.com/en-us/windows/client-management/mdm/push-notification-support-for-device-management',
};

const outcome = (fields: Partial<CheckOutcome> & Pick<CheckOutcome, 'id' | 'result'>) =>
  ({
    title: `Title of ${fields.id}`,
    summary: `summary of ${fields.id}`,
    source: SOURCE,
    evidence: [{ time: T0 + MINUTE, kind: 'wns', text: `evidence of ${fields.id}` }],
    durationMs: 1500,
    situation: 'lifecycle',
    ...fields,
  }) satisfies CheckOutcome;

const report = (checks: CheckOutcome[]): CheckReport => ({
  server: 'https://mdm.example/ManagementServer/MDM.svc',
  startedAt: '2026-01-01T00:00:00.000Z',
  dmpushVersion: '0.1.0',
  checks,
  summary: summarize(checks),
});

const CHECKS = [
  outcome({ id: 'pfn-set', result: 'pass' }),
  outcome({ id: 'gone-410-stops', result: 'fail', situation: 'renewal', durationMs: 4000 }),
  outcome({ id: 'cache-policy', result: 'warn', summary: 'pushes use no-cache' }),
  outcome({ id: 'push-wakes-session', result: 'skip', summary: 'no trigger' }),
  outcome({ id: 'status-read', result: 'pass' }),
];

interface Attrs {
  readonly [name: string]: unknown;
}
type Case = Attrs & {
  failure?: Attrs & { '#text': string };
  skipped?: Attrs;
  'system-out'?: string;
};
interface Parsed {
  testsuites: Attrs & { testsuite: Attrs & { testcase: Case[] } };
}

const parse = (xml: string): Parsed =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    // Character references (`&#10;`), as any conformant XML reader decodes them.
    htmlEntities: true,
    isArray: (name) => name === 'testcase',
  }).parse(xml) as Parsed;

describe('renderCheckJunit', () => {
  const xml = renderCheckJunit(report(CHECKS));
  const parsed = parse(xml);
  const suites = parsed.testsuites;
  const cases = suites.testsuite.testcase;

  it('is well-formed XML with a declaration and a final newline', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(xml.endsWith('</testsuites>\n')).toBe(true);
  });

  it('counts the tests, failures and skipped on the suites and the suite', () => {
    for (const s of [suites, suites.testsuite]) {
      expect([s.tests, s.failures, s.skipped, s.errors]).toEqual(['5', '1', '1', '0']);
    }
    expect(suites.name).toBe('dmpush check');
    expect(suites.testsuite.name).toBe(
      'dmpush check: https://mdm.example/ManagementServer/MDM.svc',
    );
    // Each situation's time once: lifecycle 1.5 s + renewal 4 s.
    expect(suites.time).toBe('5.500');
    expect(cases.filter((c) => c.failure)).toHaveLength(1);
    expect(cases.filter((c) => c.skipped)).toHaveLength(1);
  });

  it('names each testcase by id and title, with its time in seconds', () => {
    expect(cases.map((c) => c.name)).toEqual(CHECKS.map((c) => `${c.id}: ${c.title}`));
    expect(cases.every((c) => c.classname === 'dmpush.check')).toBe(true);
    expect(cases[1]?.time).toBe('4.000');
  });

  it('writes a failure with the summary, the id, the evidence and the source', () => {
    const failure = cases[1]?.failure;
    expect(failure?.message).toBe('summary of gone-410-stops');
    expect(failure?.type).toBe('gone-410-stops');
    expect(failure?.['#text']).toBe(
      '2026-01-01T00:01:00.000Z  wns     evidence of gone-410-stops\n' +
        `source: "${SOURCE.quote}" (${SOURCE.document}, ${SOURCE.url})`,
    );
  });

  it('writes a skip as skipped with its reason, a warning and a pass as system-out', () => {
    expect(cases[3]?.skipped?.message).toBe('no trigger');
    expect(cases[2]?.failure).toBeUndefined();
    expect(cases[2]?.['system-out']).toMatch(
      /^warning: pushes use no-cache\n.*evidence of cache-policy$/,
    );
    expect(cases[0]?.['system-out']).toMatch(/^summary of pfn-set\n.*evidence of pfn-set$/);
  });

  it('escapes any text: quotes, markup, ampersands, line breaks; drops what XML 1.0 forbids', () => {
    const summary = 'a "quoted" <b>&amp; \'x\'\nline\r\u0000\u0001\u001f\uFFFE\uD800 end';
    const hostile = outcome({
      id: 'syncml-hygiene',
      result: 'fail',
      title: 'Title <&> "x"',
      summary,
      evidence: [{ time: T0, kind: 'syncml', text: ']]> <![CDATA[ \uFFFF </failure>' }],
    });
    const out = renderCheckJunit(report([hostile]));
    expect(XMLValidator.validate(out)).toBe(true);
    const back = parse(out).testsuites.testsuite.testcase[0];
    expect(back?.name).toBe('syncml-hygiene: Title <&> "x"');
    expect(back?.failure?.message).toBe(
      'a "quoted" <b>&amp; \'x\'\nline\r\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD end',
    );
    expect(back?.failure?.['#text']).toContain(']]> <![CDATA[ \uFFFD </failure>');
  });
});
