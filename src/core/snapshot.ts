/**
 * Durable state (issue 5 §4): a virtual-clock {@link Simulation} snapshotted at an instant into
 * plain, JSON-serialisable data, and restored into a new simulation of the same spec that goes on
 * exactly as the original would have (same timeline, byte for byte).
 *
 * Pending timers are saved by role (a device's renewal, a cached notification's TTL, a scenario
 * action…) with their instant and their place in the clock's order (`seq`); a restore re-arms
 * them sorted by `seq`, so timers due at the same instant still run in their original order.
 * Random streams are saved as generator states.
 *
 * @module
 */
import type { OsVersion, RenewalDecision } from './dmclient/renewal-policy.js';
import type { PollConfig, PollCursor } from './dmclient/poll-schedule.js';
import type { PushStatus } from './dmclient/push-status.js';
import type { DataSenseState } from './device/data-sense.js';
import type { NetworkConfig } from './device/network.js';
import type { PowerState } from './device/power.js';
import { ValidationError } from './errors.js';
import type { OrderedClock, Timer } from './time/clock.js';
import type { DmTreeState } from './dm/dm-tree.js';
import type { ChannelRequestReason, SessionTrigger } from './timeline/events.js';

/** The snapshot format version this build writes and reads. */
export const SNAPSHOT_VERSION = 1;

/** A pending timer: when it is due, and its rank among all pending timers (clock insertion order). */
export interface TimerSnapshot {
  /** Due instant, epoch ms. */
  readonly at: number;
  /** Insertion rank on the clock: among timers due at the same instant, the lower runs first. */
  readonly seq: number;
}

/** Re-arms one saved timer: called by a restore, in the original clock order, with `rearm`. */
export type ArmTimer = (timer: TimerSnapshot, rearm: () => void) => void;

/** A function giving a pending timer's instant and rank on `clock` (null: ran or cancelled). */
export function timerSnapshots(clock: OrderedClock): (t: Timer | null) => TimerSnapshot | null {
  return (t) => {
    const seq = clock.orderOf(t);
    return seq === null || t === null ? null : { at: t.at, seq };
  };
}

/**
 * Collects the timers a restore re-arms (from any number of parts: devices, the cloud, the
 * scenario's actions) and re-arms them all in their saved clock order, so timers due at the same
 * instant run as they would have. On the system clock, timers whose instant passed while the
 * process was stopped run at once, in that order.
 */
export class TimerRestore {
  private readonly pending: { at: number; seq: number; rearm: () => void }[] = [];

  /** Pass as a part's `arm` callback. */
  readonly arm: ArmTimer = (timer, rearm) =>
    void this.pending.push({ at: timer.at, seq: timer.seq, rearm });

  /**
   * Re-arms every collected timer. Timers still ahead keep their saved rank (a restore on the
   * virtual clock goes on exactly as before). Timers whose instant passed (the clock went on
   * while the process was stopped) come first, in the order they fell due: they run at once.
   * The clock's next rank is then at least `nextSeq`.
   */
  replay(clock: OrderedClock, nextSeq: number): void {
    const now = clock.now();
    const overdue = this.pending
      .filter((p) => p.at < now)
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    const ahead = this.pending.filter((p) => p.at >= now).sort((a, b) => a.seq - b.seq);
    for (const p of overdue) p.rearm();
    for (const p of ahead) {
      // Each re-arm schedules one timer: it gets its saved rank (or the next free one).
      if (p.seq > clock.nextSeq) clock.setNextSeq(p.seq);
      p.rearm();
    }
    this.pending.length = 0;
    if (nextSeq > clock.nextSeq) clock.setNextSeq(nextSeq);
  }
}

