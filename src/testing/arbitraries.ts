/**
 * fast-check arbitraries for property tests of DMClient retry timing and device conditions.
 *
 * They generate inputs of the renewal policy (biased towards the rule boundaries), device
 * conditions (battery, network, Data Sense) and timelines of condition changes that a
 * {@link Simulation} can replay, so a server team can state properties such as "whatever happens
 * to the device, it never waits more than 28 hours between renewal attempts once its channel has
 * expired".
 *
 * Everything here is deterministic given fast-check's seed: no wall clock, no `Math.random`.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { decideRenewal, streamFor } from 'dmpush';
 * import { renewalInputArb } from 'dmpush/testing';
 *
 * fc.assert(
 *   fc.property(renewalInputArb, fc.integer(), (input, seed) => {
 *     const d = decideRenewal(input, streamFor(seed, 'test'));
 *     return d.earliest <= d.at && d.at <= d.latest;
 *   }),
 * );
 * ```
 *
 * @module
 */
import fc from 'fast-check';
import type { DevicePatch, DeviceSpec, WnsPushService } from '../core/device/conditions.js';
import { DEFAULT_DATA_SENSE, type DataSenseConfig } from '../core/device/data-sense.js';
import { DEFAULT_NETWORK, type NetworkConfig, type NetworkType } from '../core/device/network.js';
import { DEFAULT_POWER, type PowerConfig } from '../core/device/power.js';
import type { PollConfig, PollSet } from '../core/dmclient/poll-schedule.js';
import { DEFAULT_POLL } from '../core/dmclient/poll-schedule.js';
import {
  OS_VERSIONS,
  RENEWAL_TIMING,
  type OsVersion,
  type RenewalInput,
} from '../core/dmclient/renewal-policy.js';
import type { ScheduledAction, SimulationSpec } from '../core/simulation.js';
import { DAY } from '../core/time/iso.js';

// ---- time and OS ---------------------------------------------------------------------------

/**
 * A Windows version by name: `'1511'` … `'22H2'`, `'11-21H2'` … `'11-25H2'` (1511 applies its own
 * retry logic, every later version the 1607 network check first).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(osVersionArb, (os) => OS_VERSIONS.includes(os)));
 * ```
 */
export const osVersionArb: fc.Arbitrary<OsVersion> = fc.constantFrom(...OS_VERSIONS);

/** The lower bound of {@link instantArb}: 2020-01-01T00:00:00.000Z. */
export const INSTANT_MIN: number = Date.UTC(2020, 0, 1);
/** The upper bound of {@link instantArb}: 2035-01-01T00:00:00.000Z. */
export const INSTANT_MAX: number = Date.UTC(2035, 0, 1);

/**
 * An instant, epoch milliseconds, between {@link INSTANT_MIN} and {@link INSTANT_MAX}
 * (2020–2035), at millisecond resolution.
 *
 * @example
 * ```ts
 * fc.assert(
 *   fc.property(instantArb, (now) => formatInstant(now).startsWith('20')),
 * );
 * ```
 */
export const instantArb: fc.Arbitrary<number> = fc.integer({ min: INSTANT_MIN, max: INSTANT_MAX });

/**
 * Offsets `expiry - now` (ms) at which the renewal rules change: exactly 0 (expired), exactly
 * 15 days (still within fifteen days), and one millisecond on either side of each.
 */
export const RENEWAL_BOUNDARY_OFFSETS: readonly number[] = [
  -1,
  0,
  1,
  RENEWAL_TIMING.renewWhenLeft - 1,
  RENEWAL_TIMING.renewWhenLeft,
  RENEWAL_TIMING.renewWhenLeft + 1,
];

/**
 * `expiry - now` in ms: often exactly one of {@link RENEWAL_BOUNDARY_OFFSETS}, otherwise anywhere
 * from 60 days in the past to 60 days ahead (beyond a fresh channel's 30 days).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(remainingArb, (left) => Math.abs(left) <= 60 * DAY));
 * ```
 */
export const remainingArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...RENEWAL_BOUNDARY_OFFSETS) },
  { weight: 1, arbitrary: fc.integer({ min: -3 * DAY, max: 3 * DAY }) },
  { weight: 1, arbitrary: fc.integer({ min: 12 * DAY, max: 18 * DAY }) },
  { weight: 2, arbitrary: fc.integer({ min: -60 * DAY, max: 60 * DAY }) },
);

