import { ValidationError } from '../errors.js';
import { planPolls, POLL_START } from '../dmclient/poll-schedule.js';
import type { LinkHandlers, PushNodes } from '../ports.js';
import { readAccount } from '../dm/account-reader.js';
import { removeProvider } from '../dm/provisioning-apply.js';
import type { EnrollRequest } from '../enroll/enrollment.js';
import type { DmAccount } from '../dm/dm-account.js';
import type { DmTree } from '../dm/dm-tree.js';
import { cloudNotificationDisallowed } from '../dm/policy-nodes.js';
import { defaultIdentity, hardwareDeviceId, windowsTree } from '../dm/windows-tree.js';
import type { ArmTimer, DeviceState, TimerSnapshot } from '../snapshot.js';
import type { Timer } from '../time/clock.js';
import type { DevicePatch, WnsPushService } from './conditions.js';
import { usedAt } from './data-sense.js';
import { levelAt } from './power.js';
import { EnrollingDevice } from './device-enrollment.js';
import { round2, structuredCopy, type DeviceSnapshot } from './device-base.js';
export type { DeviceContext, DeviceSnapshot } from './device-base.js';

/**
 * One simulated Windows device: power, network, Data Sense, its WNS persistent connection and the
 * DMClient's push nodes, renewal schedule and poll schedule. It runs entirely on its context's
 * clock and random stream, so a run is reproducible.
 */
export class SimDevice extends EnrollingDevice {
  /**
   * Boots the device: conditions, then enrollment (a fleet with an enrollment service, a device
   * not enrolled yet), provisioning (a preset PFN) or a first poll session, then polling.
   */
  start(): void {
    this.enter(() => this.boot());
  }