/** The state of one {@link SimDevice} (its conditions, DMClient state, pending timers, stream). */
export interface DeviceState {
  readonly id: string;
  /** Its `device:<id>` stream (a generator state). */
  readonly random: readonly number[];
  readonly power: PowerState;
  readonly network: NetworkConfig;
  readonly dataSense: DataSenseState;
  readonly poll: PollConfig;
  readonly saverOn: boolean;
  readonly limitReached: boolean;
  readonly pfn: string | null;
  readonly channel: { readonly uri: string; readonly expiresAt: number } | null;
  readonly failureStatus: PushStatus | null;
  readonly pushWithoutSession: boolean;
  readonly status: PushStatus;
  readonly link: 'down' | 'connecting' | 'up';
  readonly requestGeneration: number;
  /** The reason of a channel request waiting for WNS's answer (live links only). */
  readonly pendingRequest: ChannelRequestReason | null;
  /** What its DM tree stores beyond its definition; null when the tree was never built. */
  readonly tree: DmTreeState | null;
  readonly renewal: RenewalDecision | null;
  readonly pollCursor: PollCursor;
  readonly sessionRunning: SessionTrigger | null;
  readonly sessionQueued: SessionTrigger | null;
  readonly sessionGeneration: number;
  /** Pending timers by role. */
  readonly timers: {
    readonly renewal: TimerSnapshot | null;
    readonly expiry: TimerSnapshot | null;
    readonly power: TimerSnapshot | null;
    readonly limit: TimerSnapshot | null;
    readonly reset: TimerSnapshot | null;
    readonly poll: TimerSnapshot | null;
  };
}

/** A notification WNS holds for an offline device. */
export interface CachedState {
  readonly msgId: string;
  readonly expiresAt: number | null;
  readonly bodyBase64: string | null;
  /** Its TTL timer (role `cache-ttl:<channel>`), if pending. */
  readonly timer: TimerSnapshot | null;
}

/** A channel WNS issued (expired ones included). */
export interface ChannelState {
  readonly token: string;
  readonly uri: string;
  readonly deviceId: string;
  readonly pfn: string;
  readonly expiresAt: number;
  readonly cached: CachedState | null;
}

/** What WNS keeps per device. */
export interface WnsDeviceState {
  readonly id: string;
  /** Its `wns:<id>` stream (a generator state). */
  readonly random: readonly number[];
  /** Tokens of its channels, oldest first. */
  readonly channels: readonly string[];
  /** The persistent connection is open. */
  readonly connected: boolean;
  /** Asked to connect during an outage: connects when WNS is back. */
  readonly waiting: boolean;
  readonly messages: number;
}

/** What WNS keeps for one device: its entry and its channels (a row of durable state). */
export interface WnsDevicePart {
  readonly device: WnsDeviceState;
  readonly channels: readonly ChannelState[];
}

/** The state of the in-process {@link WnsCloud}. */
export interface WnsCloudState {
  readonly baseUrl: string;
  readonly available: boolean;
  readonly blocked: readonly string[];
  readonly channels: readonly ChannelState[];
  readonly devices: readonly WnsDeviceState[];
}

/** The state of the {@link InMemoryMdm}. */
export interface InMemoryMdmState {
  /** The ChannelURI the server holds per device. */
  readonly known: readonly { readonly device: string; readonly channelUri: string }[];
  /** Pending session ends (role `session-end`), at most one per device: its latest session. */
  readonly sessionEnds: readonly { readonly device: string; readonly timer: TimerSnapshot }[];
}

/** A pending occurrence of the spec's `actions[index]` (role `action:<index>:<at>`). */
export interface ActionTimerState {
  readonly index: number;
  readonly timer: TimerSnapshot;
}

/**
 * A whole simulation at one instant of its virtual clock: plain data (`JSON.stringify` keeps it
 * whole). Restore it with `Simulation.restore(spec, snapshot, sink)` and the same spec.
 */
