import { ClockLoopLimitError } from '../errors.js';
import { BinaryHeap } from './binary-heap.js';
import type { Clock, Timer } from './clock.js';
import { formatInstant } from './iso.js';

interface Entry extends Timer {
  readonly at: number;
  readonly seq: number;
  callback: (() => void) | null;
}

const earlier = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Options of a {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Start instant, epoch ms. */
  start: number;
  /** Most events one run call may execute before it throws {@link ClockLoopLimitError}. */
  loopLimit?: number;
}

/**
 * A discrete-event clock. Time only moves when you run it, and then jumps from event to event;
 * events are ordered by (time, insertion order), so a run is fully deterministic.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock({ start: Date.parse('2026-01-01T00:00:00Z') });
 * clock.schedule(clock.now() + 3_600_000, () => console.log('an hour later'));
 * clock.advance(2 * 3_600_000); // runs it, leaves now() two hours on
 * ```
 */
export class VirtualClock implements Clock {
  readonly mode = 'virtual' as const;
  private current: number;
  private seq = 0;
  private readonly heap = new BinaryHeap<Entry>(earlier);
  private readonly loopLimit: number;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private executed = 0;

  constructor(options: VirtualClockOptions) {
    this.current = options.start;
    this.loopLimit = options.loopLimit ?? 100_000_000;
  }

  now(): number {
    return this.current;
  }

  /** How many events have run since the clock was made. */
  get eventsRun(): number {
    return this.executed;
  }

  /** How many timers are waiting (cancelled ones may still be counted until they come due). */
  get pending(): number {
    return this.heap.size;
  }

  schedule(at: number, callback: () => void): Timer {
    const entry: Entry = { at: Math.max(at, this.current), seq: this.seq++, callback };
    this.heap.push(entry);
    return entry;
  }

  cancel(timer: Timer | null | undefined): void {
    if (timer) (timer as Entry).callback = null;
  }

  /** The instant of the next live event, or `null` when none is scheduled. */
  nextEventAt(): number | null {
    this.dropCancelled();
    const top = this.heap.peek();
    return top ? top.at : null;
  }

  /** Runs the next event (time jumps to it). Returns false when there is none. */
  runNext(): boolean {
    this.dropCancelled();
    const top = this.heap.pop();
    if (!top) return false;
    this.fire(top);
    return true;
  }

  /**
   * Runs every event due at or before `until`, in order, then leaves the clock at `until`.
   * Returns the number of events run.
   */
  runUntil(until: number): number {
    let count = 0;
    const heap = this.heap;
    for (;;) {
      const top = heap.peek();
      if (!top || top.at > until) break;
      if (top.callback !== null && ++count > this.loopLimit) this.loopLimitReached();
      heap.pop();
      this.fire(top);
    }
    if (until > this.current) this.current = until;
    return count;
  }

  /** Advances by `ms`, running every event due on the way. */
  advance(ms: number): number {
    return this.runUntil(this.current + ms);
  }

  /** Runs until no event is left (bounded by the loop limit). */
  runAll(): number {
    let count = 0;
    while (this.nextEventAt() !== null) {
      if (++count > this.loopLimit) this.loopLimitReached();
      this.runNext();
    }
    return count;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = (): void => {
      this.inFlight--;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    };
    work.then(done, done);
    return work;
  }

  /** True while tracked I/O is in flight. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves once no tracked I/O is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Time-skipping run for adapters with real I/O: like {@link runUntil}, but before each event it
   * waits until no tracked I/O is in flight, so replies from real sockets land before time moves.
   */
  async runUntilIdleAware(until: number): Promise<number> {
    let count = 0;
    for (;;) {
      await this.whenIdle();
      // Let already-resolved I/O callbacks run before time moves.
      await Promise.resolve();
      if (this.inFlight > 0) continue;
      this.dropCancelled();
      const top = this.heap.peek();
      if (!top || top.at > until) break;
      if (++count > this.loopLimit) this.loopLimitReached();
      this.heap.pop();
      this.fire(top);
    }
    await this.whenIdle();
    if (until > this.current) this.current = until;
    return count;
  }

  /** Throws before running the event over the limit, which stays queued. */
  private loopLimitReached(): never {
    throw new ClockLoopLimitError(this.loopLimit, formatInstant(this.current));
  }

  private fire(entry: Entry): void {
    const callback = entry.callback;
    if (!callback) return;
    entry.callback = null;
    this.current = entry.at;
    this.executed++;
    callback();
  }

  private dropCancelled(): void {
    const heap = this.heap;
    let top = heap.peek();
    while (top && top.callback === null) {
      heap.pop();
      top = heap.peek();
    }
  }
}
