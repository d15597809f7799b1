/**
 * A device's daily routine: local times of day at which it is plugged in or unplugged and its
 * screen turns on or off, each day shifted by a jitter drawn from the device's own stream (an
 * assumption of the simulator, docs/model.md §4; scenario field `routine`).
 *
 * @module
 */
import { nextMaintenance } from '../dmclient/poll-schedule.js';
import type { Random } from '../random/random.js';
import { DAY, MINUTE } from '../time/iso.js';

/** The screen: on, or off (lid closed, display timed out). */
export type Screen = 'on' | 'off';

/** One step of a routine: at a local time, a change of charging and/or screen. */
export interface RoutineStep {
  /** Local time of day, `HH:MM`, in the device's time zone. */
  readonly at: string;
  readonly charging?: boolean;
  readonly screen?: Screen;
}

/** Steps in time-of-day order, and how far (± minutes) each occurrence may move. */
export interface DailyRoutine {
  readonly steps: readonly RoutineStep[];
  readonly jitterMinutes: number;
}

/** The routine's next step: its index and its unjittered instant. */
export interface RoutineCursor {
  readonly index: number;
  readonly nominal: number;
}

/** The next local `HH:MM` strictly after `after`. */
const nextLocal = (after: number, hhmm: string, zone: string): number =>
  nextMaintenance(after, hhmm, zone);

/** The step whose next occurrence after `now` comes first. */
export function firstCursor(r: DailyRoutine, now: number, zone: string): RoutineCursor {
  let best: RoutineCursor = { index: 0, nominal: Infinity };
  r.steps.forEach((step, index) => {
    const at = nextLocal(now, step.at, zone);
    if (at < best.nominal) best = { index, nominal: at };
  });
  return best;
}

/** The step after `c`, at its next occurrence after `c`'s. */
export function nextCursor(r: DailyRoutine, c: RoutineCursor, zone: string): RoutineCursor {
  const index = (c.index + 1) % r.steps.length;
  const step = r.steps[index] as RoutineStep;
  return { index, nominal: nextLocal(c.nominal, step.at, zone) };
}

/** The jittered instant of a cursor: uniform in nominal ± jitter, never before `now`. */
export function jittered(r: DailyRoutine, c: RoutineCursor, now: number, random: Random): number {
  const j = r.jitterMinutes * MINUTE;
  const shift = j > 0 ? random.int(-j, j) : 0;
  return Math.max(now, c.nominal + shift);
}

/**
 * The state the routine puts a device in at `now` (the latest step of each field in the last day),
 * for a device that starts mid-routine. Fields no step sets are absent.
 */
export function routineStateAt(
  r: DailyRoutine,
  now: number,
  zone: string,
): { charging?: boolean; screen?: Screen } {
  const past = r.steps
    .map((step) => ({ step, at: nextLocal(now - DAY, step.at, zone) }))
    .filter((p) => p.at <= now)
    .sort((a, b) => b.at - a.at);
  // Each step's last occurrence within the past day, latest first.
  const state: { charging?: boolean; screen?: Screen } = {};
  for (const { step } of past) {
    if (state.charging === undefined && step.charging !== undefined) state.charging = step.charging;
    if (state.screen === undefined && step.screen !== undefined) state.screen = step.screen;
  }
  return state;
}