export interface SimulationSnapshot {
  readonly version: 1;
  /** The spec's seed (a check that the snapshot is restored with its spec). */
  readonly seed: number;
  /** The clock's instant. */
  readonly now: number;
  /** The clock's next insertion rank (above every pending timer's `seq`). */
  readonly nextSeq: number;
  /** Whether the devices were started (and the actions scheduled). */
  readonly started: boolean;
  readonly actions: readonly ActionTimerState[];
  /** One per spec device, in spec order. */
  readonly devices: readonly DeviceState[];
  /** The in-process WNS cloud; null when the simulation ran on live ports (they save their own). */
  readonly wns: WnsCloudState | null;
  /** The in-process MDM server; null when the simulation ran on a live one. */
  readonly mdm: InMemoryMdmState | null;
}

// ---- validation -----------------------------------------------------------------------------------

/** Identity facts a snapshot is checked against: the spec's seed, device ids and action count. */
export interface SnapshotContext {
  readonly seed: number;
  readonly deviceIds: readonly string[];
  readonly actionCount: number;
  /**
   * Timers may be due before `now` (a live clock's late timers, or parts saved at different
   * instants): they run as soon as the restore re-arms them.
   */
  readonly overdue?: boolean;
}

const describe = (v: unknown): string =>
  v === undefined
    ? 'nothing'
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'a list'
        : typeof v === 'string'
          ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
          : typeof v === 'number' || typeof v === 'boolean'
            ? String(v)
            : `a value of type ${typeof v}`;

function fail(path: string, expected: string, got: unknown): never {
  throw new ValidationError([`${path}: expected ${expected}, got ${describe(got)}`]);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, 'an object', v);
  return v as Obj;
}

function list(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'a list', v);
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a finite number', v);
  return v;
}

function int(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, 'an integer', v);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'true or false', v);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  return v;
}

function oneOf<T extends string | number>(v: unknown, options: readonly T[], path: string): T {
  if (!options.includes(v as T)) fail(path, `one of ${options.join(', ')}`, v);
  return v as T;
}

function nullable<T>(v: unknown, path: string, read: (v: unknown, path: string) => T): T | null {
  return v === null ? null : read(v, path);
}

function field<T>(o: Obj, key: string, path: string, read: (v: unknown, path: string) => T): T {
  return read(o[key], `${path}.${key}`);
}

function randomState(v: unknown, path: string): number[] {
  const items = list(v, path);
  if (items.length !== 4) fail(path, 'a generator state (4 integers)', v);
  return items.map((x, i) => {
    const n = int(x, `${path}[${i}]`);
    if (n < -0x80000000 || n > 0xffffffff) fail(`${path}[${i}]`, 'a 32-bit integer', x);
    return n;
  });
}

function timer(v: unknown, path: string): TimerSnapshot {
  const o = obj(v, path);
  return { at: field(o, 'at', path, num), seq: field(o, 'seq', path, int) };
}

const PUSH_STATUSES = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
const TRIGGERS: readonly SessionTrigger[] = ['push', 'renewal', 'poll', 'provisioned'];
const OS: readonly OsVersion[] = ['1511', '1607'];
const REQUEST_REASONS: readonly ChannelRequestReason[] = ['provisioned', 'renewal', 'boot'];

function pollSet(v: unknown, path: string): PollConfig['first'] {
  const o = obj(v, path);
  return {
    intervalMinutes: field(o, 'intervalMinutes', path, num),
    count: field(o, 'count', path, num),
  };
}

