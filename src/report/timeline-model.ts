/**
 * The timeline view's data, without any DOM: a run's events become, per device, lanes of items on
 * one time axis (WNS connection, power, Data Sense, network, channel, renewal, pushes, sessions),
 * each item with a sentence explaining it, plus a fleet summary. The static HTML report renders
 * this model; a live dashboard can rebuild it from the events it has and render it the same way.
 */
import { PUSH_STATUS_TEXT } from '../core/dmclient/push-status.js';
import type { OsVersion, RenewalRule } from '../core/dmclient/renewal-policy.js';
import { DAY, humanSpan } from '../core/time/iso.js';
import type {
  ChannelFailure,
  ChannelRequestReason,
  DisconnectReason,
  DropReason,
  SessionBlocker,
  SessionTrigger,
  TimelineEvent,
  TimelineEventOf,
} from '../core/timeline/events.js';
import { explainRule } from '../core/timeline/format.js';

/** The lanes of a device, top to bottom. */
export type LaneKind =
  'wns' | 'power' | 'data-sense' | 'network' | 'channel' | 'renewal' | 'push' | 'session';

export const LANES: readonly { readonly kind: LaneKind; readonly label: string }[] = [
  { kind: 'wns', label: 'WNS connection' },
  { kind: 'power', label: 'Battery' },
  { kind: 'data-sense', label: 'Data Sense' },
  { kind: 'network', label: 'Network' },
  { kind: 'channel', label: 'ChannelURI' },
  { kind: 'renewal', label: 'Renewal' },
  { kind: 'push', label: 'Pushes' },
  { kind: 'session', label: 'Sessions' },
];

/** What an item shows; with its `variant` it picks the item's colour. */
export type ItemKind =
  | 'wns'
  | 'battery'
  | 'battery-saver'
  | 'data-sense'
  | 'network'
  | 'channel'
  | 'push-status'
  | 'renewal-window'
  | 'renewal-attempt'
  | 'push'
  | 'session'
  | 'pfn-blocked';

/** Outcomes of a push, as counted in the summary and coloured on the timeline. */
export type PushOutcome =
  'delivered' | 'delivered-from-cache' | 'cached' | 'dropped' | 'expired' | 'rejected';
export const PUSH_OUTCOMES: readonly PushOutcome[] = [
  'delivered',
  'delivered-from-cache',
  'cached',
  'dropped',
  'expired',
  'rejected',
];

/** Outcomes of a channel request (renewal attempt). */
export type AttemptOutcome = 'succeeded' | 'failed' | 'skipped' | 'pending';

/**
 * One thing on the timeline: a band (`end` set: a period) or a point (`end` null). Times are epoch
 * milliseconds. `row` splits a lane into rows (e.g. renewal windows above attempts).
 */
export interface TimelineItem {
  readonly id: string;
  readonly device: string | null;
  readonly lane: LaneKind | 'cloud';
  readonly row: string;
  readonly kind: ItemKind;
  /** Colour variant within the kind: a reason, rule, outcome, trigger or level band. */
  readonly variant: string;
  readonly start: number;
  readonly end: number | null;
  /** Short text shown on the item (may be empty for dense points). */
  readonly label: string;
  /** What the item means, in words (hover and selection). */
  readonly explanation: string;
}

export interface Lane {
  readonly id: string;
  readonly kind: LaneKind;
  readonly label: string;
  readonly rows: readonly string[];
  readonly items: readonly TimelineItem[];
}

export interface DeviceTimeline {
  readonly id: string;
  readonly os: OsVersion | null;
  readonly pfn: string | null;
  readonly lanes: readonly Lane[];
}

export interface FleetSummary {
  /** The instant the state counts refer to (the end of a run, or now for a live fleet). */
  readonly at: number;
  readonly devices: number;
  /** Devices whose WNS connection is up at `at`. */
  readonly connected: number;
  readonly channels: {
    readonly valid: number;
    /** Valid channels with 15 days or less left at `at` (the DMClient is renewing them). */
    readonly expiringWithin15Days: number;
    readonly expired: number;
    readonly none: number;
    /** The devices counted in `expiringWithin15Days` (at most 20). */
    readonly expiringDevices: readonly string[];
  };
  readonly pushes: Readonly<Record<PushOutcome, number>>;
  readonly sessions: Readonly<
    Record<
      SessionTrigger,
      { readonly started: number; readonly failed: number; readonly skipped: number }
    >
  >;
  /** Renewal decisions (`renewal.scheduled`) by the rule that fired. */
  readonly renewals: Readonly<Record<RenewalRule, number>>;
  /** Channel requests by outcome. */
  readonly attempts: Readonly<Record<AttemptOutcome, number>>;
  readonly events: number;
}

