/**
 * The pushes one device socket has been sent and not yet acknowledged, with the two bounds on
 * them:
 *
 * - **The hold on a virtual clock.** A push is I/O in flight (`Clock.track`) until the device has
 *   read it, so a virtual clock does not skip time before the device can act on it: until its
 *   `ack`, or the pong to a ping sent right after it (frames arrive in order, so a pong proves the
 *   push was read), or the socket's end. A peer that answers neither holds the clock for
 *   `receiptTimeoutMs` of real time at most (as `--session-timeout` bounds a hung SyncML request).
 * - **The ack deadline**, on the emulator's clock: a push not acknowledged within `deadlineMs` is
 *   given up (the emulator records it undelivered). One whose socket ends first is given up then.
 *
 * @module
 */
import type { IncomingPush } from '../../core/ports.js';
import type { Clock, Timer } from '../../core/time/clock.js';

/** What a {@link PushAcks} works with. */
export interface PushAckOptions {
  /** The emulator's clock: holds and the deadline. */
  readonly clock: Clock;
  /** Real time, for the bound on a hold; null when `clock` is real time itself (no holds). */
  readonly realClock: Clock | null;
  readonly deadlineMs: number;
  readonly receiptTimeoutMs: number;
  /** Sends a ping carrying `data` on the socket. */
  readonly ping: (data: string) => void;
  /** Records a push as undelivered, saying why. */
  readonly giveUp: (push: IncomingPush, why: string) => void;
}

interface Pending {
  readonly push: IncomingPush;
  /** The receipt ping sent after it. */
  readonly seq: number;
  /** Ends its hold on the clock; null once ended. */
  release: (() => void) | null;
  readonly deadline: Timer;
  grace: Timer | null;
}

/** Receipt pings carry `r<seq>`; keep-alive pings carry nothing. */
const RECEIPT = /^r(\d+)$/;

/** Unacknowledged pushes of one socket (see the module comment). */
export class PushAcks {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;

  constructor(private readonly o: PushAckOptions) {}

  /** Pushes awaiting their ack. */
  get size(): number {
    return this.pending.size;
  }

  /** Call right after the push frame went out: holds the clock, arms the deadline, pings. */
  sent(push: IncomingPush): void {
    const { clock, realClock } = this.o;
    this.settle(push.msgId);
    const seq = ++this.seq;
    const entry: Pending = {
      push,
      seq,
      release: null,
      deadline: clock.schedule(clock.now() + this.o.deadlineMs, () => this.expire(push.msgId)),
      grace: null,
    };
    void clock.track(new Promise<void>((resolve) => (entry.release = resolve)));
    if (realClock) entry.grace = realClock.after(this.o.receiptTimeoutMs, () => this.unhold(entry));
    this.pending.set(push.msgId, entry);
    this.o.ping(`r${seq}`);
  }

  /** The device acknowledged `msgId`: false when no such push awaits an ack here. */
  ack(msgId: string): boolean {
    return this.settle(msgId) !== null;
  }

  /** A pong arrived with `data`: every push sent before that ping has been read. */
  pong(data: string): void {
    const m = RECEIPT.exec(data);
    if (!m) return;
    const upTo = Number(m[1]);
    for (const entry of this.pending.values()) if (entry.seq <= upTo) this.unhold(entry);
  }

  /**
   * The socket is done with: every push still awaiting its ack is given up, saying `why`, or
   * only released when `why` is null (the server is closing: no verdict).
   */
  endAll(why: string | null): void {
    for (const msgId of [...this.pending.keys()]) {
      const entry = this.settle(msgId);
      if (entry && why !== null) this.o.giveUp(entry.push, why);
    }
  }

  private expire(msgId: string): void {
    const entry = this.settle(msgId);
    if (entry) this.o.giveUp(entry.push, `no ack within ${this.o.deadlineMs} ms`);
  }

  /** Forgets a push: its hold, deadline and grace end. */
  private settle(msgId: string): Pending | null {
    const entry = this.pending.get(msgId);
    if (!entry) return null;
    this.pending.delete(msgId);
    this.o.clock.cancel(entry.deadline);
    this.unhold(entry);
    return entry;
  }

  /** Ends a push's hold on the clock (it stays awaiting its ack). */
  private unhold(entry: Pending): void {
    this.o.realClock?.cancel(entry.grace);
    entry.grace = null;
    const release = entry.release;
    entry.release = null;
    release?.();
  }
}
