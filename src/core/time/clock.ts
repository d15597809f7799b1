/** A scheduled callback. Cancel it with {@link Clock.cancel}. */
export interface Timer {
  /** When it is due (epoch ms). */
  readonly at: number;
}

/**
 * The Clock port: the only source of time in the core. Two implementations share it: the
 * {@link VirtualClock} (discrete events, time skips) and the system clock adapter (real time).
 */
export interface Clock {
  readonly mode: 'virtual' | 'system';
  /** The current instant, epoch milliseconds. */
  now(): number;
  /**
   * Runs `callback` at `at` (epoch ms). A time in the past runs as soon as possible. Callbacks due
   * at the same instant run in the order they were scheduled.
   */
  schedule(at: number, callback: () => void): Timer;
  /**
   * Runs `callback` `delay` ms from now. The same as `schedule(now() + delay, callback)`, but a
   * virtual clock keeps timers of a repeated fixed delay in a cheaper queue: use it for periods.
   */
  after(delay: number, callback: () => void): Timer;
  /** Cancels a timer; cancelling one that already ran or was cancelled does nothing. */
  cancel(timer: Timer | null | undefined): void;
  /**
   * Marks I/O in flight until `work` settles. A virtual clock does not skip time while any is in
   * flight, so a real server or socket can answer before the next event runs.
   */
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * A clock that ranks its timers (insertion order), so their order can be saved and re-created:
 * durable state saves each pending timer's rank and re-arms timers in rank order on restore.
 */
export interface OrderedClock extends Clock {
  /** The rank of a pending timer, or null if it ran or was cancelled. */
  orderOf(timer: Timer | null | undefined): number | null;
  /** The rank the next timer will get. */
  readonly nextSeq: number;
  /** Sets the rank the next timer gets; ranks never go back (throws below {@link nextSeq}). */
  setNextSeq(seq: number): void;
}

/** `seq` as a clock's next rank, checked: ranks never go back (a RangeError below `current`). */
export function laterRank(seq: number, current: number): number {
  if (!Number.isSafeInteger(seq) || seq < current)
    throw new RangeError(`timer rank ${seq} is below the next rank ${current}`);
  return seq;
}

/** True when `clock` ranks its timers (both built-in clocks do). */
export function isOrdered(clock: Clock): clock is OrderedClock {
  return typeof (clock as Partial<OrderedClock>).orderOf === 'function';
}
