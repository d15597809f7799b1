import { DateTime, Duration } from 'luxon';

/** Milliseconds in common units. Instants are epoch milliseconds (UTC) throughout the core. */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * The last instant a `Date` can hold, +275760-09-13T00:00:00.000Z: ECMAScript's time values span
 * ±8.64e15 ms (ECMA-262, "Time Values and Time Range"). Later instants cannot be formatted.
 */
export const LAST_INSTANT = 8.64e15;

/** Formats an instant as ISO 8601 UTC with milliseconds, e.g. `2026-01-16T00:00:00.000Z`. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/** Parses an ISO 8601 date-time with an explicit offset or `Z`. Returns `null` when it is not one. */
export function parseInstant(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const dt = DateTime.fromISO(text, { setZone: true });
  if (!dt.isValid) return null;
  // Without an offset the time would depend on the machine's zone: refuse it.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return null;
  return dt.toMillis();
}

/** Parses an ISO 8601 duration (`P15D`, `PT4H30M`). Returns `null` when it is not one. */
export function parseDuration(text: string): Duration | null {
  if (!/^P/.test(text) || !/\d/.test(text)) return null;
  const d = Duration.fromISO(text);
  return d.isValid ? d : null;
}

/** Adds an ISO duration to an instant with calendar arithmetic in UTC (P1M is one calendar month). */
export function addDuration(ms: number, duration: Duration): number {
  return DateTime.fromMillis(ms, { zone: 'utc' }).plus(duration).toMillis();
}

/**
 * Resolves an "instant or duration after a base" string: an ISO time, or an ISO duration counted
 * from `base`. Returns `null` when it is neither.
 */
export function resolveInstant(text: string, base: number): number | null {
  const d = parseDuration(text);
  if (d) return addDuration(base, d);
  return parseInstant(text);
}

/** Renders a millisecond span as a short human duration, e.g. `4 h 12 min`, `15 days`. */
export function humanSpan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / DAY);
  rest -= days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = Math.round(rest / SECOND);
  const parts: string[] = [];
  if (days) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (seconds && !days) parts.push(`${seconds} s`);
  return sign + (parts.length ? parts.join(' ') : '0 s');
}
