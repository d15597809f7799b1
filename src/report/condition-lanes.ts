/**
 * The device's conditions as bands on the timeline: the WNS connection (up, or down and why),
 * the battery level and Battery Saver, the Data Sense limit and the network. Each is a period
 * that a later event closes (or the end of the run).
 */
import type { DisconnectReason, TimelineEventOf } from '../core/timeline/events.js';
import type { LaneItems } from './lane-items.js';
import { DISCONNECT_TEXT, period } from './timeline-texts.js';

/** A period that started at `since` in `state` and is still open. */
export interface Band<S> {
  since: number;
  state: S;
}

type NetState = {
  connected: boolean;
  internet: boolean;
  metered: boolean;
  networkType: string | null;
};

/** The events that change a condition. */
export type ConditionEvent = TimelineEventOf<
  | 'wns.connected'
  | 'wns.disconnected'
  | 'power.changed'
  | 'battery-saver.changed'
  | 'data-sense.changed'
  | 'network.changed'
  | 'screen.changed'
  | 'device.powered-off'
  | 'device.booted'
>;

const levelBand = (level: number): string => (level > 50 ? 'high' : level > 20 ? 'mid' : 'low');

export class ConditionLanes {
  private wns: Band<{ up: boolean; reason: DisconnectReason | 'not-yet' }> | null = null;
  private battery: Band<{ level: number; charging: boolean }> | null = null;
  private saver: Band<boolean> | null = null;
  private dataSense: Band<{ limit: boolean; usedMB: number }> | null = null;
  private net: Band<NetState> | null = null;
  /** Screen off, or the device off: a band on the power lane's `screen` row (null: screen on). */
  private screen: Band<'off' | 'device-off'> | null = null;
  private screenOff = false;

  constructor(private readonly out: LaneItems) {}

  /** True when the WNS connection is up (at the last event applied). */
  get connected(): boolean {
    return this.wns?.state.up ?? false;
  }

  /** The conditions a device starts in. */
  start(e: TimelineEventOf<'device.started'>): void {
    const t = e.time;
    this.setWns(t, false, 'not-yet');
    this.setBattery(t, e.battery, e.charging);
    if (!this.saver) this.saver = { since: t, state: false };
    if (!this.dataSense) this.dataSense = { since: t, state: { limit: false, usedMB: 0 } };
    this.setNet(t, {
      connected: e.connected,
      internet: e.internet,
      metered: e.metered,
      networkType: null,
    });
  }

  apply(e: ConditionEvent): void {
    const t = e.time;
    switch (e.type) {
      case 'wns.connected':
        this.setWns(t, true, 'not-yet');
        break;
      case 'wns.disconnected':
        this.setWns(t, false, e.reason);
        break;
      case 'power.changed':
        this.setBattery(t, e.level, e.charging);
        break;
      case 'battery-saver.changed':
        this.setBattery(t, e.level, this.battery?.state.charging ?? false);
        if (e.on && !this.saver?.state) {
          this.saver = { since: t, state: true };
        } else if (!e.on && this.saver?.state) {
          this.closeSaver(t);
          this.saver = { since: t, state: false };
        }
        break;
      case 'data-sense.changed':
        if (e.limitReached && !this.dataSense?.state.limit)
          this.dataSense = { since: t, state: { limit: true, usedMB: e.usedMB } };
        else if (!e.limitReached && this.dataSense?.state.limit) {
          this.closeDataSense(t, e.usedMB);
          this.dataSense = { since: t, state: { limit: false, usedMB: e.usedMB } };
        }
        break;
      case 'screen.changed':
        this.screenOff = e.screen === 'off';
        if (this.screen?.state !== 'device-off') this.setScreen(t, this.screenOff ? 'off' : null);
        break;
      case 'device.powered-off':
        this.setScreen(t, 'device-off');
        break;
      case 'device.booted':
        this.setScreen(t, this.screenOff ? 'off' : null);
        break;
      case 'network.changed':
        this.setNet(t, {
          connected: e.connected,
          internet: e.internet,
          metered: e.metered,
          networkType: e.networkType,
        });
        break;
    }
  }

  /** Closes every open period at `end`. */
  finish(end: number): void {
    this.closeWns(end);
    this.closeBattery(end);
    this.closeSaver(end);
    this.closeDataSense(end);
    this.closeNet(end);
    this.closeScreen(end);
  }

  // --- screen and device off ------------------------------------------------------------------

  private setScreen(t: number, state: 'off' | 'device-off' | null): void {
    if ((this.screen?.state ?? null) === state) return;
    this.closeScreen(t);
    this.screen = state === null ? null : { since: t, state };
  }

  private closeScreen(t: number): void {
    const b = this.screen;
    if (!b || t <= b.since) return;
    const off = b.state === 'device-off';
    this.out.add('power', {
      row: 'screen',
      kind: 'screen',
      variant: b.state,
      start: b.since,
      end: t,
      label: off ? 'device off' : 'screen off',
      explanation: () =>
        off
          ? `The battery is empty ${period(b.since, t)}: the device is off (no WNS connection, no sessions, no renewals) until it charges.`
          : `Screen off ${period(b.since, t)}: on battery, pushes of priority Medium, Low (the raw default) and Very Low wait on the device unless the app is exempt (WNS Notification Priorities).`,
    });
  }

