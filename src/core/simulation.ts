import type { WnsPriority } from './device/wns-priority.js';
import type { DevicePatch, DeviceSpec } from './device/conditions.js';
import { SimDevice, type DeviceSnapshot } from './device/device.js';
import { InMemoryMdm, type InMemoryMdmOptions } from './mdm/in-memory-mdm.js';
import type { MdmTransport, WnsLink } from './ports.js';
import type { EnrollmentService } from './enroll/enrollment.js';
import { ValidationError } from './errors.js';
import { streamFor, type SeededRandom } from './random/random.js';
import {
  parseSnapshot,
  type DeviceState,
  SNAPSHOT_VERSION,
  TimerRestore,
  timerSnapshots,
  type SimulationSnapshot,
  type TimerSnapshot,
} from './snapshot.js';
import { isOrdered, type Clock, type OrderedClock, type Timer } from './time/clock.js';
import { VirtualClock } from './time/virtual-clock.js';
import type { CachePolicy, EventSink } from './timeline/events.js';
import { WnsCloud, type WnsCloudOptions } from './wns/wns-cloud.js';
import { MemoryStateStore, type RecordTable, type StateStore } from './state/state-store.js';

/** A number field of unchecked data, or NaN (the checks that follow report it). */
const num = (data: unknown, key: string): number => {
  const v = (data as Record<string, unknown> | null)?.[key];
  return typeof v === 'number' ? v : NaN;
};

/** Which devices an action targets: every device, or the listed ids. */
export type DeviceSelector = '*' | readonly string[];

/** Something that happens to the fleet or the cloud at a time. */
export type SimulationAction =
  | { readonly kind: 'set'; readonly devices: DeviceSelector; readonly patch: DevicePatch }
  | {
      readonly kind: 'push';
      readonly devices: DeviceSelector;
      readonly cachePolicy: CachePolicy;
      readonly ttlSeconds: number | null;
      /** `X-WNS-PRIORITY`; absent: not set (the raw default, Low). */
      readonly priority?: WnsPriority;
    }
  | { readonly kind: 'reboot'; readonly devices: DeviceSelector }
  | {
      readonly kind: 'wns';
      readonly block?: readonly string[];
      readonly unblock?: readonly string[];
      readonly available?: boolean;
    };

/**
 * An action at `at`, optionally repeating: `repeat` maps one occurrence to the next (a calendar
 * duration, a cron expression…), or returns null to stop; no occurrence after `until` runs.
 */
export interface ScheduledAction {
  readonly at: number;
  readonly repeat?: (previous: number) => number | null;
  readonly until?: number;
  readonly action: SimulationAction;
}

/** A fully resolved simulation: what a scenario file becomes after validation and expansion. */
export interface SimulationSpec {
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  readonly devices: readonly DeviceSpec[];
  readonly wns?: Omit<WnsCloudOptions, 'seed'>;
  readonly mdm?: InMemoryMdmOptions;
  readonly actions: readonly ScheduledAction[];
}

/** How a scenario's `push` reaches a device: through its MDM server (decision 0004). */
export type PushPort = (
  deviceId: string,
  options: {
    readonly cachePolicy: CachePolicy;
    readonly ttlSeconds: number | null;
    readonly priority?: WnsPriority;
  },
) => void;

/** What a scenario's `wns` actions act on: the cloud's blocks and availability. */
export interface WnsControl {
  setBlocked(pfn: string, blocked: boolean): void;
  setAvailable(available: boolean): void;
}

/**
 * The simulation's ports. Without `wns` (or `mdm`) the simulation runs its own in-process WNS
 * cloud (or MDM server), a virtual run's world; with them (live adapters) it builds none.
 */