function deviceState(v: unknown, path: string, id: string): DeviceState {
  const o = obj(v, path);
  const got = field(o, 'id', path, str);
  if (got !== id) fail(`${path}.id`, `device ${JSON.stringify(id)} (spec order)`, got);
  const p = field(o, 'power', path, obj);
  const pp = `${path}.power`;
  const n = field(o, 'network', path, obj);
  const np = `${path}.network`;
  const d = field(o, 'dataSense', path, obj);
  const dp = `${path}.dataSense`;
  const q = field(o, 'poll', path, obj);
  const qp = `${path}.poll`;
  const t = field(o, 'timers', path, obj);
  const tp = `${path}.timers`;
  const optTimer = (key: string): TimerSnapshot | null =>
    field(t, key, tp, (x, xp) => nullable(x, xp, timer));
  const cursor = field(o, 'pollCursor', path, obj);
  const trig = (x: unknown, xp: string): SessionTrigger | null =>
    nullable(x, xp, (y, yp) => oneOf(y, TRIGGERS, yp));
  return {
    id,
    random: field(o, 'random', path, randomState),
    power: {
      level: field(p, 'level', pp, num),
      charging: field(p, 'charging', pp, bool),
      drainPerHour: field(p, 'drainPerHour', pp, num),
      chargePerHour: field(p, 'chargePerHour', pp, num),
      saverThreshold: field(p, 'saverThreshold', pp, num),
      saverSwitch: field(p, 'saverSwitch', pp, bool),
      pushAllowedInSaver: field(p, 'pushAllowedInSaver', pp, bool),
      since: field(p, 'since', pp, num),
    },
    network: {
      connected: field(n, 'connected', np, bool),
      internet: field(n, 'internet', np, bool),
      metered: field(n, 'metered', np, bool),
      type: field(n, 'type', np, (x, xp) => oneOf(x, ['wifi', 'cellular', 'ethernet'], xp)),
      wnsReachable: field(n, 'wnsReachable', np, bool),
    },
    dataSense: {
      limitMB: field(d, 'limitMB', dp, (x, xp) => nullable(x, xp, num)),
      usedMB: field(d, 'usedMB', dp, num),
      backgroundMBPerHour: field(d, 'backgroundMBPerHour', dp, num),
      resetDay: field(d, 'resetDay', dp, int),
      perSessionMB: field(d, 'perSessionMB', dp, num),
      perPushMB: field(d, 'perPushMB', dp, num),
      since: field(d, 'since', dp, num),
      accruing: field(d, 'accruing', dp, bool),
    },
    poll: {
      first: field(q, 'first', qp, pollSet),
      second: field(q, 'second', qp, pollSet),
      remaining: field(q, 'remaining', qp, pollSet),
      maintenanceTime: field(q, 'maintenanceTime', qp, str),
    },
    saverOn: field(o, 'saverOn', path, bool),
    limitReached: field(o, 'limitReached', path, bool),
    pfn: field(o, 'pfn', path, (x, xp) => nullable(x, xp, str)),
    channel: field(o, 'channel', path, (x, xp) =>
      nullable(x, xp, (y, yp) => {
        const c = obj(y, yp);
        return { uri: field(c, 'uri', yp, str), expiresAt: field(c, 'expiresAt', yp, num) };
      }),
    ),
    failureStatus: field(o, 'failureStatus', path, (x, xp) =>
      nullable(x, xp, (y, yp) => oneOf(y, PUSH_STATUSES, yp)),
    ),
    pushWithoutSession: field(o, 'pushWithoutSession', path, bool),
    status: field(o, 'status', path, (x, xp) => oneOf(x, PUSH_STATUSES, xp)),
    link: field(o, 'link', path, (x, xp) => oneOf(x, ['down', 'connecting', 'up'], xp)),
    requestGeneration: field(o, 'requestGeneration', path, int),
    pendingRequest: field(o, 'pendingRequest', path, (x, xp) =>
      nullable(x, xp, (y, yp) => oneOf(y, REQUEST_REASONS, yp)),
    ),
    tree: field(o, 'tree', path, (x, xp) =>
      nullable(x, xp, (y, yp) =>
        list(y, yp).map((n, i) => {
          const np = `${yp}[${i}]`;
          const node = obj(n, np);
          return {
            uri: field(node, 'uri', np, str),
            present: field(node, 'present', np, bool),
            value: field(node, 'value', np, str),
          };
        }),
      ),
    ),
    renewal: field(o, 'renewal', path, (x, xp) =>
      nullable(x, xp, (y, yp) => {
        const r = obj(y, yp);
        return {
          os: field(r, 'os', yp, (z, zp) => oneOf(z, OS, zp)),
          rule: field(r, 'rule', yp, (z, zp) =>
            oneOf(z, ['fifteen-day-mark', 'within-fifteen-days', 'expired', 'no-network'], zp),
          ),
          at: field(r, 'at', yp, num),
          earliest: field(r, 'earliest', yp, num),
          latest: field(r, 'latest', yp, num),
        };
      }),
    ),
    pollCursor: {
      phase: field(cursor, 'phase', `${path}.pollCursor`, int),
      done: field(cursor, 'done', `${path}.pollCursor`, int),
    },
    sessionRunning: field(o, 'sessionRunning', path, trig),
    sessionQueued: field(o, 'sessionQueued', path, trig),
    sessionGeneration: field(o, 'sessionGeneration', path, int),
    timers: {
      renewal: optTimer('renewal'),
      expiry: optTimer('expiry'),
      power: optTimer('power'),
      limit: optTimer('limit'),
      reset: optTimer('reset'),
      poll: optTimer('poll'),
    },
  };
}

