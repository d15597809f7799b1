import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { DAY, HOUR } from '../../src/core/time/iso.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import type { ResolveOptions } from '../../src/scenario/resolve.js';
import { fixture, runScenarioFile, runScenarioText, runSpec } from '../helpers/run-scenario.js';

const read = (relative: string): string => readFileSync(fixture(relative), 'utf8');

/** The issues a scenario raises (fails the test if it is valid). */
function issuesOf(text: string, options: ResolveOptions = {}, source?: string): string[] {
  try {
    loadScenario(text, options, source);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  expect.fail('expected the scenario to be rejected');
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

describe('scenario files: YAML and JSON', () => {
  it('accepts the same scenario in YAML and in JSON, with the same result', () => {
    const yaml = loadScenario(read('fixtures/scenarios/basic.yaml'));
    const json = loadScenario(read('fixtures/scenarios/basic.json'));
    expect(json.devices).toEqual(yaml.devices);
    expect([json.seed, json.start, json.end]).toEqual([7, T0, T0 + 20 * DAY]);
    expect([yaml.seed, yaml.start, yaml.end]).toEqual([json.seed, json.start, json.end]);
    expect(json.actions.map((a) => [a.at, a.action])).toEqual(
      yaml.actions.map((a) => [a.at, a.action]),
    );
    const a = runScenarioFile('fixtures/scenarios/basic.yaml').jsonl();
    const b = runScenarioFile('fixtures/scenarios/basic.json').jsonl();
    expect(a.length).toBeGreaterThan(0);
    expect(b).toBe(a);
  });

  it('resolves devices with the file values and defaults for the rest', () => {
    const spec = loadScenario(read('fixtures/scenarios/basic.yaml'));
    expect(spec.devices.map((d) => d.id)).toEqual(['laptop', 'tablet']);
    const [laptop, tablet] = spec.devices;
    expect(laptop).toMatchObject({ os: '1607', pfn: 'Contoso.MDM_8wekyb3d8bbwe' });
    expect(laptop?.battery).toMatchObject({ level: 90, charging: true, saverThreshold: 20 });
    expect(tablet?.os).toBe('1511');
    expect(tablet?.network).toMatchObject({ metered: true, type: 'cellular' });
    expect(tablet?.dataSense).toMatchObject({ limitMB: 5000, usedMB: 10, resetDay: 1 });
    expect(tablet?.poll.first).toEqual({ intervalMinutes: 60, count: 4 });
    expect(tablet?.poll.remaining).toEqual({ intervalMinutes: 480, count: 0 });
  });

  it('uses defaults for a minimal file: seed 1, 2026-01-01, 60 days, 1607 without PFN', () => {
    const spec = loadScenario('devices: [{ id: d1 }]');
    expect([spec.seed, spec.start, spec.end]).toEqual([1, T0, T0 + 60 * DAY]);
    expect(spec.devices[0]).toMatchObject({ id: 'd1', os: '1607', pfn: null });
  });

  it('lets options.seed override the file seed', () => {
    expect(loadScenario(read('fixtures/scenarios/basic.yaml'), { seed: 99 }).seed).toBe(99);
  });

  it('names the file in YAML syntax errors', () => {
    const issues = issuesOf('devices: [{ id: d1 }', {}, 'broken.yaml');
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issue).toMatch(/^broken\.yaml: /);
  });

  it('rejects a document that is not a mapping, saying what it expected', () => {
    for (const text of ['', '42', '"devices"']) {
      const [issue, ...rest] = issuesOf(text, {}, 'x.yaml');
      expect(rest).toEqual([]);
      expect(issue).toMatch(/^x\.yaml: expected a mapping with "devices"/);
    }
  });

  it('rejects duplicate keys', () => {
    expect(issuesOf('seed: 1\nseed: 2\ndevices: [{ id: d1 }]', {}, 'dup.yaml')[0]).toMatch(
      /^dup\.yaml: .*/,
    );
  });
});

describe('scenario validation messages: path, expected form, actual value', () => {
  it('names devices[2].battery.level and the expected number range', () => {
    const issues = issuesOf(read('fixtures/scenarios/invalid-battery-level.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^devices\[2\]\.battery\.level: expected a number from 0 to 100\b.*, got "high"$/,
    );
    expect(issues[0]).toContain('uniform');
  });

  it('reports every problem of a file at once, each with its path', () => {
    const issues = issuesOf(read('fixtures/scenarios/invalid-many.yaml'));
    const expected: [string, RegExp][] = [
      ['start', /expected an ISO 8601 time with offset.*got "2026-01-01T00:00:00"$/],
      ['duration', /expected a positive ISO 8601 duration.*got "15 days"$/],
      ['colour', /unknown field$/],
      ['devices[0].os', /expected a Windows version, one of 1511, 1607, .*got "1512"$/],
      ['devices[0].batery', /unknown field$/],
      ['devices[0].network.connected', /expected true or false.*got "maybe"$/],
      ['events[0].at', /expected an ISO 8601 duration after start.*ISO time.*got "tomorrow"$/],
      ['events[1].every', /expected a positive ISO 8601 duration.*got "daily"$/],
    ];
    expect(issues).toHaveLength(expected.length);
    for (const [path, message] of expected) {
      const line = issues.find((i) => i.startsWith(`${path}: `));
      expect(line, path).toBeDefined();
      expect(line?.slice(path.length + 2), path).toMatch(message);
    }
  });

  it.each([
    ['seed: -1', 'seed', /expected a whole number from 0 to 2147483647, got -1$/],
    ['seed: 1.5', 'seed', /expected a whole number .*got 1\.5$/],
    [
      'start: 2026-13-01T00:00:00Z',
      'start',
      /expected an ISO 8601 time.*got "2026-13-01T00:00:00Z"$/,
    ],
    ['start: 17', 'start', /expected an ISO 8601 time.*got 17$/],
    ['duration: P15', 'duration', /expected a positive ISO 8601 duration.*got "P15"$/],
    ['duration: 60', 'duration', /expected a positive ISO 8601 duration.*got 60$/],
    ['timezone: Mars/Olympus', 'timezone', /expected an IANA time zone.*got "Mars\/Olympus"$/],
  ])('top level %s', (line, path, message) => {
    const issues = issuesOf(`${line}\ndevices: [{ id: d1 }]`);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.startsWith(`${path}: `)).toBe(true);
    expect(issues[0]).toMatch(message);
  });

  it.each([
    ['battery: { level: 101 }', 'battery.level', /expected a number from 0 to 100.*got 101$/],
    ['battery: { charging: yes }', 'battery.charging', /expected true or false.*got "yes"$/],
    ['battery: 5', 'battery', /expected an object, got 5$/],
    ['battery: { charge: 5 }', 'battery.charge', /unknown field$/],
    [
      'network: { type: satellite }',
      'network.type',
      /"wifi" or "cellular" or "ethernet".*got "satellite"$/,
    ],
    ['network: { wifi: true }', 'network.wifi', /unknown field$/],
    [
      'dataSense: { resetDay: 32 }',
      'dataSense.resetDay',
      /expected a whole number from 1 to 31.*got 32$/,
    ],
    [
      'dataSense: { limitMB: -1 }',
      'dataSense.limitMB',
      /expected a number from 0 or more.*got -1$/,
    ],
    ['count: 0', 'count', /expected a whole number from 1 to 100000, got 0$/],
    ['pfn: 12', 'pfn', /expected a Package Family Name.*got 12$/],
    [
      'poll: { first: { intervalMinutes: -5 } }',
      'poll.first.intervalMinutes',
      /expected a whole number.*got -5$/,
    ],
    [
      'poll: { maintenanceTime: "25:00" }',
      'poll.maintenanceTime',
      /expected a local time "HH:MM", got "25:00"$/,
    ],
    [
      'battery: { level: { uniform: [50, 20] } }',
      'battery.level',
      /expected uniform: \[a, b\] with a <= b.*got \[50,20\]$/,
    ],
    [
      'battery: { level: { uniform: [0, 200] } }',
      'battery.level',
      /expected uniform: \[a, b\].*from 0 to 100.*got \[0,200\]$/,
    ],
    [
      'battery: { level: { choice: [] } }',
      'battery.level',
      /expected choice: \[\.\.\.\] with at least one value.*got \[\]$/,
    ],
    ['os: { choice: ["1511", "95"] }', 'os', /expected a Windows version.*choice.*got an object$/],
    [
      'os: "1512"',
      'os',
      /expected a Windows version, one of 1511, 1607, 1703, .*, 22H2, 11-21H2, .*, 11-25H2 .*got "1512"$/,
    ],
    ['os: "11-20H2"', 'os', /expected a Windows version, one of .*11-25H2 .*got "11-20H2"$/],
    [
      'wnsPushService: stopped',
      'wnsPushService',
      /expected "running" or "disabled", got "stopped"$/,
    ],
  ])('devices[1] with %s', (field, path, message) => {
    const issues = issuesOf(`devices:\n  - id: d1\n  - { id: d2, ${field} }`);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.startsWith(`devices[1].${path}: `), issues[0]).toBe(true);
    expect(issues[0]).toMatch(message);
  });

  it('rejects bad device ids, duplicates and an empty device list', () => {
    expect(issuesOf('devices: [{ id: "bad id" }]')[0]).toMatch(
      /^devices\[0\]\.id: expected a device id .*got "bad id"$/,
    );
    expect(issuesOf('devices: [{ id: d1 }, { id: d1 }]')).toEqual([
      'devices[1].id: device id "d1" is used twice',
    ]);
    expect(issuesOf('devices: [{ id: d, count: 2 }, { id: d-2 }]')).toEqual([
      'devices[1].id: device id "d-2" is used twice',
    ]);
    expect(issuesOf('devices: []')[0]).toMatch(/^devices: expected at least one device/);
    expect(issuesOf('seed: 1')[0]).toMatch(/^devices: expected a list, got nothing$/);
    expect(issuesOf('devices: 5')[0]).toMatch(/^devices: expected a list, got 5$/);
  });

  it('rejects unknown fields at every level', () => {
    const issues = issuesOf(
      [
        'colour: blue',
        'wns: { blocked: [] }',
        'devices:',
        '  - { id: d1, name: x, battery: { lvl: 5 } }',
        'events:',
        '  - { at: P1D, device: d1, when: now, set: { network: { internet: false }, wifi: 1 } }',
        '  - { at: P1D, push: { device: d1, urgency: high } }',
      ].join('\n'),
    );
    expect([...issues].sort()).toEqual(
      [
        'colour: unknown field',
        'wns.blocked: unknown field',
        'devices[0].name: unknown field',
        'devices[0].battery.lvl: unknown field',
        'events[0].when: unknown field',
        'events[0].set.wifi: unknown field',
        'events[1].push.urgency: unknown field',
      ].sort(),
    );
  });

  it('names a push priority that is not X-WNS-PRIORITY 1–4', () => {
    const issues = issuesOf(
      'devices: [{ id: d1 }]\nevents:\n  - { at: P1D, push: { device: d1, priority: high } }',
    );
    expect(issues).toEqual([
      'events[0].push.priority: expected a whole number from 1 to 4, got "high"',
    ]);
  });

  it('rejects bad event times, durations and recurrences', () => {
    const base = 'devices: [{ id: d1 }]\nevents:\n';
    const set = 'device: d1, set: { network: { internet: false } }';
    const one = (event: string): string[] => issuesOf(`${base}  - { ${event} }`);
    expect(one(`at: next week, ${set}`)[0]).toMatch(
      /^events\[0\]\.at: expected an ISO 8601 duration after start .*got "next week"$/,
    );
    expect(one(`at: "2026-01-05T00:00:00", ${set}`)[0]).toMatch(
      /^events\[0\]\.at: expected .*ISO time with offset.*got "2026-01-05T00:00:00"$/,
    );
    expect(one(`at: 2025-12-31T00:00:00Z, ${set}`)).toEqual([
      'events[0].at: 2025-12-31T00:00:00Z is before the scenario start',
    ]);
    expect(one(`${set}`)).toEqual([
      'events[0].at: expected a time (ISO duration after start or ISO time), got nothing',
    ]);
    expect(one(`at: P1D, every: PT0S, ${set}`)).toEqual([
      'events[0].every: expected a positive ISO 8601 duration such as "P15D" or "PT4H", got "PT0S"',
    ]);
    expect(one(`at: P1D, every: 6h, ${set}`)[0]).toMatch(
      /^events\[0\]\.every: expected a positive ISO 8601 duration .*got "6h"$/,
    );
    expect(one(`at: P1D, until: soon, every: P1D, ${set}`)[0]).toMatch(
      /^events\[0\]\.until: expected an ISO 8601 duration after start .*got "soon"$/,
    );
    expect(one(`cron: "99 * * * *", ${set}`)[0]).toMatch(
      /^events\[0\]\.cron: expected a cron expression such as "0 18 \* \* 1-5", got "99 \* \* \* \*"/,
    );
    expect(one(`at: P1D, every: P1D, cron: "0 * * * *", ${set}`)).toEqual([
      'events[0].cron: expected either "every" or "cron", not both',
    ]);
  });

  it('rejects an event with no action or two, and a set without a device', () => {
    const base = 'devices: [{ id: d1 }]\nevents:\n';
    const none = issuesOf(`${base}  - { at: P1D, device: d1 }`);
    expect(none).toHaveLength(1);
    expect(none[0]).toMatch(/^events\[0\]: expected exactly one of "set", "push", .*got none$/);
    const two = issuesOf(
      `${base}  - { at: P1D, device: d1, set: { network: { internet: false } }, push: {} }`,
    );
    expect(two[0]).toMatch(/^events\[0\]: expected exactly one of .*got "set" and "push"$/);
    const noDevice = issuesOf(`${base}  - { at: P1D, set: { network: { internet: false } } }`);
    expect(noDevice[0]).toMatch(
      /^events\[0\]\.device: expected a device id, a list of ids or "\*"/,
    );
  });

  it('rejects bad push headers', () => {
    const issues = issuesOf(
      'devices: [{ id: d1 }]\nevents:\n  - { at: P1D, push: { device: d1, cachePolicy: sometimes, ttlSeconds: -5 } }',
    );
    expect([...issues].sort()).toEqual([
      'events[0].push.cachePolicy: expected "cache" or "no-cache" (X-WNS-Cache-Policy, any case), got "sometimes"',
      'events[0].push.ttlSeconds: expected a whole number from 0 to 2592000, got -5',
    ]);
  });

  it('rejects event references to unknown devices or fleet members', () => {
    expect(issuesOf(read('fixtures/scenarios/unknown-device.yaml'))).toEqual([
      'events[0].device: no device or fleet named "d2"',
      'events[1].device: no device or fleet named "fleet-3"',
      'events[2].push.device: no device or fleet named "ghost"',
    ]);
  });
});

