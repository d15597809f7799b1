/**
 * Reading cron expressions of scenario events, in node-cron 4's syntax: an optional seconds
 * field, then minute, hour, day of month, month and day of week; `*`, lists, ranges (a range whose
 * end is below its start wraps around), steps, month and day names, `?`, the nicknames (`@daily`
 * …), and node-cron's day tokens (`L`, `L-3`, `15W`, `LW` in days of the month; `5L`, `1#2` in
 * days of the week). Problems are worded as node-cron's validator words them (a property test
 * compares the two). What a parsed expression matches: `cron-days.ts` and `cron.ts`.
 */

/** A parsed field: numbers, and the special day tokens (`L`, `15W`, `1#2`…) as strings. */
export type Field = ReadonlyArray<number | string>;

/** The six fields: second, minute, hour, day of month, month, day of week. */
export type Fields = readonly [Field, Field, Field, Field, Field, Field];

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
export const DAY_W = /^(\d{1,2}|L)W$/i;
export const DAY_L_OFFSET = /^L-(\d{1,2})$/i;
export const LAST_WEEKDAY = /^([0-7])L$/i;
export const NTH_WEEKDAY = /^([0-7])#([1-5])$/;
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
export function parseCron(expression: string): { fields: Fields } | { problems: string[] } {
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
  const result = parseCron(expression);
  return 'problems' in result ? result.problems.join('; ') : null;
}