export interface SimulationPorts {
  readonly clock?: Clock;
  readonly wns?: WnsLink;
  /** Where a scenario's `wns` actions go (default: the in-process cloud; none with a live link). */
  readonly wnsControl?: WnsControl;
  readonly mdm?: MdmTransport;
  /**
   * The enrollment service of a fleet whose devices enroll (MS-MDE2) before they are managed
   * (default: none; devices are managed without enrollment).
   */
  readonly enroller?: EnrollmentService;
  /** Sends a scenario's pushes (default: the in-process MDM server through the in-process cloud). */
  readonly push?: PushPort;
  /**
   * Where the devices are kept: the table `device` and the document `simulation` of this store
   * (default: in memory).
   */
  readonly store?: StateStore;
}

/**
 * A fleet of simulated devices with the WNS cloud and an MDM server, on one clock.
 *
 * @example
 * ```ts
 * const sink = new MemorySink();
 * const sim = new Simulation(spec, sink);
 * sim.run(); // virtual time: start to end in one go
 * sink.ofType('renewal.scheduled');
 * ```
 */
export class Simulation {
  readonly clock: Clock;
  /** The in-process WNS cloud, when the simulation runs its own (no `wns` port). */
  readonly cloud: WnsCloud | null;
  /** The in-process MDM server, when the simulation runs its own (no `mdm` port). */
  readonly mdm: InMemoryMdm | null;
  /** Every device; each entry point of a device runs as an update of its record here. */
  private readonly devices: RecordTable<SimDevice>;
  private readonly push: PushPort;
  private readonly wnsControl: WnsControl | null;
  private readonly order: SimDevice[] = [];
  /** Each device's place in {@link order}. */
  private readonly indexOf = new Map<string, number>();
  /** Each device's stream, in spec order (saved by snapshots). */
  private readonly streams: SeededRandom[] = [];
  /** The pending occurrence of each spec action, by index. */
  private readonly actionTimers: (Timer | null)[] = [];
  private started = false;
  /** Bumped whenever `started` or an action's timer changes (see {@link globalsRevision}). */
  private revision = 0;

  constructor(
    readonly spec: SimulationSpec,
    private readonly sink: EventSink,
    ports: SimulationPorts = {},
  ) {
    this.clock = ports.clock ?? new VirtualClock({ start: spec.start });
    this.cloud = ports.wns
      ? null
      : new WnsCloud(this.clock, sink, { ...spec.wns, seed: spec.seed });
    const mdm = ports.mdm ?? new InMemoryMdm(this.clock, sink, this.cloud, spec.mdm);
    this.mdm = ports.mdm ? null : (mdm as InMemoryMdm);
    const wns = ports.wns ?? (this.cloud as WnsCloud);
    this.wnsControl = ports.wnsControl ?? this.cloud;
    this.push = ports.push ?? ((id, options) => void this.mdm?.push(id, options));
    const store = ports.store ?? new MemoryStateStore();
    this.devices = store.table<SimDevice>('device', (d) => this.saveDevice(d.id));
    // With live ports the document is the clock and the actions: re-encoded only when they moved.
    store.document(
      'simulation',
      () => this.saveGlobals(),
      this.cloud || this.mdm ? undefined : () => this.globalsRevision(),
    );
    for (const d of spec.devices) {
      if (this.devices.has(d.id)) throw new Error(`duplicate device id ${JSON.stringify(d.id)}`);
      const random = streamFor(spec.seed, `device:${d.id}`);
      this.streams.push(random);
      const device = new SimDevice(d, {
        clock: this.clock,
        random,
        sink,
        wns,
        mdm,
        records: this.devices,
        ...(ports.enroller ? { enroller: ports.enroller } : {}),
      });
      this.devices.set(d.id, device);
      this.indexOf.set(d.id, this.order.length);
      this.order.push(device);
    }
  }