  // --- WNS connection -------------------------------------------------------------------------

  private closeWns(t: number): void {
    const b = this.wns;
    if (!b || t <= b.since) return;
    if (b.state.up)
      this.out.add('wns', {
        kind: 'wns',
        variant: 'up',
        start: b.since,
        end: t,
        label: 'connected',
        explanation: () =>
          `WNS persistent connection up ${period(b.since, t)}: pushes reach the device at once.`,
      });
    else
      this.out.add('wns', {
        kind: 'wns',
        variant: 'down',
        start: b.since,
        end: t,
        label: `down: ${b.state.reason}`,
        explanation: () =>
          `WNS persistent connection down ${period(b.since, t)}: ${DISCONNECT_TEXT[b.state.reason]}. Pushes are cached (cache policy "cache") or dropped meanwhile.`,
      });
  }

  private setWns(t: number, up: boolean, reason: DisconnectReason | 'not-yet'): void {
    if (this.wns && this.wns.state.up === up && this.wns.state.reason === reason) return;
    this.closeWns(t);
    this.wns = { since: t, state: { up, reason } };
  }

  // --- power ----------------------------------------------------------------------------------

  private closeBattery(t: number, nextLevel?: number): void {
    const b = this.battery;
    if (!b || t <= b.since) return;
    const { level, charging } = b.state;
    const span = (f: (n: number) => number): string =>
      nextLevel === undefined || f(nextLevel) === f(level)
        ? `${f(level)}%`
        : `${f(level)}% → ${f(nextLevel)}%`;
    const range = (): string => span((n) => Math.round(n * 100) / 100);
    this.out.add('power', {
      row: 'level',
      kind: 'battery',
      variant: levelBand(level),
      start: b.since,
      end: t,
      label: `${span(Math.round)}${charging ? ' ⚡' : ''}`,
      explanation: () =>
        `Battery ${range()} ${period(b.since, t)}, ${charging ? 'charging' : 'on battery'} (the level is known at power events and drifts in between).`,
    });
  }

  private setBattery(t: number, level: number, charging: boolean): void {
    const b = this.battery;
    if (b && b.state.level === level && b.state.charging === charging) return;
    this.closeBattery(t, level);
    if (b && t <= b.since) b.state = { level, charging };
    else this.battery = { since: t, state: { level, charging } };
  }

  private closeSaver(t: number): void {
    const b = this.saver;
    if (!b || !b.state || t <= b.since) return;
    this.out.add('power', {
      row: 'saver',
      kind: 'battery-saver',
      variant: 'on',
      start: b.since,
      end: t,
      label: 'Battery Saver',
      explanation: () =>
        `Battery Saver on ${period(b.since, t)}: the WNS connection is cut unless the app is exempt (then pushes still follow the priority table); scheduled polls still run.`,
    });
  }

  // --- Data Sense and network ----------------------------------------------------------------

  private closeDataSense(t: number, usedAfter?: number): void {
    const b = this.dataSense;
    if (!b || !b.state.limit || t <= b.since) return;
    this.out.add('data-sense', {
      kind: 'data-sense',
      variant: 'limit',
      start: b.since,
      end: t,
      label: `limit reached (${b.state.usedMB} MB)`,
      explanation: () =>
        `Data Sense monthly limit reached (${b.state.usedMB} MB used) ${period(b.since, t)}: on a metered network WNS and sessions stop until usage falls under the limit${usedAfter !== undefined ? ` (${usedAfter} MB after the monthly reset)` : ''}.`,
    });
  }

  private closeNet(t: number): void {
    const b = this.net;
    if (!b || t <= b.since) return;
    const s = b.state;
    const type = s.networkType ?? 'network';
    const metered = s.metered ? ', metered' : '';
    if (!s.connected)
      this.out.add('network', {
        kind: 'network',
        variant: 'offline',
        start: b.since,
        end: t,
        label: 'no network',
        explanation: () =>
          `No network ${period(b.since, t)}: no WNS connection, no sessions; 1511 renewal attempts fail, 1607+ attempts are skipped.`,
      });
    else if (!s.internet)
      this.out.add('network', {
        kind: 'network',
        variant: 'no-internet',
        start: b.since,
        end: t,
        label: `${type}, no internet${metered}`,
        explanation: () =>
          `Connected to ${type}${metered} without internet (e.g. a captive portal) ${period(b.since, t)}: renewal attempts go ahead and fail; no WNS connection.`,
      });
    else
      this.out.add('network', {
        kind: 'network',
        variant: 'online',
        start: b.since,
        end: t,
        label: `${type === 'network' ? 'online' : type}${metered}`,
        explanation: () => `Online (${type}${metered}) ${period(b.since, t)}.`,
      });
  }

  private setNet(t: number, state: NetState): void {
    const b = this.net;
    const same =
      b !== null &&
      b.state.connected === state.connected &&
      b.state.internet === state.internet &&
      b.state.metered === state.metered;
    if (same && (b.state.networkType === state.networkType || state.networkType === null)) return;
    if (b && ((same && b.state.networkType === null) || t <= b.since)) {
      // The type was not known yet (device.started has none), or nothing has elapsed.
      b.state = state;
      return;
    }
    this.closeNet(t);
    this.net = { since: t, state };
  }
}
