import type { DevicePatch, DeviceSpec } from './device/conditions.js';
import { SimDevice, type DeviceSnapshot } from './device/device.js';
import { InMemoryMdm, type InMemoryMdmOptions } from './mdm/in-memory-mdm.js';
import type { MdmTransport, WnsLink } from './ports.js';
import { streamFor } from './random/random.js';
import type { Clock } from './time/clock.js';
import { VirtualClock } from './time/virtual-clock.js';
import type { CachePolicy, EventSink } from './timeline/events.js';
import { WnsCloud, type WnsCloudOptions } from './wns/wns-cloud.js';

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
  options: { readonly cachePolicy: CachePolicy; readonly ttlSeconds: number | null },
) => void;

/** Ports a caller may swap in (live adapters); each defaults to the in-process stand-in. */
export interface SimulationPorts {
  readonly clock?: Clock;
  readonly wns?: WnsLink;
  readonly mdm?: MdmTransport;
  /** Sends a scenario's pushes (default: the in-process MDM server through the in-process cloud). */
  readonly push?: PushPort;
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
  readonly cloud: WnsCloud;
  readonly mdm: InMemoryMdm;
  private readonly devices = new Map<string, SimDevice>();
  private readonly push: PushPort;
  private readonly order: SimDevice[] = [];
  private started = false;

  constructor(
    readonly spec: SimulationSpec,
    private readonly sink: EventSink,
    ports: SimulationPorts = {},
  ) {
    this.clock = ports.clock ?? new VirtualClock({ start: spec.start });
    this.cloud = new WnsCloud(this.clock, sink, { ...spec.wns, seed: spec.seed });
    this.mdm = new InMemoryMdm(this.clock, sink, this.cloud, spec.mdm);
    const wns = ports.wns ?? this.cloud;
    const mdm = ports.mdm ?? this.mdm;
    this.push = ports.push ?? ((id, options) => void this.mdm.push(id, options));
    for (const d of spec.devices) {
      if (this.devices.has(d.id)) throw new Error(`duplicate device id ${JSON.stringify(d.id)}`);
      const device = new SimDevice(d, {
        clock: this.clock,
        random: streamFor(spec.seed, `device:${d.id}`),
        sink,
        wns,
        mdm,
      });
      this.devices.set(d.id, device);
      this.order.push(device);
    }
  }

  /** Boots every device (in spec order) and schedules the scenario's actions. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const d of this.order) d.start();
    for (const a of this.spec.actions) this.scheduleAction(a, a.at);
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
          this.push(d.id, { cachePolicy: action.cachePolicy, ttlSeconds: action.ttlSeconds });
        return;
      case 'reboot':
        for (const d of this.select(action.devices)) d.reboot();
        return;
      case 'wns':
        for (const pfn of action.block ?? []) this.cloud.setBlocked(pfn, true);
        for (const pfn of action.unblock ?? []) this.cloud.setBlocked(pfn, false);
        if (action.available !== undefined) this.cloud.setAvailable(action.available);
        return;
    }
  }

  private scheduleAction(a: ScheduledAction, at: number): void {
    if (at > this.spec.end || (a.until !== undefined && at > a.until)) return;
    this.clock.schedule(at, () => {
      this.perform(a.action);
      const next = a.repeat?.(at);
      if (next != null && next > at) this.scheduleAction(a, next);
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