function wnsState(v: unknown, path: string, ids: ReadonlySet<string>): WnsCloudState {
  const o = obj(v, path);
  const knownDevice = (x: unknown, xp: string): string => {
    const id = str(x, xp);
    if (!ids.has(id)) fail(xp, 'a device id of the spec', x);
    return id;
  };
  const channels = field(o, 'channels', path, list).map((x, i): ChannelState => {
    const cp = `${path}.channels[${i}]`;
    const c = obj(x, cp);
    return {
      token: field(c, 'token', cp, str),
      uri: field(c, 'uri', cp, str),
      deviceId: field(c, 'deviceId', cp, knownDevice),
      pfn: field(c, 'pfn', cp, str),
      expiresAt: field(c, 'expiresAt', cp, num),
      cached: field(c, 'cached', cp, (y, yp) =>
        nullable(y, yp, (z, zp) => {
          const m = obj(z, zp);
          return {
            msgId: field(m, 'msgId', zp, str),
            expiresAt: field(m, 'expiresAt', zp, (w, wp) => nullable(w, wp, num)),
            bodyBase64: field(m, 'bodyBase64', zp, (w, wp) => nullable(w, wp, str)),
            timer: field(m, 'timer', zp, (w, wp) => nullable(w, wp, timer)),
          };
        }),
      ),
    };
  });
  const tokens = new Set(channels.map((c) => c.token));
  const devices = field(o, 'devices', path, list).map((x, i): WnsDeviceState => {
    const dp = `${path}.devices[${i}]`;
    const d = obj(x, dp);
    return {
      id: field(d, 'id', dp, knownDevice),
      random: field(d, 'random', dp, randomState),
      channels: field(d, 'channels', dp, list).map((t, j) => {
        const token = str(t, `${dp}.channels[${j}]`);
        if (!tokens.has(token)) fail(`${dp}.channels[${j}]`, 'the token of a saved channel', t);
        return token;
      }),
      connected: field(d, 'connected', dp, bool),
      waiting: field(d, 'waiting', dp, bool),
      messages: field(d, 'messages', dp, int),
    };
  });
  return {
    baseUrl: field(o, 'baseUrl', path, str),
    available: field(o, 'available', path, bool),
    blocked: field(o, 'blocked', path, list).map((x, i) => str(x, `${path}.blocked[${i}]`)),
    channels,
    devices,
  };
}

function mdmState(v: unknown, path: string, ids: ReadonlySet<string>): InMemoryMdmState {
  const o = obj(v, path);
  const device = (x: unknown, xp: string): string => {
    const id = str(x, xp);
    if (!ids.has(id)) fail(xp, 'a device id of the spec', x);
    return id;
  };
  return {
    known: field(o, 'known', path, list).map((x, i) => {
      const kp = `${path}.known[${i}]`;
      const k = obj(x, kp);
      return {
        device: field(k, 'device', kp, device),
        channelUri: field(k, 'channelUri', kp, str),
      };
    }),
    sessionEnds: field(o, 'sessionEnds', path, list).map((x, i) => {
      const sp = `${path}.sessionEnds[${i}]`;
      const s = obj(x, sp);
      return { device: field(s, 'device', sp, device), timer: field(s, 'timer', sp, timer) };
    }),
  };
}