describe('fleets: count and distributions', () => {
  const text = read('fixtures/scenarios/fleet.yaml');
  const spec = loadScenario(text);
  const sensors = spec.devices.filter((d) => d.id.startsWith('sensor-'));

  it('creates <id>-1 … <id>-N for count: N, in order, before the next entry', () => {
    expect(spec.devices.map((d) => d.id)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `sensor-${i + 1}`),
      'desk',
    ]);
  });

  it('draws uniform values inside the range, not all alike', () => {
    const levels = sensors.map((d) => d.battery.level);
    for (const level of levels) {
      expect(level).toBeGreaterThanOrEqual(20);
      expect(level).toBeLessThanOrEqual(100);
    }
    expect(new Set(levels).size).toBe(levels.length);
    expect(Math.max(...levels) - Math.min(...levels)).toBeGreaterThan(30);
  });

  it('draws choices from the listed values only, and uses more than one', () => {
    const oses = sensors.map((d) => d.os);
    const drains = sensors.map((d) => d.battery.drainPerHour);
    const types = sensors.map((d) => d.network.type);
    expect(new Set(oses)).toEqual(new Set(['1511', '1607']));
    for (const d of drains) expect([1, 2, 3]).toContain(d);
    expect(new Set(drains).size).toBeGreaterThan(1);
    expect(new Set(types)).toEqual(new Set(['wifi', 'ethernet']));
    // Fixed values stay fixed.
    for (const s of sensors) expect(s.battery.charging).toBe(true);
  });

  it('draws the same values for the same seed, and different ones for another seed', () => {
    expect(loadScenario(text).devices).toEqual(spec.devices);
    const other = loadScenario(text, { seed: 12 }).devices;
    expect(other.map((d) => d.id)).toEqual(spec.devices.map((d) => d.id));
    expect(other.map((d) => d.battery.level)).not.toEqual(spec.devices.map((d) => d.battery.level));
  });

  it("does not change a device's draws when another device is added or the fleet grows", () => {
    const base = [
      'seed: 3',
      'devices:',
      '  - { id: s, count: 3, battery: { level: { uniform: [0, 100] } }, os: { choice: ["1511", "1607"] } }',
    ];
    const alone = loadScenario(base.join('\n')).devices;
    const withOther = loadScenario(
      [
        'seed: 3',
        'devices:',
        '  - { id: first, battery: { level: { uniform: [0, 100] } } }',
        base[2],
        '  - { id: last, battery: { level: { uniform: [0, 100] } } }',
      ].join('\n'),
    ).devices;
    const grown = loadScenario(base.join('\n').replace('count: 3', 'count: 6')).devices;
    const pick = (ds: typeof alone, id: string) => ds.find((d) => d.id === id);
    for (const id of ['s-1', 's-2', 's-3']) {
      expect(pick(withOther, id), id).toEqual(pick(alone, id));
      expect(pick(grown, id), id).toEqual(pick(alone, id));
    }
  });

  it("does not change a device's timeline when another device is added", () => {
    const one = [
      'seed: 5',
      'duration: P40D',
      'devices:',
      '  - { id: a, os: "1607", pfn: Contoso.MDM_8wekyb3d8bbwe, battery: { charging: true } }',
    ];
    const events = [
      'events:',
      '  - { at: P14D, device: a, set: { network: { internet: false } } }',
      '  - { at: P35D, device: a, set: { network: { internet: true } } }',
    ];
    const other = '  - { id: b, os: "1511", pfn: Contoso.MDM_8wekyb3d8bbwe }';
    const lines = (text: string, device: string): string[] =>
      text.split('\n').filter((l) => l.includes(`"device":"${device}"`));
    const alone = runScenarioText([...one, ...events].join('\n')).jsonl();
    const both = runScenarioText([...one, other, ...events].join('\n')).jsonl();
    expect(lines(alone, 'a').length).toBeGreaterThan(50);
    expect(lines(both, 'b').length).toBeGreaterThan(0);
    expect(lines(both, 'a')).toEqual(lines(alone, 'a'));
  });

  it('lets an event name a fleet by its id, meaning every member', () => {
    const run = runSpec(spec);
    const at = T0 + 3 * DAY;
    const changed = run.of('power.changed').filter((e) => e.time === at);
    expect(changed.map((e) => e.device)).toEqual(sensors.map((d) => d.id));
    for (const e of changed) expect(e.charging).toBe(false);
  });
});