  /** Boots every device (in spec order) and schedules the scenario's actions. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.revision++;
    for (const d of this.order) d.start();
    this.spec.actions.forEach((a, i) => this.scheduleAction(i, a.at));
  }

  /**
   * The whole simulation at this instant, as plain JSON-serialisable data (see
   * {@link SimulationSnapshot}): every device, the in-process WNS cloud and MDM server, pending
   * timers with their order, and random streams. With live ports the `wns` and `mdm` parts are
   * those of the unused in-process stand-ins: the live adapters save their own state.
   */
  snapshot(): SimulationSnapshot {
    return { ...this.saveGlobals(), devices: this.order.map((d) => this.saveDevice(d.id)) };
  }

  /** The snapshot without its devices: clock, actions and the in-process stand-ins. */
  saveGlobals(): Omit<SimulationSnapshot, 'devices'> {
    const clock = this.orderedClock();
    const timer = this.timerOf;
    const actions: { index: number; timer: TimerSnapshot }[] = [];
    this.actionTimers.forEach((t, index) => {
      const saved = timer(t ?? null);
      if (saved) actions.push({ index, timer: saved });
    });
    return {
      version: SNAPSHOT_VERSION,
      seed: this.spec.seed,
      now: clock.now(),
      nextSeq: clock.nextSeq,
      started: this.started,
      actions,
      wns: this.cloud?.saveState(timer) ?? null,
      mdm: this.mdm?.saveState(timer) ?? null,
    };
  }

  /**
   * Changes whenever {@link saveGlobals} may (without in-process parts): the actions and
   * `started` (bumped), the clock's instant and next rank.
   */
  private globalsRevision(): string {
    const clock = this.orderedClock();
    return `${this.revision}:${clock.now()}:${clock.nextSeq}`;
  }

  /** One device's part of the snapshot (durable state saves the devices that changed). */
  saveDevice(id: string): DeviceState {
    const index = this.indexOf.get(id);
    if (index === undefined) throw new Error(`no device ${JSON.stringify(id)}`);
    const device = this.order[index] as SimDevice;
    return device.saveState(this.timerOf, (this.streams[index] as SeededRandom).state());
  }

  /** A pending timer's instant and rank on this simulation's clock (null: ran or cancelled). */
  readonly timerOf = (t: Timer | null): TimerSnapshot | null =>
    timerSnapshots(this.orderedClock())(t);

  private orderedClock(): OrderedClock {
    const clock = this.clock;
    if (!isOrdered(clock)) throw new Error('snapshots need a clock that ranks its timers');
    return clock;
  }

  /**
   * A new simulation of `spec` in the state `snapshot` describes (from {@link snapshot}, possibly
   * through JSON): run it and it goes on exactly as the snapshotted one would have. Throws
   * {@link ValidationError} naming the path when the data is not a snapshot of this spec.
   */
  static restore(
    spec: SimulationSpec,
    snapshot: unknown,
    sink: EventSink,
    ports: SimulationPorts = {},
    timers?: TimerRestore,
  ): Simulation {
    const data = parseSnapshot(snapshot, {
      seed: spec.seed,
      deviceIds: spec.devices.map((d) => d.id),
      actionCount: spec.actions.length,
      // A clock that went on while the process was stopped: timers due meanwhile run on start.
      overdue: ports.clock !== undefined && ports.clock.now() > num(snapshot, 'now'),
    });
    // A live fleet may run past its scenario's end (the system clock goes on): only a virtual
    // restore of a scenario run must stay within it.
    if (data.now < spec.start || (ports.clock === undefined && data.now > spec.end))
      throw new ValidationError([
        `snapshot.now: expected an instant between the spec's start and end, got ${data.now}`,
      ]);
    const clock = ports.clock ?? new VirtualClock({ start: data.now });
    if (!isOrdered(clock)) throw new Error('restore() needs a clock that ranks its timers');
    const sim = new Simulation(spec, sink, { ...ports, clock });
    const restore = timers ?? new TimerRestore();
    sim.load(data, restore);
    // A caller that restores other parts on the same clock re-arms everything together.
    if (!timers) restore.replay(clock, data.nextSeq);
    return sim;
  }