/**
 * An input of `decideRenewal`: an OS, a decision instant, the channel's expiry (or null for no
 * channel) and whether the device is connected to a network. Expiries hit the rule boundaries
 * (exactly now, exactly now + 15 days, ±1 ms around both) often.
 *
 * @example
 * ```ts
 * fc.assert(
 *   fc.property(renewalInputArb, fc.integer(), (input, seed) => {
 *     const d = decideRenewal(input, streamFor(seed, 'test'));
 *     if (input.os === '1607' && !input.networkConnected) return d.rule === 'no-network';
 *     return true;
 *   }),
 * );
 * ```
 */
export const renewalInputArb: fc.Arbitrary<RenewalInput> = fc
  .record({
    os: osVersionArb,
    now: instantArb,
    remaining: fc.option(remainingArb, { nil: null, freq: 8 }),
    networkConnected: fc.boolean(),
  })
  .map(({ os, now, remaining, networkConnected }) => ({
    os,
    now,
    expiry: remaining === null ? null : now + remaining,
    networkConnected,
  }));

// ---- device conditions -----------------------------------------------------------------------

/** A number in `[min, max]` in steps of `step` (readable values, exact multiples). */
function stepped(min: number, max: number, step: number): fc.Arbitrary<number> {
  return fc
    .integer({ min: Math.round(min / step), max: Math.round(max / step) })
    .map((k) => Math.round(k * step * 1e6) / 1e6);
}

/**
 * Battery and Battery Saver settings: level 0–100 %, charging or not, drain 0–10 %/h (0.1 steps),
 * charge 0–50 %/h, threshold 0–100 % (often the Windows default 20 %), the manual switch and
 * whether push is "always allowed" under Battery Saver.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(powerConfigArb, (p) => p.level >= 0 && p.level <= 100));
 * ```
 */
