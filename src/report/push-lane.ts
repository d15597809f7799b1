/**
 * The pushes lane: each raw push the server sent, with its fate (delivered at once, cached and
 * delivered later, still cached, dropped, expired in the cache, or rejected), as a point or, when
 * WNS cached it, a band from sending to its outcome.
 */
import { humanSpan } from '../core/time/iso.js';
import type { HoldReason } from '../core/device/wns-priority.js';
import type { DropReason, TimelineEventOf } from '../core/timeline/events.js';
import { formatTime } from './format.js';
import type { LaneItems } from './lane-items.js';
import { DROP_TEXT, HOLD_TEXT } from './timeline-texts.js';
import type { PushOutcome } from './timeline-types.js';

interface PushRecord {
  readonly msgId: string;
  sentAt: number;
  cachePolicy?: string;
  ttlSeconds?: number | null;
  status?: number;
  cachedAt?: number;
  cacheUntil?: number | null;
  outcome: PushOutcome | null;
  outcomeAt?: number;
  dropReason?: DropReason;
  heldAt?: number;
  holdReason?: HoldReason;
  rejectReason?: string;
}

/** The events about one device's pushes. */
export type PushEvent = TimelineEventOf<
  'push.sent' | 'push.cached' | 'push.received' | 'push.held' | 'push.dropped' | 'push.rejected'
>;

export class PushLane {
  private readonly pushes = new Map<string, PushRecord>();
  private readonly rejected: PushRecord[] = [];

  constructor(private readonly out: LaneItems) {}

  apply(e: PushEvent): void {
    const t = e.time;
    switch (e.type) {
      case 'push.sent': {
        const p = this.push(e.msgId, t);
        p.sentAt = t;
        p.cachePolicy = e.cachePolicy;
        p.ttlSeconds = e.ttlSeconds;
        p.status = e.status;
        break;
      }
      case 'push.cached': {
        const p = this.push(e.msgId, t);
        p.cachedAt = t;
        p.cacheUntil = e.expiresAt;
        break;
      }
      case 'push.received': {
        const p = this.push(e.msgId, t);
        p.outcome = e.cached || p.cachedAt !== undefined ? 'delivered-from-cache' : 'delivered';
        p.outcomeAt = t;
        break;
      }
      case 'push.held': {
        const p = this.push(e.msgId, t);
        p.heldAt = t;
        p.holdReason = e.reason;
        break;
      }
      case 'push.dropped': {
        const p = this.push(e.msgId, t);
        const aged = e.reason === 'ttl-expired' || e.reason === 'cache-expired';
        p.outcome = aged ? 'expired' : 'dropped';
        p.outcomeAt = t;
        p.dropReason = e.reason;
        break;
      }
      case 'push.rejected':
        this.rejected.push({
          msgId: `rejected#${this.rejected.length + 1}`,
          sentAt: t,
          status: e.status,
          outcome: 'rejected',
          outcomeAt: t,
          rejectReason: e.reason,
        });
        break;
    }
  }

  /** Draws every push; those with no outcome yet are still cached at `end`. */
  finish(end: number): void {
    for (const p of [...this.pushes.values(), ...this.rejected]) this.pushItem(p, end);
  }

  /** The outcome of every push, for the summary. */
  outcomes(): PushOutcome[] {
    return [...this.pushes.values(), ...this.rejected].map((p) => p.outcome ?? 'cached');
  }

  private push(msgId: string, t: number): PushRecord {
    let p = this.pushes.get(msgId);
    if (!p) this.pushes.set(msgId, (p = { msgId, sentAt: t, outcome: null }));
    return p;
  }

  private pushItem(p: PushRecord, end: number): void {
    const name = p.msgId.startsWith(`${this.out.device}#`)
      ? p.msgId.slice(this.out.device.length)
      : p.msgId;
    const outcome: PushOutcome = p.outcome ?? 'cached';
    const at = p.outcomeAt ?? end;
    const label =
      outcome === 'rejected'
        ? `rejected ${p.status || ''}`.trim()
        : `${name} ${OUTCOME_LABEL[outcome]}`;
    const range = (p.cachedAt !== undefined || p.heldAt !== undefined) && at > p.sentAt;
    this.out.add('push', {
      kind: 'push',
      variant: outcome,
      start: p.sentAt,
      end: range ? at : null,
      label,
      explanation: () => pushText(p, outcome, at),
    });
  }
}

/** The label of a push by its outcome (after its name). */
const OUTCOME_LABEL: Readonly<Record<Exclude<PushOutcome, 'rejected'>, string>> = {
  delivered: 'delivered',
  'delivered-from-cache': 'cached → delivered',
  cached: 'cached',
  expired: 'expired',
  dropped: 'dropped',
};

/** What happened to a push (its `outcome` at `at`), in words. */
function pushText(p: PushRecord, outcome: PushOutcome, at: number): string {
  const sent = `Push ${p.msgId} sent ${formatTime(p.sentAt)}${p.cachePolicy ? ` (${p.cachePolicy}${p.ttlSeconds != null ? `, TTL ${p.ttlSeconds} s` : ''})` : ''}`;
  const cached =
    p.cachedAt !== undefined
      ? `: the device was offline, WNS cached it${p.cacheUntil != null ? ` until ${formatTime(p.cacheUntil, p.cachedAt)}` : ''}`
      : '';
  const held =
    p.heldAt !== undefined && p.holdReason !== undefined
      ? `; the device held it from ${formatTime(p.heldAt, p.sentAt)}: ${HOLD_TEXT[p.holdReason]}`
      : '';
  if (held && outcome === 'delivered')
    return `${sent}${cached}${held}; handed to the DMClient at ${formatTime(at, p.sentAt)} (after ${humanSpan(at - (p.heldAt ?? p.sentAt))}); a session follows (trigger push).`;
  if (held && outcome === 'cached')
    return `${sent}${cached}${held}; still held at the end of the run.`;
  if (held && outcome === 'dropped')
    return `${sent}${cached}${held}; dropped at ${formatTime(at, p.sentAt)}: ${DROP_TEXT[p.dropReason ?? 'cache-expired']}.`;
  switch (outcome) {
    case 'delivered':
      return `${sent}: delivered at once over the WNS connection; a session follows (trigger push).`;
    case 'delivered-from-cache':
      return `${sent}${cached}; delivered from the cache at ${formatTime(at, p.sentAt)} when the connection came back (after ${humanSpan(at - p.sentAt)}).`;
    case 'cached':
      return `${sent}${cached}; still waiting in the cache at the end of the run.`;
    case 'expired':
      return `${sent}${cached}; dropped at ${formatTime(at, p.sentAt)}: ${DROP_TEXT[p.dropReason ?? 'ttl-expired']}.`;
    case 'dropped':
      return `${sent}${cached}; WNS dropped it${at !== p.sentAt ? ` at ${formatTime(at, p.sentAt)}` : ''}: ${DROP_TEXT[p.dropReason ?? 'offline']}.`;
    case 'rejected':
      return `Push at ${formatTime(p.sentAt)} rejected: ${p.status ? `WNS answered ${p.status}` : 'not sent (the server had no ChannelURI)'} (${p.rejectReason ?? 'unknown'}).`;
  }
}