describe('events: selectors and recurrences', () => {
  const spec = loadScenario(read('fixtures/scenarios/fleet.yaml'));
  const run = runSpec(spec);
  const pushTimes = run.of('push.sent', 'desk').map((e) => e.time);

  it('"*" targets every device', () => {
    const down = run.of('network.changed').filter((e) => e.time === T0 + 2 * DAY);
    const up = run.of('network.changed').filter((e) => e.time === T0 + 2 * DAY + HOUR);
    const ids = spec.devices.map((d) => d.id);
    expect(down.map((e) => e.device)).toEqual(ids);
    expect(up.map((e) => e.device)).toEqual(ids);
    for (const e of down) expect(e).toMatchObject({ connected: false, internet: false });
  });

  it('"every" repeats from "at" until "until"', () => {
    const cached = run.of('push.sent', 'desk').filter((e) => e.cachePolicy === 'cache');
    expect(cached.map((e) => iso(e.time))).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T07:00:00.000Z',
      '2026-01-01T13:00:00.000Z',
      '2026-01-01T19:00:00.000Z',
    ]);
  });

  it('"cron" fires at each match within the run (weekdays at 18:00 UTC)', () => {
    const cron = run.of('push.sent', 'desk').filter((e) => e.cachePolicy === 'no-cache');
    // 2026-01-01 is a Thursday: Thu 1, Fri 2, Mon 5, Tue 6, Wed 7; Thu 8 is past the end.
    expect(cron.map((e) => iso(e.time))).toEqual([
      '2026-01-01T18:00:00.000Z',
      '2026-01-02T18:00:00.000Z',
      '2026-01-05T18:00:00.000Z',
      '2026-01-06T18:00:00.000Z',
      '2026-01-07T18:00:00.000Z',
    ]);
    expect(pushTimes).toHaveLength(9);
  });

  it('"cron" follows the scenario time zone', () => {
    const local = runScenarioText(
      [
        'timezone: Europe/Paris',
        'duration: P3D',
        'devices: [{ id: d, pfn: Contoso.MDM_8wekyb3d8bbwe, battery: { charging: true } }]',
        'events:',
        '  - { cron: "0 18 * * *", push: { device: d } }',
      ].join('\n'),
    );
    expect(local.of('push.sent').map((e) => iso(e.time))).toEqual([
      '2026-01-01T17:00:00.000Z',
      '2026-01-02T17:00:00.000Z',
      '2026-01-03T17:00:00.000Z',
    ]);
  });

  it('"every" with a calendar duration keeps calendar steps (P1M)', () => {
    const monthly = loadScenario(
      [
        'duration: P100D',
        'devices: [{ id: d }]',
        'events:',
        '  - { at: P30D, every: P1M, device: d, set: { battery: { level: 50 } } }',
      ].join('\n'),
    );
    const r = runSpec(monthly);
    expect(r.of('power.changed').map((e) => iso(e.time))).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
      '2026-03-28T00:00:00.000Z',
    ]);
  });
});