export const powerConfigArb: fc.Arbitrary<PowerConfig> = fc.record({
  level: fc.integer({ min: 0, max: 100 }),
  charging: fc.boolean(),
  drainPerHour: stepped(0, 10, 0.1),
  chargePerHour: fc.integer({ min: 0, max: 50 }),
  saverThreshold: fc.oneof(fc.constant(20), fc.integer({ min: 0, max: 100 })),
  saverSwitch: fc.boolean(),
  pushAllowedInSaver: fc.oneof(
    { weight: 3, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

const networkTypeArb: fc.Arbitrary<NetworkType> = fc.constantFrom('wifi', 'cellular', 'ethernet');

/**
 * Network conditions: connected, internet reachable, metered, type, and WNS reachable (mostly
 * true). Every combination can occur, including "internet" on a disconnected device (the device
 * then has no internet: see `hasInternet`).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(networkConfigArb, (n) => ['wifi', 'cellular', 'ethernet'].includes(n.type)));
 * ```
 */
export const networkConfigArb: fc.Arbitrary<NetworkConfig> = fc.record({
  connected: fc.boolean(),
  internet: fc.boolean(),
  metered: fc.boolean(),
  type: networkTypeArb,
  wnsReachable: fc.oneof(
    { weight: 4, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
});

/**
 * Data Sense settings: a monthly limit of 1–1000 MB or none, usage so far 0–1000 MB (so the limit
 * is often already reached), background use 0–20 MB/h, a reset day 1–31, and per-session and
 * per-push usage.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(dataSenseConfigArb, (d) => d.resetDay >= 1 && d.resetDay <= 31));
 * ```
 */
export const dataSenseConfigArb: fc.Arbitrary<DataSenseConfig> = fc.record({
  limitMB: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null, freq: 4 }),
  usedMB: fc.integer({ min: 0, max: 1000 }),
  backgroundMBPerHour: stepped(0, 20, 0.5),
  resetDay: fc.integer({ min: 1, max: 31 }),
  perSessionMB: stepped(0, 2, 0.1),
  perPushMB: stepped(0, 0.1, 0.005),
});

/** Battery, network and Data Sense together: the conditions that decide a device's WNS link. */
export interface DeviceConditions {
  readonly battery: PowerConfig;
  readonly network: NetworkConfig;
  readonly dataSense: DataSenseConfig;
}

/**
 * A device's conditions: {@link powerConfigArb}, {@link networkConfigArb} and
 * {@link dataSenseConfigArb} drawn together.
 *
 * @example
 * ```ts
 * fc.assert(
 *   fc.property(deviceConditionsArb, (c) => {
 *     const spec = deviceSpecWith({ id: 'd1', ...c });
 *     return spec.network === c.network;
 *   }),
 * );
 * ```
 */
export const deviceConditionsArb: fc.Arbitrary<DeviceConditions> = fc.record({
  battery: powerConfigArb,
  network: networkConfigArb,
  dataSense: dataSenseConfigArb,
});

/** The PFN {@link deviceSpecWith} presets unless told otherwise (the example PFN). */
export const EXAMPLE_PFN = 'Contoso.MDM_8wekyb3d8bbwe';

/** What {@link deviceSpecWith} needs; everything but `id` has a default. */
export interface DeviceSpecInput extends Partial<DeviceConditions> {
  readonly id: string;
  readonly os?: OsVersion;
  /** Default {@link EXAMPLE_PFN}, so the device requests a channel at start; null for none. */
  readonly pfn?: string | null;
  readonly providerId?: string;
  /** Default `'UTC'`. */
  readonly timezone?: string;
  readonly poll?: PollConfig;
  /** Default `'running'`. */
  readonly wnsPushService?: WnsPushService;
}

/**
 * A complete {@link DeviceSpec} from conditions, filling the rest with defaults (OS 1607, the
 * example PFN, UTC, the CSP's default poll schedule; the default conditions are a charging-free
 * laptop at 80 % on unmetered Wi-Fi without a Data Sense limit).
 *
 * @example
 * ```ts
 * fc.assert(
 *   fc.property(osVersionArb, deviceConditionsArb, (os, c) => deviceSpecWith({ id: 'd1', os, ...c }).os === os),
 * );
 * ```
 */
export function deviceSpecWith(input: DeviceSpecInput): DeviceSpec {
  return {
    id: input.id,
    os: input.os ?? '1607',
    pfn: input.pfn === undefined ? EXAMPLE_PFN : input.pfn,
    providerId: input.providerId ?? 'DMPUSH',
    timezone: input.timezone ?? 'UTC',
    battery: input.battery ?? DEFAULT_POWER,
    network: input.network ?? DEFAULT_NETWORK,
    dataSense: input.dataSense ?? DEFAULT_DATA_SENSE,
    poll: input.poll ?? DEFAULT_POLL,
    wnsPushService: input.wnsPushService ?? 'running',
  };
}

/**
 * A provisioned device (PFN preset, so it asks for a channel at start) with the given id, an
 * arbitrary OS and arbitrary conditions, in UTC with the default poll schedule.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(deviceSpecArb('d1'), (spec) => spec.pfn !== null));
 * ```
 */
export function deviceSpecArb(id: string): fc.Arbitrary<DeviceSpec> {
  return fc
    .tuple(osVersionArb, deviceConditionsArb)
    .map(([os, conditions]) => deviceSpecWith({ id, os, ...conditions }));
}

// ---- poll schedule ---------------------------------------------------------------------------

/**
 * One set of DMClient poll retries: an interval in minutes (0 disables the set) and a count
 * (0 means infinite where the CSP says so). Zeros come up often.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(pollSetArb, (s) => s.intervalMinutes >= 0 && s.count >= 0));
 * ```
 */
export const pollSetArb: fc.Arbitrary<PollSet> = fc.record({
  intervalMinutes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1560 })),
  count: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
});

/**
 * The DMClient `Poll` nodes: three {@link pollSetArb} sets and a maintenance time `HH:MM`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(pollConfigArb, (c) => planPolls(c).phases.length <= 3));
 * ```
 */
export const pollConfigArb: fc.Arbitrary<PollConfig> = fc.record({
  first: pollSetArb,
  second: pollSetArb,
  remaining: pollSetArb,
  maintenanceTime: fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
});

// ---- condition timelines ---------------------------------------------------------------------

/** One change of conditions, `at` ms after the start of the run. */
export interface ConditionChange {
  readonly at: number;
  readonly patch: DevicePatch;
}

/** Changes of conditions sorted by `at` (changes at the same instant apply in list order). */
export type ConditionTimeline = readonly ConditionChange[];

/** Options of {@link conditionTimelineArb}. */
export interface ConditionTimelineOptions {
  /** The span the changes fall in, ms from the start (default 60 days). */
  readonly span?: number;
  /** At most this many changes (default 20). */
  readonly maxChanges?: number;
}

/** The default span of {@link conditionTimelineArb}: 60 days. */
export const DEFAULT_TIMELINE_SPAN: number = 60 * DAY;

/** Non-empty partial records: at least one key is set. */
function someOf<T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) {
  return fc
    .record(fields, { requiredKeys: [] })
    .filter((r) => Object.keys(r).length > 0) as fc.Arbitrary<Partial<T>>;
}

