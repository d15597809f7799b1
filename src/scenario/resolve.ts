import type { Duration } from 'luxon';
import { cronRecurrence } from './cron.js';
import {
  cronIntervalProblem,
  everyProblem,
  fleetSizeProblem,
  limitsOf,
  runLengthProblem,
  type Limits,
  type ScenarioLimits,
} from './limits.js';
import type { DevicePatch, DeviceSpec } from '../core/device/conditions.js';
import { DEFAULT_DATA_SENSE } from '../core/device/data-sense.js';
import { DEFAULT_NETWORK } from '../core/device/network.js';
import { DEFAULT_POWER } from '../core/device/power.js';
import type { DailyRoutine, RoutineStep } from '../core/device/routine.js';
import type { WnsPriority } from '../core/device/wns-priority.js';
import { DEFAULT_POLL, type PollConfig } from '../core/dmclient/poll-schedule.js';
import { ValidationError } from '../core/errors.js';
import { streamFor, type Random } from '../core/random/random.js';
import type {
  DeviceSelector,
  ScheduledAction,
  SimulationAction,
  SimulationSpec,
} from '../core/simulation.js';
import {
  addDuration,
  LAST_INSTANT,
  parseDuration,
  parseInstant,
  resolveInstant,
} from '../core/time/iso.js';
import type { DeviceEntry, DevicePatchInput, Drawable, ScenarioFile } from './schema.js';

/** Defaults of a scenario file's top-level fields. */
export const SCENARIO_DEFAULTS = {
  seed: 1,
  start: '2026-01-01T00:00:00Z',
  duration: 'P60D',
  timezone: 'UTC',
  providerId: 'DMPUSH',
  sessionDuration: 'PT3S',
} as const;

/** Options that override the file (CLI flags). */
export interface ResolveOptions {
  readonly seed?: number;
  /** An ISO time, or an ISO duration after the start: where the run stops. */
  readonly until?: string;
  /** Limits other than the defaults (`SCENARIO_LIMITS`, in `limits.ts`). */
  readonly limits?: Partial<ScenarioLimits>;
}

function draw<T>(value: Drawable<T> | undefined, random: Random): T | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return value;
  if ('uniform' in value) {
    const [a, b] = value.uniform;
    return (value.integer ? random.int(a, b) : a + random.float() * (b - a)) as T;
  }
  if ('choice' in value) return value.choice[random.int(0, value.choice.length - 1)];
  return value;
}

/** Draws every drawable field of an object in key order (stable: the schema fixes the order). */
function drawAll<T extends object>(
  defaults: T,
  fields: Record<string, unknown> | undefined,
  random: Random,
): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (v !== undefined) out[k] = draw(v as Drawable<unknown>, random);
  }
  return out as T;
}

function pollConfig(poll: DeviceEntry['poll']): PollConfig {
  const p = poll ?? {};
  return {
    maintenanceTime: p.maintenanceTime ?? DEFAULT_POLL.maintenanceTime,
    first: { ...DEFAULT_POLL.first, ...(p.first as object) },
    second: { ...DEFAULT_POLL.second, ...(p.second as object) },
    remaining: { ...DEFAULT_POLL.remaining, ...(p.remaining as object) },
  };
}

function toDeviceSpec(
  entry: DeviceEntry,
  id: string,
  file: ScenarioFile,
  seed: number,
): DeviceSpec {
  // One stream per device id: adding a device never changes another device's draws.
  const random = streamFor(seed, `scenario:${id}`);
  const os = draw(entry.os, random) ?? '1607';
  const b = entry.battery;
  const battery = drawAll(
    DEFAULT_POWER,
    b && { ...b, saverOn: undefined, saverSwitch: b.saverOn },
    random,
  );
  // Drawn after the others, so older scenarios keep their draws.
  const exempt = draw(entry.wnsPriorityExempt, random);
  const power = exempt === undefined ? battery : { ...battery, pushAllowedInSaver: exempt };
  const screen = draw(entry.screen, random);
  return {
    id,
    os,
    pfn: entry.pfn ?? null,
    providerId: entry.providerId ?? SCENARIO_DEFAULTS.providerId,
    timezone: entry.timezone ?? file.timezone ?? SCENARIO_DEFAULTS.timezone,
    battery: power,
    network: drawAll(DEFAULT_NETWORK, entry.network, random),
    dataSense: drawAll(DEFAULT_DATA_SENSE, entry.dataSense, random),
    poll: pollConfig(entry.poll),
    wnsPushService: (entry.wnsPushService as 'running' | 'disabled' | undefined) ?? 'running',
    ...(screen === undefined ? {} : { screen }),
    ...(entry.pollsInBatterySaver === undefined
      ? {}
      : { pollsInBatterySaver: entry.pollsInBatterySaver as 'run' | 'delay' }),
    ...(entry.routine ? { routine: dailyRoutine(entry.routine) } : {}),
  };
}