describe('--until override', () => {
  const text = read('fixtures/scenarios/basic.yaml');

  it('accepts a duration after start or an ISO time, and the run stops there', () => {
    expect(loadScenario(text, { until: 'P16D' }).end).toBe(T0 + 16 * DAY);
    expect(loadScenario(text, { until: '2026-01-03T12:00:00Z' }).end).toBe(
      T0 + 2 * DAY + 12 * HOUR,
    );
    expect(loadScenario(text, { until: 'P100D' }).end).toBe(T0 + 100 * DAY);
    const run = runScenarioFile('fixtures/scenarios/basic.yaml', { until: 'P16D' });
    const last = run.events.at(-1);
    expect(last?.time).toBeLessThanOrEqual(T0 + 16 * DAY);
    // The P17D and P18D events are past the end: they never happen.
    expect(run.of('network.changed', 'laptop')).toHaveLength(1);
    expect(run.of('push.sent')).toEqual([]);
    // The full run has them.
    expect(runScenarioFile('fixtures/scenarios/basic.yaml').of('push.sent')).toHaveLength(1);
  });

  it('is a prefix of the full timeline', () => {
    const full = runScenarioFile('fixtures/scenarios/basic.yaml').jsonl();
    const cut = runScenarioFile('fixtures/scenarios/basic.yaml', { until: 'P16D' }).jsonl();
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThan(full.length);
    expect(full.startsWith(cut)).toBe(true);
  });

  it('rejects a value that is neither, or one before the start', () => {
    expect(issuesOf(text, { until: 'tomorrow' })).toEqual([
      '--until: expected an ISO time or an ISO duration after start, got "tomorrow"',
    ]);
    expect(issuesOf(text, { until: '2025-06-01T00:00:00Z' })).toEqual([
      '--until: 2025-06-01T00:00:00Z is before the scenario start',
    ]);
  });
});

