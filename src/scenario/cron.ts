import { DateTime } from 'luxon';

/**
 * Cron expressions of scenario events, in node-cron 4's syntax and meaning: an optional seconds
 * field, then minute, hour, day of month, month and day of week; `*`, lists, ranges (a range whose
 * end is below its start wraps around), steps, month and day names, `?`, the nicknames (`@daily`
 * …), and node-cron's day tokens (`L`, `L-3`, `15W`, `LW` in days of the month; `5L`, `1#2` in
 * days of the week). As in node-cron, a time matches when every field matches (day of month AND
 * day of week, unlike Vixie cron's OR).
 *
 * Pure (Luxon for the calendar): the scenario parser is part of the core entry, and node-cron's
 * module starts child processes (its background tasks), which the core never loads. A property
 * test checks this reading against node-cron's own parser and matcher.
 */

/** A parsed field: numbers, and the special day tokens (`L`, `15W`, `1#2`…) as strings. */
type Field = ReadonlyArray<number | string>;

/** The six fields: second, minute, hour, day of month, month, day of week. */
type Fields = readonly [Field, Field, Field, Field, Field, Field];

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Field bounds, second to day of week (7 is Sunday too). */
const BOUNDS: ReadonlyArray<readonly [number, number]> = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];
const FIELD_NAMES = ['second', 'minute', 'hour', 'day of month', 'month', 'week day'];
const FIELD_KEYS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'];

