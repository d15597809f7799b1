import { Counter, Gauge, Registry } from 'prom-client';
import type { RenewalRule } from '../core/dmclient/renewal-policy.js';
import type {
  ChannelFailure,
  DisconnectReason,
  DropReason,
  EventSink,
  SessionTrigger,
  TimelineEvent,
} from '../core/timeline/events.js';

/** What {@link FleetMetrics} reads at scrape time, from the live fleet. */
export interface FleetMetricsOptions {
  /** How many devices hold a WNS persistent connection now (`dmpush_devices_connected`). */
  readonly connectedDevices: () => number;
  /** How many devices hold a channel that expires within 15 days (`dmpush_channels_expiring_15d`). */
  readonly channelsExpiringWithin15Days: () => number;
}

/** The `outcome` label of `dmpush_pushes_total`. */
type PushOutcomeLabel = 'delivered' | 'delivered_from_cache' | 'cached' | 'rejected' | DropReason;
/** The `result` label of `dmpush_sessions_total`. */
type SessionResultLabel = 'started' | 'completed' | 'failed' | 'skipped';

/** The keys of a record that must name every member of a union (checked by the compiler). */
const every = <K extends string>(members: Record<K, true>): readonly K[] =>
  Object.keys(members) as K[];

const PUSH_OUTCOMES = every<PushOutcomeLabel>({
  delivered: true,
  delivered_from_cache: true,
  cached: true,
  rejected: true,
  offline: true,
  'ttl-expired': true,
  'cache-expired': true,
  replaced: true,
  'channel-expired': true,
  'channel-revoked': true,
  unacknowledged: true,
  'powered-off': true,
});
const SESSION_TRIGGERS = every<SessionTrigger>({
  push: true,
  renewal: true,
  poll: true,
  provisioned: true,
  enrolled: true,
  unenroll: true,
});
const SESSION_RESULTS = every<SessionResultLabel>({
  started: true,
  completed: true,
  failed: true,
  skipped: true,
});
const RENEWAL_RULES = every<RenewalRule>({
  'fifteen-day-mark': true,
  'within-fifteen-days': true,
  expired: true,
  'no-network': true,
});
const CHANNEL_FAILURES = every<ChannelFailure>({
  'no-network': true,
  'no-internet': true,
  'wns-unreachable': true,
  'invalid-pfn': true,
  'pfn-blocked': true,
});
const DISCONNECT_REASONS = every<DisconnectReason>({
  'battery-saver': true,
  'data-sense': true,
  'no-network': true,
  'no-internet': true,
  cloud: true,
  'channel-expired': true,
  'no-channel': true,
  reboot: true,
  policy: true,
  'powered-off': true,
});

/**
 * Prometheus metrics of a live fleet, fed by its timeline: an {@link EventSink} whose counters move
 * with the events, plus two gauges read from the fleet at scrape time. Each instance has its own
 * prom-client `Registry` (never the global one), so several fleets in one process do not collide.
 *
 * Metrics: `dmpush_devices_connected`, `dmpush_channels_expiring_15d` (gauges);
 * `dmpush_pushes_total{outcome}`, `dmpush_sessions_total{trigger,result}`,
 * `dmpush_renewals_total{rule}`, `dmpush_renewals_skipped_total`,
 * `dmpush_channel_expiries_total`, `dmpush_channels_issued_total`,
 * `dmpush_channel_requests_failed_total{reason}`, `dmpush_wns_disconnects_total{reason}`
 * (counters). Every label value of these closed sets is exported as 0 before its first event.
 *
 * @example
 * ```ts
 * const DAY = 86_400_000;
 * const metrics = new FleetMetrics({
 *   connectedDevices: () => sim.snapshots().filter((s) => s.wnsConnected).length,
 *   channelsExpiringWithin15Days: () =>
 *     sim.snapshots().filter(
 *       (s) => s.channelExpiresAt !== null && s.channelExpiresAt - sim.clock.now() <= 15 * DAY,
 *     ).length,
 * });
 * const sim = new Simulation(spec, new TeeSink([log, metrics])); // read only at scrape time
 * // GET /metrics
 * res.writeHead(200, { 'content-type': metrics.contentType }).end(await metrics.render());
 * ```
 */
export class FleetMetrics implements EventSink {
  /** The Content-Type of {@link render}'s output (Prometheus text format 0.0.4). */
  readonly contentType: string;

  private readonly registry = new Registry();
  private readonly pushes: Counter<'outcome'>;
  private readonly sessions: Counter<'trigger' | 'result'>;
  private readonly renewals: Counter<'rule'>;
  private readonly renewalsSkipped: Counter;
  private readonly channelExpiries: Counter;
  private readonly channelsIssued: Counter;
  private readonly channelRequestsFailed: Counter<'reason'>;
  private readonly wnsDisconnects: Counter<'reason'>;