/**
 * One change of power (charging, level, the Battery Saver switch), the screen, network (connected,
 * internet, metered, type, WNS reachable) or Data Sense (limit, usage).
 *
 * @example
 * ```ts
 * fc.assert(
 *   fc.property(devicePatchArb, (p) => p.battery !== undefined || p.network !== undefined || p.dataSense !== undefined),
 * );
 * ```
 */
export const devicePatchArb: fc.Arbitrary<DevicePatch> = fc.oneof(
  someOf<Pick<PowerConfig, 'charging' | 'level' | 'saverSwitch'>>({
    charging: fc.boolean(),
    level: fc.integer({ min: 0, max: 100 }),
    saverSwitch: fc.boolean(),
  }).map((battery): DevicePatch => ({ battery })),
  someOf<NetworkConfig>({
    connected: fc.boolean(),
    internet: fc.boolean(),
    metered: fc.boolean(),
    type: networkTypeArb,
    wnsReachable: fc.oneof(
      { weight: 3, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
  }).map((network): DevicePatch => ({ network })),
  someOf<Pick<DataSenseConfig, 'limitMB' | 'usedMB'>>({
    limitMB: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
    usedMB: fc.integer({ min: 0, max: 1000 }),
  }).map((dataSense): DevicePatch => ({ dataSense })),
  fc
    .constantFrom('running' as const, 'disabled' as const)
    .map((wnsPushService): DevicePatch => ({ wnsPushService })),
  fc.constantFrom('on' as const, 'off' as const).map((screen): DevicePatch => ({ screen })),
);

/**
 * A {@link ConditionTimeline}: up to `maxChanges` changes of power, network and Data Sense at
 * millisecond offsets within `span`, sorted by offset. Replay it with
 * {@link simulationSpecFor}.
 *
 * @example
 * ```ts
 * fc.assert(
 *   fc.property(deviceSpecArb('d1'), conditionTimelineArb(), fc.integer(), (device, timeline, seed) => {
 *     const sink = new MemorySink();
 *     new Simulation(simulationSpecFor(device, timeline, { seed }), sink).run();
 *     return sink
 *       .ofType('renewal.scheduled')
 *       .every((e) => e.rule !== 'expired' || e.at - e.time <= 28 * HOUR);
 *   }),
 * );
 * ```
 */
export function conditionTimelineArb(
  options: ConditionTimelineOptions = {},
): fc.Arbitrary<ConditionTimeline> {
  const span = options.span ?? DEFAULT_TIMELINE_SPAN;
  return fc
    .array(fc.record({ at: fc.integer({ min: 0, max: span }), patch: devicePatchArb }), {
      maxLength: options.maxChanges ?? 20,
    })
    .map((changes) => [...changes].sort((a, b) => a.at - b.at));
}

/** Options of {@link simulationSpecFor}. */
export interface SimulationSpecOptions {
  /** The run seed (default 1). */
  readonly seed?: number;
  /** Start instant, epoch ms (default 2026-01-01T00:00:00Z). */
  readonly start?: number;
  /** How long the run lasts, ms (default {@link DEFAULT_TIMELINE_SPAN}). */
  readonly duration?: number;
  /**
   * Which devices the changes apply to: `'*'` (default) or a list of ids. With the default and a
   * single device, that is the device.
   */
  readonly target?: '*' | readonly string[];
}

/**
 * Turns one device (or several) and a {@link ConditionTimeline} into a {@link SimulationSpec}:
 * each change becomes a `set` action at `start + at`.
 *
 * @example
 * ```ts
 * const device = deviceSpecWith({ id: 'd1', os: '1607' });
 * const timeline = [{ at: 14 * DAY, patch: { network: { connected: false } } }];
 * const sink = new MemorySink();
 * new Simulation(simulationSpecFor(device, timeline, { seed: 7 }), sink).run();
 * sink.ofType('renewal.skipped', 'd1').length; // > 0: 1607 skips without network
 * ```
 */
export function simulationSpecFor(
  devices: DeviceSpec | readonly DeviceSpec[],
  timeline: ConditionTimeline,
  options: SimulationSpecOptions = {},
): SimulationSpec {
  const list: readonly DeviceSpec[] = Array.isArray(devices)
    ? (devices as readonly DeviceSpec[])
    : [devices as DeviceSpec];
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const target = options.target ?? '*';
  const actions: ScheduledAction[] = timeline.map((change) => ({
    at: start + change.at,
    action: { kind: 'set', devices: target, patch: change.patch },
  }));
  return {
    seed: options.seed ?? 1,
    start,
    end: start + (options.duration ?? DEFAULT_TIMELINE_SPAN),
    devices: list,
    actions,
  };
}
