import { describe, expect, it } from 'vitest';
import { summarize, type CheckReport } from '../../src/core/check/model.js';
import { renderCheckJson } from '../../src/core/check/report-json.js';
import { MINUTE, outcome, SOURCE, T0 } from '../helpers/check-recordings.js';

const CHECKS = [
  outcome({
    id: 'channel-read',
    result: 'pass',
    evidence: [
      { time: T0, kind: 'syncml', text: 'Get Push/ChannelURI (CmdID 4)' },
      { time: T0 + MINUTE, kind: 'device', text: 'check-lifecycle: push.received' },
    ],
    durationMs: 2500,
  }),
  outcome({ id: 'throttle-406-backoff', result: 'fail', situation: 'throttle' }),
  outcome({ id: 'push-wakes-session', result: 'skip', summary: 'no trigger: add --trigger-cmd' }),
];

const REPORT: CheckReport = {
  server: 'https://mdm.example/ManagementServer/MDM.svc',
  startedAt: '2026-01-01T00:00:00.000Z',
  dmpushVersion: '0.1.0',
  checks: CHECKS,
  summary: summarize(CHECKS),
};

describe('renderCheckJson', () => {
  const text = renderCheckJson(REPORT);
  const json = JSON.parse(text) as Record<string, unknown> & {
    checks: Record<string, unknown>[];
  };

  it('has exactly the contract keys, in order', () => {
    expect(Object.keys(json)).toEqual([
      'server',
      'startedAt',
      'dmpushVersion',
      'checks',
      'summary',
    ]);
    expect(Object.keys(json.checks[0] ?? {})).toEqual([
      'id',
      'title',
      'result',
      'summary',
      'source',
      'evidence',
      'durationMs',
    ]);
    expect(json.summary).toEqual({ passed: 1, failed: 1, warned: 0, skipped: 1 });
  });

  it('writes each check in report order with its result, summary, source and duration', () => {
    expect(json.checks.map((c) => [c.id, c.result])).toEqual([
      ['channel-read', 'pass'],
      ['throttle-406-backoff', 'fail'],
      ['push-wakes-session', 'skip'],
    ]);
    expect(json.checks[2]?.summary).toBe('no trigger: add --trigger-cmd');
    expect(json.checks[0]?.source).toEqual(SOURCE);
    expect(json.checks[0]?.durationMs).toBe(2500);
    // The situation is the run's business, not the contract's.
    expect(json.checks[0]).not.toHaveProperty('situation');
  });

  it('writes evidence instants as ISO 8601 with milliseconds', () => {
    expect(json.checks[0]?.evidence).toEqual([
      { time: '2026-01-01T00:00:00.000Z', kind: 'syncml', text: 'Get Push/ChannelURI (CmdID 4)' },
      { time: '2026-01-01T00:01:00.000Z', kind: 'device', text: 'check-lifecycle: push.received' },
    ]);
  });

  it('is indented by two spaces and ends with one newline', () => {
    expect(
      text.startsWith('{\n  "server": "https://mdm.example/ManagementServer/MDM.svc",\n'),
    ).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });

  it('carries any text unchanged (escaped as JSON)', () => {
    const hostile = outcome({ id: 'syncml-hygiene', result: 'fail', summary: 'a "b"\n<c>\u0000' });
    const back = JSON.parse(renderCheckJson({ ...REPORT, checks: [hostile] })) as {
      checks: { summary: string }[];
    };
    expect(back.checks[0]?.summary).toBe('a "b"\n<c>\u0000');
  });
});