export interface TimelineModel {
  readonly start: number;
  readonly end: number;
  readonly devices: readonly DeviceTimeline[];
  /** Cloud-wide items (PFN blocked periods). */
  readonly cloud: readonly TimelineItem[];
  /** Devices counted in the summary but left out of `devices` (over `maxDevices`). */
  readonly omittedDevices: readonly string[];
  readonly summary: FleetSummary;
}

export interface TimelineModelOptions {
  /** Start of the axis (default: the first event). */
  readonly start?: number;
  /** End of the axis; open periods end here (default: the last event). */
  readonly end?: number;
  /** The instant the summary's state counts refer to (default `end`). */
  readonly now?: number;
  /** Devices to show first, in this order (devices seen only in events follow). */
  readonly devices?: readonly string[];
  /** At most this many devices get lanes (default 50); the summary counts all. */
  readonly maxDevices?: number;
}

/** One entry of the legend: the items of `kind` and `variant` look like this. */
export interface LegendEntry {
  readonly lane: LaneKind | 'cloud';
  readonly kind: ItemKind;
  readonly variant: string;
  readonly label: string;
  readonly point?: boolean;
}

export const LEGEND: readonly LegendEntry[] = [
  { lane: 'wns', kind: 'wns', variant: 'up', label: 'WNS connected' },
  { lane: 'wns', kind: 'wns', variant: 'down', label: 'WNS down (reason on the band)' },
  { lane: 'power', kind: 'battery', variant: 'high', label: 'battery > 50 %' },
  { lane: 'power', kind: 'battery', variant: 'mid', label: 'battery 21–50 %' },
  { lane: 'power', kind: 'battery', variant: 'low', label: 'battery ≤ 20 %' },
  { lane: 'power', kind: 'battery-saver', variant: 'on', label: 'Battery Saver on' },
  { lane: 'data-sense', kind: 'data-sense', variant: 'limit', label: 'Data Sense limit reached' },
  { lane: 'network', kind: 'network', variant: 'online', label: 'network with internet' },
  { lane: 'network', kind: 'network', variant: 'no-internet', label: 'network, no internet' },
  { lane: 'network', kind: 'network', variant: 'offline', label: 'no network' },
  { lane: 'channel', kind: 'channel', variant: 'valid', label: 'ChannelURI lifetime' },
  { lane: 'channel', kind: 'channel', variant: 'none', label: 'no valid ChannelURI' },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'fifteen-day-mark',
    label: 'waiting for the 15-day mark',
  },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'within-fifteen-days',
    label: 'window: 4 ± 1 h (≤ 15 days left)',
  },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'expired',
    label: 'window: 1 day ± 4 h (expired)',
  },
  {
    lane: 'renewal',
    kind: 'renewal-window',
    variant: 'no-network',
    label: 'window: 4 ± 1 h (1607, no network)',
  },
  {
    lane: 'renewal',
    kind: 'renewal-attempt',
    variant: 'succeeded',
    label: 'attempt succeeded',
    point: true,
  },
  {
    lane: 'renewal',
    kind: 'renewal-attempt',
    variant: 'failed',
    label: 'attempt failed',
    point: true,
  },
  {
    lane: 'renewal',
    kind: 'renewal-attempt',
    variant: 'skipped',
    label: 'attempt skipped',
    point: true,
  },
  { lane: 'push', kind: 'push', variant: 'delivered', label: 'push delivered', point: true },
  {
    lane: 'push',
    kind: 'push',
    variant: 'delivered-from-cache',
    label: 'push cached, then delivered',
  },
  { lane: 'push', kind: 'push', variant: 'cached', label: 'push still cached' },
  { lane: 'push', kind: 'push', variant: 'dropped', label: 'push dropped', point: true },
  { lane: 'push', kind: 'push', variant: 'expired', label: 'push expired (TTL)' },
  { lane: 'push', kind: 'push', variant: 'rejected', label: 'push rejected', point: true },
  { lane: 'session', kind: 'session', variant: 'poll', label: 'session: poll', point: true },
  { lane: 'session', kind: 'session', variant: 'push', label: 'session: push', point: true },
  { lane: 'session', kind: 'session', variant: 'renewal', label: 'session: renewal', point: true },
  {
    lane: 'session',
    kind: 'session',
    variant: 'provisioned',
    label: 'session: provisioned',
    point: true,
  },
  { lane: 'session', kind: 'session', variant: 'failed', label: 'session failed', point: true },
  {
    lane: 'session',
    kind: 'session',
    variant: 'skipped',
    label: 'session not possible',
    point: true,
  },
  { lane: 'cloud', kind: 'pfn-blocked', variant: 'blocked', label: 'PFN blocked by WNS' },
];

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A readable UTC time: `2026-01-16 03:53`, or `03:53` when `ref` is on the same UTC day. Seconds
 * show only when they are not zero and `seconds` is set.
 */
