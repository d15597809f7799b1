import type { IncomingPush, LinkHandlers } from '../ports.js';
import type { Timer } from '../time/clock.js';
import type { DisconnectReason, DropReason } from '../timeline/events.js';
import { ChannelDevice } from './device-channel.js';
import {
  DEFAULT_RAW_PRIORITY,
  holdReason,
  type HeldPush,
  type HoldReason,
} from './wns-priority.js';

/** The WNS persistent connection: held while the device's state allows it, and what arrives on it. */
export abstract class LinkDevice extends ChannelDevice {
  /** What the device hears on its WNS link; each is an entry point. */
  protected readonly handlers: LinkHandlers = {
    onOpen: () => this.enter(() => this.onLinkOpen()),
    onPush: (push) => this.enter(() => this.onPush(push)),
    onClosed: (reason) => this.enter(() => this.onLinkClosed(reason)),
  };

  // ---- WNS persistent connection --------------------------------------------------------------

  /** Why the device should not hold a connection now, or null when it should. */
  protected connectionBlocker(): DisconnectReason | null {
    if (this.poweredOff) return 'powered-off';
    if (this.cloudNotificationsDisallowed()) return 'policy';
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

  /** Policy `Notifications/DisallowCloudNotification` is 1: no connection to WNS at all. */
  protected abstract cloudNotificationsDisallowed(): boolean;

  protected updateConnection(): void {
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
  protected dropLink(reason: DisconnectReason): void {
    if (this.link === 'down') return;
    const wasUp = this.link === 'up';
    this.link = 'down';
    this.ctx.wns.disconnect(this.id);
    if (wasUp)
      this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'wns.disconnected', reason });
  }

  protected onLinkOpen(): void {
    if (this.link !== 'connecting') return;
    this.link = 'up';
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'wns.connected' });
  }

  /**
   * Restarts the device (instantly): the persistent connection drops, a running session is cut
   * (`session.failed {reason: reboot}`), and with a PFN the DMClient asks for a channel again
   * (reason `boot`; an assumption, see docs/model.md). The poll schedule carries on.
   */

  protected onLinkClosed(reason: 'cloud'): void {
    if (this.link === 'down') return;
    const wasUp = this.link === 'up';
    // The link keeps trying to reconnect; the device stays willing.
    this.link = 'connecting';
    if (wasUp)
      this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'wns.disconnected', reason });
  }

  /**
   * A push reached the device: the notification platform hands it to the DMClient now, or holds
   * it by the priority table (WNS Notification Priorities), at most one per channel.
   */
  protected onPush(push: IncomingPush): void {
    const priority = push.priority ?? DEFAULT_RAW_PRIORITY;
    const reason = this.holdFor(priority);
    if (reason === null) {
      this.emitReceived(push.msgId, push.channelUri, push.cached, priority, null);
      this.useData(this.dataSense.perPushMB);
      this.routePush();
      return;
    }
    this.useData(this.dataSense.perPushMB);
    const previous = this.held.find((h) => h.channelUri === push.channelUri);
    if (previous) this.dropHeld(previous, 'replaced');
    const now = this.now();
    const expiresAt = push.expiresAt ?? null;
    const held: HeldPush = {
      msgId: push.msgId,
      channelUri: push.channelUri,
      priority,
      cached: push.cached,
      heldAt: now,
      expiresAt,
    };
    this.held.push(held);
    this.ctx.sink.emit({
      time: now,
      device: this.id,
      type: 'push.held',
      msgId: push.msgId,
      channelUri: push.channelUri,
      priority,
      reason,
      expiresAt,
    });
    this.armHoldTimer();
  }

  protected holdFor(priority: HeldPush['priority']): HoldReason | null {
    return holdReason(priority, {
      charging: this.power.charging,
      screenOn: this.screen === 'on',
      saverOn: this.saverOn,
      exempt: this.power.pushAllowedInSaver,
    });
  }

  protected emitReceived(
    msgId: string,
    channelUri: string,
    cached: boolean,
    priority: HeldPush['priority'],
    heldAt: number | null,
  ): void {
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'push.received',
      msgId,
      channelUri,
      cached,
      priority,
      ...(heldAt === null ? {} : { heldAt }),
    });
  }

  /** Hands over, in arrival order, the held pushes the table now delivers. */
  protected releaseHeld(): void {
    if (this.held.length === 0 || this.poweredOff) return;
    const ready = this.held.filter((h) => this.holdFor(h.priority) === null);
    if (ready.length === 0) return;
    this.held = this.held.filter((h) => !ready.includes(h));
    this.armHoldTimer();
    for (const h of ready) {
      this.emitReceived(h.msgId, h.channelUri, h.cached, h.priority, h.heldAt);
      this.routePush();
    }
  }

  protected dropHeld(h: HeldPush, reason: DropReason): void {
    this.held = this.held.filter((x) => x !== h);
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'push.dropped',
      msgId: h.msgId,
      channelUri: h.channelUri,
      reason,
    });
  }

  /** Drops every held push (the device went off). */
  protected dropAllHeld(reason: DropReason): void {
    for (const h of [...this.held]) this.dropHeld(h, reason);
    this.armHoldTimer();
  }

  /** Arms the timer of the earliest deadline among held pushes (none without one). */
  protected armHoldTimer(): void {
    this.ctx.clock.cancel(this.holdTimer);
    let at: number | null = null;
    for (const h of this.held)
      if (h.expiresAt !== null && (at === null || h.expiresAt < at)) at = h.expiresAt;
    this.holdTimer = at === null ? null : this.armHoldExpiry(at);
  }

  protected armHoldExpiry(at: number): Timer {
    return this.at(at, () => {
      this.holdTimer = null;
      const now = this.now();
      for (const h of [...this.held])
        if (h.expiresAt !== null && h.expiresAt <= now) this.dropHeld(h, 'cache-expired');
      this.armHoldTimer();
    });
  }

  /** The push routing service hands a delivered push to the DMClient; disabled, none reaches it. */
  protected routePush(): void {
    if (this.wnsPushService === 'disabled') {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.skipped',
        trigger: 'push',
        reason: 'push-service-disabled',
      });
      return;
    }
    this.requestSession('push');
  }
}
