/**
 * Model-based test of a device's WNS persistent connection against power, network and Data Sense
 * changes (issue 2, sections 4 and 8). An independent model predicts Battery Saver, the Data Sense
 * limit and whether the connection should be up; fast-check runs random command sequences on a
 * real one-device simulation driven by the VirtualClock and compares after every command.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataSenseConfig } from '../../src/core/device/data-sense.js';
import type { SimDevice } from '../../src/core/device/device.js';
import type { NetworkConfig } from '../../src/core/device/network.js';
import type { PowerConfig } from '../../src/core/device/power.js';
import type { OsVersion } from '../../src/core/dmclient/renewal-policy.js';
import { Simulation } from '../../src/core/simulation.js';
import { DAY, HOUR } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import {
  MemorySink,
  type DisconnectReason,
  type TimelineEvent,
} from '../../src/core/timeline/events.js';
import {
  dataSenseConfigArb,
  deviceSpecWith,
  instantArb,
  networkConfigArb,
  osVersionArb,
  powerConfigArb,
  simulationSpecFor,
} from '../../src/testing/arbitraries.js';

const ID = 'd1';

interface Setup {
  readonly os: OsVersion;
  readonly start: number;
  readonly seed: number;
  readonly battery: PowerConfig;
  readonly network: NetworkConfig;
  readonly dataSense: DataSenseConfig;
}

const setupArb: fc.Arbitrary<Setup> = fc.record({
  os: osVersionArb,
  start: instantArb,
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  battery: powerConfigArb,
  network: networkConfigArb,
  // Sessions and pushes use no data here, so usage is background only and the model stays exact.
  dataSense: dataSenseConfigArb.map((d) => ({ ...d, perSessionMB: 0, perPushMB: 0 })),
});

const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m + 1, 0)).getUTCDate();

/** Data Sense cycle resets (00:00 UTC on the reset day, clamped to the month) in (a, b]. */
function resetsIn(a: number, b: number, resetDay: number): number[] {
  const from = new Date(a);
  const out: number[] = [];
  for (let k = 0; ; k++) {
    const y = from.getUTCFullYear();
    const m = from.getUTCMonth() + k;
    const first = Date.UTC(y, m, 1);
    const d = new Date(first);
    const r = Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth(),
      Math.min(resetDay, daysInMonth(d.getUTCFullYear(), d.getUTCMonth())),
    );
    if (r > b) return out;
    if (r > a) out.push(r);
  }
}

/** A value the real device may legitimately see either way (within 2 ms of a threshold crossing). */
type Tri = boolean | 'either';

/** The model: the rules, written independently of src/core/device. */
class Model {
  t: number;
  // power
  level: number;
  since: number;
  charging: boolean;
  saverSwitch: boolean;
  readonly drain: number;
  readonly charge: number;
  readonly threshold: number;
  readonly pushAllowedInSaver: boolean;
  // network
  connected: boolean;
  internet: boolean;
  metered: boolean;
  wnsReachable: boolean;
  // Data Sense
  limit: number | null;
  used: number;
  usedSince: number;
  accruing = false;
  readonly rate: number;
  readonly resetDay: number;
  // channel (learnt from channel.issued events: the model does not draw renewal times)
  expiry: number | null = null;

  constructor(s: Setup) {
    this.t = s.start;
    this.level = s.battery.level;
    this.since = s.start;
    this.charging = s.battery.charging;
    this.saverSwitch = s.battery.saverSwitch;
    this.drain = s.battery.drainPerHour;
    this.charge = s.battery.chargePerHour;
    this.threshold = s.battery.saverThreshold;
    this.pushAllowedInSaver = s.battery.pushAllowedInSaver;
    this.connected = s.network.connected;
    this.internet = s.network.internet;
    this.metered = s.network.metered;
    this.wnsReachable = s.network.wnsReachable;
    this.limit = s.dataSense.limitMB;
    this.used = s.dataSense.usedMB;
    this.usedSince = s.start;
    this.rate = s.dataSense.backgroundMBPerHour;
    this.resetDay = s.dataSense.resetDay;
    this.refreshData(s.start);
  }