  constructor(options: FleetMetricsOptions) {
    const registers = [this.registry];
    this.contentType = this.registry.contentType;

    new Gauge({
      name: 'dmpush_devices_connected',
      help: 'Devices holding a WNS persistent connection now.',
      registers,
      collect() {
        this.set(options.connectedDevices());
      },
    });
    new Gauge({
      name: 'dmpush_channels_expiring_15d',
      help: 'Devices whose push channel (ChannelURI) expires within the next 15 days.',
      registers,
      collect() {
        this.set(options.channelsExpiringWithin15Days());
      },
    });

    this.pushes = new Counter({
      name: 'dmpush_pushes_total',
      help:
        'Raw pushes by outcome: delivered, delivered_from_cache, cached (held by WNS for an ' +
        'offline device), rejected by WNS, or dropped (offline, ttl-expired, replaced, ' +
        'channel-expired, unacknowledged).',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.sessions = new Counter({
      name: 'dmpush_sessions_total',
      help: 'OMA-DM management sessions by trigger and result (started, completed, failed, skipped).',
      labelNames: ['trigger', 'result'] as const,
      registers,
    });
    this.renewals = new Counter({
      name: 'dmpush_renewals_total',
      help: 'ChannelURI renewal attempts scheduled by the DMClient, by renewal rule.',
      labelNames: ['rule'] as const,
      registers,
    });
    this.renewalsSkipped = new Counter({
      name: 'dmpush_renewals_skipped_total',
      help: 'Due ChannelURI renewal attempts skipped for lack of network (1607 and later).',
      registers,
    });
    this.channelExpiries = new Counter({
      name: 'dmpush_channel_expiries_total',
      help: 'Push channels (ChannelURIs) that passed their expiry on a device.',
      registers,
    });
    this.channelsIssued = new Counter({
      name: 'dmpush_channels_issued_total',
      help: 'Push channels (ChannelURIs) issued by WNS.',
      registers,
    });
    this.channelRequestsFailed = new Counter({
      name: 'dmpush_channel_requests_failed_total',
      help: 'Failed channel requests to WNS, by reason.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.wnsDisconnects = new Counter({
      name: 'dmpush_wns_disconnects_total',
      help: 'WNS persistent connections that went down, by reason.',
      labelNames: ['reason'] as const,
      registers,
    });

    for (const outcome of PUSH_OUTCOMES) this.pushes.inc({ outcome }, 0);
    for (const trigger of SESSION_TRIGGERS)
      for (const result of SESSION_RESULTS) this.sessions.inc({ trigger, result }, 0);
    for (const rule of RENEWAL_RULES) this.renewals.inc({ rule }, 0);
    for (const reason of CHANNEL_FAILURES) this.channelRequestsFailed.inc({ reason }, 0);
    for (const reason of DISCONNECT_REASONS) this.wnsDisconnects.inc({ reason }, 0);
  }

  /** Counts one timeline event; event types without a metric are ignored. */
  emit(event: TimelineEvent): void {
    switch (event.type) {
      case 'push.received':
        this.pushes.inc({ outcome: event.cached ? 'delivered_from_cache' : 'delivered' });
        return;
      case 'push.cached':
        this.pushes.inc({ outcome: 'cached' });
        return;
      case 'push.dropped':
        this.pushes.inc({ outcome: event.reason });
        return;
      case 'push.rejected':
        this.pushes.inc({ outcome: 'rejected' });
        return;
      case 'session.started':
        this.sessions.inc({ trigger: event.trigger, result: 'started' });
        return;
      case 'session.completed':
        this.sessions.inc({ trigger: event.trigger, result: 'completed' });
        return;
      case 'session.failed':
        this.sessions.inc({ trigger: event.trigger, result: 'failed' });
        return;
      case 'session.skipped':
        this.sessions.inc({ trigger: event.trigger, result: 'skipped' });
        return;
      case 'renewal.scheduled':
        this.renewals.inc({ rule: event.rule });
        return;
      case 'renewal.skipped':
        this.renewalsSkipped.inc();
        return;
      case 'channel.expired':
        this.channelExpiries.inc();
        return;
      case 'channel.issued':
        this.channelsIssued.inc();
        return;
      case 'channel.request-failed':
        this.channelRequestsFailed.inc({ reason: event.reason });
        return;
      case 'wns.disconnected':
        this.wnsDisconnects.inc({ reason: event.reason });
        return;
      default:
        return;
    }
  }

  /**
   * Every metric in the Prometheus text exposition format (serve it with {@link contentType}). The
   * gauges call their callbacks now.
   */
  async render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Days before expiry from which a channel counts as expiring (the DMClient renews then). */
const EXPIRING_WINDOW_MS = 15 * 24 * 3600 * 1000;

/**
 * Channels still valid at `now` with 15 days or less left: what `dmpush_channels_expiring_15d`
 * reports. Expired channels and devices without one do not count.
 */
export function channelsExpiring(
  devices: Iterable<{ readonly channelExpiresAt: number | null }>,
  now: number,
): number {
  let n = 0;
  for (const d of devices) {
    const at = d.channelExpiresAt;
    if (at !== null && at > now && at <= now + EXPIRING_WINDOW_MS) n++;
  }
  return n;
}