export function formatTime(ms: number, ref?: number, seconds = false): string {
  const d = new Date(ms);
  const day = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  let clock = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (seconds && d.getUTCSeconds() !== 0) clock += `:${pad2(d.getUTCSeconds())}`;
  if (ref !== undefined && Math.floor(ref / DAY) === Math.floor(ms / DAY)) return clock;
  return `${day} ${clock}`;
}

const shortDay = (ms: number): string => {
  const d = new Date(ms);
  return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
};

/** `from – to (span)`, with the second time shortened on the same day. */
const period = (from: number, to: number): string =>
  `${formatTime(from)} – ${formatTime(to, from)} (${humanSpan(to - from)})`;

const DISCONNECT_TEXT: Readonly<Record<DisconnectReason | 'not-yet', string>> = {
  'battery-saver': 'Battery Saver is on',
  'data-sense': 'the Data Sense limit is reached on a metered network',
  'no-network': 'the device has no network',
  'no-internet': 'the network has no internet',
  cloud: 'the WNS cloud is unavailable',
  'channel-expired': 'the ChannelURI expired',
  'no-channel': 'the device has no ChannelURI',
  reboot: 'the device rebooted',
  'not-yet': 'not connected yet',
};

const CHANNEL_FAILURE_TEXT: Readonly<Record<ChannelFailure, string>> = {
  'no-network': 'no network',
  'no-internet': 'no internet',
  'wns-unreachable': 'WNS unreachable',
  'invalid-pfn': 'WNS does not know the PFN',
  'pfn-blocked': 'the PFN is blocked by WNS',
};

const SESSION_BLOCKER_TEXT: Readonly<Record<SessionBlocker, string>> = {
  'battery-saver': 'Battery Saver is on',
  'data-sense': 'the Data Sense limit is reached',
  'no-network': 'no network',
  'no-internet': 'no internet',
};

const DROP_TEXT: Readonly<Record<DropReason, string>> = {
  offline: 'the device was offline and the push was not cacheable (no-cache)',
  'ttl-expired': 'its TTL expired while it waited in the cache',
  replaced: 'a newer push to the same channel replaced it in the cache',
  'channel-expired': 'the channel expired while it waited in the cache',
};

const RULE_SHORT: Readonly<Record<RenewalRule, string>> = {
  'fifteen-day-mark': 'at the 15-day mark',
  'within-fifteen-days': 'in 4 ± 1 h',
  expired: 'in 1 day ± 4 h',
  'no-network': 'in 4 ± 1 h',
};

const levelBand = (level: number): string => (level > 50 ? 'high' : level > 20 ? 'mid' : 'low');

interface Attempt {
  readonly time: number;
  readonly reason: ChannelRequestReason;
  outcome: AttemptOutcome;
  failure?: ChannelFailure;
  issuedUntil?: number;
  /** Channel expiry known when the attempt ran (null: none). */
  readonly channelExpiry: number | null;
  next?: TimelineEventOf<'renewal.scheduled'>;
}

interface PushRecord {
  readonly msgId: string;
  sentAt: number;
  cachePolicy?: string;
  ttlSeconds?: number | null;
  status?: number;
  cachedAt?: number;
  cacheUntil?: number | null;
  outcome: PushOutcome | null;
  outcomeAt?: number;
  dropReason?: DropReason;
  rejectReason?: string;
}

interface OpenSession {
  readonly start: number;
  readonly trigger: SessionTrigger;
  queued: number;
}

interface Band<S> {
  since: number;
  state: S;
}

type NetState = {
  connected: boolean;
  internet: boolean;
  metered: boolean;
  networkType: string | null;
};

/** Builds one device's lanes from its events, in time order. */
class DeviceBuilder {
  os: OsVersion | null = null;
  pfn: string | null = null;
  private readonly items: Record<LaneKind, TimelineItem[]> = {
    wns: [],
    power: [],
    'data-sense': [],
    network: [],
    channel: [],
    renewal: [],
    push: [],
    session: [],
  };
  private seq = 0;

  wns: Band<{ up: boolean; reason: DisconnectReason | 'not-yet' }> | null = null;
  private battery: Band<{ level: number; charging: boolean }> | null = null;
  private saver: Band<boolean> | null = null;
  private dataSense: Band<{ limit: boolean; usedMB: number }> | null = null;
  private net: Band<NetState> | null = null;
  channel: Band<{ uri: string | null; expiresAt: number | null; issuedAt: number | null }> | null =
    null;
  /** True once a channel was issued (no channel now then means it expired). */
  hadChannel = false;
  /** Expiry of the latest channel issued, even once it has expired (null: none yet). */
  private lastExpiry: number | null = null;
  private readonly attempts: Attempt[] = [];
  readonly pushes = new Map<string, PushRecord>();
  private readonly rejected: PushRecord[] = [];
  private session: OpenSession | null = null;
  readonly sessionCounts = new Map<
    SessionTrigger,
    { started: number; failed: number; skipped: number }
  >();
  readonly ruleCounts = new Map<RenewalRule, number>();

