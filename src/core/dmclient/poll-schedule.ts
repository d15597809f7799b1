import { DateTime } from 'luxon';
import { DAY, MINUTE } from '../time/iso.js';

/** One set of poll retries: `count` polls `intervalMinutes` apart (as in the DMClient Poll nodes). */
export interface PollSet {
  readonly intervalMinutes: number;
  readonly count: number;
}

/** The DMClient `Poll` nodes, grouped. Defaults are the CSP's: 15/10, 0/0, 0/0. */
export interface PollConfig {
  readonly first: PollSet;
  readonly second: PollSet;
  readonly remaining: PollSet;
  /** Local time of the daily maintenance-window poll the device adds when no set is infinite. */
  readonly maintenanceTime: string;
}

export const DEFAULT_POLL: PollConfig = {
  first: { intervalMinutes: 15, count: 10 },
  second: { intervalMinutes: 0, count: 0 },
  remaining: { intervalMinutes: 0, count: 0 },
  maintenanceTime: '02:00',
};

/** A phase of the effective schedule. `count` is `Infinity` for an infinite set. */
export interface PollPhase {
  readonly set: 'first' | 'second' | 'remaining';
  readonly intervalMs: number;
  readonly count: number;
}

/** The effective schedule after the CSP's 0/infinite rules and the device's correction. */
export interface PollPlan {
  readonly phases: readonly PollPhase[];
  /** True when no set is infinite, so the device adds a daily poll in the maintenance window. */
  readonly maintenanceFallback: boolean;
  readonly maintenanceTime: string;
}

/**
 * Applies the DMClient CSP rules:
 * - an interval of 0 disables its set;
 * - `NumberOfFirstRetries` 0 with a non-zero interval is infinite and disables the other two sets;
 * - `NumberOfSecondRetries` 0 is infinite if the first set is finite;
 * - `NumberOfRemainingScheduledRetries` 0 is infinite unless an earlier set is infinite;
 * - with no infinite set, the device adds a 24-hour schedule in the maintenance window.
 */
export function planPolls(config: PollConfig): PollPlan {
  const phases: PollPhase[] = [];
  let infinite = false;
  for (const set of ['first', 'second', 'remaining'] as const) {
    if (infinite) break;
    const { intervalMinutes, count } = config[set];
    if (intervalMinutes <= 0) continue;
    const isInfinite = count === 0;
    phases.push({
      set,
      intervalMs: intervalMinutes * MINUTE,
      count: isInfinite ? Infinity : count,
    });
    infinite = isInfinite;
  }
  return { phases, maintenanceFallback: !infinite, maintenanceTime: config.maintenanceTime };
}

/** Where a device is in its poll plan. */
export interface PollCursor {
  /** Index into `plan.phases`; `phases.length` means the maintenance fallback. */
  readonly phase: number;
  /** Polls already made in that phase. */
  readonly done: number;
}

export const POLL_START: PollCursor = { phase: 0, done: 0 };

/**
 * The next maintenance-window instant strictly after `after`, in `zone`. On a day where the local
 * time does not exist (a spring-forward DST change), Luxon moves it forward; the next day starts
 * again from the day, not from that shifted time.
 */
export function nextMaintenance(after: number, time: string, zone: string): number {
  const [hour = 2, minute = 0] = time.split(':').map(Number);
  if (zone === 'UTC') {
    // The common case without Luxon (no DST in UTC).
    const offset = (hour * 60 + minute) * MINUTE;
    const at = Math.floor(after / DAY) * DAY + offset;
    return at > after ? at : at + DAY;
  }
  const day = DateTime.fromMillis(after, { zone }).startOf('day');
  for (let k = 0; ; k++) {
    const at = day.plus({ days: k }).set({ hour, minute, second: 0, millisecond: 0 }).toMillis();
    if (at > after) return at;
  }
}

/**
 * The next poll after the previous one at `previous` (or after the schedule started at `previous`
 * when the cursor is at the start). Returns the instant and the cursor to use after it fires, or
 * `null` when the plan has nothing more (only possible with `maintenanceFallback` false and every
 * phase finite, which {@link planPolls} never produces).
 */
export function nextPoll(
  plan: PollPlan,
  cursor: PollCursor,
  previous: number,
  zone: string,
): { at: number; cursor: PollCursor } | null {
  let { phase, done } = cursor;
  while (phase < plan.phases.length) {
    const p = plan.phases[phase] as PollPhase;
    if (done < p.count) return { at: previous + p.intervalMs, cursor: { phase, done: done + 1 } };
    phase++;
    done = 0;
  }
  if (!plan.maintenanceFallback) return null;
  return {
    at: nextMaintenance(previous, plan.maintenanceTime, zone),
    cursor: { phase, done: done + 1 },
  };
}