  // ---- power: linear drain/charge; Battery Saver iff not charging and (switch or level <= threshold)
  private rawLevel(t: number): number {
    const hours = (t - this.since) / HOUR;
    return this.charging ? this.level + this.charge * hours : this.level - this.drain * hours;
  }
  levelAt(t: number): number {
    return Math.min(100, Math.max(0, this.rawLevel(t)));
  }
  saverAt(t: number): Tri {
    if (this.charging) return false;
    if (this.saverSwitch) return true;
    const tol = (this.drain * 2) / HOUR + 1e-9;
    if (this.drain > 0 && Math.abs(this.rawLevel(t) - this.threshold) <= tol) return 'either';
    return this.levelAt(t) <= this.threshold;
  }
  /** Off: an empty battery, not charging ('either' within a tick of reaching 0 %). */
  offAt(t: number): Tri {
    if (this.charging) return false;
    const tol = (this.drain * 2) / HOUR + 1e-9;
    if (this.drain > 0 && Math.abs(this.rawLevel(t)) <= tol) return 'either';
    return this.levelAt(t) <= 0;
  }
  setPower(t: number, patch: Partial<PowerConfig>): void {
    this.level = this.levelAt(t);
    this.since = t;
    if (patch.level !== undefined) this.level = patch.level;
    if (patch.charging !== undefined) this.charging = patch.charging;
    if (patch.saverSwitch !== undefined) this.saverSwitch = patch.saverSwitch;
  }

  // ---- Data Sense: background usage on a connected metered network with internet, until the limit
  private rawUsed(t: number): number {
    return this.accruing ? this.used + (this.rate * (t - this.usedSince)) / HOUR : this.used;
  }
  usedAt(t: number): number {
    const raw = this.rawUsed(t);
    if (!this.accruing || this.limit === null) return raw;
    return Math.min(raw, Math.max(this.limit, this.used));
  }
  reachedAt(t: number): Tri {
    if (this.limit === null) return false;
    const tol = (this.rate * 2) / HOUR + 1e-9;
    if (this.accruing && this.rate > 0 && Math.abs(this.rawUsed(t) - this.limit) <= tol)
      return 'either';
    return this.usedAt(t) >= this.limit;
  }
  private refreshData(t: number): void {
    this.used = this.usedAt(t);
    this.usedSince = t;
    const reached = this.limit !== null && this.used >= this.limit;
    this.accruing = this.metered && this.connected && this.internet && !reached;
  }
  setNetwork(t: number, patch: Partial<NetworkConfig>): void {
    this.refreshData(t);
    if (patch.connected !== undefined) this.connected = patch.connected;
    if (patch.internet !== undefined) this.internet = patch.internet;
    if (patch.metered !== undefined) this.metered = patch.metered;
    if (patch.wnsReachable !== undefined) this.wnsReachable = patch.wnsReachable;
    this.refreshData(t);
  }
  setData(t: number, patch: { usedMB?: number; limitMB?: number | null }): void {
    this.refreshData(t);
    if (patch.usedMB !== undefined) this.used = patch.usedMB;
    if (patch.limitMB !== undefined) this.limit = patch.limitMB;
    this.refreshData(t);
  }

  /** Moves the model to `to`, applying the cycle resets on the way (those at `to` too if asked). */
  advanceTo(to: number, resetsAtEnd = true): void {
    for (const r of resetsIn(this.t, to, this.resetDay)) {
      if (r === to && !resetsAtEnd) break;
      this.refreshData(r);
      this.used = 0;
      this.refreshData(r);
      this.t = r;
    }
    // `t` is how far resets have been applied: one at `to` stays pending unless asked for.
    this.t = resetsAtEnd ? to : Math.max(this.t, to - 1);
  }

  /** Every reason the connection may be blocked at `t` ('either' values count as possible). */
  possibleBlockers(t: number): Set<DisconnectReason> {
    const out = new Set<DisconnectReason>();
    if (this.offAt(t) !== false) out.add('powered-off');
    if (this.expiry === null) out.add('no-channel');
    else if (this.expiry <= t) out.add('channel-expired');
    if (!this.connected) out.add('no-network');
    if (!this.internet) out.add('no-internet');
    if (this.saverAt(t) !== false && !this.pushAllowedInSaver) out.add('battery-saver');
    if (this.reachedAt(t) !== false && this.metered) out.add('data-sense');
    if (!this.wnsReachable) out.add('cloud');
    return out;
  }

  /** Whether the connection should be up at `t`, resolving 'either' values with what the device says. */
  shouldBeUp(t: number, deviceSaver: boolean, deviceReached: boolean, deviceOff: boolean): boolean {
    const saver = this.saverAt(t);
    const off = this.offAt(t);
    const reached = this.reachedAt(t);
    const channelValid = this.expiry !== null && this.expiry > t;
    return (
      !(off === 'either' ? deviceOff : off) &&
      channelValid &&
      this.connected &&
      this.internet &&
      !((saver === 'either' ? deviceSaver : saver) && !this.pushAllowedInSaver) &&
      !((reached === 'either' ? deviceReached : reached) && this.metered) &&
      this.wnsReachable
    );
  }
}

