/**
 * Scenario files past the limits (src/scenario/limits.ts, yaml-read.ts) are refused before they
 * run, each problem naming the field or place and the limit: devices in all, repeat interval, run
 * length, nesting and aliases.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { cronShortestGap } from '../../src/scenario/cron.js';
import { SCENARIO_LIMITS } from '../../src/scenario/limits.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { ResolveOptions } from '../../src/scenario/resolve.js';

/** The issues `text` raises (empty when it loads). */
function issuesOf(text: string, options: ResolveOptions = {}): string[] {
  try {
    loadScenario(text, options, 'limits.yaml');
  } catch (e) {
    if (e instanceof ValidationError) return [...e.issues];
    throw e;
  }
  return [];
}

const fleet = (...counts: Array<number | undefined>): string =>
  [
    'devices:',
    ...counts.map((c, i) => `  - { id: f${i}${c === undefined ? '' : `, count: ${c}`} }`),
  ].join('\n');

const withEvent = (event: string): string =>
  `devices: [{ id: a }]\nevents:\n  - { ${event}, device: a, set: { battery: { charging: true } } }`;

describe('devices in all', () => {
  it('defaults to 10,000, the fleet benchmark scale', () => {
    expect(SCENARIO_LIMITS.maxDevices).toBe(10_000);
  });

  it('refuses the entry that takes the fleet past the limit, naming its count and the limit', () => {
    expect(issuesOf(fleet(6000, 6000))).toEqual([
      'devices[1].count: 6000 brings the fleet to 12000 devices, more than the limit of 10000 devices in all (--max-devices raises it)',
    ]);
    expect(issuesOf(fleet(1, undefined, undefined), { limits: { maxDevices: 2 } })).toEqual([
      'devices[2]: this device brings the fleet to 3 devices, more than the limit of 2 devices in all (--max-devices raises it)',
    ]);
  });

  it('refuses 100 entries of count 100000 before making a device (was 3.4 GB, no output)', () => {
    const issues = issuesOf(fleet(...Array.from({ length: 100 }, () => 100_000)));
    expect(issues).toEqual([
      'devices[0].count: 100000 brings the fleet to 100000 devices, more than the limit of 10000 devices in all (--max-devices raises it)',
    ]);
  });

  it('a raised limit lets the fleet through', () => {
    const spec = loadScenario(fleet(6000, 6000), { limits: { maxDevices: 12_000 } });
    expect(spec.devices).toHaveLength(12_000);
    expect(issuesOf(fleet(5000, 5000))).toEqual([]);
  });
});

describe('the minimum repeat interval', () => {
  it('refuses "every" shorter than one minute, naming the event and the limit', () => {
    expect(issuesOf(withEvent('at: PT0S, every: PT0.001S'))).toEqual([
      'events[0].every: PT0.001S repeats more often than the minimum interval of PT1M (--min-interval changes it)',
    ]);
    expect(issuesOf(withEvent('at: PT0S, every: PT1M'))).toEqual([]);
    expect(
      issuesOf(withEvent('at: PT0S, every: PT1S'), { limits: { minInterval: 'PT1S' } }),
    ).toEqual([]);
  });

  it('refuses a cron expression that fires within a minute (a seconds field with several values)', () => {
    expect(issuesOf(withEvent('cron: "* * * * * *"'))).toEqual([
      'events[0].cron: "* * * * * *" fires as often as every 1 s, more often than the minimum interval of PT1M (a seconds field with more than one value fires within a minute; --min-interval changes it)',
    ]);
    expect(issuesOf(withEvent('cron: "0 * * * * *"'))).toEqual([]);
    expect(issuesOf(withEvent('cron: "* * * * *"'))).toEqual([]);
    expect(
      issuesOf(withEvent('cron: "*/30 * * * * *"'), { limits: { minInterval: 'PT30S' } }),
    ).toEqual([]);
    expect(issuesOf(withEvent('cron: "*/5 * * * *"'), { limits: { minInterval: 'PT1H' } })).toEqual(
      [
        'events[0].cron: "*/5 * * * *" fires as often as every 5 min, more often than the minimum interval of PT1H (a seconds field with more than one value fires within a minute; --min-interval changes it)',
      ],
    );
  });

  it('reads how often a cron expression can fire from its times of day', () => {
    expect(cronShortestGap('* * * * * *')).toBe(1);
    expect(cronShortestGap('0,50 * * * * *')).toBe(10);
    expect(cronShortestGap('5 * * * * *')).toBe(60);
    expect(cronShortestGap('0 0,12 * * *')).toBe(12 * 3600);
    expect(cronShortestGap('0 23,1 * * *')).toBe(2 * 3600); // 23:00 to 01:00 the next day
    expect(cronShortestGap('0 18 * * 1-5')).toBe(86_400);
  });
});

