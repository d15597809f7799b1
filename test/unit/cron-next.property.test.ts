/**
 * The cron next-match search (src/scenario/cron.ts), which jumps from matching day to matching day
 * and from the instant's local time to the next time of day, against the search it replaced: a
 * scan of every calendar day for ten years, every time of day on each (kept here as the oracle).
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { matchesDayOfMonth, matchesDayOfWeek } from '../../src/scenario/cron-days.js';
import { parseCron, type Fields } from '../../src/scenario/cron-fields.js';
import { cronProblem, cronRecurrence, matches } from '../../src/scenario/cron.js';

/** The former `cronRecurrence`, unchanged: a scan of 3,660 days, every time of day on each. */
function scanRecurrence(expression: string, zone: string): (after: number) => number | null {
  const result = parseCron(expression);
  if ('problems' in result) throw new Error(`cron: ${result.problems.join('; ')}`);
  const fields: Fields = result.fields;
  const times: Array<[number, number, number]> = [];
  for (const h of fields[2])
    for (const m of fields[1])
      for (const s of fields[0]) times.push([h as number, m as number, s as number]);
  times.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const [, , , days, months, weekdays] = fields;
  return (after: number): number | null => {
    const first = DateTime.fromMillis(after, { zone });
    for (let i = 0; i < 3660; i++) {
      const date = new Date(Date.UTC(first.year, first.month - 1, first.day + i));
      const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      if (
        !months.includes(month) ||
        !matchesDayOfMonth(days, year, month, day) ||
        !matchesDayOfWeek(weekdays, { year, month, day, weekday: date.getUTCDay() })
      )
        continue;
      const midnight = DateTime.fromObject({ year, month, day }, { zone });
      for (const [hour, minute, second] of times) {
        const ms = midnight.set({ hour, minute, second, millisecond: 0 }).toMillis();
        if (ms > after && matches(fields, ms, zone)) return ms;
      }
    }
    return null;
  };
}

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

/** Valid expressions, dense and sparse, with the day tokens and (rarely) a seconds list. */
const expression = fc
  .tuple(
    pick('0', '0', '0', '30', '*/20', '0,30', '5-10'),
    pick('*', '*/5', '0', '30', '1,30,31', '5,33,35', '0-59/7', '45', '59'),
    pick('*', '2', '1-3', '22-2', '*/6', '0,12', '0', '23', '1,2,3'),
    pick('*', '?', 'L', 'L-2', '15W', 'LW', '1-7', '29', '31', '1', '13'),
    pick('*', 'jan-mar', 'nov-feb', '2', '*/3', 'feb,aug', '3,4,9,10'),
    pick('*', '?', 'mon-fri', 'fri-mon', '0', '7', '5L', '1#2', '6#1', '0#5', 'sat,sun', '1'),
  )
  .map(([s, m, h, dom, month, dow]) => `${s} ${m} ${h} ${dom} ${month} ${dow}`)
  .filter((e) => cronProblem(e) === null);

/** Zones whose every offset change is a whole number of hours (DST at 02:00, at midnight, none). */
const WHOLE_HOUR_ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Santiago',
  'Pacific/Chatham',
  'Asia/Kolkata',
];
/** Moves its clocks by half an hour (02:00 → 02:30 in October, back in April). */
const HALF_HOUR_ZONE = 'Australia/Lord_Howe';

/** The instants from 2025 to 2027 where `zone`'s offset changes, to the minute. */
function offsetChanges(zone: string): number[] {
  const offset = (ms: number): number => DateTime.fromMillis(ms, { zone }).offset;
  const changes: number[] = [];
  for (let day = Date.UTC(2025, 0, 1); day < Date.UTC(2028, 0, 1); day += 86_400_000) {
    let [lo, hi] = [day, day + 86_400_000];
    if (offset(lo) === offset(hi)) continue;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    changes.push(hi);
  }
  return changes;
}

/** Instants from 2024 to 2030, and from two days before to three hours after an offset change. */
function instantIn(zone: string): fc.Arbitrary<number> {
  const changes = offsetChanges(zone);
  const anywhere = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) });
  if (changes.length === 0) return anywhere;
  const nearChange = fc
    .tuple(pick(...changes), fc.integer({ min: -2 * 86_400_000, max: 3 * 3_600_000 }))
    .map(([change, offset]) => change + offset);
  return fc.oneof(anywhere, nearChange, nearChange);
}

/** A zone of `zones` with an instant to search from (milliseconds included). */
function inZone(zones: string[]): fc.Arbitrary<[string, number]> {
  const instants = new Map(zones.map((zone) => [zone, instantIn(zone)]));
  return fc.constantFrom(...zones).chain((zone) =>
    fc.tuple(
      fc.constant(zone),
      (instants.get(zone) as fc.Arbitrary<number>).map((ms) => ms),
    ),
  );
}

describe('cron next match: the jump search against the day-by-day scan', () => {
  it('the same next match, where every offset change is whole hours', () => {
    fc.assert(
      fc.property(expression, inZone(WHOLE_HOUR_ZONES), fc.nat(999), (e, [zone, after], ms) => {
        expect(cronRecurrence(e, zone)(after + ms)).toBe(scanRecurrence(e, zone)(after + ms));
      }),
      { numRuns: 400 },
    );
  });

  it('across a half-hour change: a match, never later than the scan, earlier only past a match the scan skipped', () => {
    fc.assert(
      fc.property(expression, inZone([HALF_HOUR_ZONE]), (e, [zone, after]) => {
        const next = cronRecurrence(e, zone)(after);
        const scanned = scanRecurrence(e, zone)(after);
        if (next === null || scanned === null) {
          expect(next).toBe(scanned);
        } else {
          const fields = (parseCron(e) as { fields: Fields }).fields;
          expect(next > after && matches(fields, next, zone)).toBe(true);
          expect(next).toBeLessThanOrEqual(scanned);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('regression: in Lord Howe the scan returned 02:35 for 02:33 (02:05 does not exist and lands on 02:35)', () => {
    const e = '0 5,33,35 2 * * *';
    const after = Date.parse('2026-10-04T02:32:00+11:00'); // clocks went 02:00 → 02:30 at +10:30
    expect(new Date(scanRecurrence(e, HALF_HOUR_ZONE)(after) ?? 0).toISOString()).toBe(
      '2026-10-03T15:35:00.000Z',
    );
    expect(new Date(cronRecurrence(e, HALF_HOUR_ZONE)(after) ?? 0).toISOString()).toBe(
      '2026-10-03T15:33:00.000Z',
    );
  });

  it('every minute, every second, the fifth Sunday and nothing for ten years: exact answers', () => {
    const at = (iso: string): number => Date.parse(iso);
    expect(cronRecurrence('* * * * *', 'UTC')(at('2026-01-01T00:00:30.500Z'))).toBe(
      at('2026-01-01T00:01:00Z'),
    );
    expect(cronRecurrence('* * * * * *', 'UTC')(at('2026-01-01T23:59:59.999Z'))).toBe(
      at('2026-01-02T00:00:00Z'),
    );
    expect(cronRecurrence('0 0 * * 0#5', 'UTC')(at('2026-01-01T00:00:00Z'))).toBe(
      at('2026-03-29T00:00:00Z'),
    );
    // 29 February on a Monday: 2044 is more than ten years after 2026.
    expect(cronRecurrence('0 0 29 2 1', 'UTC')(at('2026-01-01T00:00:00Z'))).toBeNull();
    expect(cronRecurrence('0 0 29 2 1', 'UTC')(at('2036-01-01T00:00:00Z'))).toBe(
      at('2044-02-29T00:00:00Z'),
    );
  });
});
