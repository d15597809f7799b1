import type { ClientIdentity, DmAccount } from '../dm/dm-account.js';
import type { DmTree } from '../dm/dm-tree.js';
import type { PushNodes, SessionRequest } from '../ports.js';
import { planPolls, nextPoll, POLL_START, type PollCursor } from '../dmclient/poll-schedule.js';
import type { SessionResult } from '../ports.js';
import type { SessionBlocker, SessionTrigger } from '../timeline/events.js';
import type { DevicePatch } from './conditions.js';
import { LinkDevice } from './device-link.js';

/** A session's view of its device; the DM tree is built only if the transport asks for it. */
class DeviceSessionRequest implements SessionRequest {
  constructor(
    private readonly device: SessionDevice,
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

  get account(): DmAccount | null {
    return this.device.account;
  }

  get identity(): ClientIdentity | null {
    return this.device.identity;
  }
}

/** Management sessions (one at a time, one queued) and the DMClient poll schedule. */
export abstract class SessionDevice extends LinkDevice {
  /** The device's DM tree, which a SyncML session reads and writes. */
  abstract get tree(): DmTree;

  /** `./DevInfo/DevId`: the SyncHdr Source of the device's messages. */
  abstract get devId(): string;

  /** The Push nodes as a server reads them. */
  abstract readPush(): PushNodes;

  /** The DM account sessions authenticate with, or null (managed without enrollment). */
  get account(): DmAccount | null {
    return null;
  }

  /** The TLS client identity of an enrolled device, or null. */
  get identity(): ClientIdentity | null {
    return null;
  }

  // ---- sessions and polling -----------------------------------------------------------------

  /**
   * Why a session cannot start now, or null. Battery Saver is not a reason: it cuts only the WNS
   * connection (docs/model.md §4); a device that is off runs nothing.
   */
  protected sessionBlocker(): SessionBlocker | null {
    if (this.poweredOff) return 'powered-off';
    if (!this.network.connected) return 'no-network';
    if (!this.network.internet) return 'no-internet';
    if (this.limitReached && this.network.metered) return 'data-sense';
    return null;
  }

  /** Starts a management session, or queues one behind the running session. */
  protected requestSession(trigger: SessionTrigger): void {
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

  protected sessionDone(
    trigger: SessionTrigger,
    generation: number,
  ): (result: SessionResult) => void {
    return (result) => {
      // A reboot cut this session: its late answer is ignored.
      if (generation !== this.sessionGeneration) return;
      this.enter(() => this.endSession(trigger, result));
    };
  }

  protected endSession(trigger: SessionTrigger, result: SessionResult): void {
    this.sessionRunning = null;
    if (result.ok)
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.completed',
        trigger,
      });
    else {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.failed',
        trigger,
        reason: result.reason,
      });
      // A push arrived but its session could not reach the server: Push/Status 7 (an assumption,
      // docs/model.md §2). A restart of the simulator is not the device's failure.
      if (trigger === 'push' && result.reason !== 'restart') {
        this.pushWithoutSession = true;
        this.updateStatus();
      }
    }
    const queued = this.sessionQueued;
    if (queued !== null) {
      this.sessionQueued = null;
      this.requestSession(queued);
    }
  }

  /** Cuts a running session (a reboot, the device going off): its late answer is ignored. */
  protected cutSession(reason: string): void {
    const running = this.sessionRunning;
    if (running === null) return;
    this.sessionRunning = null;
    this.sessionQueued = null;
    this.sessionGeneration++;
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'session.failed',
      trigger: running,
      reason,
    });
  }

  // ---- off and on -------------------------------------------------------------------------------

  /**
   * The battery ran empty (docs/model.md §4): the connection drops, a running session is cut,
   * held pushes are lost, the renewal schedule is dropped (the boot asks WNS again). Polls that
   * come due while off are skipped, not replayed.
   */
  protected switchOff(): void {
    this.poweredOff = true;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'device.powered-off' });
    this.dropLink('powered-off');
    this.cutSession('powered-off');
    this.dropAllHeld('powered-off');
    this.ctx.clock.cancel(this.renewalTimer);
    this.renewalTimer = null;
    this.renewal = null;
    this.requestGeneration++;
    this.pendingRequest = null;
  }

  /** Charging started on an empty battery: the device boots, as after a reboot (reason `boot`). */
  protected switchOn(): void {
    this.poweredOff = false;
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'device.booted',
      battery: Math.round(this.power.level * 100) / 100,
    });
    if (this.pfn !== null) this.requestChannel('boot');
    this.updateConnection();
  }

  /** Whether the DMClient polls now (a device that must enroll first does not). */
  protected get polling(): boolean {
    return true;
  }

  protected schedulePoll(previous: number, cursor: PollCursor): void {
    const clock = this.ctx.clock;
    clock.cancel(this.pollTimer);
    if (!this.polling) {
      this.pollTimer = null;
      return;
    }
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

  protected readonly onPollDue = (): void => this.enter(this.pollDue);

  protected readonly pollDue = (): void => {
    this.pollTimer = null;
    if (this.saverDelaysPolls && this.saverOn) this.delayPoll();
    else this.requestSession('poll');
    this.schedulePoll(this.now(), this.pollCursor);
  };

  /** Under Battery Saver with `pollsInBatterySaver: delay`: one poll waits for it to end. */
  private delayPoll(): void {
    if (this.pollDelayed) return;
    this.pollDelayed = true;
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'session.skipped',
      trigger: 'poll',
      reason: 'battery-saver',
    });
  }

  protected runDelayedPoll(): void {
    if (!this.pollDelayed) return;
    this.pollDelayed = false;
    this.requestSession('poll');
  }

  protected setPoll(patch: NonNullable<DevicePatch['poll']>): void {
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
}
