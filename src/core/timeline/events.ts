import type { OsVersion, RenewalRule } from '../dmclient/renewal-policy.js';
import type { PushStatus } from '../dmclient/push-status.js';
import type { WnsPushService } from '../device/conditions.js';
import type { NetworkType } from '../device/network.js';
import type { Screen } from '../device/routine.js';
import type { HoldReason, WnsPriority } from '../device/wns-priority.js';

/** Why a device asked WNS for a channel. */
export type ChannelRequestReason = 'provisioned' | 'renewal' | 'boot';
/** Why a channel request failed. */
export type ChannelFailure =
  'no-network' | 'no-internet' | 'wns-unreachable' | 'invalid-pfn' | 'pfn-blocked';
/** Why a revocation of channels failed (on the device, or WNS could not be reached). */
export type RevokeFailure = Extract<
  ChannelFailure,
  'no-network' | 'no-internet' | 'wns-unreachable'
>;
/** Why the WNS persistent connection went down. */
export type DisconnectReason =
  | 'battery-saver'
  | 'data-sense'
  | 'no-network'
  | 'no-internet'
  | 'cloud'
  | 'channel-expired'
  | 'no-channel'
  | 'reboot'
  | 'powered-off'
  /** Policy `Notifications/DisallowCloudNotification` is 1. */
  | 'policy';
/**
 * What started a management session: `enrolled` is the first session after enrollment, `unenroll`
 * the session that tells the server the device leaves (Alert 1226).
 */
export type SessionTrigger = 'push' | 'renewal' | 'poll' | 'provisioned' | 'enrolled' | 'unenroll';
/** The stage of MS-MDE2 enrollment that failed. */
export type EnrollmentStage = 'discovery' | 'policy' | 'enroll' | 'provisioning';
/** The enrollment auth policy (MS-MDE2 `AuthPolicy`) the device used. */
export type EnrollmentAuthPolicy = 'OnPremise' | 'Federated';
/** Who ended an enrollment: the device (Alert 1226) or the server (it deleted the account). */
export type UnenrollInitiator = 'device' | 'server';
/** Why a session could not start. */
export type SessionBlocker =
  /** Only for a poll that `pollsInBatterySaver: delay` holds until Battery Saver ends. */
  | 'battery-saver'
  | 'powered-off'
  | 'data-sense'
  | 'no-network'
  | 'no-internet'
  /** A push arrived, but the push routing service (dmwappushservice) is disabled. */
  | 'push-service-disabled';
/** Why WNS dropped a notification. */
export type DropReason =
  | 'offline'
  | 'ttl-expired'
  /**
   * It waited in the cache longer than the cache's maximum age (`cacheMaxAgeMs`), or was held on
   * the device (WNS priorities) past the deadline WNS gave it (its TTL or the maximum age).
   */
  | 'cache-expired'
  | 'replaced'
  | 'channel-expired'
  /** Its channel was revoked (the device's PFN was deleted or replaced) while it waited. */
  | 'channel-revoked'
  /** Written to the device's socket, never acknowledged (the emulator's device endpoint). */
  | 'unacknowledged'
  /** Held on the device when its battery ran empty. */
  | 'powered-off';
export type CachePolicy = 'cache' | 'no-cache';

/**
 * The fields of each timeline event type. Instants are epoch milliseconds here and ISO 8601 in
 * JSONL output; fields named `at`, `earliest`, `latest` or ending in `At` are instants.
 */