  private boot(): void {
    this.startRoutine();
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
    // A device that starts with its screen off says so (the screen is on unless told).
    if (this.screen === 'off')
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'screen.changed',
        screen: 'off',
      });
    this.refreshPower();
    this.refreshDataSense();
    this.scheduleReset();
    // An empty battery: the device is off; charging boots it (a channel request, reason `boot`).
    if (this.poweredOff) {
      this.schedulePoll(this.now(), POLL_START);
      return;
    }
    if (this.mustEnroll) {
      // Polling starts when enrollment completes.
      this.beginEnrollment();
      return;
    }
    if (this.pfn !== null) this.requestChannel('provisioned');
    else this.requestSession('poll');
    this.schedulePoll(this.now(), POLL_START);
  }

  /** Applies a change of conditions (a scenario `set`, a control API PATCH). */
  apply(patch: DevicePatch): void {
    this.enter(() => {
      if (patch.battery) this.setPower(patch.battery);
      if (patch.screen) this.setScreen(patch.screen);
      if (patch.network) this.setNetwork(patch.network);
      if (patch.dataSense) this.setDataSense(patch.dataSense);
      if (patch.poll) this.setPoll(patch.poll);
      if (patch.pfn !== undefined) this.setPfn(patch.pfn);
      if (patch.wnsPushService) this.setPushService(patch.wnsPushService);
    });
  }

  /** Starts or stops the push routing service (dmwappushservice): `push-service.changed`. */
  private setPushService(state: WnsPushService): void {
    if (state === this.wnsPushService) return;
    this.wnsPushService = state;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'push-service.changed', state });
  }

  /** Policy `DisallowCloudNotification` is 1 in the tree (a tree never built holds no policy). */
  protected cloudNotificationsDisallowed(): boolean {
    return this.dmTree !== undefined && cloudNotificationDisallowed(this.dmTree);
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
    // A device that enrolls starts with no provider: its provisioning document creates one.
    const provider = this.ctx.enroller ? null : this.providerId;
    const tree = windowsTree(defaultIdentity(this.id, this.os), provider, {
      now: () => this.now(),
      readPush: () => this.readPush(),
      setPfn: (pfn) => this.enter(() => this.setPfn(pfn)),
      pollConfig: () => this.pollConfig,
      setPoll: (patch) => this.enter(() => this.setPoll(patch)),
      providerRemoved: (providerId) => this.enter(() => this.providerRemoved(providerId)),
      accountRemoved: (uid) => this.enter(() => this.accountRemoved(uid)),
      // The tree's stored nodes are part of the device's record.
      update: (change) => this.enter(change),
      cloudNotificationChanged: () => this.enter(() => this.updateConnection()),
    });
    return tree;
  }

  /**
   * The DM account of the device's provider, read from its tree's DMAcc nodes each time (a
   * server's rekey is seen by the next session); null while the tree has none for it. A tree never
   * built holds no account: asking does not build it.
   */
  override get account(): DmAccount | null {
    return this.dmTree ? readAccount(this.dmTree, this.activeProvider) : null;
  }

  /** The provider the device is managed by: its enrollment's, else the configured one. */
  private get activeProvider(): string {
    return this.enrollment?.providerId ?? this.providerId;
  }

  protected enrollRequest(): EnrollRequest {
    const identity = defaultIdentity(this.id, this.os);
    return {
      deviceId: this.id,
      devId: identity.devId,
      // Sent on every version, whether or not its tree has `DMClient/HWDevID` (1709+).
      hwDevId: hardwareDeviceId(identity.devId),
      deviceName: identity.deviceName,
      osVersion: identity.swV,
    };
  }

  protected removeProvider(providerId: string): void {
    removeProvider(this.tree, providerId);
  }

  /** `./DevInfo/DevId`. */
  get devId(): string {
    return defaultIdentity(this.id, this.os).devId;
  }

  /** The device's CSP path prefix (`./Vendor/MSFT/DMClient/Provider/{ProviderID}`). */
  get providerPath(): string {
    return `./Vendor/MSFT/DMClient/Provider/${this.activeProvider}`;
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
      enrollment: this.enrollmentView,
      battery: {
        ...this.powerConfig(),
        level: round2(levelAt(this.power, now)),
        saverOn: this.saverOn,
      },
      screen: this.screen,
      poweredOff: this.poweredOff,
      heldPushes: this.held.length,
      network: this.network,
      wnsPushService: this.wnsPushService,
      dataSense: {
        ...this.dataSenseConfig(),
        usedMB: round2(usedAt(this.dataSense, now)),
        limitReached: this.limitReached,
      },
    };
  }

  reboot(): void {
    this.enter(() => this.restart());
  }

  private restart(): void {
    // A device that is off has nothing to restart.
    if (this.poweredOff) return;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'device.rebooted' });
    this.dropLink('reboot');
    this.cutSession('reboot');
    if (this.pfn !== null) this.requestChannel('boot');
    this.updateConnection();
  }

  // ---- durable state ----------------------------------------------------------------------------

  /**
   * Picks up after the simulator restarted from durable state with live links (`dmpush serve`):
   * the connections and requests of the stopped process are gone. The persistent connection is
   * opened again if the device still wants it (`wns.connected` when it is up); a channel request
   * that was waiting for WNS is asked again; a session in progress lost its server connection and
   * fails (reason `restart`), and a queued one starts; an enrollment attempt in progress starts
   * over (a new `enrollment.started`).
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
    this.resumeEnrollment();
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
      // Written only when not the default, so states saved before it existed read the same.
      ...(this.wnsPushService === 'disabled' && { wnsPushService: 'disabled' as const }),
      screen: this.screen,
      poweredOff: this.poweredOff,
      held: this.held.map((h) => ({ ...h })),
      routineCursor: this.routineCursor && { ...this.routineCursor },
      pollDelayed: this.pollDelayed,
      pfn: this.pfn,
      channel: this.channel && { uri: this.channel.uri, expiresAt: this.channel.expiresAt },
      failureStatus: this.failureStatus,
      pushWithoutSession: this.pushWithoutSession,
      status: this.status,
      link: this.link,
      requestGeneration: this.requestGeneration,
      pendingRequest: this.pendingRequest,
      ...(this.revocations.length ? { revocations: [...this.revocations] } : {}),
      tree: this.dmTree ? this.dmTree.saveState() : null,
      renewal: this.renewal && { ...this.renewal },
      pollCursor: { phase: this.pollCursor.phase, done: this.pollCursor.done },
      sessionRunning: this.sessionRunning,
      sessionQueued: this.sessionQueued,
      sessionGeneration: this.sessionGeneration,
      enrollment: this.enrollment,
      enrolling: this.enrolling,
      timers: {
        renewal: timer(this.renewalTimer),
        expiry: timer(this.expiryTimer),
        power: timer(this.powerTimer),
        limit: timer(this.limitTimer),
        reset: timer(this.resetTimer),
        poll: timer(this.pollTimer),
        enroll: timer(this.enrollTimer),
        routine: timer(this.routineTimer),
        hold: timer(this.holdTimer),
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
    this.wnsPushService = s.wnsPushService ?? 'running';
    // Fields added after the first snapshots: an older state reads as screen on, on, none held.
    this.screen = s.screen ?? 'on';
    this.poweredOff = s.poweredOff ?? false;
    this.held = (s.held ?? []).map((h) => ({ ...h }));
    this.routineCursor = s.routineCursor ? { ...s.routineCursor } : null;
    this.pollDelayed = s.pollDelayed ?? false;
    this.pfn = s.pfn;
    this.channel = s.channel && { uri: s.channel.uri, expiresAt: s.channel.expiresAt };
    this.failureStatus = s.failureStatus;
    this.pushWithoutSession = s.pushWithoutSession;
    this.status = s.status;
    this.link = s.link;
    this.requestGeneration = s.requestGeneration;
    this.pendingRequest = s.pendingRequest;
    this.revocations = [...(s.revocations ?? [])];
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
    this.enrollment = s.enrollment;
    this.enrolling = s.enrolling;
    const { renewal, expiry, power, limit, reset, poll, enroll } = s.timers;
    if (enroll) arm(enroll, () => void (this.enrollTimer = this.armEnrollRetry(enroll.at)));
    if (renewal) arm(renewal, () => void (this.renewalTimer = this.armRenewal(renewal.at)));
    if (expiry) arm(expiry, () => void (this.expiryTimer = this.armExpiry(expiry.at)));
    if (power) arm(power, () => void (this.powerTimer = this.armPower(power.at)));
    if (limit) arm(limit, () => void (this.limitTimer = this.armLimit(limit.at)));
    if (reset) arm(reset, () => void (this.resetTimer = this.armReset(reset.at)));
    if (poll)
      arm(poll, () => void (this.pollTimer = this.ctx.clock.schedule(poll.at, this.onPollDue)));
    const { routine: step, hold } = s.timers;
    if (step) arm(step, () => void (this.routineTimer = this.armRoutine(step.at)));
    if (hold) arm(hold, () => void (this.holdTimer = this.armHoldExpiry(hold.at)));
  }
}