/** A routine's steps in time-of-day order (`HH:MM` sorts as text). */
function dailyRoutine(r: NonNullable<DeviceEntry['routine']>): DailyRoutine {
  const steps = ([...r.steps] as RoutineStep[]).sort((a, b) =>
    a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
  );
  return { steps, jitterMinutes: (r.jitterMinutes as number | undefined) ?? 0 };
}

/** Turns a `set` body into a device patch (renaming `saverOn` to the core's `saverSwitch`). */
export function toDevicePatch(input: DevicePatchInput): DevicePatch {
  const patch: Record<string, unknown> = {};
  if (input.battery) {
    const { saverOn, ...rest } = input.battery;
    patch['battery'] = saverOn === undefined ? rest : { ...rest, saverSwitch: saverOn };
  }
  // One setting, two spellings (docs/model.md §11): the exemption is `pushAllowedInSaver`.
  if (input.wnsPriorityExempt !== undefined)
    patch['battery'] = {
      ...(patch['battery'] as object | undefined),
      pushAllowedInSaver: input.wnsPriorityExempt,
    };
  if (input.screen !== undefined) patch['screen'] = input.screen;
  if (input.network) patch['network'] = input.network;
  if (input.dataSense) patch['dataSense'] = input.dataSense;
  if (input.poll) patch['poll'] = input.poll;
  if (input.pfn !== undefined) patch['pfn'] = input.pfn;
  if (input.wnsPushService !== undefined) patch['wnsPushService'] = input.wnsPushService;
  return patch;
}

/** {@link LAST_INSTANT} as messages name it. */
const LAST_INSTANT_TEXT = '+275760-09-13T00:00:00.000Z';

/** True for an instant a clock can hold (calendar arithmetic past the range gives NaN). */
const isInstant = (ms: number): boolean => Number.isFinite(ms) && Math.abs(ms) <= LAST_INSTANT;

/**
 * Resolves a validated scenario into a {@link SimulationSpec}: fleets expanded (`count: N` gives
 * `<id>-1` … `<id>-N`), distributions drawn from the seed, times resolved. Cross-field problems
 * (duplicate ids, unknown device references, times before the start) and scenarios past the
 * limits (`limits.ts`: devices in all, run length, repeat interval) raise {@link ValidationError};
 * a fleet past the device limit before any device is made.
 */