/**
 * Checks that `data` is a {@link SimulationSnapshot} of version {@link SNAPSHOT_VERSION} made from
 * a spec like `context`, and returns it typed. Throws {@link ValidationError} naming the path of
 * the first problem (e.g. `snapshot.devices[2].power.level: expected a finite number, got nothing`).
 */
export function parseSnapshot(data: unknown, context: SnapshotContext): SimulationSnapshot {
  const path = 'snapshot';
  const o = obj(data, path);
  if (o['version'] !== SNAPSHOT_VERSION)
    fail(`${path}.version`, `${SNAPSHOT_VERSION}`, o['version']);
  const seed = field(o, 'seed', path, num);
  if (seed !== context.seed) fail(`${path}.seed`, `the spec's seed ${context.seed}`, seed);
  const ids = new Set(context.deviceIds);
  const devices = field(o, 'devices', path, list);
  devices.forEach((d, i) => {
    if (i >= context.deviceIds.length) {
      const id = d !== null && typeof d === 'object' ? (d as Obj)['id'] : d;
      fail(`${path}.devices[${i}].id`, 'a device id of the spec', id);
    }
  });
  if (devices.length !== context.deviceIds.length)
    fail(`${path}.devices`, `${context.deviceIds.length} devices (one per spec device)`, devices);
  const seqs = new Set<number>();
  const snapshot: SimulationSnapshot = {
    version: SNAPSHOT_VERSION,
    seed,
    now: field(o, 'now', path, num),
    nextSeq: field(o, 'nextSeq', path, int),
    started: field(o, 'started', path, bool),
    actions: field(o, 'actions', path, list).map((x, i) => {
      const ap = `${path}.actions[${i}]`;
      const a = obj(x, ap);
      const index = field(a, 'index', ap, int);
      if (index < 0 || index >= context.actionCount)
        fail(`${ap}.index`, `an action index below ${context.actionCount}`, index);
      return { index, timer: field(a, 'timer', ap, timer) };
    }),
    devices: devices.map((d, i) =>
      deviceState(d, `${path}.devices[${i}]`, context.deviceIds[i] as string),
    ),
    wns: o['wns'] === null ? null : field(o, 'wns', path, (x, xp) => wnsState(x, xp, ids)),
    mdm: o['mdm'] === null ? null : field(o, 'mdm', path, (x, xp) => mdmState(x, xp, ids)),
  };
  // Every pending timer has its own rank: a repeated one means the data was edited.
  const rank = (t: TimerSnapshot | null, where: string): void => {
    if (t === null) return;
    if (seqs.has(t.seq)) fail(`${where}.seq`, 'a rank no other timer has', t.seq);
    if (t.seq < 0 || t.seq >= snapshot.nextSeq)
      fail(`${where}.seq`, `a rank from 0 to below nextSeq (${snapshot.nextSeq})`, t.seq);
    if (!context.overdue && t.at < snapshot.now)
      fail(`${where}.at`, `an instant not before now (${snapshot.now})`, t.at);
    seqs.add(t.seq);
  };
  snapshot.actions.forEach((a, i) => rank(a.timer, `${path}.actions[${i}].timer`));
  snapshot.devices.forEach((d, i) => {
    for (const [role, t] of Object.entries(d.timers))
      rank(t, `${path}.devices[${i}].timers.${role}`);
  });
  snapshot.wns?.channels.forEach((c, i) =>
    rank(c.cached?.timer ?? null, `${path}.wns.channels[${i}].cached.timer`),
  );
  snapshot.mdm?.sessionEnds.forEach((s, i) => rank(s.timer, `${path}.mdm.sessionEnds[${i}].timer`));
  return snapshot;
}
