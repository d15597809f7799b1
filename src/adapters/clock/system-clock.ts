import type { Clock, Timer } from '../../core/time/clock.js';

/** Node's timers take at most 2^31 - 1 ms; longer waits are chained. */
const MAX_TIMEOUT = 2 ** 31 - 1;

interface SystemTimer extends Timer {
  handle: NodeJS.Timeout | null;
  cancelled: boolean;
}

/**
 * The {@link Clock} on real time: `now()` is the system clock and timers are Node timers. Timers
 * due at the same millisecond run in the order they were scheduled, as on the virtual clock.
 */
export class SystemClock implements Clock {
  readonly mode = 'system' as const;
  /** Timers not yet run or cancelled, for {@link dispose}. */
  private readonly pending = new Set<SystemTimer>();
  private disposed = false;

  now(): number {
    return Date.now();
  }

  schedule(at: number, callback: () => void): Timer {
    const timer: SystemTimer = { at, handle: null, cancelled: false };
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