const ALLOWED_CHARS = /^[a-zA-Z0-9-*/,#? ]+$/;
const PLAIN_VALUE = /^(?:\d+|\*|\*\/\d+)$/;
const RANGE = /^(\d+)-(\d+)(?:\/(\d+))?$/;
const DAY_W = /^(\d{1,2}|L)W$/i;
const DAY_L_OFFSET = /^L-(\d{1,2})$/i;
const LAST_WEEKDAY = /^([0-7])L$/i;
const NTH_WEEKDAY = /^([0-7])#([1-5])$/;
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function resolveNickname(expression: string): string {
  return NICKNAMES[expression.trim().toLowerCase()] ?? expression;
}

function splitFields(expression: string): string[] {
  return expression
    .replace(/\s{2,}/g, ' ')
    .trim()
    .split(' ');
}

/** Replaces each name (case-insensitive, anywhere in the field) by its index plus `offset`. */
function replaceNames(field: string, names: readonly string[], offset: number): string {
  let out = field;
  const short = names.map((n) => n.slice(0, 3));
  for (const list of [names, short]) {
    list.forEach((name, i) => (out = out.replace(new RegExp(name, 'gi'), String(i + offset))));
  }
  return out;
}

/** `a-b` or `a-b/s` as a list; a range ending below its start wraps around the field. */
function expandRange(token: string, [min, max]: readonly [number, number]): string {
  const m = RANGE.exec(token.trim());
  if (!m) return token;
  const [first, last, step] = [Number(m[1]), Number(m[2]), parseInt(m[3] ?? '1', 10)];
  if (!(step >= 1)) return token;
  const numbers: number[] = [];
  if (first <= last) {
    for (let i = first; i <= last; i += step) numbers.push(i);
    return numbers.join(',');
  }
  const size = max - min + 1;
  const span = (((last - first) % size) + size) % size;
  for (let offset = 0; offset <= span; offset += step) {
    const value = first + offset;
    numbers.push(value > max ? value - size : value);
  }
  return numbers.join(',');
}

/** A token of a field after expansion: a number, or a day token in node-cron's spelling. */
function normalizeToken(raw: string): number | string {
  const token = raw.trim();
  if (/^l$/i.test(token)) return 'L';
  if (/^l-\d{1,2}$/i.test(token) || /^[0-7]l$/i.test(token) || /w/i.test(token)) {
    return token.toUpperCase();
  }
  if (token.includes('#')) return token;
  if (/^\d+$/.test(token)) return parseInt(token, 10);
  return token;
}

/** The six fields of `expression`, expanded to lists (not yet validated). */
function convert(expression: string): Array<Array<number | string>> {
  let parts = splitFields(resolveNickname(expression));
  if (parts.length === 5) parts = ['0', ...parts];
  if (parts[3] === '?') parts[3] = '*';
  if (parts[5] === '?') parts[5] = '*';
  if (parts[4] !== undefined) parts[4] = replaceNames(parts[4], MONTHS, 1);
  if (parts[5] !== undefined) parts[5] = replaceNames(parts[5], WEEKDAYS, 0);
  return parts.map((part, i) => {
    const bounds = BOUNDS[i] ?? [0, 0];
    const tokens = part
      .split(',')
      .map((t) => (t.includes('*') ? t.replace('*', `${bounds[0]}-${bounds[1]}`) : t))
      .map((t) => expandRange(t, bounds))
      .join(',')
      .split(',')
      .map(normalizeToken);
    if (i !== 5) return tokens;
    const weekdays = tokens.map((t) =>
      t === 7 ? 0 : typeof t === 'string' && t.startsWith('7') ? `0${t.slice(1)}` : t,
    );
    return [...new Set(weekdays)];
  });
}

/** Every token a number or `*`-free digits within `[min, max]`. */
function allInRange(tokens: Field, min: number, max: number): boolean {
  return tokens.every((token) => {
    const n = typeof token === 'number' ? token : parseInt(token, 10);
    return !(!Number.isNaN(n) && (n < min || n > max)) && PLAIN_VALUE.test(String(token));
  });
}

function invalidDayOfMonth(tokens: Field): boolean {
  const plain = tokens.filter((value) => {
    if (value === 'L') return false;
    const w = DAY_W.exec(String(value));
    if (w) return w[1] !== 'L' && (Number(w[1]) < 1 || Number(w[1]) > 31);
    const offset = DAY_L_OFFSET.exec(String(value));
    if (offset) return Number(offset[1]) < 1 || Number(offset[1]) > 30;
    return true;
  });
  return !allInRange(plain, 1, 31);
}

function invalidWeekDay(tokens: Field): boolean {
  const plain = tokens.filter(
    (value) => !(typeof value === 'string' && (NTH_WEEKDAY.test(value) || /^[0-7]L$/.test(value))),
  );
  return !allInRange(plain, 0, 7);
}

function invalidField(i: number, tokens: Field): boolean {
  if (i === 3) return invalidDayOfMonth(tokens);
  if (i === 5) return invalidWeekDay(tokens);
  const [min, max] = i === 4 ? [1, 12] : (BOUNDS[i] ?? [0, 0]);
  return !allInRange(tokens, min, max);
}

/** A `W` anywhere in the raw day-of-month field other than in `15W` or `LW`. */
function misusedW(rawDayOfMonth: string): boolean {
  return rawDayOfMonth
    .split(',')
    .some((token) => /w/i.test(token.trim()) && !DAY_W.test(token.trim()));
}

function impossibleDayOfMonth(days: Field, months: Field): boolean {
  if (days.some((d) => typeof d !== 'number')) return false;
  return !months.some((m) =>
    days.some((d) => (d as number) <= (MAX_DAYS_IN_MONTH[m as number] ?? 0)),
  );
}

/** The fields of `expression`, or the problems found (`field: what`). */
function parse(expression: string): { fields: Fields } | { problems: string[] } {
  const resolved = resolveNickname(expression);
  if (!ALLOWED_CHARS.test(resolved)) {
    return { problems: ['expression: pattern includes illegal characters'] };
  }
  const raw = splitFields(resolved);
  if (raw.length !== 5 && raw.length !== 6) {
    return { problems: [`expression: expected 5 or 6 fields but got ${raw.length}`] };
  }
  const patterns = raw.length === 5 ? ['0', ...raw] : raw;
  const fields = convert(expression) as unknown as Fields; // six: the length was checked
  const problems: string[] = [];
  fields.forEach((tokens, i) => {
    if (invalidField(i, tokens) || (i === 3 && misusedW(patterns[3] ?? ''))) {
      problems.push(
        `${FIELD_KEYS[i]}: ${patterns[i]} is a invalid expression for ${FIELD_NAMES[i]}`,
      );
    }
  });
  if (problems.length === 0 && impossibleDayOfMonth(fields[3], fields[4])) {
    problems.push(
      `dayOfMonth: ${patterns[3]} ${patterns[4]} is an impossible day of month for the given month`,
    );
  }
  return problems.length > 0 ? { problems } : { fields };
}

/** Returns null when `expression` is valid, else what is wrong with it (`field: problem; …`). */
export function cronProblem(expression: string): string | null {
  const result = parse(expression);
  return 'problems' in result ? result.problems.join('; ') : null;
}

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The weekday (Monday to Friday) nearest to day `target` within its month, or -1. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay();
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(field: Field, year: number, month: number, day: number): boolean {
  return field.some((value) => {
    if (value === day) return true;
    if (typeof value !== 'string') return false;
    if (value === 'L') return day === lastDayOfMonth(year, month);
    const w = DAY_W.exec(value);
    if (w) {
      const target = w[1] === 'L' ? lastDayOfMonth(year, month) : parseInt(w[1] ?? '', 10);
      if (nearestWeekday(year, month, target) === day) return true;
    }
    const offset = DAY_L_OFFSET.exec(value);
    if (offset) {
      const target = lastDayOfMonth(year, month) - parseInt(offset[1] ?? '', 10);
      return target >= 1 && target === day;
    }
    return false;
  });
}

function matchesDayOfWeek(
  field: Field,
  { year, month, day, weekday }: { year: number; month: number; day: number; weekday: number },
): boolean {
  return field.some((value) => {
    if (value === weekday) return true;
    if (typeof value !== 'string') return false;
    const nth = NTH_WEEKDAY.exec(value);
    if (nth)
      return (
        parseInt(nth[1] ?? '', 10) % 7 === weekday &&
        Math.floor((day - 1) / 7) + 1 === Number(nth[2])
      );
    const last = LAST_WEEKDAY.exec(value);
    return (
      last !== null &&
      parseInt(last[1] ?? '', 10) % 7 === weekday &&
      day + 7 > lastDayOfMonth(year, month)
    );
  });
}

/** Whether the instant `ms`, read in `zone`, matches every field. */
function matches(fields: Fields, ms: number, zone: string): boolean {
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

/**
 * The recurrence of `expression` in `zone`: a function from an instant to the next matching
 * instant strictly after it (or null if none within ten years). Throws on an invalid expression
 * (the scenario schema checks them first, with {@link cronProblem}).
 */
export function cronRecurrence(expression: string, zone: string): (after: number) => number | null {
  const result = parse(expression);
  if ('problems' in result) throw new Error(`cron: ${result.problems.join('; ')}`);
  const { fields } = result;
  const times: Array<[number, number, number]> = [];
  for (const h of fields[2])
    for (const m of fields[1])
      for (const s of fields[0]) times.push([h as number, m as number, s as number]);
  times.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const [, , , days, months, weekdays] = fields;
  return (after: number): number | null => {
    const first = DateTime.fromMillis(after, { zone });
    for (let i = 0; i < 3660; i++) {
      // Calendar days by plain date arithmetic; only a day that can match is read in the zone.
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
        // Skipped local times (DST gaps) shift; the matcher decides.
        const ms = midnight.set({ hour, minute, second, millisecond: 0 }).toMillis();
        if (ms > after && matches(fields, ms, zone)) return ms;
      }
    }
    return null;
  };
}
