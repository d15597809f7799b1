import { DateTime } from 'luxon';
import { matchesDate, matchesDayOfMonth, matchesDayOfWeek } from './cron-days.js';
import { parseCron, type Fields } from './cron-fields.js';

/**
 * Cron expressions of scenario events, in node-cron 4's syntax and meaning (`cron-fields.ts`
 * reads them, `cron-days.ts` matches calendar days): a time matches when every field matches, read
 * in the scenario's time zone.
 *
 * Pure (Luxon for the calendar): the scenario parser is part of the core entry, and node-cron's
 * module starts child processes (its background tasks), which the core never loads. Property
 * tests check this reading against node-cron's own parser and matcher, and the next-match search
 * against a day-by-day scan.
 */
export { cronProblem } from './cron-fields.js';

const DAY_MS = 86_400_000;
const DAY_SECONDS = 86_400;
/** How far ahead {@link cronRecurrence} looks for a match: ten years of calendar days. */
const HORIZON_DAYS = 3660;

/** The fields of a valid expression (throws on an invalid one). */
function fieldsOf(expression: string): Fields {
  const result = parseCron(expression);
  if ('problems' in result) throw new Error(`cron: ${result.problems.join('; ')}`);
  return result.fields;
}

/** Whether the instant `ms`, read in `zone`, matches every field. */
export function matches(fields: Fields, ms: number, zone: string): boolean {
  const t = DateTime.fromMillis(ms, { zone });
  const [seconds, minutes, hours, days, months, weekdays] = fields;
  const local = { year: t.year, month: t.month, day: t.day, weekday: t.weekday % 7 };
  return (
    seconds.includes(t.second) &&
    minutes.includes(t.minute) &&
    hours.includes(t.hour) &&
    matchesDayOfMonth(days, t.year, t.month, t.day) &&
    months.includes(t.month) &&
    matchesDayOfWeek(weekdays, local)
  );
}

/** The hour, minute and second fields, each sorted without duplicates. */
interface TimesOfDay {
  readonly hours: readonly number[];
  readonly minutes: readonly number[];
  readonly seconds: readonly number[];
}

function timesOfDay(fields: Fields): TimesOfDay {
  const sorted = (field: Fields[number]): number[] =>
    [...new Set(field as readonly number[])].sort((a, b) => a - b);
  return { seconds: sorted(fields[0]), minutes: sorted(fields[1]), hours: sorted(fields[2]) };
}

/**
 * The first time of day (seconds after midnight) of `times` strictly later than `after` (-1: the
 * first of the day), or null: field by field, the next second of this minute, else the first
 * second of the next minute of this hour, else of the next hour.
 */
function nextTimeOfDay({ hours, minutes, seconds }: TimesOfDay, after: number): number | null {
  const [h0, m0, s0] = [Math.floor(after / 3600), Math.floor(after / 60) % 60, after % 60];
  const at = (h: number, m: number, s: number): number => h * 3600 + m * 60 + s;
  const [firstM, firstS] = [minutes[0] ?? 0, seconds[0] ?? 0];
  if (after >= 0 && hours.includes(h0)) {
    if (minutes.includes(m0)) {
      const s = seconds.find((v) => v > s0);
      if (s !== undefined) return at(h0, m0, s);
    }
    const m = minutes.find((v) => v > m0);
    if (m !== undefined) return at(h0, m, firstS);
  }
  const h = hours.find((v) => v > h0);
  return h === undefined ? null : at(h, firstM, firstS);
}

/** The next calendar day (UTC midnight of its date) from `from` to `last` the fields match. */
function nextDate(fields: Fields, from: number, last: number): number | null {
  const months = fields[4];
  for (let day = from; day <= last;) {
    const d = new Date(day);
    const [year, month] = [d.getUTCFullYear(), d.getUTCMonth() + 1];
    if (!months.includes(month)) {
      day = Date.UTC(year, month, 1); // the first of the next month
    } else if (matchesDate(fields, year, month, d.getUTCDate())) {
      return day;
    } else day += DAY_MS;
  }
  return null;
}

/**
 * The first instant on the calendar day `date` (UTC midnight of it) at a time of day later than
 * `floor` that is after `after` and, read in `zone`, matches: a local time a DST change skips is
 * moved forward by Luxon and counts only if where it lands matches too.
 */
function firstOnDay(
  fields: Fields,
  times: TimesOfDay,
  zone: string,
  day: { readonly date: number; readonly floor: number; readonly after: number },
): number | null {
  const d = new Date(day.date);
  const midnight = DateTime.fromObject(
    { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() },
    { zone },
  );
  for (let t = nextTimeOfDay(times, day.floor); t !== null; t = nextTimeOfDay(times, t)) {
    const hour = Math.floor(t / 3600);
    const ms = midnight
      .set({ hour, minute: Math.floor(t / 60) % 60, second: t % 60, millisecond: 0 })
      .toMillis();
    if (ms > day.after && matches(fields, ms, zone)) return ms;
  }
  return null;
}

/**
 * The recurrence of `expression` in `zone`: a function from an instant to the next matching
 * instant strictly after it (or null if none within ten years). As node-cron's own next-match
 * search: the days that match, in order (jumping over months that do not); on each, the times of
 * day in order, on the first day only those later than the instant's local time. Each call reads a
 * few instants in the zone, whatever the expression. Throws on an invalid expression (the scenario
 * schema checks them first, with {@link cronProblem}).
 */
export function cronRecurrence(expression: string, zone: string): (after: number) => number | null {
  const fields = fieldsOf(expression);
  const times = timesOfDay(fields);
  return (after: number): number | null => {
    const local = DateTime.fromMillis(after, { zone });
    const first = Date.UTC(local.year, local.month - 1, local.day);
    const last = first + (HORIZON_DAYS - 1) * DAY_MS;
    const floor = local.hour * 3600 + local.minute * 60 + local.second;
    for (let date = nextDate(fields, first, last); date !== null;) {
      const found = firstOnDay(fields, times, zone, {
        date,
        floor: date === first ? floor : -1,
        after,
      });
      if (found !== null) return found;
      date = nextDate(fields, date + DAY_MS, last);
    }
    return null;
  };
}

/**
 * The shortest time, in seconds, between two consecutive times of day `expression` matches (a day
 * apart for one time a day): how often it can fire at most, whatever its day fields. `* * * * * *`
 * gives 1, `0 * * * * *` and `* * * * *` 60, `0 18 * * 1-5` 86,400. Throws on an invalid expression.
 */
export function cronShortestGap(expression: string): number {
  const times = timesOfDay(fieldsOf(expression));
  const first = nextTimeOfDay(times, -1) ?? 0;
  let [shortest, last] = [DAY_SECONDS, first];
  for (let t = nextTimeOfDay(times, first); t !== null; t = nextTimeOfDay(times, t)) {
    shortest = Math.min(shortest, t - last);
    last = t;
  }
  return Math.min(shortest, first + DAY_SECONDS - last);
}