interface Real {
  readonly clock: VirtualClock;
  readonly sink: MemorySink;
  readonly device: SimDevice;
  /** Events already checked. */
  seen: number;
  /** The last wns.connected / wns.disconnected type seen. */
  lastLink: 'wns.connected' | 'wns.disconnected' | null;
  /** What the model predicted after the previous command. */
  up: boolean;
}

function newEvents(real: Real): TimelineEvent[] {
  const events = real.sink.events.slice(real.seen).filter((e) => e.device === ID);
  real.seen = real.sink.events.length;
  return events;
}

/** Walks the new events in time order, moving the model along and checking every link event. */
function checkEvents(m: Model, real: Real, events: readonly TimelineEvent[]): void {
  for (const e of events) {
    m.advanceTo(e.time, false);
    if (e.type === 'channel.issued') m.expiry = e.expiresAt;
    if (e.type === 'wns.disconnected') {
      // The reason must be a blocker at that instant (before or after a cycle reset at it).
      const possible = m.possibleBlockers(e.time);
      m.advanceTo(e.time, true);
      for (const r of m.possibleBlockers(e.time)) possible.add(r);
      expect([...possible], `wns.disconnected reason at ${e.time}`).toContain(e.reason);
    }
    if (e.type === 'wns.connected' || e.type === 'wns.disconnected') {
      expect(e.type, 'connected/disconnected alternate').not.toBe(real.lastLink);
      real.lastLink = e.type;
    }
  }
}

/** Compares the device with the model at the clock's instant, after a command. */
function compare(m: Model, real: Real, events: readonly TimelineEvent[]): void {
  const t = real.clock.now();
  m.advanceTo(t, true);
  const snap = real.device.snapshot();
  expect(snap.channelExpiresAt).toBe(m.expiry);

  const saver = m.saverAt(t);
  if (saver !== 'either') expect(snap.battery.saverOn, 'Battery Saver').toBe(saver);
  expect(Math.abs(snap.battery.level - m.levelAt(t))).toBeLessThanOrEqual(0.011);

  const reached = m.reachedAt(t);
  if (reached !== 'either') expect(snap.dataSense.limitReached, 'Data Sense limit').toBe(reached);
  expect(Math.abs(snap.dataSense.usedMB - m.usedAt(t))).toBeLessThanOrEqual(0.011);

  expect(snap.network).toMatchObject({
    connected: m.connected,
    internet: m.internet,
    metered: m.metered,
    wnsReachable: m.wnsReachable,
  });

  const up = m.shouldBeUp(t, snap.battery.saverOn, snap.dataSense.limitReached, snap.poweredOff);
  expect(snap.wnsConnected, 'WNS connection up').toBe(up);
  // A change of state shows in the timeline.
  if (real.up && !up) expect(events.map((e) => e.type)).toContain('wns.disconnected');
  if (!real.up && up) expect(events.map((e) => e.type)).toContain('wns.connected');
  real.up = up;
}

type Cmd = fc.Command<Model, Real>;

/** A command that changes the device now; `model` mirrors the change in the model. */
function change(
  name: string,
  patch: Parameters<SimDevice['apply']>[0],
  model: (m: Model, t: number) => void,
): Cmd {
  return {
    check: () => true,
    run(m, real) {
      const t = real.clock.now();
      m.advanceTo(t, true);
      real.device.apply(patch);
      model(m, t);
      const events = newEvents(real);
      checkEvents(m, real, events);
      compare(m, real, events);
    },
    toString: () => `${name}(${JSON.stringify(patch)})`,
  };
}

const setCharging = fc
  .boolean()
  .map((charging) =>
    change('SetCharging', { battery: { charging } }, (m, t) => m.setPower(t, { charging })),
  );
const setLevel = fc
  .integer({ min: 0, max: 100 })
  .map((level) => change('SetLevel', { battery: { level } }, (m, t) => m.setPower(t, { level })));
const setSaverSwitch = fc
  .boolean()
  .map((saverSwitch) =>
    change('SetSaverSwitch', { battery: { saverSwitch } }, (m, t) =>
      m.setPower(t, { saverSwitch }),
    ),
  );
