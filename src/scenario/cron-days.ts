/**
 * Which calendar days a parsed cron expression matches, as node-cron 4 reads them: the month, the
 * day of month (`L`, `L-3`, `15W`, `LW` included) and the day of week (`5L`, `1#2` included) must
 * all match (day of month AND day of week, unlike Vixie cron's OR). Plain date arithmetic: no time
 * zone is involved in naming a calendar day.
 */
import {
  DAY_L_OFFSET,
  DAY_W,
  LAST_WEEKDAY,
  NTH_WEEKDAY,
  type Field,
  type Fields,
} from './cron-fields.js';

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

export function matchesDayOfMonth(field: Field, year: number, month: number, day: number): boolean {
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

export function matchesDayOfWeek(
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

/** Whether the calendar day `year-month-day` matches the month and both day fields. */
export function matchesDate(fields: Fields, year: number, month: number, day: number): boolean {
  const [, , , days, months, weekdays] = fields;
  if (!months.includes(month) || !matchesDayOfMonth(days, year, month, day)) return false;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return matchesDayOfWeek(weekdays, { year, month, day, weekday });
}
