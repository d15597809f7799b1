import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLL,
  nextMaintenance,
  nextPoll,
  planPolls,
  POLL_START,
  type PollConfig,
  type PollCursor,
  type PollPhase,
  type PollPlan,
} from '../../src/core/dmclient/poll-schedule.js';
import { Simulation } from '../../src/core/simulation.js';
import { DAY, HOUR, MINUTE } from '../../src/core/time/iso.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import {
  deviceSpecWith,
  instantArb,
  pollConfigArb,
  simulationSpecFor,
} from '../../src/testing/arbitraries.js';

const config = (
  first: [number, number],
  second: [number, number],
  remaining: [number, number],
  maintenanceTime = '02:00',
): PollConfig => ({
  first: { intervalMinutes: first[0], count: first[1] },
  second: { intervalMinutes: second[0], count: second[1] },
  remaining: { intervalMinutes: remaining[0], count: remaining[1] },
  maintenanceTime,
});

const phase = (set: PollPhase['set'], minutes: number, count: number): PollPhase => ({
  set,
  intervalMs: minutes * MINUTE,
  count,
});

/** The first `n` polls after `start`. */
function polls(plan: PollPlan, start: number, zone: string, n: number): number[] {
  const out: number[] = [];
  let previous = start;
  let cursor: PollCursor = POLL_START;
  for (let i = 0; i < n; i++) {
    const next = nextPoll(plan, cursor, previous, zone);
    if (!next) break;
    out.push(next.at);
    previous = next.at;
    cursor = next.cursor;
  }
  return out;
}

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
] as const;

