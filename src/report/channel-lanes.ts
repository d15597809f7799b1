/**
 * The DMClient's ChannelURI on the timeline: the lifetime of each channel (and the gaps with
 * none), Push/Status changes, and the renewal lane: each decision's window (or the wait for the
 * 15-day mark) and each channel request with what happened and what comes next.
 */
import { PUSH_STATUS_TEXT } from '../core/dmclient/push-status.js';
import type { OsVersion, RenewalRule } from '../core/dmclient/renewal-policy.js';
import { humanSpan } from '../core/time/iso.js';
import type {
  ChannelFailure,
  ChannelRequestReason,
  TimelineEventOf,
} from '../core/timeline/events.js';
import { explainRule } from '../core/timeline/format.js';
import { formatTime, shortDay } from './format.js';
import type { Band } from './condition-lanes.js';
import type { LaneItems } from './lane-items.js';
import { CHANNEL_FAILURE_TEXT, period, RULE_SHORT } from './timeline-texts.js';
import type { AttemptOutcome } from './timeline-types.js';

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

/** The events about the channel, its renewal and Push/Status. */
export type ChannelEvent = TimelineEventOf<
  | 'channel.requested'
  | 'channel.issued'
  | 'channel.request-failed'
  | 'channel.expired'
  | 'channel.revoked'
  | 'channel.revoke-failed'
  | 'renewal.skipped'
  | 'renewal.scheduled'
  | 'push.status'
>;

export class ChannelLanes {
  private channel: Band<{
    uri: string | null;
    expiresAt: number | null;
    issuedAt: number | null;
  }> | null = null;
  /** True once a channel was issued (no channel now then means it expired). */
  private hadChannel = false;
  /** Expiry of the latest channel issued, even once it has expired (null: none yet). */
  private lastExpiry: number | null = null;
  private readonly attempts: Attempt[] = [];
  /** Renewal decisions (`renewal.scheduled`) by the rule that fired. */
  readonly ruleCounts = new Map<RenewalRule, number>();

  constructor(private readonly out: LaneItems) {}

  /** The expiry of the channel the device holds now (null: none). */
  get expiresAt(): number | null {
    return this.channel?.state.expiresAt ?? null;
  }

  /** True once a channel was issued (no channel now then means it expired). */
  get everIssued(): boolean {
    return this.hadChannel;
  }

  /** A device starts with no channel. */
  start(t: number): void {
    if (!this.channel)
      this.channel = { since: t, state: { uri: null, expiresAt: null, issuedAt: null } };
  }

  apply(e: ChannelEvent): void {
    const t = e.time;
    switch (e.type) {
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
      case 'channel.revoked':
        this.closeChannel(t, 'revoked');
        this.channel = { since: t, state: { uri: null, expiresAt: null, issuedAt: null } };
        break;
      case 'channel.revoke-failed':
        this.out.add('channel', {
          row: 'status',
          kind: 'push-status',
          variant: 'error',
          start: t,
          end: null,
          label: 'revoke failed',
          explanation: () =>
            `The device could not revoke its channels for ${e.pfn} at ${formatTime(t)} (${CHANNEL_FAILURE_TEXT[e.reason]}): WNS still accepts pushes to the old ChannelURI; the device tries again when it next asks for a channel or starts a session.`,
        });
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
        this.out.add('channel', {
          row: 'status',
          kind: 'push-status',
          variant: e.status === 0 ? 'ok' : 'error',
          start: t,
          end: null,
          label: `Status ${e.status}`,
          explanation: () =>
            `Push/Status = ${e.status} at ${formatTime(t)}: ${PUSH_STATUS_TEXT[e.status]}.`,
        });
        break;
    }
  }

  /** Closes the channel's period at `end` and draws every attempt (`os` words them). */
  finish(end: number, os: OsVersion | null): void {
    this.closeChannel(end, 'end');
    for (const a of this.attempts) this.attemptItem(a, os);
  }

  /** Channel requests by outcome. */
  attemptCounts(): Record<AttemptOutcome, number> {
    const c: Record<AttemptOutcome, number> = { succeeded: 0, failed: 0, skipped: 0, pending: 0 };
    for (const a of this.attempts) c[a.outcome]++;
    return c;
  }

