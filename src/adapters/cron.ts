import { DateTime } from 'luxon';
import cron from 'node-cron';

/**
 * Cron expressions (node-cron syntax: optional seconds, then minute hour day-of-month month
 * day-of-week) for wall-clock schedules. Live runs hand them to node-cron; virtual runs compute
 * the next match here, from node-cron's own parser and matcher, so both agree.
 */

/** Returns null when `expression` is valid, else node-cron's explanation of what is wrong. */
export function cronProblem(expression: string): string | null {
  const result = cron.validateDetailed(expression);
  if (result.valid) return null;
  const details = result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return details || 'not a cron expression';
}

/**
 * The recurrence of `expression` in `zone`: a function from an instant to the next matching
 * instant strictly after it (or null if none within ten years).
 */
export function cronRecurrence(expression: string, zone: string): (after: number) => number | null {
  const fields = cron.parse(expression);
  const matcher = cron.createTask(expression, () => undefined, { timezone: zone });
  void matcher.destroy();
  const times: Array<[number, number, number]> = [];
  for (const h of fields.hour)
    for (const m of fields.minute) for (const s of fields.second) times.push([h, m, s]);
  times.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return (after: number): number | null => {
    let day = DateTime.fromMillis(after, { zone }).startOf('day');
    for (let i = 0; i < 3660; i++, day = day.plus({ days: 1 })) {
      for (const [hour, minute, second] of times) {
        const at = day.set({ hour, minute, second, millisecond: 0 });
        // Skipped local times (DST gaps) shift; the matcher decides.
        const ms = at.toMillis();
        if (ms > after && matcher.match(new Date(ms))) return ms;
      }
    }
    return null;
  };
}

/** Starts a live wall-clock schedule; returns a function that stops it. */
export function scheduleCron(expression: string, zone: string, callback: () => void): () => void {
  const task = cron.schedule(expression, () => callback(), { timezone: zone, noOverlap: true });
  return () => void task.destroy();
}
