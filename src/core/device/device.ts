import { isWellFormedPfn } from '../dmclient/pfn.js';
import { ValidationError } from '../errors.js';
import {
  planPolls,
  nextPoll,
  POLL_START,
  type PollCursor,
  type PollPlan,
  type PollConfig,
} from '../dmclient/poll-schedule.js';
import { PushStatus } from '../dmclient/push-status.js';
import {
  attemptGoesAhead,
  scheduleAfterAttempt,
  scheduleAfterSkip,
  type OsVersion,
  type RenewalDecision,
} from '../dmclient/renewal-policy.js';
import type {
  ChannelGrant,
  IncomingPush,
  LinkHandlers,
  MdmTransport,
  PushNodes,
  SessionRequest,
  SessionResult,
  WnsLink,
} from '../ports.js';
import type { DmTree } from '../dm/dm-tree.js';
import type { RecordTable } from '../state/state-store.js';
import { defaultIdentity, windowsTree } from '../dm/windows-tree.js';
import type { Random } from '../random/random.js';
import type { ArmTimer, DeviceState, TimerSnapshot } from '../snapshot.js';
import type { Clock, Timer } from '../time/clock.js';
import type {
  ChannelFailure,
  ChannelRequestReason,
  DisconnectReason,
  EventSink,
  SessionBlocker,
  SessionTrigger,
} from '../timeline/events.js';
import type { DevicePatch, DeviceSpec } from './conditions.js';
import {
  limitReachedAt,
  nextLimitCrossing,
  nextReset,
  usedAt,
  type DataSenseConfig,
  type DataSenseState,
} from './data-sense.js';
import { hasInternet, type NetworkConfig } from './network.js';
import {
  levelAt,
  nextSaverCrossing,
  settle,
  saverOnAt,
  type PowerConfig,
  type PowerState,
} from './power.js';

/** A session's view of its device; the DM tree is built only if the transport asks for it. */
class DeviceSessionRequest implements SessionRequest {
  constructor(
    private readonly device: SimDevice,
    readonly trigger: SessionTrigger,
  ) {}

  get deviceId(): string {
    return this.device.id;
  }

  get tree(): DmTree {
    return this.device.tree;
  }

  get devId(): string {
    return this.device.devId;
  }

  readPush(): PushNodes {
    return this.device.readPush();
  }
}

/** What a device needs from the world: time, its random stream, the timeline and two links. */
export interface DeviceContext {
  readonly clock: Clock;
  /** This device's own stream (see `streamFor(seed, id)`). */
  readonly random: Random;
  readonly sink: EventSink;
  readonly wns: WnsLink;
  readonly mdm: MdmTransport;
  /**
   * The table the device is kept in (the simulation's `device` table): every entry point (a
   * timer, the link, a session's answer, a command) runs as an update of the device's record, so
   * a durable store saves the devices that changed. Without it changes are not tracked.
   */
  readonly records?: RecordTable<SimDevice>;
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
  readonly network: NetworkConfig;
  readonly dataSense: DataSenseConfig & { readonly limitReached: boolean };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** A copy of a poll configuration (its sets are records of their own). */
const structuredCopy = (c: PollConfig): PollConfig => ({
  first: { ...c.first },
  second: { ...c.second },
  remaining: { ...c.remaining },
  maintenanceTime: c.maintenanceTime,
});

/**
 * One simulated Windows device: power, network, Data Sense, its WNS persistent connection and the
 * DMClient's push nodes, renewal schedule and poll schedule. It runs entirely on its context's
 * clock and random stream, so a run is reproducible.
 */
export class SimDevice {
  readonly id: string;
  readonly os: OsVersion;
  private readonly ctx: DeviceContext;
  private readonly zone: string;
  private readonly providerId: string;

  private power: PowerState;
  private network: NetworkConfig;
  private dataSense: DataSenseState;
  private pollConfig: PollConfig;
  private saverOn = false;
  private limitReached = false;

  private pfn: string | null;
  private channel: { uri: string; expiresAt: number } | null = null;
  private failureStatus: PushStatus | null = null;
  private pushWithoutSession = false;
  private status: PushStatus = PushStatus.NoChannelUri;
  private link: 'down' | 'connecting' | 'up' = 'down';
  private requestGeneration = 0;
  /** The reason of the channel request waiting for WNS's answer, if any. */
  private pendingRequest: ChannelRequestReason | null = null;
  private renewal: RenewalDecision | null = null;