  constructor(readonly id: string) {}

  private add(
    lane: LaneKind,
    item: Omit<TimelineItem, 'id' | 'device' | 'lane' | 'row'> & { row?: string },
  ): void {
    this.items[lane].push({
      id: `${this.id}/${lane}/${this.seq++}`,
      device: this.id,
      lane,
      row: item.row ?? lane,
      kind: item.kind,
      variant: item.variant,
      start: item.start,
      end: item.end,
      label: item.label,
      explanation: item.explanation,
    });
  }

  private sessionCount(trigger: SessionTrigger): {
    started: number;
    failed: number;
    skipped: number;
  } {
    let c = this.sessionCounts.get(trigger);
    if (!c) this.sessionCounts.set(trigger, (c = { started: 0, failed: 0, skipped: 0 }));
    return c;
  }

  // --- WNS connection -------------------------------------------------------------------------

  private closeWns(t: number): void {
    const b = this.wns;
    if (!b || t <= b.since) return;
    if (b.state.up)
      this.add('wns', {
        kind: 'wns',
        variant: 'up',
        start: b.since,
        end: t,
        label: 'connected',
        explanation: `WNS persistent connection up ${period(b.since, t)}: pushes reach the device at once.`,
      });
    else
      this.add('wns', {
        kind: 'wns',
        variant: 'down',
        start: b.since,
        end: t,
        label: `down: ${b.state.reason}`,
        explanation: `WNS persistent connection down ${period(b.since, t)}: ${DISCONNECT_TEXT[b.state.reason]}. Pushes are cached (cache policy "cache") or dropped meanwhile.`,
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
    const range = span((n) => Math.round(n * 100) / 100);
    this.add('power', {
      row: 'level',
      kind: 'battery',
      variant: levelBand(level),
      start: b.since,
      end: t,
      label: `${span(Math.round)}${charging ? ' ⚡' : ''}`,
      explanation: `Battery ${range} ${period(b.since, t)}, ${charging ? 'charging' : 'on battery'} (the level is known at power events and drifts in between).`,
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
    this.add('power', {
      row: 'saver',
      kind: 'battery-saver',
      variant: 'on',
      start: b.since,
      end: t,
      label: 'Battery Saver',
      explanation: `Battery Saver on ${period(b.since, t)}: the WNS connection is cut and no session starts unless pushes are allowed in Battery Saver.`,
    });
  }

  // --- Data Sense and network ----------------------------------------------------------------

  private closeDataSense(t: number, usedAfter?: number): void {
    const b = this.dataSense;
    if (!b || !b.state.limit || t <= b.since) return;
    this.add('data-sense', {
      kind: 'data-sense',
      variant: 'limit',
      start: b.since,
      end: t,
      label: `limit reached (${b.state.usedMB} MB)`,
      explanation: `Data Sense monthly limit reached (${b.state.usedMB} MB used) ${period(b.since, t)}: on a metered network WNS and sessions stop until usage falls under the limit${usedAfter !== undefined ? ` (${usedAfter} MB after the monthly reset)` : ''}.`,
    });
  }

  private closeNet(t: number): void {
    const b = this.net;
    if (!b || t <= b.since) return;
    const s = b.state;
    const type = s.networkType ?? 'network';
    const metered = s.metered ? ', metered' : '';
    if (!s.connected)
      this.add('network', {
        kind: 'network',
        variant: 'offline',
        start: b.since,
        end: t,
        label: 'no network',
        explanation: `No network ${period(b.since, t)}: no WNS connection, no sessions; 1511 renewal attempts fail, 1607+ attempts are skipped.`,
      });
    else if (!s.internet)
      this.add('network', {
        kind: 'network',
        variant: 'no-internet',
        start: b.since,
        end: t,
        label: `${type}, no internet${metered}`,
        explanation: `Connected to ${type}${metered} without internet (e.g. a captive portal) ${period(b.since, t)}: renewal attempts go ahead and fail; no WNS connection.`,
      });
    else
      this.add('network', {
        kind: 'network',
        variant: 'online',
        start: b.since,
        end: t,
        label: `${type === 'network' ? 'online' : type}${metered}`,
        explanation: `Online (${type}${metered}) ${period(b.since, t)}.`,
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

  // --- channel --------------------------------------------------------------------------------

  private closeChannel(t: number, why: 'replaced' | 'expired' | 'end'): void {
    const b = this.channel;
    if (!b) return;
    const { uri, expiresAt, issuedAt } = b.state;
    if (uri === null || expiresAt === null || issuedAt === null) {
      if (t > b.since)
        this.add('channel', {
          row: 'channel',
          kind: 'channel',
          variant: 'none',
          start: b.since,
          end: t,
          label: 'no valid ChannelURI',
          explanation: `No valid ChannelURI ${period(b.since, t)}: the server cannot push to this device (a push to an old URI gets 410).`,
        });
      return;
    }
    const end = why === 'end' ? Math.max(t, expiresAt) : t;
    const ending =
      why === 'replaced'
        ? `replaced by a new channel at ${formatTime(t)}, ${humanSpan(expiresAt - t)} before its expiry`
        : why === 'expired'
          ? `expired at ${formatTime(t)}`
          : `valid until ${formatTime(expiresAt)}`;
    this.add('channel', {
      row: 'channel',
      kind: 'channel',
      variant: 'valid',
      start: issuedAt,
      end,
      label: `…${uri.slice(-8)} until ${shortDay(expiresAt)}`,
      explanation: `ChannelURI ${uri} issued ${formatTime(issuedAt)}, valid 30 days to ${formatTime(expiresAt)}; ${ending}.`,
    });
  }

  // --- renewal --------------------------------------------------------------------------------

  private window(e: TimelineEventOf<'renewal.scheduled'>): void {
    const after =
      this.attempts.at(-1)?.time === e.time ? 'after the attempt' : `decided ${formatTime(e.time)}`;
    if (e.rule === 'fifteen-day-mark') {
      this.add('renewal', {
        row: 'window',
        kind: 'renewal-window',
        variant: e.rule,
        start: e.time,
        end: e.at,
        label: `renew at 15 days left (${shortDay(e.at)})`,
        explanation: `${e.os}: ${explainRule(e.rule)} (${after}). Next attempt exactly at ${formatTime(e.at)}, in ${humanSpan(e.at - e.time)}.`,
      });
      return;
    }
    this.add('renewal', {
      row: 'window',
      kind: 'renewal-window',
      variant: e.rule,
      start: e.earliest,
      end: e.latest,
      label: RULE_SHORT[e.rule],
      explanation: `${e.os}, rule ${e.rule}: ${explainRule(e.rule)} (${after}, ${formatTime(e.time)}). Window ${formatTime(e.earliest)} – ${formatTime(e.latest, e.earliest)}; drawn: ${formatTime(e.at, e.earliest, true)}.`,
    });
  }

  private attemptItem(a: Attempt): void {
    const os = this.os ?? 'Windows 10';
    const at = formatTime(a.time);
    const left =
      a.channelExpiry === null
        ? 'no channel yet'
        : a.channelExpiry > a.time
          ? `${humanSpan(a.channelExpiry - a.time)} left on the channel`
          : `channel expired ${humanSpan(a.time - a.channelExpiry)} ago`;
    const what = a.reason === 'renewal' ? 'renewal attempt' : `channel request (${a.reason})`;
    let text: string;
    if (a.outcome === 'skipped') text = `${os}: no network at ${at}, attempt skipped (${left})`;
    else if (a.outcome === 'failed')
      text = `${os}: ${what} at ${at} failed: ${CHANNEL_FAILURE_TEXT[a.failure ?? 'no-network']} (${left})`;
    else if (a.outcome === 'succeeded')
      text = `${os}: ${what} at ${at} succeeded: new ChannelURI valid until ${formatTime(a.issuedUntil ?? a.time)}${a.reason === 'renewal' ? '; a session follows (trigger renewal)' : ''}`;
    else text = `${os}: ${what} at ${at}, no answer by the end of the run`;
    const n = a.next;
    if (n)
      text +=
        n.rule === 'fifteen-day-mark'
          ? `; next ${RULE_SHORT[n.rule]}, ${formatTime(n.at, a.time)}`
          : `; next ${RULE_SHORT[n.rule]} (rule ${n.rule}): window ${formatTime(n.earliest, a.time)} – ${formatTime(n.latest, n.earliest)}, drawn ${formatTime(n.at, n.earliest, true)}`;
    this.add('renewal', {
      row: 'attempt',
      kind: 'renewal-attempt',
      variant: a.outcome === 'pending' ? 'failed' : a.outcome,
      start: a.time,
      end: null,
      label: '',
      explanation: `${text}.`,
    });
  }

  // --- pushes ---------------------------------------------------------------------------------

  private push(msgId: string, t: number): PushRecord {
    let p = this.pushes.get(msgId);
    if (!p) this.pushes.set(msgId, (p = { msgId, sentAt: t, outcome: null }));
    return p;
  }

  private pushItem(p: PushRecord, end: number): void {
    const name = p.msgId.startsWith(`${this.id}#`) ? p.msgId.slice(this.id.length) : p.msgId;
    const sent = `Push ${p.msgId} sent ${formatTime(p.sentAt)}${p.cachePolicy ? ` (${p.cachePolicy}${p.ttlSeconds != null ? `, TTL ${p.ttlSeconds} s` : ''})` : ''}`;
    const outcome: PushOutcome = p.outcome ?? 'cached';
    const at = p.outcomeAt ?? end;
    const cached =
      p.cachedAt !== undefined
        ? `: the device was offline, WNS cached it${p.cacheUntil != null ? ` until ${formatTime(p.cacheUntil, p.cachedAt)}` : ''}`
        : '';
    let text: string;
    let label: string;
    switch (outcome) {
      case 'delivered':
        text = `${sent}: delivered at once over the WNS connection; a session follows (trigger push).`;
        label = `${name} delivered`;
        break;
      case 'delivered-from-cache':
        text = `${sent}${cached}; delivered from the cache at ${formatTime(at, p.sentAt)} when the connection came back (after ${humanSpan(at - p.sentAt)}).`;
        label = `${name} cached → delivered`;
        break;
      case 'cached':
        text = `${sent}${cached}; still waiting in the cache at the end of the run.`;
        label = `${name} cached`;
        break;
      case 'expired':
        text = `${sent}${cached}; dropped at ${formatTime(at, p.sentAt)}: ${DROP_TEXT['ttl-expired']}.`;
        label = `${name} expired`;
        break;
      case 'dropped':
        text = `${sent}${cached}; WNS dropped it${at !== p.sentAt ? ` at ${formatTime(at, p.sentAt)}` : ''}: ${DROP_TEXT[p.dropReason ?? 'offline']}.`;
        label = `${name} dropped`;
        break;
      case 'rejected':
        text = `Push at ${formatTime(p.sentAt)} rejected: ${p.status ? `WNS answered ${p.status}` : 'not sent (the server had no ChannelURI)'} (${p.rejectReason ?? 'unknown'}).`;
        label = `rejected ${p.status || ''}`.trim();
        break;
    }
    const range = p.cachedAt !== undefined && at > p.sentAt;
    this.add('push', {
      kind: 'push',
      variant: outcome,
      start: p.sentAt,
      end: range ? at : null,
      label,
      explanation: text,
    });
  }

  // --- sessions -------------------------------------------------------------------------------

  private closeSession(t: number, outcome: string): void {
    const s = this.session;
    if (!s) return;
    this.session = null;
    const queued = s.queued
      ? `; ${s.queued} more trigger${s.queued === 1 ? '' : 's'} arrived while it ran, so another session follows`
      : '';
    this.add('session', {
      kind: 'session',
      variant: outcome === 'completed' || outcome === 'open' ? s.trigger : 'failed',
      start: s.start,
      end: null,
      label: '',
      explanation: `OMA-DM session (trigger ${s.trigger}) ${formatTime(s.start, undefined, true)}: ${outcome === 'completed' ? `completed after ${humanSpan(t - s.start)}` : outcome === 'open' ? 'still running at the end of the run' : `failed after ${humanSpan(t - s.start)}: ${outcome}`}${queued}.`,
    });
  }

  // --- events ---------------------------------------------------------------------------------

  apply(e: TimelineEvent): void {
    const t = e.time;
    switch (e.type) {
      case 'device.started':
        this.os = e.os;
        this.pfn = e.pfn;
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
        if (!this.channel)
          this.channel = { since: t, state: { uri: null, expiresAt: null, issuedAt: null } };
        break;
      case 'device.rebooted':
        break;
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
      case 'network.changed':
        this.setNet(t, {
          connected: e.connected,
          internet: e.internet,
          metered: e.metered,
          networkType: e.networkType,
        });
        break;
      case 'channel.requested':
        this.attempts.push({
          time: t,
          reason: e.reason,
          outcome: 'pending',
          channelExpiry: this.lastExpiry,
        });
        break;
      case 'channel.issued': {
        const a = this.attempts.at(-1);
        if (a && a.outcome === 'pending') {
          a.outcome = 'succeeded';
          a.issuedUntil = e.expiresAt;
        }
        this.closeChannel(t, 'replaced');
        this.hadChannel = true;
        this.lastExpiry = e.expiresAt;
        this.channel = {
          since: t,
          state: { uri: e.channelUri, expiresAt: e.expiresAt, issuedAt: t },
        };
        break;
      }
      case 'channel.request-failed': {
        const a = this.attempts.at(-1);
        if (a && a.outcome === 'pending') {
          a.outcome = 'failed';
          a.failure = e.reason;
        }
        break;
      }
      case 'channel.expired':
        if (this.channel?.state.uri === e.channelUri) {
          this.closeChannel(t, 'expired');
          this.channel = { since: t, state: { uri: null, expiresAt: null, issuedAt: null } };
        }
        break;
      case 'renewal.skipped':
        this.attempts.push({
          time: t,
          reason: 'renewal',
          outcome: 'skipped',
          channelExpiry: this.lastExpiry,
        });
        break;
      case 'renewal.scheduled': {
        this.ruleCounts.set(e.rule, (this.ruleCounts.get(e.rule) ?? 0) + 1);
        const a = this.attempts.at(-1);
        if (a && a.time === t && !a.next) a.next = e;
        this.window(e);
        break;
      }
      case 'push.status':
        this.add('channel', {
          row: 'status',
          kind: 'push-status',
          variant: e.status === 0 ? 'ok' : 'error',
          start: t,
          end: null,
          label: `Status ${e.status}`,
          explanation: `Push/Status = ${e.status} at ${formatTime(t)}: ${PUSH_STATUS_TEXT[e.status]}.`,
        });
        break;
      case 'push.sent': {
        const p = this.push(e.msgId, t);
        p.sentAt = t;
        p.cachePolicy = e.cachePolicy;
        p.ttlSeconds = e.ttlSeconds;
        p.status = e.status;
        break;
      }
      case 'push.cached': {
        const p = this.push(e.msgId, t);
        p.cachedAt = t;
        p.cacheUntil = e.expiresAt;
        break;
      }
      case 'push.received': {
        const p = this.push(e.msgId, t);
        p.outcome = e.cached || p.cachedAt !== undefined ? 'delivered-from-cache' : 'delivered';
        p.outcomeAt = t;
        break;
      }
      case 'push.dropped': {
        const p = this.push(e.msgId, t);
        p.outcome = e.reason === 'ttl-expired' ? 'expired' : 'dropped';
        p.outcomeAt = t;
        p.dropReason = e.reason;
        break;
      }
      case 'push.rejected':
        this.rejected.push({
          msgId: `rejected#${this.rejected.length + 1}`,
          sentAt: t,
          status: e.status,
          outcome: 'rejected',
          outcomeAt: t,
          rejectReason: e.reason,
        });
        break;
      case 'session.started':
        this.closeSession(t, 'completed');
        this.session = { start: t, trigger: e.trigger, queued: 0 };
        this.sessionCount(e.trigger).started++;
        break;
      case 'session.completed':
        this.closeSession(t, 'completed');
        break;
      case 'session.failed':
        this.sessionCount(e.trigger).failed++;
        this.closeSession(t, e.reason);
        break;
      case 'session.queued':
        if (this.session) this.session.queued++;
        break;
      case 'session.skipped':
        this.sessionCount(e.trigger).skipped++;
        this.add('session', {
          kind: 'session',
          variant: 'skipped',
          start: t,
          end: null,
          label: '',
          explanation: `${e.trigger === 'poll' ? 'Poll' : `Session (trigger ${e.trigger})`} due at ${formatTime(t)}: no session possible, ${SESSION_BLOCKER_TEXT[e.reason]}.`,
        });
        break;
      case 'wns.pfn-blocked':
      case 'wns.pfn-unblocked':
        break;
    }
  }

  /** Closes every open period at `end` and returns the lanes. */
  finish(end: number): Lane[] {
    this.closeWns(end);
    this.closeBattery(end);
    this.closeSaver(end);
    this.closeDataSense(end);
    this.closeNet(end);
    this.closeChannel(end, 'end');
    for (const a of this.attempts) this.attemptItem(a);
    for (const p of [...this.pushes.values(), ...this.rejected]) this.pushItem(p, end);
    this.closeSession(end, 'open');
    return LANES.map(({ kind, label }) => ({
      id: `${this.id}/${kind}`,
      kind,
      label,
      rows: ROWS[kind],
      items: [...this.items[kind]].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id)),
    }));
  }

  /** Counts for the summary, from the state at `at`. */
  attemptCounts(): Record<AttemptOutcome, number> {
    const c: Record<AttemptOutcome, number> = { succeeded: 0, failed: 0, skipped: 0, pending: 0 };
    for (const a of this.attempts) c[a.outcome]++;
    return c;
  }

  pushOutcomes(): PushOutcome[] {
    return [...this.pushes.values(), ...this.rejected].map((p) => p.outcome ?? 'cached');
  }
}

const ROWS: Readonly<Record<LaneKind, readonly string[]>> = {
  wns: ['wns'],
  power: ['level', 'saver'],
  'data-sense': ['data-sense'],
  network: ['network'],
  channel: ['channel', 'status'],
  renewal: ['window', 'attempt'],
  push: ['push'],
  session: ['session'],
};

/**
 * Builds the timeline model of a run from its events (in time order, as a run emits them).
 * Deterministic: the same events and options give the same model.
 */
export function buildTimelineModel(
  events: readonly TimelineEvent[],
  options: TimelineModelOptions = {},
): TimelineModel {
  const start = options.start ?? events[0]?.time ?? 0;
  const end = Math.max(options.end ?? events.at(-1)?.time ?? start, start);
  const now = options.now ?? end;
  const builders = new Map<string, DeviceBuilder>();
  for (const id of options.devices ?? []) builders.set(id, new DeviceBuilder(id));
  const cloud: TimelineItem[] = [];
  const blocked = new Map<string, number>();
  const blockedItem = (pfn: string, from: number, to: number, open: boolean): void => {
    cloud.push({
      id: `cloud/${cloud.length}`,
      device: null,
      lane: 'cloud',
      row: 'cloud',
      kind: 'pfn-blocked',
      variant: 'blocked',
      start: from,
      end: to,
      label: `PFN ${pfn} blocked`,
      explanation: `WNS blocks PFN ${pfn} ${open ? `from ${formatTime(from)} to the end of the run` : period(from, to)}: pushes get 410 and channel requests fail (Push/Status 3).`,
    });
  };
  for (const e of events) {
    if (e.device === null) {
      if (e.type === 'wns.pfn-blocked' && !blocked.has(e.pfn)) blocked.set(e.pfn, e.time);
      else if (e.type === 'wns.pfn-unblocked') {
        const from = blocked.get(e.pfn);
        if (from !== undefined) blockedItem(e.pfn, from, e.time, false);
        blocked.delete(e.pfn);
      }
      continue;
    }
    let b = builders.get(e.device);
    if (!b) builders.set(e.device, (b = new DeviceBuilder(e.device)));
    b.apply(e);
  }
  for (const [pfn, from] of blocked) blockedItem(pfn, from, Math.max(end, from), true);

  const all = [...builders.values()];
  const maxDevices = options.maxDevices ?? 50;
  const summary = summarize(all, now, events.length);
  const devices = all.slice(0, maxDevices).map((b) => ({
    id: b.id,
    os: b.os,
    pfn: b.pfn,
    lanes: b.finish(end),
  }));
  return {
    start,
    end,
    devices,
    cloud,
    omittedDevices: all.slice(maxDevices).map((b) => b.id),
    summary,
  };
}

function summarize(
  builders: readonly DeviceBuilder[],
  at: number,
  eventCount: number,
): FleetSummary {
  const pushes = Object.fromEntries(PUSH_OUTCOMES.map((o) => [o, 0])) as Record<
    PushOutcome,
    number
  >;
  const triggers: SessionTrigger[] = ['push', 'renewal', 'poll', 'provisioned'];
  const sessions = Object.fromEntries(
    triggers.map((t) => [t, { started: 0, failed: 0, skipped: 0 }]),
  ) as Record<SessionTrigger, { started: number; failed: number; skipped: number }>;
  const renewals: Record<RenewalRule, number> = {
    'fifteen-day-mark': 0,
    'within-fifteen-days': 0,
    expired: 0,
    'no-network': 0,
  };
  const attempts: Record<AttemptOutcome, number> = {
    succeeded: 0,
    failed: 0,
    skipped: 0,
    pending: 0,
  };
  let connected = 0;
  const channels = { valid: 0, expiringWithin15Days: 0, expired: 0, none: 0 };
  const expiringDevices: string[] = [];
  for (const b of builders) {
    if (b.wns?.state.up) connected++;
    const expiresAt = b.channel?.state.expiresAt ?? null;
    if (expiresAt === null) {
      // No channel now: expired (if the device ever had one) or none at all.
      if (b.hadChannel) channels.expired++;
      else channels.none++;
    } else if (expiresAt <= at) channels.expired++;
    else {
      channels.valid++;
      if (expiresAt - at <= 15 * DAY) {
        channels.expiringWithin15Days++;
        if (expiringDevices.length < 20) expiringDevices.push(b.id);
      }
    }
    for (const o of b.pushOutcomes()) pushes[o]++;
    for (const [t, c] of b.sessionCounts) {
      sessions[t].started += c.started;
      sessions[t].failed += c.failed;
      sessions[t].skipped += c.skipped;
    }
    for (const [rule, n] of b.ruleCounts) renewals[rule] += n;
    const a = b.attemptCounts();
    for (const k of Object.keys(attempts) as AttemptOutcome[]) attempts[k] += a[k];
  }
  return {
    at,
    devices: builders.length,
    connected,
    channels: { ...channels, expiringDevices },
    pushes,
    sessions,
    renewals,
    attempts,
    events: eventCount,
  };
}
