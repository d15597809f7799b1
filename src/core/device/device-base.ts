/**
 * The base of a simulated device: its context, its state and its entry points.
 *
 * @module
 */
import {
  planPolls,
  POLL_START,
  type PollCursor,
  type PollPlan,
  type PollConfig,
} from '../dmclient/poll-schedule.js';
import { PushStatus } from '../dmclient/push-status.js';
import { ValidationError } from '../errors.js';
import { osNameOf, OS_NAMES_TEXT } from '../os/os-profiles.js';
import { type OsVersion, type RenewalDecision } from '../dmclient/renewal-policy.js';
import type { MdmTransport, WnsLink } from '../ports.js';
import type { DmTree } from '../dm/dm-tree.js';
import type { EnrollmentService, EnrollmentView } from '../enroll/enrollment.js';
import type { RecordTable } from '../state/state-store.js';
import type { Random } from '../random/random.js';
import type { Clock, Timer } from '../time/clock.js';
import type { ChannelRequestReason, EventSink, SessionTrigger } from '../timeline/events.js';
import type { DeviceSpec, WnsPushService } from './conditions.js';
import { type DataSenseConfig, type DataSenseState } from './data-sense.js';
import { type NetworkConfig } from './network.js';
import { type PowerConfig, type PowerState } from './power.js';
import type { DailyRoutine, RoutineCursor, Screen } from './routine.js';
import type { HeldPush } from './wns-priority.js';

/** What a device needs from the world: time, its random stream, the timeline and two links. */
export interface DeviceContext {
  readonly clock: Clock;
  /** This device's own stream (see `streamFor(seed, id)`). */
  readonly random: Random;
  readonly sink: EventSink;
  readonly wns: WnsLink;
  readonly mdm: MdmTransport;
  /**
   * The enrollment service of a fleet whose devices enroll before they are managed (MS-MDE2); a
   * device without an enrollment enrolls on start. Absent: devices are managed without enrollment.
   */
  readonly enroller?: EnrollmentService;
  /**
   * The table the device is kept in (the simulation's `device` table): every entry point (a
   * timer, the link, a session's answer, a command) runs as an update of the device's record, so
   * a durable store saves the devices that changed. Without it changes are not tracked.
   */
  readonly records?: Pick<RecordTable<unknown>, 'update'>;
}

/** A read-only view of a device, for APIs, dashboards and tests. */
export interface DeviceSnapshot {
  readonly id: string;
  readonly os: OsVersion;
  readonly pfn: string | null;
  readonly channelUri: string | null;
  readonly channelExpiresAt: number | null;
  readonly nextRenewal: RenewalDecision | null;
  readonly wnsConnected: boolean;
  readonly pushStatus: PushStatus;
  readonly sessionRunning: boolean;
  readonly battery: PowerConfig & { readonly saverOn: boolean };
  readonly screen: Screen;
  /** Off: the battery is empty and not charging. */
  readonly poweredOff: boolean;
  /** Pushes the notification platform holds for the DMClient (WNS priorities). */
  readonly heldPushes: number;
  readonly network: NetworkConfig;
  readonly dataSense: DataSenseConfig & { readonly limitReached: boolean };
  readonly wnsPushService: WnsPushService;
  /** Its enrollment (no key, no secret), or null: not enrolled. */
  readonly enrollment: EnrollmentView | null;
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The spec's Windows version (an older spelling gives its version); an unknown one is refused. */
function knownOs(spec: DeviceSpec): OsVersion {
  const os = osNameOf(spec.os);
  if (os === null)
    throw new ValidationError([
      `device ${spec.id}: os: expected ${OS_NAMES_TEXT}, got ${JSON.stringify(spec.os)}`,
    ]);
  return os;
}

/** A copy of a poll configuration (its sets are records of their own). */
export const structuredCopy = (c: PollConfig): PollConfig => ({
  first: { ...c.first },
  second: { ...c.second },
  remaining: { ...c.remaining },
  maintenanceTime: c.maintenanceTime,
});

/**
 * The state of one simulated device and its ways in (entry points run as updates of its record).
 * The device is split by concern into a chain of classes, one file each: conditions (power,
 * network, Data Sense) ← channel (ChannelURI, renewal, Push/Status) ← link (the WNS persistent
 * connection) ← sessions (management sessions and polling) ← {@link SimDevice} (its public face,
 * the DM tree and durable state). A concern calls a later one through the abstract methods here.
 */
export abstract class DeviceBase {
  readonly id: string;
  readonly os: OsVersion;
  protected readonly ctx: DeviceContext;
  protected readonly zone: string;
  protected readonly providerId: string;