  private plan: PollPlan;
  private pollCursor: PollCursor = POLL_START;
  private sessionRunning: SessionTrigger | null = null;
  private sessionQueued: SessionTrigger | null = null;
  private sessionGeneration = 0;

  private renewalTimer: Timer | null = null;
  private expiryTimer: Timer | null = null;
  private powerTimer: Timer | null = null;
  private limitTimer: Timer | null = null;
  private resetTimer: Timer | null = null;
  private pollTimer: Timer | null = null;

  private readonly handlers: LinkHandlers;
  private dmTree: DmTree | undefined;

  constructor(spec: DeviceSpec, ctx: DeviceContext) {
    this.id = spec.id;
    this.os = spec.os;
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
    this.handlers = {
      onOpen: () => this.enter(() => this.onLinkOpen()),
      onPush: (push) => this.enter(() => this.onPush(push)),
      onClosed: (reason) => this.enter(() => this.onLinkClosed(reason)),
    };
  }

  /**
   * Runs one entry point of the device (a command, a timer, the link, an answer) as an update of
   * its record: the only way in, so no change escapes a durable store.
   */
  private enter<R>(fn: () => R): R {
    const records = this.ctx.records;
    return records ? records.update(this.id, fn) : fn();
  }

  /** Schedules `fn` at `at` as an entry point of the device. */
  private at(at: number, fn: () => void): Timer {
    return this.ctx.clock.schedule(at, () => this.enter(fn));
  }

  /** Boots the device: conditions, then provisioning (a preset PFN) or a first poll session, then polling. */
  start(): void {
    this.enter(() => this.boot());
  }

