import type { IncomingPush, LinkHandlers } from '../ports.js';
import type { DisconnectReason } from '../timeline/events.js';
import { ChannelDevice } from './device-channel.js';

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

  protected onPush(push: IncomingPush): void {
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'push.received',
      msgId: push.msgId,
      channelUri: push.channelUri,
      cached: push.cached,
    });
    this.useData(this.dataSense.perPushMB);
    // The push routing service hands pushes to the DMClient; disabled, none reaches it.
    if (this.wnsPushService === 'disabled') {
      const skipped = { trigger: 'push', reason: 'push-service-disabled' } as const;
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'session.skipped',
        ...skipped,
      });
      return;
    }
    this.requestSession('push');
  }
}
