import { isWellFormedPfn } from '../dmclient/pfn.js';
import { PushStatus } from '../dmclient/push-status.js';
import {
  attemptGoesAhead,
  scheduleAfterAttempt,
  scheduleAfterSkip,
  type RenewalDecision,
} from '../dmclient/renewal-policy.js';
import type { ChannelGrant, RevokeResult } from '../ports.js';
import type { Timer } from '../time/clock.js';
import type { ChannelFailure, ChannelRequestReason, RevokeFailure } from '../timeline/events.js';
import { ConditionsDevice } from './device-conditions.js';

/** The DMClient's ChannelURI: channel requests, renewal and retry timing, Push/PFN and Push/Status. */
export abstract class ChannelDevice extends ConditionsDevice {
  /** PFNs whose channels WNS has not revoked yet (a revocation failed): tried again later. */
  protected revocations: string[] = [];

  // ---- renewal --------------------------------------------------------------------------------

  protected requestChannel(reason: ChannelRequestReason): void {
    const pfn = this.pfn;
    if (pfn === null) return;
    this.retryRevocations();
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'channel.requested', reason });
    this.askForChannel(pfn, reason);
  }

  protected askForChannel(pfn: string, reason: ChannelRequestReason): void {
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

  protected localChannelFailure(pfn: string): ChannelFailure | null {
    return isWellFormedPfn(pfn) ? this.wnsOutOfReach() : 'invalid-pfn';
  }

  /** Why the device cannot reach WNS from its network now, or null when it can. */
  private wnsOutOfReach(): RevokeFailure | null {
    if (!this.network.connected) return 'no-network';
    if (!this.network.internet) return 'no-internet';
    if (!this.network.wnsReachable) return 'wns-unreachable';
    return null;
  }

  protected onGrant(
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

  protected onRenewalDue(): void {
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

  protected scheduleRenewal(decision: RenewalDecision): void {
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

  protected armRenewal(at: number): Timer {
    return this.at(at, () => this.onRenewalDue());
  }

  protected armExpiry(at: number): Timer {
    return this.at(at, () => this.onChannelExpired());
  }

  protected onChannelExpired(): void {
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

  protected setPfn(pfn: string | null): void {
    if (pfn === this.pfn) return;
    const old = this.pfn;
    // WNS issued (or is issuing) channels for the old PFN that still work: the DMClient revokes
    // them. Once the latest has expired, every older one has too (WNS answers 410 already).
    const live = this.channel !== null && this.channel.expiresAt > this.now();
    const held = live || this.pendingRequest !== null;
    // Status 6 stays while an earlier failed revocation is still pending.
    const failed = PushStatus.ChannelUriRevokeFailed;
    const stillFailed = this.failureStatus === failed && this.revocations.length > 0;
    this.pfn = pfn;
    this.channel = null;
    this.failureStatus = stillFailed ? failed : null;
    this.requestGeneration++;
    this.pendingRequest = null;
    this.ctx.clock.cancel(this.expiryTimer);
    this.ctx.clock.cancel(this.renewalTimer);
    this.expiryTimer = this.renewalTimer = null;
    this.renewal = null;
    if (old !== null && held) this.revoke(old);
    this.updateStatus();
    this.updateConnection();
    if (pfn !== null) this.requestChannel('provisioned');
  }

  // ---- revocation -----------------------------------------------------------------------------

  /**
   * Revokes the channels WNS issued for `pfn` (DMClient CSP, Push/Status 6 "Channel URI failed to
   * be revoked"), and those of any earlier PFN still pending. A failure sets Push/Status 6 and
   * keeps the PFN in {@link revocations}.
   */
  protected revoke(pfn: string): void {
    if (!this.revocations.includes(pfn)) this.revocations.push(pfn);
    for (const p of [...this.revocations]) this.attemptRevocation(p);
  }

  /**
   * Tries failed revocations again, when the device can reach WNS (**assumption**: at its next
   * channel request or session request; docs/model.md §12).
   */
  protected retryRevocations(): void {
    if (this.revocations.length === 0 || this.wnsOutOfReach() !== null) return;
    for (const p of [...this.revocations]) this.attemptRevocation(p);
  }

  private attemptRevocation(pfn: string): void {
    const local = this.wnsOutOfReach();
    if (local) this.onRevoked(pfn, { ok: false, reason: local });
    else
      this.ctx.wns.revokeChannels(this.id, pfn, (result) =>
        this.enter(() => this.onRevoked(pfn, result)),
      );
  }

  private onRevoked(
    pfn: string,
    result: RevokeResult | { ok: false; reason: RevokeFailure },
  ): void {
    // A late answer for a PFN another attempt has revoked meanwhile changes nothing.
    if (!this.revocations.includes(pfn)) return;
    const time = this.now();
    if (!result.ok) {
      this.ctx.sink.emit({
        time,
        device: this.id,
        type: 'channel.revoke-failed',
        pfn,
        reason: result.reason,
      });
      if (this.failureStatus === null) this.failureStatus = PushStatus.ChannelUriRevokeFailed;
      this.updateStatus();
      return;
    }
    this.revocations = this.revocations.filter((p) => p !== pfn);
    this.ctx.sink.emit({ time, device: this.id, type: 'channel.revoked', pfn });
    const settled = this.revocations.length === 0;
    if (settled && this.failureStatus === PushStatus.ChannelUriRevokeFailed)
      this.failureStatus = null;
    this.updateStatus();
  }

  // ---- Push/Status --------------------------------------------------------------------------

  protected baseStatus(): PushStatus {
    if (this.failureStatus !== null) return this.failureStatus;
    if (!this.channel) return PushStatus.NoChannelUri;
    return this.channel.expiresAt > this.now() ? PushStatus.Success : PushStatus.ChannelUriExpired;
  }

  protected updateStatus(): void {
    const status = this.pushWithoutSession ? PushStatus.PushWithoutSession : this.baseStatus();
    if (status === this.status) return;
    this.status = status;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'push.status', status });
  }
}