export interface TimelineEventFields {
  'device.started': {
    os: OsVersion;
    pfn: string | null;
    battery: number;
    charging: boolean;
    connected: boolean;
    internet: boolean;
    metered: boolean;
  };
  'device.rebooted': Record<never, never>;
  /** The battery reached 0 % while not charging: the device is off. */
  'device.powered-off': Record<never, never>;
  /** Charging brought a device that was off back: it booted. */
  'device.booted': { battery: number };
  'screen.changed': { screen: Screen };
  'channel.requested': { reason: ChannelRequestReason };
  'channel.issued': { channelUri: string; expiresAt: number };
  'channel.request-failed': { reason: ChannelFailure };
  'channel.expired': { channelUri: string };
  /** WNS revoked the device's channels for `pfn` (the PFN was deleted or replaced). */
  'channel.revoked': { pfn: string };
  /** The revocation of the channels for `pfn` failed; it is tried again (Push/Status 6). */
  'channel.revoke-failed': { pfn: string; reason: RevokeFailure };
  'renewal.scheduled': {
    os: OsVersion;
    rule: RenewalRule;
    at: number;
    earliest: number;
    latest: number;
  };
  'renewal.skipped': { reason: 'no-network' };
  'wns.connected': Record<never, never>;
  'wns.disconnected': { reason: DisconnectReason };
  'wns.pfn-blocked': { pfn: string };
  'wns.pfn-unblocked': { pfn: string };
  'push.sent': {
    msgId: string;
    channelUri: string;
    status: number;
    cachePolicy: CachePolicy;
    ttlSeconds: number | null;
  };
  'push.rejected': { channelUri: string | null; status: number; reason: string };
  /** `heldAt`: when the notification platform started holding it (absent: delivered on arrival). */
  'push.received': {
    msgId: string;
    channelUri: string;
    cached: boolean;
    priority: WnsPriority;
    heldAt?: number;
  };
  /** The notification platform holds the push for the DMClient (WNS priorities). */
  'push.held': {
    msgId: string;
    channelUri: string;
    priority: WnsPriority;
    reason: HoldReason;
    expiresAt: number | null;
  };
  'push.cached': { msgId: string; channelUri: string; expiresAt: number | null };
  'push.dropped': { msgId: string; channelUri: string; reason: DropReason };
  'push.status': { status: PushStatus };
  'session.started': { trigger: SessionTrigger };
  'session.completed': { trigger: SessionTrigger };
  'session.failed': { trigger: SessionTrigger; reason: string };
  'session.skipped': { trigger: SessionTrigger; reason: SessionBlocker };
  'session.queued': { trigger: SessionTrigger };
  'battery-saver.changed': { on: boolean; level: number };
  'power.changed': { charging: boolean; level: number };
  'network.changed': {
    connected: boolean;
    internet: boolean;
    metered: boolean;
    networkType: NetworkType;
  };
  'data-sense.changed': { limitReached: boolean; usedMB: number };
  'push-service.changed': { state: WnsPushService };
  'enrollment.started': { discoveryUrl: string };
  'enrollment.discovered': {
    authPolicy: EnrollmentAuthPolicy;
    policyUrl: string;
    enrollmentUrl: string;
  };
  'enrollment.completed': {
    providerId: string;
    managementUrl: string;
    certificateThumbprint: string;
  };
  /** `status`: the HTTP status of the failing answer, 0 when none came (network, timeout). */
  'enrollment.failed': { stage: EnrollmentStage; status: number; reason: string };
  unenrolled: { providerId: string; initiator: UnenrollInitiator };
}

export type TimelineEventType = keyof TimelineEventFields;

/** One timeline event: `time` (epoch ms), `device` (id, or null for cloud-wide events), `type`, fields. */
export type TimelineEvent = {
  [K in TimelineEventType]: {
    time: number;
    device: string | null;
    type: K;
  } & TimelineEventFields[K];
}[TimelineEventType];

/** The event of one type. */
export type TimelineEventOf<K extends TimelineEventType> = Extract<TimelineEvent, { type: K }>;

/** Every event type, in a stable order (for docs, filters and summaries). */
export const TIMELINE_EVENT_TYPES: readonly TimelineEventType[] = [
  'device.started',
  'device.rebooted',
  'device.powered-off',
  'device.booted',
  'screen.changed',
  'channel.requested',
  'channel.issued',
  'channel.request-failed',
  'channel.expired',
  'channel.revoked',
  'channel.revoke-failed',
  'renewal.scheduled',
  'renewal.skipped',
  'wns.connected',
  'wns.disconnected',
  'wns.pfn-blocked',
  'wns.pfn-unblocked',
  'push.sent',
  'push.rejected',
  'push.received',
  'push.held',
  'push.cached',
  'push.dropped',
  'push.status',
  'session.started',
  'session.completed',
  'session.failed',
  'session.skipped',
  'session.queued',
  'battery-saver.changed',
  'power.changed',
  'network.changed',
  'data-sense.changed',
  'push-service.changed',
  'enrollment.started',
  'enrollment.discovered',
  'enrollment.completed',
  'enrollment.failed',
  'unenrolled',
];

/** The EventSink port: where the core writes its timeline. */
export interface EventSink {
  emit(event: TimelineEvent): void;
}

/** An {@link EventSink} that keeps every event in memory. */
export class MemorySink implements EventSink {
  readonly events: TimelineEvent[] = [];
  emit(event: TimelineEvent): void {
    this.events.push(event);
  }
  /** The events of one type (and optionally one device). */
  ofType<K extends TimelineEventType>(type: K, device?: string): TimelineEventOf<K>[] {
    return this.events.filter(
      (e): e is TimelineEventOf<K> =>
        e.type === type && (device === undefined || e.device === device),
    );
  }
}

/** An {@link EventSink} that fans out to several sinks. */
export class TeeSink implements EventSink {
  constructor(private readonly sinks: readonly EventSink[]) {}
  emit(event: TimelineEvent): void {
    for (const s of this.sinks) s.emit(event);
  }
}
