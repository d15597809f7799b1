import { laterRank, type OrderedClock, type Timer } from '../../core/time/clock.js';

/** Node's timers take at most 2^31 - 1 ms; longer waits are chained. */
const MAX_TIMEOUT = 2 ** 31 - 1;

interface SystemTimer extends Timer {
  readonly seq: number;
  handle: NodeJS.Timeout | null;
  cancelled: boolean;
}

/**
 * The {@link Clock} on real time: `now()` is the system clock and timers are Node timers. Timers
 * due at the same millisecond run in the order they were scheduled, as on the virtual clock.
 */
export class SystemClock implements OrderedClock {
  readonly mode = 'system' as const;
  private seq = 0;
  /** Timers not yet run or cancelled, for {@link dispose}. */
  private readonly pending = new Set<SystemTimer>();
  private disposed = false;

  now(): number {
    return Date.now();
  }

  schedule(at: number, callback: () => void): Timer {
    const timer: SystemTimer = { at, seq: this.seq++, handle: null, cancelled: false };
    if (this.disposed) return timer;
    const arm = (): void => {
      const wait = Math.max(0, at - Date.now());
      timer.handle = setTimeout(
        () => {
          if (timer.cancelled) return;
          if (Date.now() < at) arm();
          else {
            this.pending.delete(timer);
            callback();
          }
        },
        Math.min(wait, MAX_TIMEOUT),
      );
    };
    arm();
    this.pending.add(timer);
    return timer;
  }

  after(delay: number, callback: () => void): Timer {
    return this.schedule(Date.now() + delay, callback);
  }

  cancel(timer: Timer | null | undefined): void {
    if (!timer) return;
    const t = timer as SystemTimer;
    t.cancelled = true;
    if (t.handle) clearTimeout(t.handle);
    this.pending.delete(t);
  }

  /**
   * The rank of a pending timer (its insertion order), or null if it ran or was cancelled. Timers
   * re-armed in rank order keep their order: overdue ones all wait 0 ms and Node runs timers of
   * one wait in the order they were set.
   */
  orderOf(timer: Timer | null | undefined): number | null {
    const t = timer as SystemTimer | null | undefined;
    return t && this.pending.has(t) ? t.seq : null;
  }

  get nextSeq(): number {
    return this.seq;
  }

  setNextSeq(seq: number): void {
    this.seq = laterRank(seq, this.seq);
  }

  /**
   * Cancels every pending timer and ignores later ones: a live run that stops leaves nothing
   * behind to keep the process alive.
   */
  dispose(): void {
    this.disposed = true;
    for (const t of [...this.pending]) this.cancel(t);
  }

  track<T>(work: Promise<T>): Promise<T> {
    return work;
  }
}