describe('parseScenario', () => {
  it('keeps name and description for the demo list', () => {
    const file = parseScenario(read('fixtures/scenarios/basic.yaml'));
    expect(file.name).toBe('basic');
    expect(file.description).toMatch(/captive portal/);
  });
});

describe('regressions', () => {
  it('integer fields drawn from { uniform } are whole numbers (resetDay was fractional)', () => {
    const spec = loadScenario(
      'devices: [{ id: d, count: 20, dataSense: { resetDay: { uniform: [1, 28] } } }]',
    );
    const days = spec.devices.map((d) => d.dataSense.resetDay);
    for (const day of days) {
      expect(Number.isInteger(day)).toBe(true);
      expect(day).toBeGreaterThanOrEqual(1);
      expect(day).toBeLessThanOrEqual(28);
    }
    expect(new Set(days).size).toBeGreaterThan(3);
  });

  it.each(['P', 'PT', 'P-1D', 'PT0S'])(
    'an empty, zero or negative duration %s is rejected',
    (d) => {
      const issues = issuesOf(`duration: "${d}"\ndevices: [{ id: d1 }]`);
      expect(issues).toEqual([
        `duration: expected a positive ISO 8601 duration such as "P15D" or "PT4H", got "${d}"`,
      ]);
    },
  );

  it('a top-level list is reported as "got a list" (was "got object")', () => {
    expect(issuesOf('- 1', {}, 'list.yaml')).toEqual([
      'list.yaml: expected a mapping with "devices" (and optionally seed, start, duration, events), got a list',
    ]);
  });
});

describe('times past what a clock can hold', () => {
  const base = (extra: string): string =>
    [
      'name: far',
      'start: 2026-01-01T00:00:00Z',
      'duration: P10D',
      'devices:',
      '  - id: a',
      extra,
    ].join('\n');

  it('are refused naming the field, not with a RangeError', () => {
    const issues = (text: string): string[] => {
      try {
        loadScenario(text, {}, 'far.yaml');
      } catch (e) {
        if (e instanceof ValidationError) return [...e.issues];
        throw e;
      }
      return [];
    };
    expect(issues(base('events:\n  - at: P99999999999D\n    device: a\n    reboot: true'))).toEqual(
      [
        'events[0].at: P99999999999D is after the last instant a clock can hold (+275760-09-13T00:00:00.000Z)',
      ],
    );
    expect(issues(base('').replace('P10D', 'P300000Y'))).toEqual([
      'duration: P300000Y ends after the last instant a clock can hold (+275760-09-13T00:00:00.000Z)',
    ]);
  });
});