  private boot(): void {
    const p = this.power;
    const n = this.network;
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'device.started',
      os: this.os,
      pfn: this.pfn,
      battery: round2(p.level),
      charging: p.charging,
      connected: n.connected,
      internet: n.internet,
      metered: n.metered,
    });
    this.refreshPower();
    this.refreshDataSense();
    this.scheduleReset();
    if (this.pfn !== null) this.requestChannel('provisioned');
    else this.requestSession('poll');
    this.schedulePoll(this.now(), POLL_START);
  }

  /** Applies a change of conditions (a scenario `set`, a control API PATCH). */
  apply(patch: DevicePatch): void {
    this.enter(() => {
      if (patch.battery) this.setPower(patch.battery);
      if (patch.network) this.setNetwork(patch.network);
      if (patch.dataSense) this.setDataSense(patch.dataSense);
      if (patch.poll) this.setPoll(patch.poll);
      if (patch.pfn !== undefined) this.setPfn(patch.pfn);
    });
  }

  /** The Push nodes as a server reads them. */
  readPush(): PushNodes {
    return { pfn: this.pfn, channelUri: this.channel?.uri ?? null, status: this.status };
  }

  /**
   * The device's DM tree (DevInfo, DevDetail, the DMClient CSP), built on first use: a fleet whose
   * sessions never speak SyncML never pays for it. Writes to `Push/PFN` and `Poll/*` act on the
   * device at once, as on Windows.
   */
  get tree(): DmTree {
    return (this.dmTree ??= this.buildTree());
  }

  private buildTree(): DmTree {
    const tree = windowsTree(defaultIdentity(this.id, this.os), this.providerId, {
      now: () => this.now(),
      readPush: () => this.readPush(),
      setPfn: (pfn) => this.enter(() => this.setPfn(pfn)),
      pollConfig: () => this.pollConfig,
      setPoll: (patch) => this.enter(() => this.setPoll(patch)),
    });
    // The tree's stored nodes are part of the device's record.
    tree.onChange = () => this.enter(() => undefined);
    return tree;
  }

  /** `./DevInfo/DevId`. */
  get devId(): string {
    return defaultIdentity(this.id, this.os).devId;
  }

  /** The device's CSP path prefix (`./Vendor/MSFT/DMClient/Provider/{ProviderID}`). */
  get providerPath(): string {
    return `./Vendor/MSFT/DMClient/Provider/${this.providerId}`;
  }

  snapshot(): DeviceSnapshot {
    const now = this.now();
    return {
      id: this.id,
      os: this.os,
      pfn: this.pfn,
      channelUri: this.channel?.uri ?? null,
      channelExpiresAt: this.channel?.expiresAt ?? null,
      nextRenewal: this.renewal,
      wnsConnected: this.link === 'up',
      pushStatus: this.status,
      sessionRunning: this.sessionRunning !== null,
      battery: {
        ...this.powerConfig(),
        level: round2(levelAt(this.power, now)),
        saverOn: this.saverOn,
      },
      network: this.network,
      dataSense: {
        ...this.dataSenseConfig(),
        usedMB: round2(usedAt(this.dataSense, now)),
        limitReached: this.limitReached,
      },
    };
  }

  // ---- renewal --------------------------------------------------------------------------------

  private requestChannel(reason: ChannelRequestReason): void {
    const pfn = this.pfn;
    if (pfn === null) return;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'channel.requested', reason });
    this.askForChannel(pfn, reason);
  }

  private askForChannel(pfn: string, reason: ChannelRequestReason): void {
    const generation = ++this.requestGeneration;
    this.pendingRequest = reason;
    const local = this.localChannelFailure(pfn);
    const reply = (grant: ChannelGrant): void => {
      if (generation !== this.requestGeneration) return;
      this.enter(() => {
        this.pendingRequest = null;
        this.onGrant(reason, grant);
      });
    };
    if (local) reply({ ok: false, reason: local } as ChannelGrant);
    else this.ctx.wns.requestChannel(this.id, pfn, reply);
  }

  private localChannelFailure(pfn: string): ChannelFailure | null {
    if (!isWellFormedPfn(pfn)) return 'invalid-pfn';
    if (!this.network.connected) return 'no-network';
    if (!this.network.internet) return 'no-internet';
    if (!this.network.wnsReachable) return 'wns-unreachable';
    return null;
  }

  private onGrant(
    reason: ChannelRequestReason,
    grant: ChannelGrant | { ok: false; reason: ChannelFailure },
  ): void {
    const now = this.now();
    if (grant.ok) {
      this.channel = { uri: grant.channelUri, expiresAt: grant.expiresAt };
      this.failureStatus = null;
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'channel.issued',
        channelUri: grant.channelUri,
        expiresAt: grant.expiresAt,
      });
      this.ctx.clock.cancel(this.expiryTimer);
      this.expiryTimer = this.armExpiry(grant.expiresAt);
      this.updateStatus();
      this.scheduleRenewal(scheduleAfterAttempt(this.os, now, grant.expiresAt, this.ctx.random));
      this.updateConnection();
      this.requestSession(reason === 'provisioned' ? 'provisioned' : 'renewal');
      return;
    }
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'channel.request-failed',
      reason: grant.reason,
    });
    if (grant.reason === 'invalid-pfn') {
      const malformed = this.pfn !== null && !isWellFormedPfn(this.pfn);
      this.failureStatus = malformed ? PushStatus.InvalidPfn : PushStatus.WnsRegistrationFailed;
    } else if (grant.reason === 'pfn-blocked') {
      this.failureStatus = PushStatus.WnsRegistrationFailed;
    }
    this.updateStatus();
    this.scheduleRenewal(
      scheduleAfterAttempt(this.os, now, this.channel?.expiresAt ?? null, this.ctx.random),
    );
    // A server that just set the PFN learns the outcome (Push/Status) in the provisioning session.
    if (reason === 'provisioned') this.requestSession('provisioned');
  }

  private onRenewalDue(): void {
    this.renewalTimer = null;
    if (!attemptGoesAhead(this.os, this.network.connected)) {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'renewal.skipped',
        reason: 'no-network',
      });
      this.scheduleRenewal(scheduleAfterSkip(this.os, this.now(), this.ctx.random));
      return;
    }
    this.requestChannel('renewal');
  }

  private scheduleRenewal(decision: RenewalDecision): void {
    this.ctx.clock.cancel(this.renewalTimer);
    this.renewal = decision;
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'renewal.scheduled',
      os: decision.os,
      rule: decision.rule,
      at: decision.at,
      earliest: decision.earliest,
      latest: decision.latest,
    });
    this.renewalTimer = this.armRenewal(decision.at);
  }

  private armRenewal(at: number): Timer {
    return this.at(at, () => this.onRenewalDue());
  }

  private armExpiry(at: number): Timer {
    return this.at(at, () => this.onChannelExpired());
  }

  private onChannelExpired(): void {
    this.expiryTimer = null;
    if (!this.channel) return;
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'channel.expired',
      channelUri: this.channel.uri,
    });
    this.updateStatus();
    this.updateConnection();
  }

  private setPfn(pfn: string | null): void {
    if (pfn === this.pfn) return;
    this.pfn = pfn;
    this.channel = null;
    this.failureStatus = null;
    this.requestGeneration++;
    this.pendingRequest = null;
    this.ctx.clock.cancel(this.expiryTimer);
    this.ctx.clock.cancel(this.renewalTimer);
    this.expiryTimer = this.renewalTimer = null;
    this.renewal = null;
    this.updateStatus();
    this.updateConnection();
    if (pfn !== null) this.requestChannel('provisioned');
  }

  // ---- Push/Status --------------------------------------------------------------------------

  private baseStatus(): PushStatus {
    if (this.failureStatus !== null) return this.failureStatus;
    if (!this.channel) return PushStatus.NoChannelUri;
    return this.channel.expiresAt > this.now() ? PushStatus.Success : PushStatus.ChannelUriExpired;
  }

  private updateStatus(): void {
    const status = this.pushWithoutSession ? PushStatus.PushWithoutSession : this.baseStatus();
    if (status === this.status) return;
    this.status = status;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'push.status', status });
  }

  // ---- WNS persistent connection --------------------------------------------------------------

  /** Why the device should not hold a connection now, or null when it should. */
  private connectionBlocker(): DisconnectReason | null {
    const channel = this.channel;
    if (!channel) return 'no-channel';
    if (channel.expiresAt <= this.now()) return 'channel-expired';
    if (!this.network.connected) return 'no-network';
    if (!this.network.internet) return 'no-internet';
    if (this.saverOn && !this.power.pushAllowedInSaver) return 'battery-saver';
    if (this.limitReached && this.network.metered) return 'data-sense';
    if (!this.network.wnsReachable) return 'cloud';
    return null;
  }

  private updateConnection(): void {
    const blocker = this.connectionBlocker();
    if (blocker === null) {
      if (this.link === 'down') {
        this.link = 'connecting';
        this.ctx.wns.connect(this.id, this.handlers);
      }
      return;
    }
    this.dropLink(blocker);
  }

  /** Closes the persistent connection if open (a `wns.disconnected` if it was up). */
  private dropLink(reason: DisconnectReason): void {
    if (this.link === 'down') return;
    const wasUp = this.link === 'up';
    this.link = 'down';
    this.ctx.wns.disconnect(this.id);
    if (wasUp)
      this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'wns.disconnected', reason });
  }

  private onLinkOpen(): void {
    if (this.link !== 'connecting') return;
    this.link = 'up';
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'wns.connected' });
  }

  /**
   * Restarts the device (instantly): the persistent connection drops, a running session is cut
   * (`session.failed {reason: reboot}`), and with a PFN the DMClient asks for a channel again
   * (reason `boot`; an assumption, see docs/model.md). The poll schedule carries on.
   */
  reboot(): void {
    this.enter(() => this.restart());
  }

  private restart(): void {
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'device.rebooted' });
    this.dropLink('reboot');
    const running = this.sessionRunning;
    if (running !== null) {
      this.sessionRunning = null;
      this.sessionQueued = null;
      this.sessionGeneration++;
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.failed',
        trigger: running,
        reason: 'reboot',
      });
    }
    if (this.pfn !== null) this.requestChannel('boot');
    this.updateConnection();
  }

  private onLinkClosed(reason: 'cloud'): void {
    if (this.link === 'down') return;
    const wasUp = this.link === 'up';
    // The link keeps trying to reconnect; the device stays willing.
    this.link = 'connecting';
    if (wasUp)
      this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'wns.disconnected', reason });
  }

  private onPush(push: IncomingPush): void {
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'push.received',
      msgId: push.msgId,
      channelUri: push.channelUri,
      cached: push.cached,
    });
    this.useData(this.dataSense.perPushMB);
    this.requestSession('push');
  }

  // ---- sessions and polling -----------------------------------------------------------------

  private sessionBlocker(): SessionBlocker | null {
    if (!this.network.connected) return 'no-network';
    if (!this.network.internet) return 'no-internet';
    if (this.saverOn) return 'battery-saver';
    if (this.limitReached && this.network.metered) return 'data-sense';
    return null;
  }

  /** Starts a management session, or queues one behind the running session. */
  private requestSession(trigger: SessionTrigger): void {
    if (this.sessionRunning !== null) {
      if (this.sessionQueued === null) {
        this.sessionQueued = trigger;
        this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'session.queued', trigger });
      }
      return;
    }
    const blocker = this.sessionBlocker();
    if (blocker) {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.skipped',
        trigger,
        reason: blocker,
      });
      if (trigger === 'push') {
        this.pushWithoutSession = true;
        this.updateStatus();
      }
      return;
    }
    this.sessionRunning = trigger;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'session.started', trigger });
    if (this.pushWithoutSession) {
      this.pushWithoutSession = false;
      this.updateStatus();
    }
    this.useData(this.dataSense.perSessionMB);
    this.ctx.mdm.startSession(
      new DeviceSessionRequest(this, trigger),
      this.sessionDone(trigger, this.sessionGeneration),
    );
  }

  /**
   * The answer callback of the running session, for an MDM transport restoring a session it had
   * in progress (see `Simulation.restore`); null when no session is running.
   */
  runningSessionDone(): ((result: SessionResult) => void) | null {
    const running = this.sessionRunning;
    return running === null ? null : this.sessionDone(running, this.sessionGeneration);
  }

  private sessionDone(
    trigger: SessionTrigger,
    generation: number,
  ): (result: SessionResult) => void {
    return (result) => {
      // A reboot cut this session: its late answer is ignored.
      if (generation !== this.sessionGeneration) return;
      this.enter(() => this.endSession(trigger, result));
    };
  }

  private endSession(trigger: SessionTrigger, result: SessionResult): void {
    this.sessionRunning = null;
    if (result.ok)
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.completed',
        trigger,
      });
    else
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.failed',
        trigger,
        reason: result.reason,
      });
    const queued = this.sessionQueued;
    if (queued !== null) {
      this.sessionQueued = null;
      this.requestSession(queued);
    }
  }

  private schedulePoll(previous: number, cursor: PollCursor): void {
    const clock = this.ctx.clock;
    clock.cancel(this.pollTimer);
    const next = nextPoll(this.plan, cursor, previous, this.zone);
    if (!next) {
      this.pollTimer = null;
      return;
    }
    this.pollCursor = next.cursor;
    // A poll of a fixed-interval set is a fixed delay: the clock queues those cheaply.
    const fixed = next.cursor.phase < this.plan.phases.length && previous === clock.now();
    this.pollTimer = fixed
      ? clock.after(next.at - previous, this.onPollDue)
      : clock.schedule(next.at, this.onPollDue);
  }

  private readonly onPollDue = (): void => this.enter(this.pollDue);

  private readonly pollDue = (): void => {
    this.pollTimer = null;
    this.requestSession('poll');
    this.schedulePoll(this.now(), this.pollCursor);
  };

  private setPoll(patch: NonNullable<DevicePatch['poll']>): void {
    const c = this.pollConfig;
    this.pollConfig = {
      maintenanceTime: patch.maintenanceTime ?? c.maintenanceTime,
      first: { ...c.first, ...patch.first },
      second: { ...c.second, ...patch.second },
      remaining: { ...c.remaining, ...patch.remaining },
    };
    // A new schedule starts over from now (docs/model.md).
    this.plan = planPolls(this.pollConfig);
    this.schedulePoll(this.now(), POLL_START);
  }

  // ---- power ----------------------------------------------------------------------------------

  private powerConfig(): PowerConfig {
    const { since: _since, ...config } = this.power;
    return config;
  }

  private setPower(patch: Partial<PowerConfig>): void {
    const p = this.power;
    const wasCharging = p.charging;
    settle(p, this.now());
    // Field by field: keeps the record's shape stable (Object.assign is a slow generic path).
    if (patch.level !== undefined) p.level = patch.level;
    if (patch.charging !== undefined) p.charging = patch.charging;
    if (patch.drainPerHour !== undefined) p.drainPerHour = patch.drainPerHour;
    if (patch.chargePerHour !== undefined) p.chargePerHour = patch.chargePerHour;
    if (patch.saverThreshold !== undefined) p.saverThreshold = patch.saverThreshold;
    if (patch.saverSwitch !== undefined) p.saverSwitch = patch.saverSwitch;
    if (patch.pushAllowedInSaver !== undefined) p.pushAllowedInSaver = patch.pushAllowedInSaver;
    if (p.charging !== wasCharging || patch.level !== undefined) {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'power.changed',
        charging: p.charging,
        level: round2(p.level),
      });
    }
    this.refreshPower();
  }

  private refreshPower(): void {
    const now = this.now();
    const on = saverOnAt(this.power, now);
    if (on !== this.saverOn) {
      this.saverOn = on;
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'battery-saver.changed',
        on,
        level: round2(levelAt(this.power, now)),
      });
      this.updateConnection();
    }
    this.ctx.clock.cancel(this.powerTimer);
    const at = nextSaverCrossing(this.power, now);
    this.powerTimer = at === null ? null : this.armPower(at);
  }

  private armPower(at: number): Timer {
    return this.at(at, () => {
      this.powerTimer = null;
      settle(this.power, at, this.power.saverThreshold);
      this.refreshPower();
    });
  }

  // ---- network --------------------------------------------------------------------------------

  private setNetwork(patch: Partial<NetworkConfig>): void {
    const before = this.network;
    // Settle Data Sense usage up to now under the old network before switching.
    this.settleDataSense();
    this.network = { ...before, ...patch };
    const n = this.network;
    if (
      n.connected !== before.connected ||
      n.internet !== before.internet ||
      n.metered !== before.metered ||
      n.type !== before.type
    ) {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'network.changed',
        connected: n.connected,
        internet: n.internet,
        metered: n.metered,
        networkType: n.type,
      });
    }
    this.refreshDataSense();
    this.updateConnection();
  }

  // ---- Data Sense -------------------------------------------------------------------------------

  private dataSenseConfig(): DataSenseConfig {
    const { since: _since, accruing: _accruing, ...config } = this.dataSense;
    return config;
  }

  /** Folds usage so far into `usedMB` at now. */
  private settleDataSense(): void {
    const now = this.now();
    this.dataSense = { ...this.dataSense, usedMB: usedAt(this.dataSense, now), since: now };
  }

  private setDataSense(patch: Partial<DataSenseConfig>): void {
    this.settleDataSense();
    const resetDayChanged =
      patch.resetDay !== undefined && patch.resetDay !== this.dataSense.resetDay;
    this.dataSense = { ...this.dataSense, ...patch };
    this.refreshDataSense();
    if (resetDayChanged) this.scheduleReset();
  }

  private useData(mb: number): void {
    if (mb <= 0 || !this.network.metered || !hasInternet(this.network)) return;
    this.settleDataSense();
    this.dataSense = { ...this.dataSense, usedMB: this.dataSense.usedMB + mb };
    this.refreshDataSense();
  }

  private refreshDataSense(): void {
    const now = this.now();
    const s = this.dataSense;
    const reached = limitReachedAt(s, now);
    const accruing = this.network.metered && hasInternet(this.network) && !reached;
    this.dataSense = { ...s, usedMB: usedAt(s, now), since: now, accruing };
    if (reached !== this.limitReached) {
      this.limitReached = reached;
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'data-sense.changed',
        limitReached: reached,
        usedMB: round2(this.dataSense.usedMB),
      });
      this.updateConnection();
    }
    this.ctx.clock.cancel(this.limitTimer);
    const at = nextLimitCrossing(this.dataSense, now);
    this.limitTimer = at === null ? null : this.armLimit(at);
  }

  private armLimit(at: number): Timer {
    return this.at(at, () => {
      this.limitTimer = null;
      this.dataSense = {
        ...this.dataSense,
        usedMB: this.dataSense.limitMB ?? this.dataSense.usedMB,
        since: at,
      };
      this.refreshDataSense();
    });
  }

  private scheduleReset(): void {
    this.ctx.clock.cancel(this.resetTimer);
    this.resetTimer = this.armReset(nextReset(this.now(), this.dataSense.resetDay, this.zone));
  }

  private armReset(at: number): Timer {
    return this.at(at, () => {
      this.dataSense = { ...this.dataSense, usedMB: 0, since: at };
      this.refreshDataSense();
      this.scheduleReset();
    });
  }

  // ---- durable state ----------------------------------------------------------------------------

  /**
   * Picks up after the simulator restarted from durable state with live links (`dmpush serve`):
   * the connections and requests of the stopped process are gone. The persistent connection is
   * opened again if the device still wants it (`wns.connected` when it is up); a channel request
   * that was waiting for WNS is asked again; a session in progress lost its server connection and
   * fails (reason `restart`), and a queued one starts.
   */
  resume(): void {
    this.enter(() => this.pickUp());
  }

  private pickUp(): void {
    const wanted = this.link !== 'down';
    this.link = 'down';
    if (wanted) this.updateConnection();
    if (this.pendingRequest !== null && this.pfn !== null)
      this.askForChannel(this.pfn, this.pendingRequest);
    this.runningSessionDone()?.({ ok: false, reason: 'restart' });
  }

  /** The handlers this device gives its WNS link (a restored cloud reattaches them). */
  get linkHandlers(): LinkHandlers {
    return this.handlers;
  }

  /**
   * The device's whole state, as plain data (see `src/core/snapshot.ts`). `timer` gives a pending
   * timer's instant and rank, or null for one that ran or was cancelled; `random` is the state of
   * the device's stream (the simulation owns it).
   */
  saveState(
    timer: (t: Timer | null) => TimerSnapshot | null,
    random: readonly number[],
  ): DeviceState {
    return {
      id: this.id,
      random: [...random],
      power: { ...this.power },
      network: { ...this.network },
      dataSense: { ...this.dataSense },
      poll: structuredCopy(this.pollConfig),
      saverOn: this.saverOn,
      limitReached: this.limitReached,
      pfn: this.pfn,
      channel: this.channel && { uri: this.channel.uri, expiresAt: this.channel.expiresAt },
      failureStatus: this.failureStatus,
      pushWithoutSession: this.pushWithoutSession,
      status: this.status,
      link: this.link,
      requestGeneration: this.requestGeneration,
      pendingRequest: this.pendingRequest,
      tree: this.dmTree ? this.dmTree.saveState() : null,
      renewal: this.renewal && { ...this.renewal },
      pollCursor: { phase: this.pollCursor.phase, done: this.pollCursor.done },
      sessionRunning: this.sessionRunning,
      sessionQueued: this.sessionQueued,
      sessionGeneration: this.sessionGeneration,
      timers: {
        renewal: timer(this.renewalTimer),
        expiry: timer(this.expiryTimer),
        power: timer(this.powerTimer),
        limit: timer(this.limitTimer),
        reset: timer(this.resetTimer),
        poll: timer(this.pollTimer),
      },
    };
  }

  /**
   * Takes back a state {@link saveState} returned (on a device built from the same spec, not
   * started). Pending timers are handed to `arm`, which re-arms them in the original clock order.
   */
  loadState(s: DeviceState, arm: ArmTimer): void {
    this.power = { ...s.power };
    this.network = { ...s.network };
    this.dataSense = { ...s.dataSense };
    this.pollConfig = structuredCopy(s.poll);
    this.plan = planPolls(this.pollConfig);
    this.saverOn = s.saverOn;
    this.limitReached = s.limitReached;
    this.pfn = s.pfn;
    this.channel = s.channel && { uri: s.channel.uri, expiresAt: s.channel.expiresAt };
    this.failureStatus = s.failureStatus;
    this.pushWithoutSession = s.pushWithoutSession;
    this.status = s.status;
    this.link = s.link;
    this.requestGeneration = s.requestGeneration;
    this.pendingRequest = s.pendingRequest;
    this.dmTree = undefined;
    if (s.tree !== null) {
      try {
        this.tree.loadState(s.tree);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        throw new ValidationError(e.issues.map((i) => `device ${this.id}: ${i}`));
      }
    }
    this.renewal = s.renewal && { ...s.renewal };
    this.pollCursor = { phase: s.pollCursor.phase, done: s.pollCursor.done };
    this.sessionRunning = s.sessionRunning;
    this.sessionQueued = s.sessionQueued;
    this.sessionGeneration = s.sessionGeneration;
    const { renewal, expiry, power, limit, reset, poll } = s.timers;
    if (renewal) arm(renewal, () => void (this.renewalTimer = this.armRenewal(renewal.at)));
    if (expiry) arm(expiry, () => void (this.expiryTimer = this.armExpiry(expiry.at)));
    if (power) arm(power, () => void (this.powerTimer = this.armPower(power.at)));
    if (limit) arm(limit, () => void (this.limitTimer = this.armLimit(limit.at)));
    if (reset) arm(reset, () => void (this.resetTimer = this.armReset(reset.at)));
    if (poll)
      arm(poll, () => void (this.pollTimer = this.ctx.clock.schedule(poll.at, this.onPollDue)));
  }

  // ---- helpers --------------------------------------------------------------------------------

  private now(): number {
    return this.ctx.clock.now();
  }
}