describe('the maximum run length', () => {
  const lasting = (duration: string): string => `duration: ${duration}\ndevices: [{ id: a }]`;

  it('refuses a duration past ten years, naming the field and the limit', () => {
    expect(issuesOf(lasting('P11Y'))).toEqual([
      'duration: P11Y runs past the maximum run length of P10Y after the start (--max-duration raises it)',
    ]);
    expect(issuesOf(lasting('P10Y'))).toEqual([]);
    expect(issuesOf(lasting('P11Y'), { limits: { maxDuration: 'P12Y' } })).toEqual([]);
  });

  it('refuses --until past it too', () => {
    expect(issuesOf(lasting('P1D'), { until: 'P11Y' })).toEqual([
      '--until: P11Y runs past the maximum run length of P10Y after the start (--max-duration raises it)',
    ]);
    expect(issuesOf(lasting('P1D'), { until: '2037-01-01T00:00:00Z' })).toEqual([
      '--until: 2037-01-01T00:00:00Z runs past the maximum run length of P10Y after the start (--max-duration raises it)',
    ]);
  });

  it('an "every" past what a clock holds stops the repeat instead of giving NaN', () => {
    const spec = loadScenario(withEvent('at: P1D, every: P300000Y'));
    const action = spec.actions[0];
    expect(action?.repeat?.(action.at)).toBeNull();
  });

  it('refuses limits that are not durations', () => {
    expect(issuesOf(lasting('P1D'), { limits: { maxDuration: 'ten years' } })).toEqual([
      'limits.maxDuration: expected a positive ISO 8601 duration, got "ten years"',
    ]);
  });
});

describe('reading the file: nesting and aliases', () => {
  const flowNest = (n: number): string => `devices: ${'['.repeat(n)}${']'.repeat(n)}`;

  it('refuses 3,000 levels of nesting naming the place and the limit of 64 (was a stack overflow)', () => {
    expect(issuesOf(flowNest(3000))).toEqual([
      'limits.yaml: line 1, column 73: nested more than 64 levels deep (the limit of nesting)',
    ]);
    const block = ['name:', ...Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}a:`)];
    expect(issuesOf(`${block.join('\n')} 1\ndevices: [{ id: a }]`)[0]).toMatch(
      /^limits\.yaml: line 65, column 65: nested more than 64 levels deep \(the limit of nesting\)$/,
    );
    const json = `{"devices": [{"id": "a", "x": ${'{"a": '.repeat(3000)}1${'}'.repeat(3000)}}]}`;
    expect(issuesOf(json)[0]).toMatch(/^limits\.yaml: line 1, column \d+: nested more than 64/);
  });

  it.each([
    ['compact lists', `devices:\n  ${'- '.repeat(3000)}1`],
    ['lists under keys', Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}- k:`).join('\n')],
    ['explicit keys', `${'? '.repeat(3000)}k`],
    ['100 block levels', Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')],
    [
      'brackets in block levels',
      `${Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} ${'['.repeat(40)}`,
    ],
  ])('refuses %s past the limit without a stack overflow', (_, text) => {
    expect(issuesOf(text)).toEqual([
      expect.stringMatching(/^limits\.yaml: line \d+, column \d+: nested more than 64 levels deep/),
    ]);
  });

  it('lets 64 levels through to the schema', () => {
    expect(issuesOf(flowNest(63))).toEqual(['devices[0]: expected an object, got a list']);
  });

  it('refuses an alias bomb with the alias limit (was a ReferenceError, exit 1)', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'devices: [*d]',
    ].join('\n');
    expect(issuesOf(bomb)).toEqual([
      'limits.yaml: aliases expand too much: more than 100 alias uses, each counted with the aliases inside what it names (the limit against alias bombs)',
    ]);
  });

  it('refuses an alias with no anchor, and one inside what it names', () => {
    expect(issuesOf('devices: *nope')).toEqual([
      'limits.yaml: line 1, column 10: alias *nope has no anchor &nope before it',
    ]);
    expect(issuesOf('devices: &d [{ id: a }, *d]')).toEqual([
      'limits.yaml: line 1, column 25: alias *d is inside the node &d it names (a loop)',
    ]);
  });

  it('counts nesting with aliases expanded', () => {
    const lines = Array.from({ length: 8 }, (_, i) => {
      const inner = i === 0 ? '1' : `*a${i - 1}`;
      return `k${i}: &a${i} ${'['.repeat(10)}${inner}${']'.repeat(10)}`;
    });
    expect(issuesOf(lines.join('\n'))).toEqual([
      'limits.yaml: line 7, column 19: nested more than 64 levels deep once alias *a5 is expanded (the limit of nesting)',
    ]);
  });

  it('still reads anchors and aliases within the limits', () => {
    const text = [
      'devices:',
      '  - { id: a, battery: &b { level: 55 } }',
      '  - { id: c, battery: *b }',
    ].join('\n');
    expect(loadScenario(text).devices.map((d) => d.battery.level)).toEqual([55, 55]);
  });
});