const setNetwork = fc
  .record(
    {
      connected: fc.boolean(),
      internet: fc.boolean(),
      metered: fc.boolean(),
      wnsReachable: fc.oneof(
        { weight: 3, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
    },
    { requiredKeys: [] },
  )
  .map((network) => change('SetNetwork', { network }, (m, t) => m.setNetwork(t, network)));
const setDataSenseUsed = fc
  .integer({ min: 0, max: 1000 })
  .map((usedMB) =>
    change('SetDataSenseUsed', { dataSense: { usedMB } }, (m, t) => m.setData(t, { usedMB })),
  );
const setDataSenseLimit = fc
  .option(fc.integer({ min: 1, max: 1000 }), { nil: null })
  .map((limitMB) =>
    change('SetDataSenseLimit', { dataSense: { limitMB } }, (m, t) => m.setData(t, { limitMB })),
  );
const advanceTime = fc
  .oneof(fc.integer({ min: 1, max: 6 * HOUR }), fc.integer({ min: 1, max: 5 * DAY }))
  .map((ms): Cmd => ({
    check: () => true,
    run(m, real) {
      real.clock.advance(ms);
      const events = newEvents(real);
      checkEvents(m, real, events);
      compare(m, real, events);
    },
    toString: () => `AdvanceTime(${ms})`,
  }));

const commandsArb = fc.commands(
  [
    setCharging,
    setLevel,
    setSaverSwitch,
    setNetwork,
    setDataSenseUsed,
    setDataSenseLimit,
    advanceTime,
    advanceTime,
  ],
  { maxCommands: 60 },
);

function boot(s: Setup): { model: Model; real: Real } {
  const spec = simulationSpecFor(
    deviceSpecWith({
      id: ID,
      os: s.os,
      battery: s.battery,
      network: s.network,
      dataSense: s.dataSense,
    }),
    [],
    { seed: s.seed, start: s.start, duration: 400 * DAY },
  );
  const clock = new VirtualClock({ start: s.start });
  const sink = new MemorySink();
  const sim = new Simulation(spec, sink, { clock });
  sim.start();
  const device = sim.device(ID);
  if (!device) throw new Error('device missing');
  const model = new Model(s);
  const real: Real = { clock, sink, device, seen: 0, lastLink: null, up: false };
  const events = newEvents(real);
  checkEvents(model, real, events);
  compare(model, real, events);
  return { model, real };
}

describe('device model: the WNS connection against power, network and Data Sense', () => {
  it('follows the model under random command sequences', () => {
    fc.assert(
      fc.property(setupArb, commandsArb, (setup, cmds) => {
        fc.modelRun(() => boot(setup), cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('the commands exercise every disconnect reason of the model', () => {
    // Guards the test above against vacuity: over the same generators, the device goes down for
    // each condition the model covers.
    const reasons = new Set<string>();
    fc.assert(
      fc.property(setupArb, commandsArb, (setup, cmds) => {
        let sink: MemorySink | null = null;
        fc.modelRun(() => {
          const booted = boot(setup);
          sink = booted.real.sink;
          return booted;
        }, cmds);
        for (const e of (sink as MemorySink | null)?.ofType('wns.disconnected') ?? [])
          reasons.add(e.reason);
      }),
      { numRuns: 400, seed: 20260101 },
    );
    expect([...reasons].sort()).toEqual(
      ['battery-saver', 'cloud', 'data-sense', 'no-internet', 'no-network', 'powered-off'].sort(),
    );
  });

  it('Battery Saver cuts the connection and charging restores it (fixed example)', () => {
    const { model, real } = boot({
      os: '1607',
      start: Date.UTC(2026, 0, 1),
      seed: 1,
      battery: {
        level: 25,
        charging: false,
        drainPerHour: 1,
        chargePerHour: 25,
        saverThreshold: 20,
        saverSwitch: false,
        pushAllowedInSaver: false,
      },
      network: {
        connected: true,
        internet: true,
        metered: false,
        type: 'wifi',
        wnsReachable: true,
      },
      dataSense: {
        limitMB: null,
        usedMB: 0,
        backgroundMBPerHour: 0,
        resetDay: 1,
        perSessionMB: 0,
        perPushMB: 0,
      },
    });
    expect(real.device.snapshot().wnsConnected).toBe(true);
    real.clock.advance(5 * HOUR);
    const down = real.sink.ofType('wns.disconnected', ID);
    expect(down).toEqual([
      {
        time: Date.UTC(2026, 0, 1, 5),
        device: ID,
        type: 'wns.disconnected',
        reason: 'battery-saver',
      },
    ]);
    expect(real.device.snapshot().wnsConnected).toBe(false);
    real.device.apply({ battery: { charging: true } });
    expect(real.device.snapshot().wnsConnected).toBe(true);
    expect(real.sink.ofType('wns.connected', ID).at(-1)?.time).toBe(Date.UTC(2026, 0, 1, 5));
    // The model agrees on the way: on at 21 % is impossible, on at 19 % is certain.
    expect(model.saverAt(Date.UTC(2026, 0, 1, 3, 59))).toBe(false);
    expect(model.saverAt(Date.UTC(2026, 0, 1, 6))).toBe(true);
  });
});