describe('CSP Poll rules (0 and infinite)', () => {
  it('defaults: 10 polls 15 minutes apart, then the maintenance-window fallback', () => {
    expect(DEFAULT_POLL).toEqual(config([15, 10], [0, 0], [0, 0], '02:00'));
    expect(planPolls(DEFAULT_POLL)).toEqual({
      phases: [phase('first', 15, 10)],
      maintenanceFallback: true,
      maintenanceTime: '02:00',
    });
  });

  it.each([
    // [description, config, phases, fallback]
    [
      'an interval of 0 disables its set',
      config([0, 5], [60, 3], [0, 7]),
      [phase('second', 60, 3)],
      true,
    ],
    [
      'NumberOfFirstRetries 0 with an interval is infinite and disables the other two sets',
      config([1, 0], [60, 3], [480, 0]),
      [phase('first', 1, Infinity)],
      false,
    ],
    [
      'NumberOfSecondRetries 0 is infinite when the first set is finite',
      config([15, 10], [60, 0], [480, 5]),
      [phase('first', 15, 10), phase('second', 60, Infinity)],
      false,
    ],
    [
      'NumberOfSecondRetries 0 is infinite when the first set is disabled',
      config([0, 0], [60, 0], [480, 0]),
      [phase('second', 60, Infinity)],
      false,
    ],
    [
      'NumberOfRemainingScheduledRetries 0 is infinite (Intune/Mattrax 3/5, 15/8, 480/0)',
      config([3, 5], [15, 8], [480, 0]),
      [phase('first', 3, 5), phase('second', 15, 8), phase('remaining', 480, Infinity)],
      false,
    ],
    [
      'every set finite: the device adds the 24-hour maintenance fallback',
      config([3, 5], [15, 8], [1440, 2]),
      [phase('first', 3, 5), phase('second', 15, 8), phase('remaining', 1440, 2)],
      true,
    ],
    ['all six values 0: only the maintenance fallback', config([0, 0], [0, 0], [0, 0]), [], true],
    [
      'a disabled second set does not make the remaining set finite',
      config([15, 10], [0, 0], [480, 0]),
      [phase('first', 15, 10), phase('remaining', 480, Infinity)],
      false,
    ],
  ] as const)('%s', (_name, c, phases, fallback) => {
    const plan = planPolls(c);
    expect(plan.phases).toEqual(phases);
    expect(plan.maintenanceFallback).toBe(fallback);
  });

  it('holds for arbitrary Poll configurations', () => {
    fc.assert(
      fc.property(pollConfigArb, (c) => {
        const plan = planPolls(c);
        const order = ['first', 'second', 'remaining'];
        // Sets keep their order, and a set with interval 0 never appears.
        const sets = plan.phases.map((p) => p.set);
        expect([...sets].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(sets);
        for (const p of plan.phases) {
          expect(c[p.set].intervalMinutes).toBeGreaterThan(0);
          expect(p.intervalMs).toBe(c[p.set].intervalMinutes * MINUTE);
          // Count 0 ⇔ infinite.
          expect(p.count).toBe(c[p.set].count === 0 ? Infinity : c[p.set].count);
        }
        // At most one infinite set, and it is the last: nothing after it is used.
        const infinite = plan.phases.findIndex((p) => p.count === Infinity);
        if (infinite !== -1) expect(infinite).toBe(plan.phases.length - 1);
        // The fallback is there exactly when no set is infinite.
        expect(plan.maintenanceFallback).toBe(infinite === -1);
        expect(plan.maintenanceTime).toBe(c.maintenanceTime);
        // Every enabled set before the infinite one (or all, when none is) is in the plan.
        const enabled = order.filter(
          (s) => c[s as PollPhase['set']].intervalMinutes > 0,
        ) as PollPhase['set'][];
        const firstInfinite = enabled.findIndex((s) => c[s].count === 0);
        const expected = firstInfinite === -1 ? enabled : enabled.slice(0, firstInfinite + 1);
        expect(sets).toEqual(expected);
        // NumberOfFirstRetries 0 with an interval disables the other two sets.
        if (c.first.intervalMinutes > 0 && c.first.count === 0) expect(sets).toEqual(['first']);
      }),
      { numRuns: 1000 },
    );
  });

  it('the schedule follows the plan, then falls back to a daily poll (arbitrary configs, UTC)', () => {
    fc.assert(
      fc.property(pollConfigArb, instantArb, (c, start) => {
        const plan = planPolls(c);
        const finite = plan.phases.reduce((n, p) => n + (p.count === Infinity ? 0 : p.count), 0);
        const ats = polls(plan, start, 'UTC', Math.min(finite, 200) + 5);
        expect(ats.length).toBe(Math.min(finite, 200) + 5);
        // Strictly increasing.
        ats.reduce((prev, at) => (expect(at).toBeGreaterThan(prev), at), start);
        // The gaps are the phases' intervals, in order.
        const gaps = ats.map((at, i) => at - (i === 0 ? start : (ats[i - 1] as number)));
        const expectedGaps: number[] = [];
        for (const p of plan.phases)
          for (let k = 0; k < p.count && expectedGaps.length < gaps.length; k++)
            expectedGaps.push(p.intervalMs);
        const scheduled = Math.min(expectedGaps.length, gaps.length);
        expect(gaps.slice(0, scheduled)).toEqual(expectedGaps.slice(0, scheduled));
        if (plan.maintenanceFallback) {
          // Then once a day at the maintenance time (UTC here).
          const daily = ats.slice(finite);
          expect(daily.length).toBe(5);
          for (const at of daily) {
            expect(DateTime.fromMillis(at, { zone: 'UTC' }).toFormat('HH:mm:ss.SSS')).toBe(
              `${c.maintenanceTime}:00.000`,
            );
          }
          expect((daily[0] as number) - (ats[finite - 1] ?? start)).toBeLessThanOrEqual(DAY);
          for (let i = 1; i < daily.length; i++)
            expect((daily[i] as number) - (daily[i - 1] as number)).toBe(DAY);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an infinite set polls forever', () => {
    const plan = planPolls(config([1, 0], [0, 0], [0, 0]));
    const ats = polls(plan, 0, 'UTC', 5000);
    expect(ats.length).toBe(5000);
    expect(ats[4999]).toBe(5000 * MINUTE);
  });
});

describe('the 24-hour maintenance fallback in the device zone', () => {
  it('defaults 15/10 then daily at 02:00 local (America/New_York)', () => {
    const start = Date.UTC(2026, 0, 10, 12); // 07:00 in New York (EST, UTC−5)
    const ats = polls(planPolls(DEFAULT_POLL), start, 'America/New_York', 13);
    expect(ats.slice(0, 10)).toEqual(
      Array.from({ length: 10 }, (_, k) => start + (k + 1) * 15 * MINUTE),
    );
    expect(ats.slice(10)).toEqual([
      Date.UTC(2026, 0, 11, 7), // 02:00 EST
      Date.UTC(2026, 0, 12, 7),
      Date.UTC(2026, 0, 13, 7),
    ]);
  });

  it('on the spring-forward day, the missing 02:00 becomes 03:00 local (Europe/Paris, March 2026)', () => {
    const ats = [Date.UTC(2026, 2, 27, 12)];
    for (let i = 0; i < 2; i++)
      ats.push(nextMaintenance(ats.at(-1) as number, '02:00', 'Europe/Paris'));
    // 28 March 02:00 CET = 01:00Z; on 29 March 02:00 does not exist (clocks jump to 03:00 CEST).
    expect(ats.slice(1).map((t) => new Date(t).toISOString())).toEqual([
      '2026-03-28T01:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ]);
  });

  it('keeps 02:00 local across the fall-back change, once a day (Europe/Paris, October 2026)', () => {
    const ats = [Date.UTC(2026, 9, 23, 12)];
    for (let i = 0; i < 4; i++)
      ats.push(nextMaintenance(ats.at(-1) as number, '02:00', 'Europe/Paris'));
    expect(ats.slice(1).map((t) => new Date(t).toISOString())).toEqual([
      '2026-10-24T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T00:00:00.000Z', // 02:00 CEST, the first of the two 02:00s that night
      '2026-10-26T01:00:00.000Z', // 02:00 CET
      '2026-10-27T01:00:00.000Z',
    ]);
  });

  it('nextMaintenance is strictly later, within a day (± DST), at the local time', () => {
    fc.assert(
      fc.property(
        instantArb,
        fc.constantFrom(...ZONES),
        pollConfigArb.map((c) => c.maintenanceTime),
        (after, zone, time) => {
          const at = nextMaintenance(after, time, zone);
          expect(at).toBeGreaterThan(after);
          expect(at - after).toBeLessThanOrEqual(DAY + HOUR);
          const local = DateTime.fromMillis(at, { zone });
          // Away from DST changes (none in the 26 hours before), it is exactly the local time.
          // (The day after a spring-forward gap is not checked here.)
          const shifted =
            local.offset !== DateTime.fromMillis(at - DAY - 2 * HOUR, { zone }).offset;
          if (!shifted) expect(local.toFormat('HH:mm:ss.SSS')).toBe(`${time}:00.000`);
          // Nothing earlier qualifies: one day before, it would not be after `after`.
          if (!shifted) expect(local.minus({ days: 1 }).toMillis()).toBeLessThanOrEqual(after);
        },
      ),
      { numRuns: 2000, examples: [[1695477600000, 'Pacific/Chatham', '02:45']] },
    );
  });

  it('a running device polls on that schedule, push or not (session triggers "poll")', () => {
    for (const pfn of [null, 'Contoso.MDM_8wekyb3d8bbwe']) {
      const start = Date.UTC(2026, 0, 1); // 01:00 in Paris
      const device = deviceSpecWith({
        id: 'd1',
        pfn,
        timezone: 'Europe/Paris',
        battery: {
          level: 100,
          charging: true,
          drainPerHour: 0,
          chargePerHour: 0,
          saverThreshold: 20,
          saverSwitch: false,
          pushAllowedInSaver: false,
        },
      });
      const sink = new MemorySink();
      new Simulation(simulationSpecFor(device, [], { start, duration: 3 * DAY }), sink).run();
      const pollTimes = sink.events
        .filter(
          (e) =>
            (e.type === 'session.started' ||
              e.type === 'session.skipped' ||
              e.type === 'session.queued') &&
            e.trigger === 'poll',
        )
        .map((e) => e.time);
      const expected = [
        ...(pfn === null ? [start] : []), // an unprovisioned device opens a first session at boot
        ...Array.from({ length: 10 }, (_, k) => start + (k + 1) * 15 * MINUTE),
        Date.UTC(2026, 0, 2, 1), // 02:00 CET
        Date.UTC(2026, 0, 3, 1),
      ];
      expect(pollTimes).toEqual(expected);
    }
  });
});

describe('regression: the maintenance poll after a spring-forward day was an hour late', () => {
  it.each([
    ['Europe/Paris', Date.UTC(2026, 2, 29, 1), '2026-03-30T00:00:00.000Z'],
    ['America/New_York', Date.UTC(2026, 2, 8, 7), '2026-03-09T06:00:00.000Z'],
  ])('%s: the day after the change polls at 02:00 local again', (zone, after, expected) => {
    expect(new Date(nextMaintenance(after, '02:00', zone)).toISOString()).toBe(expected);
  });

  it('every daily maintenance poll is at 02:00 local when that time exists (a year in Paris)', () => {
    let at = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 366; i++) {
      at = nextMaintenance(at, '02:00', 'Europe/Paris');
      const local = DateTime.fromMillis(at, { zone: 'Europe/Paris' });
      // On the spring-forward day 02:00 does not exist and Luxon moves it to 03:00.
      const springForward = local.month === 3 && local.day === 29;
      expect([local.hour, local.minute]).toEqual(springForward ? [3, 0] : [2, 0]);
    }
  });
});
