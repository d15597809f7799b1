/**
 * The scenario's cron reading (src/scenario/cron.ts, pure) against node-cron's own validator and
 * matcher, which it replaces in the core: same problems for every expression, same next match.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronProblem, cronRecurrence } from '../../src/scenario/cron.js';

/** node-cron's verdict, in the words `cronProblem` uses. */
function nodeCronProblem(expression: string): string | null {
  const result = cron.validateDetailed(expression);
  if (result.valid) return null;
  return result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

/** The next match after `after` by node-cron's matcher, looking `days` days ahead at most. */
function nodeCronNext(
  expression: string,
  zone: string,
  after: number,
  days: number,
): number | null {
  const fields = cron.parse(expression);
  const task = cron.createTask(expression, () => undefined, { timezone: zone });
  void task.destroy();
  const times: Array<[number, number, number]> = [];
  for (const h of fields.hour)
    for (const m of fields.minute) for (const s of fields.second) times.push([h, m, s]);
  times.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  let day = DateTime.fromMillis(after, { zone }).startOf('day');
  for (let i = 0; i < days; i++, day = day.plus({ days: 1 })) {
    for (const [hour, minute, second] of times) {
      const ms = day.set({ hour, minute, second, millisecond: 0 }).toMillis();
      if (ms > after && task.match(new Date(ms))) return ms;
    }
  }
  return null;
}

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

/** One comma-separated part of a field: numbers, ranges, steps, names and the day tokens. */
const token = fc.oneof(
  fc.integer({ min: 0, max: 62 }).map(String),
  pick('*', '?', '*/5', '*/0', '*/15', '5/10'),
  fc
    .tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }))
    .map(([a, b]) => `${a}-${b}`),
  fc
    .tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 31 }), fc.nat(8))
    .map(([a, b, s]) => `${a}-${b}/${s}`),
  pick('jan', 'FEB', 'march', 'May', 'dec', 'jan-mar', 'nov-feb'),
  pick('mon', 'FRI', 'sunday', 'Sat', 'mon-fri', 'fri-mon', '7', '0-7'),
  pick('L', 'l', 'L-3', 'L-31', '15W', '1w', 'LW', '32W', '1-5W', '5L', '7L', '1#2', '7#5', '1#6'),
  pick('x', '*-*', '1--2', ''),
);
const field = fc.array(token, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(','));
const expression = fc.oneof(
  { weight: 8, arbitrary: fc.array(field, { minLength: 5, maxLength: 6 }).map((f) => f.join(' ')) },
  {
    weight: 1,
    arbitrary: fc.array(field, { minLength: 3, maxLength: 7 }).map((f) => f.join('  ')),
  },
  { weight: 1, arbitrary: pick('@daily', '@WEEKLY', ' @hourly ', '@yearly', '@reboot') },
);

/** Expressions that are valid and, to keep node-cron's search short, match few times a day. */
const sparseExpression = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 59 }).map(String), pick('0,30')),
    fc.oneof(fc.integer({ min: 0, max: 59 }).map(String), pick('0,30', '*/20')),
    fc.oneof(fc.integer({ min: 0, max: 23 }).map(String), pick('*/6', '1-3', '22-2', '0,12', '2')),
    fc.oneof(
      pick('*', '?', 'L', 'L-2', '15W', 'LW', '1-7', '29', '31'),
      fc.integer({ min: 1, max: 28 }).map(String),
    ),
    pick('*', 'jan-mar', 'nov-feb', '2', '*/3', 'feb,aug'),
    pick('*', '?', 'mon-fri', 'fri-mon', '0', '7', '5L', '1#2', '6#1', 'sat,sun'),
  )
  .map(([s, m, h, dom, month, dow]) => `${s} ${m} ${h} ${dom} ${month} ${dow}`)
  .filter((e) => nodeCronProblem(e) === null);

const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
/** DST changes of the zones above in 2026 (Lord Howe moves by half an hour). */
const DST_CHANGES = [
  '2026-03-29T01:00:00Z',
  '2026-10-25T01:00:00Z',
  '2026-03-08T07:00:00Z',
  '2026-11-01T06:00:00Z',
  '2026-04-04T15:00:00Z',
  '2026-10-03T15:30:00Z',
].map((iso) => Date.parse(iso));
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
  fc
    .tuple(fc.constantFrom(...DST_CHANGES), fc.integer({ min: -2 * 86_400_000, max: 3_600_000 }))
    .map(([change, offset]) => change + offset),
);

describe('scenario cron expressions read as node-cron reads them', () => {
  it('the same problems (or none) for any expression', () => {
    fc.assert(
      fc.property(expression, (e) => {
        expect(cronProblem(e)).toBe(nodeCronProblem(e));
      }),
      { numRuns: 2000 },
    );
  });

  it('the same next match, in any time zone (DST changes included)', () => {
    const DAYS = 100;
    fc.assert(
      fc.property(sparseExpression, pick(...ZONES), instant, (e, zone, after) => {
        const expected = nodeCronNext(e, zone, after, DAYS);
        const next = cronRecurrence(e, zone)(after);
        if (expected !== null) expect(next).toBe(expected);
        else expect(next === null || next > after + (DAYS - 1) * 86_400_000).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('examples: weekdays at 18:00, the last day of the month, DST in Paris', () => {
    const at = (iso: string): number => Date.parse(iso);
    expect(cronRecurrence('0 18 * * 1-5', 'UTC')(at('2026-01-02T18:00:00Z'))).toBe(
      at('2026-01-05T18:00:00Z'),
    );
    expect(cronRecurrence('0 0 L * *', 'UTC')(at('2026-02-01T00:00:00Z'))).toBe(
      at('2026-02-28T00:00:00Z'),
    );
    // 02:30 does not exist in Paris on 2026-03-29; Luxon moves it to 03:30, which does not match.
    expect(cronRecurrence('0 30 2 * * *', 'Europe/Paris')(at('2026-03-28T02:00:00Z'))).toBe(
      at('2026-03-30T00:30:00Z'),
    );
    expect(cronProblem('99 * * * *')).toBe('minute: 99 is a invalid expression for minute');
  });
});