export function resolveScenario(file: ScenarioFile, options: ResolveOptions = {}): SimulationSpec {
  const problems: string[] = [];
  const limits = limitsOf(options.limits, problems);
  const tooMany = fleetSizeProblem(file.devices, limits.maxDevices);
  if (tooMany !== null) throw new ValidationError([...problems, tooMany]);
  const seed = options.seed ?? (file.seed as number | undefined) ?? SCENARIO_DEFAULTS.seed;
  const start = parseInstant(file.start ?? SCENARIO_DEFAULTS.start) as number;
  const duration = file.duration ?? SCENARIO_DEFAULTS.duration;
  const runLength = parseDuration(duration);
  let end = runLength ? addDuration(start, runLength) : start;
  const tooLong = runLengthProblem('duration', duration, { start, end }, limits);
  if (!isInstant(end))
    problems.push(
      `duration: ${file.duration} ends after the last instant a clock can hold (${LAST_INSTANT_TEXT})`,
    );
  else if (tooLong !== null) problems.push(tooLong);
  if (options.until !== undefined) end = untilEnd(options.until, start, limits, problems) ?? end;
  const { devices, groups, seen } = expandDevices(file, seed, problems);

  const selector = (ref: unknown, path: string): DeviceSelector => {
    if (ref === '*' || ref === undefined) return '*';
    const refs = Array.isArray(ref) ? (ref as string[]) : [ref as string];
    const ids: string[] = [];
    for (const r of refs) {
      const group = groups.get(r);
      if (group) ids.push(...group);
      else if (seen.has(r)) ids.push(r);
      else problems.push(`${path}: no device or fleet named ${JSON.stringify(r)}`);
    }
    return ids;
  };

  const actions: ScheduledAction[] = [];
  (file.events ?? []).forEach((e, i) => {
    const path = `events[${i}]`;
    let at = e.at === undefined ? start : (resolveInstant(e.at, start) as number);
    if (!isInstant(at))
      problems.push(
        `${path}.at: ${e.at} is after the last instant a clock can hold (${LAST_INSTANT_TEXT})`,
      );
    else if (at < start) problems.push(`${path}.at: ${e.at} is before the scenario start`);
    let repeat: ((previous: number) => number | null) | undefined;
    if (e.every) {
      // The schema guarantees a positive duration.
      const every = parseDuration(e.every) as Duration;
      const tooOften = everyProblem(path, every, e.every, limits);
      if (tooOften !== null) problems.push(tooOften);
      repeat = (previous) => {
        const next = addDuration(previous, every);
        return isInstant(next) ? next : null;
      };
    } else if (e.cron) {
      const tooOften = cronIntervalProblem(path, e.cron, limits);
      if (tooOften !== null) problems.push(tooOften);
      // A cron event first fires at its first match at or after `at`.
      repeat = cronRecurrence(e.cron, file.timezone ?? SCENARIO_DEFAULTS.timezone);
      at = repeat(at - 1) ?? end + 1;
    }
    let action: SimulationAction;
    if (e.set) {
      action = {
        kind: 'set',
        devices: selector(e.device, `${path}.device`),
        patch: toDevicePatch(e.set),
      };
    } else if (e.reboot) {
      action = { kind: 'reboot', devices: selector(e.device, `${path}.device`) };
    } else if (e.push) {
      const ref = e.push.device ?? e.device;
      action = {
        kind: 'push',
        devices: selector(ref, `${path}.push.device`),
        cachePolicy: e.push.cachePolicy ?? 'no-cache',
        ttlSeconds: (e.push.ttlSeconds as number | null | undefined) ?? null,
        ...(e.push.priority === undefined ? {} : { priority: e.push.priority as WnsPriority }),
      };
    } else {
      const w = e.wns ?? {};
      action = {
        kind: 'wns',
        block: w.block,
        unblock: w.unblock,
        available: w.available as boolean | undefined,
      };
    }
    const until = e.until !== undefined ? (resolveInstant(e.until, start) ?? undefined) : undefined;
    if (until !== undefined && !isInstant(until))
      problems.push(
        `${path}.until: ${e.until} is after the last instant a clock can hold (${LAST_INSTANT_TEXT})`,
      );
    actions.push({ at, repeat, until, action });
  });

  if (problems.length) throw new ValidationError(problems);
  return {
    seed,
    start,
    end,
    devices,
    wns: wnsOptions(file),
    mdm: {
      sessionDurationMs: parseDuration(
        file.mdm?.sessionDuration ?? SCENARIO_DEFAULTS.sessionDuration,
      )?.toMillis(),
      rereadChannelUri: file.mdm?.rereadChannelUri as boolean | undefined,
    },
    actions,
  };
}

/** `--until`: the run's end instead of the scenario's duration, or null (a problem noted). */
function untilEnd(text: string, start: number, limits: Limits, problems: string[]): number | null {
  const until = resolveInstant(text, start);
  if (until === null)
    problems.push(
      `--until: expected an ISO time or an ISO duration after start, got ${JSON.stringify(text)}`,
    );
  else if (!isInstant(until))
    problems.push(
      `--until: ${text} is after the last instant a clock can hold (${LAST_INSTANT_TEXT})`,
    );
  else if (until < start) problems.push(`--until: ${text} is before the scenario start`);
  else {
    const tooLate = runLengthProblem('--until', text, { start, end: until }, limits);
    if (tooLate !== null) problems.push(tooLate);
    return until;
  }
  return null;
}

/** The devices of a scenario, fleets expanded (`<id>-1` … `<id>-N`), and the ids of each fleet. */
function expandDevices(file: ScenarioFile, seed: number, problems: string[]) {
  const devices: DeviceSpec[] = [];
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  file.devices.forEach((entry, i) => {
    const count = entry.count as number | undefined;
    const ids =
      count === undefined
        ? [entry.id]
        : Array.from({ length: count }, (_, k) => `${entry.id}-${k + 1}`);
    if (count !== undefined) groups.set(entry.id, ids);
    for (const id of ids) {
      if (seen.has(id)) {
        problems.push(`devices[${i}].id: device id ${JSON.stringify(id)} is used twice`);
        continue;
      }
      seen.add(id);
      devices.push(toDeviceSpec(entry, id, file, seed));
    }
  });
  return { devices, groups, seen };
}

/** The scenario's `wns` block as options of the in-process cloud. */
function wnsOptions(file: ScenarioFile): SimulationSpec['wns'] {
  const w = file.wns;
  return {
    unknownPfns: w?.unknownPfns,
    blockedPfns: w?.blockedPfns,
    reuseChannelUri: w?.reuseChannelUri as boolean | undefined,
    cacheMaxAgeMs:
      w?.cacheMaxAge === undefined ? undefined : parseDuration(w.cacheMaxAge)?.toMillis(),
    host: w?.host,
  };
}