  /**
   * Goes on after {@link restore} with live ports (see `SimDevice.resume`): connections and
   * requests of the stopped process are opened again, interrupted sessions fail. A simulation
   * saved before it started is started.
   */
  resume(): void {
    if (!this.started) return this.start();
    for (const d of this.order) d.resume();
  }

  private load(data: SimulationSnapshot, timers: TimerRestore): void {
    this.started = data.started;
    this.revision++;
    const arm = timers.arm;
    data.devices.forEach((d, i) => {
      (this.streams[i] as SeededRandom).setState(d.random);
      (this.order[i] as SimDevice).loadState(d, arm);
    });
    const device = (id: string): SimDevice => this.devices.get(id) as SimDevice;
    if (this.cloud && data.wns)
      this.cloud.loadState(data.wns, (id) => device(id).linkHandlers, arm);
    if (this.mdm && data.mdm)
      this.mdm.loadState(data.mdm, (id) => device(id).runningSessionDone(), arm);
    for (const a of data.actions) arm(a.timer, () => this.scheduleAction(a.index, a.timer.at));
  }

  /**
   * Runs a virtual-clock simulation from start to `until` (default: the spec's end). Returns the
   * number of clock events run.
   */
  run(until: number = this.spec.end): number {
    if (!(this.clock instanceof VirtualClock))
      throw new Error('run() needs the virtual clock; live runs are driven by the system clock');
    this.start();
    return this.clock.runUntil(until);
  }

  device(id: string): SimDevice | undefined {
    return this.devices.get(id);
  }

  deviceIds(): string[] {
    return this.order.map((d) => d.id);
  }

  snapshots(): DeviceSnapshot[] {
    return this.order.map((d) => d.snapshot());
  }

  /** Runs one action now. */
  perform(action: SimulationAction): void {
    switch (action.kind) {
      case 'set':
        for (const d of this.select(action.devices)) d.apply(action.patch);
        return;
      case 'push':
        for (const d of this.select(action.devices))
          this.push(d.id, {
            cachePolicy: action.cachePolicy,
            ttlSeconds: action.ttlSeconds,
            ...(action.priority === undefined ? {} : { priority: action.priority }),
          });
        return;
      case 'reboot':
        for (const d of this.select(action.devices)) d.reboot();
        return;
      case 'wns': {
        const cloud = this.wnsControl;
        if (!cloud) return;
        for (const pfn of action.block ?? []) cloud.setBlocked(pfn, true);
        for (const pfn of action.unblock ?? []) cloud.setBlocked(pfn, false);
        if (action.available !== undefined) cloud.setAvailable(action.available);
        return;
      }
    }
  }

  private scheduleAction(index: number, at: number): void {
    const a = this.spec.actions[index] as ScheduledAction;
    if (at > this.spec.end || (a.until !== undefined && at > a.until)) {
      this.actionTimers[index] = null;
      this.revision++;
      return;
    }
    this.revision++;
    this.actionTimers[index] = this.clock.schedule(at, () => {
      this.actionTimers[index] = null;
      this.revision++;
      this.perform(a.action);
      // Occurrences missed while the process was stopped (a restore after downtime) are not
      // replayed one by one: this run stands for them, the next is the first still ahead.
      const now = this.clock.now();
      let previous = at;
      let next = a.repeat?.(at) ?? null;
      while (next !== null && next > previous && next < now) {
        previous = next;
        next = a.repeat?.(next) ?? null;
      }
      if (next !== null && next > previous) this.scheduleAction(index, next);
    });
  }

  private readonly selections = new WeakMap<readonly string[], SimDevice[]>();

  /** The devices a selector names (resolved once per selector: actions repeat). */
  private select(selector: DeviceSelector): SimDevice[] {
    if (selector === '*') return this.order;
    let out = this.selections.get(selector);
    if (!out) {
      out = [];
      for (const id of selector) {
        const d = this.devices.get(id);
        if (d) out.push(d);
      }
      this.selections.set(selector, out);
    }
    return out;
  }
}