  protected power: PowerState;
  protected network: NetworkConfig;
  protected dataSense: DataSenseState;
  protected pollConfig: PollConfig;
  protected saverOn = false;
  protected limitReached = false;
  protected wnsPushService: WnsPushService;
  protected screen: Screen;
  protected poweredOff = false;
  protected readonly routine: DailyRoutine | null;
  protected readonly saverDelaysPolls: boolean;
  /** A poll came due under Battery Saver and waits for it to end (`pollsInBatterySaver: delay`). */
  protected pollDelayed = false;
  protected routineCursor: RoutineCursor | null = null;
  /** Pushes held by the notification platform, at most one per channel (the latest). */
  protected held: HeldPush[] = [];

  protected pfn: string | null;
  protected channel: { uri: string; expiresAt: number } | null = null;
  protected failureStatus: PushStatus | null = null;
  protected pushWithoutSession = false;
  protected status: PushStatus = PushStatus.NoChannelUri;
  protected link: 'down' | 'connecting' | 'up' = 'down';
  protected requestGeneration = 0;
  /** The reason of the channel request waiting for WNS's answer, if any. */
  protected pendingRequest: ChannelRequestReason | null = null;
  protected renewal: RenewalDecision | null = null;

  protected plan: PollPlan;
  protected pollCursor: PollCursor = POLL_START;
  protected sessionRunning: SessionTrigger | null = null;
  protected sessionQueued: SessionTrigger | null = null;
  protected sessionGeneration = 0;

  protected renewalTimer: Timer | null = null;
  protected expiryTimer: Timer | null = null;
  protected powerTimer: Timer | null = null;
  protected limitTimer: Timer | null = null;
  protected resetTimer: Timer | null = null;
  protected pollTimer: Timer | null = null;
  protected routineTimer: Timer | null = null;
  /** The earliest deadline among held pushes. */
  protected holdTimer: Timer | null = null;

  protected dmTree: DmTree | undefined;

  constructor(spec: DeviceSpec, ctx: DeviceContext) {
    this.id = spec.id;
    this.os = knownOs(spec);
    this.ctx = ctx;
    this.zone = spec.timezone;
    this.providerId = spec.providerId;
    const now = ctx.clock.now();
    this.power = { ...spec.battery, since: now };
    this.network = spec.network;
    this.dataSense = { ...spec.dataSense, since: now, accruing: false };
    this.pollConfig = spec.poll;
    this.plan = planPolls(spec.poll);
    this.pfn = spec.pfn;
    this.wnsPushService = spec.wnsPushService ?? 'running';
    this.screen = spec.screen ?? 'on';
    this.routine = spec.routine && spec.routine.steps.length > 0 ? spec.routine : null;
    this.saverDelaysPolls = spec.pollsInBatterySaver === 'delay';
  }

  /**
   * Runs one entry point of the device (a command, a timer, the link, an answer) as an update of
   * its record: the only way in, so no change escapes a durable store.
   */
  protected enter<R>(fn: () => R): R {
    const records = this.ctx.records;
    return records ? records.update(this.id, fn) : fn();
  }

  /** Schedules `fn` at `at` as an entry point of the device. */
  protected at(at: number, fn: () => void): Timer {
    return this.ctx.clock.schedule(at, () => this.enter(fn));
  }

  protected now(): number {
    return this.ctx.clock.now();
  }

  /** Opens or closes the persistent connection as the device's state now wants (the link). */
  protected abstract updateConnection(): void;

  /** Starts a management session, or queues one behind the running session (sessions). */
  protected abstract requestSession(trigger: SessionTrigger): void;

  /** The battery ran empty: the device goes off (sessions). */
  protected abstract switchOff(): void;

  /** Charging brought the device back: it boots (sessions). */
  protected abstract switchOn(): void;

  /** Battery Saver ended: a poll it delayed runs now (sessions). */
  protected abstract runDelayedPoll(): void;

  /** Hands held pushes to the DMClient whose condition cleared (the link). */
  protected abstract releaseHeld(): void;
}