  // --- channel --------------------------------------------------------------------------------

  private closeChannel(t: number, why: 'replaced' | 'expired' | 'revoked' | 'end'): void {
    const b = this.channel;
    if (!b) return;
    const { uri, expiresAt, issuedAt } = b.state;
    if (uri === null || expiresAt === null || issuedAt === null) {
      if (t > b.since)
        this.out.add('channel', {
          row: 'channel',
          kind: 'channel',
          variant: 'none',
          start: b.since,
          end: t,
          label: 'no valid ChannelURI',
          explanation: () =>
            this.hadChannel
              ? `No valid ChannelURI ${period(b.since, t)}: the server cannot push to this device (a push to an old URI gets 410).`
              : `No ChannelURI yet ${period(b.since, t)}: the server cannot push to this device until one is issued.`,
        });
      return;
    }
    const end = why === 'end' ? Math.max(t, expiresAt) : t;
    const ending =
      why === 'replaced'
        ? `replaced by a new channel at ${formatTime(t)}, ${humanSpan(expiresAt - t)} before its expiry`
        : why === 'expired'
          ? `expired at ${formatTime(t)}`
          : why === 'revoked'
            ? `revoked at ${formatTime(t)} (its PFN was deleted or replaced): a push to it gets 410 Revoked channel URL`
            : `valid until ${formatTime(expiresAt)}`;
    this.out.add('channel', {
      row: 'channel',
      kind: 'channel',
      variant: 'valid',
      start: issuedAt,
      end,
      label: `…${uri.slice(-8)} until ${shortDay(expiresAt)}`,
      explanation: () =>
        `ChannelURI ${uri} issued ${formatTime(issuedAt)}, valid 30 days to ${formatTime(expiresAt)}; ${ending}.`,
    });
  }

  // --- renewal --------------------------------------------------------------------------------

  private window(e: TimelineEventOf<'renewal.scheduled'>): void {
    const after =
      this.attempts.at(-1)?.time === e.time ? 'after the attempt' : `decided ${formatTime(e.time)}`;
    if (e.rule === 'fifteen-day-mark') {
      this.out.add('renewal', {
        row: 'window',
        kind: 'renewal-window',
        variant: e.rule,
        start: e.time,
        end: e.at,
        label: `renew at 15 days left (${shortDay(e.at)})`,
        explanation: () =>
          `${e.os}: ${explainRule(e.rule, this.channelContext(e.time))} (${after}). Next attempt exactly at ${formatTime(e.at)}, in ${humanSpan(e.at - e.time)}.`,
      });
      return;
    }
    this.out.add('renewal', {
      row: 'window',
      kind: 'renewal-window',
      variant: e.rule,
      start: e.earliest,
      end: e.latest,
      label: RULE_SHORT[e.rule],
      explanation: () =>
        `${e.os}, rule ${e.rule}: ${explainRule(e.rule, this.channelContext(e.time))} (${after}, ${formatTime(e.time)}). Window ${formatTime(e.earliest)} – ${formatTime(e.latest, e.earliest)}; drawn: ${formatTime(e.at, e.earliest, true)}.`,
    });
  }

  /** Whether the channel behind an `expired` decision at `t` expired, or there was none. */
  private channelContext(t: number): 'none' | 'expired' {
    const current = this.channel?.state.uri ?? null;
    return current !== null || (this.lastExpiry !== null && this.lastExpiry <= t)
      ? 'expired'
      : 'none';
  }

  private attemptItem(a: Attempt, device: OsVersion | null): void {
    this.out.add('renewal', {
      row: 'attempt',
      kind: 'renewal-attempt',
      variant: a.outcome === 'pending' ? 'failed' : a.outcome,
      start: a.time,
      end: null,
      label: '',
      explanation: () => `${attemptText(a, device)}.`,
    });
  }
}

/** What a channel request (or a skipped renewal attempt) did and what follows it, in words. */
function attemptText(a: Attempt, device: OsVersion | null): string {
  const os = device ?? 'Windows 10';
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
  return text;
}
