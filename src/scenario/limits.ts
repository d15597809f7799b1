/**
 * The limits a scenario must keep to run in bounded time and memory, their defaults, and the
 * checks that refuse one past them, naming the field and the limit (docs/scenarios.md, "Limits").
 * The limits of reading the file itself (nesting, aliases) are in `yaml-read.ts`.
 *
 * @module
 */
import type { Duration } from 'luxon';
import { addDuration, humanSpan, parseDuration } from '../core/time/iso.js';
import { cronShortestGap } from './cron.js';
import type { DeviceEntry } from './schema.js';

/** What a scenario may ask for; the CLI's `run` changes each with a flag. */
export interface ScenarioLimits {
  /** Devices in all, every entry's `count` summed (`--max-devices`). */
  readonly maxDevices: number;
  /** The shortest repeat of an `every` or `cron` event, an ISO duration (`--min-interval`). */
  readonly minInterval: string;
  /** The longest run from the start, by `duration` or `--until`, an ISO duration (`--max-duration`). */
  readonly maxDuration: string;
}

/**
 * The defaults: the fleet benchmark's 10,000 devices; one minute, the finest step of standard cron
 * and of the device model's own settings (poll intervals in minutes, times as HH:MM); ten years,
 * as far ahead as a cron event's next match is looked for.
 */
export const SCENARIO_LIMITS: ScenarioLimits = {
  maxDevices: 10_000,
  minInterval: 'PT1M',
  maxDuration: 'P10Y',
};

/** {@link ScenarioLimits} with the durations parsed. */
export interface Limits {
  readonly maxDevices: number;
  readonly minInterval: { readonly text: string; readonly ms: number };
  readonly maxDuration: { readonly text: string; readonly duration: Duration };
}

/** The limits with `overrides` applied; a duration that is not one is a problem. */
export function limitsOf(overrides: Partial<ScenarioLimits> = {}, problems: string[]): Limits {
  const maxDevices = overrides.maxDevices ?? SCENARIO_LIMITS.maxDevices;
  const minInterval = overrides.minInterval ?? SCENARIO_LIMITS.minInterval;
  const maxDuration = overrides.maxDuration ?? SCENARIO_LIMITS.maxDuration;
  const parse = (name: keyof ScenarioLimits, text: string, fallback: string): Duration => {
    const d = parseDuration(text);
    if (d && d.toMillis() > 0) return d;
    problems.push(
      `limits.${name}: expected a positive ISO 8601 duration, got ${JSON.stringify(text)}`,
    );
    return parseDuration(fallback) as Duration;
  };
  const interval = parse('minInterval', minInterval, SCENARIO_LIMITS.minInterval);
  return {
    maxDevices,
    minInterval: { text: minInterval, ms: interval.toMillis() },
    maxDuration: {
      text: maxDuration,
      duration: parse('maxDuration', maxDuration, SCENARIO_LIMITS.maxDuration),
    },
  };
}

/**
 * The entry at which the fleet grows past `max` devices in all, as a problem naming it, or null.
 * Checked before any device is made: a refused fleet allocates nothing.
 */
export function fleetSizeProblem(devices: readonly DeviceEntry[], max: number): string | null {
  let total = 0;
  for (const [i, entry] of devices.entries()) {
    const count = entry.count as number | undefined;
    total += count ?? 1;
    if (total > max) {
      const field = count === undefined ? `devices[${i}]` : `devices[${i}].count`;
      const what = count === undefined ? 'this device' : String(count);
      return `${field}: ${what} brings the fleet to ${total} devices, more than the limit of ${max} devices in all (--max-devices raises it)`;
    }
  }
  return null;
}

/** A problem when `end` is further from `start` than the maximum run length allows, else null. */
export function runLengthProblem(
  field: string,
  text: string,
  span: { readonly start: number; readonly end: number },
  limits: Limits,
): string | null {
  const { text: max, duration } = limits.maxDuration;
  // Not past a limit that is itself past what a clock holds (NaN): that check is the caller's.
  if (!(span.end > addDuration(span.start, duration))) return null;
  return `${field}: ${text} runs past the maximum run length of ${max} after the start (--max-duration raises it)`;
}

/** A problem when `every` repeats more often than the minimum interval, else null. */
export function everyProblem(path: string, every: Duration, text: string, limits: Limits) {
  if (every.toMillis() >= limits.minInterval.ms) return null;
  return `${path}.every: ${text} repeats more often than the minimum interval of ${limits.minInterval.text} (--min-interval changes it)`;
}

/** A problem when a (valid) cron expression can fire more often than the minimum interval. */
export function cronIntervalProblem(path: string, expression: string, limits: Limits) {
  const gap = cronShortestGap(expression) * 1000;
  if (gap >= limits.minInterval.ms) return null;
  return `${path}.cron: ${JSON.stringify(expression)} fires as often as every ${humanSpan(gap)}, more often than the minimum interval of ${limits.minInterval.text} (a seconds field with more than one value fires within a minute; --min-interval changes it)`;
}
