import { ClockLoopLimitError } from '../errors.js';
import { BinaryHeap } from './binary-heap.js';
import { laterRank, type OrderedClock, type Timer } from './clock.js';
import { formatInstant } from './iso.js';

interface Entry extends Timer {
  readonly at: number;
  readonly seq: number;
  callback: (() => void) | null;
  /** In a lane rather than the heap. */
  readonly laned: boolean;
}

const earlier = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * Timers scheduled with one fixed delay. As the clock never goes back, they come due in the order
 * they were scheduled: a first-in-first-out list does what the heap would, in O(1).
 */
class Lane {
  private items: Entry[] = [];
  private head = 0;

  constructor(readonly delay: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  peek(): Entry | undefined {
    return this.items[this.head];
  }

  push(entry: Entry): void {
    this.items.push(entry);
  }

  shift(): void {
    this.head++;
    if (this.head >= 4096 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** Options of a {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Start instant, epoch ms. */
  start: number;
  /** Most events one run call may execute before it throws {@link ClockLoopLimitError}. */
  loopLimit?: number;
}

/**
 * What stops a run: an `AbortSignal` fits (the core only reads it; it needs no timers or I/O).
 */
export interface StopSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What may stop or pause a {@link VirtualClock.runIdleAware} run. */
export interface IdleAwareRunOptions {
  /**
   * Stops the run once aborted. It is read before each event and wakes a wait for I/O; time then
   * stays at the last event run (events due later, up to `until`, stay queued).
   */
  readonly signal?: StopSignal;
  /**
   * Asked once before each event. When it returns a promise, the run waits for it, then looks at
   * the signal and the I/O in flight again before running the event: an adapter yields to its event
   * loop there, so other work gets a turn. Pausing changes no order: events run as they would
   * without it (I/O that lands meanwhile lands before the next event, as in any wait for I/O).
   */
  readonly pause?: () => Promise<void> | undefined;
}

/** How a {@link VirtualClock.runIdleAware} run ended. */
export interface IdleAwareRunResult {
  /** Events run. */
  readonly events: number;
  /** True when its signal stopped it before it reached `until`. */
  readonly stopped: boolean;
}

/** Fixed delays beyond this many share the heap (each lane costs a comparison per event). */
const MAX_LANES = 8;

/**
 * A discrete-event clock. Time only moves when you run it, and then jumps from event to event;
 * events are ordered by (time, insertion order), so a run is fully deterministic.
 *
 * Timers live in a binary heap, except those scheduled with {@link after}, which go into one
 * first-in-first-out lane per delay: same order, cheaper for the many timers of a fleet that
 * repeat with a fixed period (polls, session lengths).
 *
 * @example
 * ```ts
 * const clock = new VirtualClock({ start: Date.parse('2026-01-01T00:00:00Z') });
 * clock.schedule(clock.now() + 3_600_000, () => console.log('an hour later'));
 * clock.advance(2 * 3_600_000); // runs it, leaves now() two hours on
 * ```
 */
export class VirtualClock implements OrderedClock {
  readonly mode = 'virtual' as const;
  private current: number;
  private seq = 0;
  private readonly heap = new BinaryHeap<Entry>(earlier);
  private readonly lanes: Lane[] = [];
  private readonly laneByDelay = new Map<number, Lane>();
  private readonly loopLimit: number;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private executed = 0;
  private cancelledInHeap = 0;

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
    let n = this.heap.size;
    for (const lane of this.lanes) n += lane.size;
    return n;
  }

  schedule(at: number, callback: () => void): Timer {
    const entry: Entry = {
      at: Math.max(at, this.current),
      seq: this.seq++,
      callback,
      laned: false,
    };
    this.heap.push(entry);
    return entry;
  }

  after(delay: number, callback: () => void): Timer {
    let lane = this.laneByDelay.get(delay);
    if (lane === undefined) {
      if (delay < 0 || this.lanes.length >= MAX_LANES)
        return this.schedule(this.current + delay, callback);
      lane = new Lane(delay);
      this.lanes.push(lane);
      this.laneByDelay.set(delay, lane);
    }
    const entry: Entry = { at: this.current + delay, seq: this.seq++, callback, laned: true };
    lane.push(entry);
    return entry;
  }

  cancel(timer: Timer | null | undefined): void {
    const entry = timer as Entry | null | undefined;
    if (!entry || entry.callback === null) return;
    entry.callback = null;
    if (entry.laned) return;
    // Cancelled heap entries stay until they surface; past half the heap, sweep them out.
    if (++this.cancelledInHeap > 4096 && this.cancelledInHeap * 2 > this.heap.size) {
      this.heap.retain((e) => e.callback !== null);
      this.cancelledInHeap = 0;
    }
  }

  /**
   * The rank of a pending timer in the clock's order (its insertion sequence), or null if it ran
   * or was cancelled. Snapshots save it, so a restore re-creates timers due at the same instant in
   * the same order (see `src/core/snapshot.ts`).
   */
  orderOf(timer: Timer | null | undefined): number | null {
    const entry = timer as Entry | null | undefined;
    if (!entry || entry.callback === null) return null;
    return entry.seq;
  }

  /** The insertion rank the next timer will get (saved by snapshots). */
  get nextSeq(): number {
    return this.seq;
  }

  /**
   * Sets the rank the next timer gets. A restore uses it to re-create timers with their saved
   * ranks; ranks never go back, so it throws below {@link nextSeq}.
   */
  setNextSeq(seq: number): void {
    this.seq = laterRank(seq, this.seq);
  }

  /** The instant of the next live event, or `null` when none is scheduled. */
  nextEventAt(): number | null {
    for (;;) {
      const next = this.peekNext();
      if (!next) return null;
      if (next.callback !== null) return next.at;
      this.removeNext();
    }
  }

  /** Runs the next event (time jumps to it). Returns false when there is none. */
  runNext(): boolean {
    if (this.nextEventAt() === null) return false;
    const entry = this.peekNext() as Entry;
    this.removeNext();
    this.fire(entry);
    return true;
  }

  /**
   * Runs every event due at or before `until`, in order, then leaves the clock at `until`.
   * Returns the number of events run.
   */
  runUntil(until: number): number {
    let count = 0;
    for (;;) {
      const next = this.peekNext();
      if (next === undefined || next.at > until) break;
      if (next.callback !== null && ++count > this.loopLimit) this.loopLimitReached();
      this.removeNext();
      this.fire(next);
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
    return (await this.runIdleAware(until)).events;
  }

  /**
   * {@link runUntilIdleAware} that may be stopped and paused (see {@link IdleAwareRunOptions}).
   * Without options it runs the same events in the same order; so does a run with a `pause` that
   * only yields. A stopped run leaves the clock at its last event, not at `until`.
   */
  async runIdleAware(
    until: number,
    options: IdleAwareRunOptions = {},
  ): Promise<IdleAwareRunResult> {
    const { signal, pause } = options;
    let count = 0;
    let rested = false;
    for (;;) {
      await this.idleOrStopped(signal);
      // Let already-resolved I/O callbacks run before time moves.
      await Promise.resolve();
      if (signal?.aborted) return { events: count, stopped: true };
      if (this.inFlight > 0) continue;
      const at = this.nextEventAt();
      if (at === null || at > until) break;
      const paused = rested ? undefined : pause?.();
      if (paused) {
        await paused;
        // What landed meanwhile (I/O, a stop) is looked at before the event runs.
        rested = true;
        continue;
      }
      rested = false;
      if (++count > this.loopLimit) this.loopLimitReached();
      this.runNext();
    }
    await this.idleOrStopped(signal);
    if (signal?.aborted) return { events: count, stopped: true };
    if (until > this.current) this.current = until;
    return { events: count, stopped: false };
  }

  /** Resolves once no tracked I/O is in flight, or `signal` is aborted. */
  private idleOrStopped(signal: StopSignal | undefined): Promise<void> {
    if (this.inFlight === 0 || signal === undefined) return this.whenIdle();
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const stop = (): void => resolve();
      signal.addEventListener('abort', stop, { once: true });
      this.idleWaiters.push(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      });
    });
  }

  /** Where the entry {@link peekNext} returned sits: a lane, or the heap (null). */
  private nextFrom: Lane | null = null;

  /** The earliest entry (live or cancelled) of the heap and the lane heads, by (time, sequence). */
  private peekNext(): Entry | undefined {
    let best = this.heap.peek();
    let from: Lane | null = null;
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i] as Lane;
      const head = lane.peek();
      if (head !== undefined && (best === undefined || earlier(head, best))) {
        best = head;
        from = lane;
      }
    }
    this.nextFrom = from;
    return best;
  }

  /** Removes the entry the last {@link peekNext} returned. */
  private removeNext(): void {
    if (this.nextFrom) {
      this.nextFrom.shift();
      return;
    }
    const top = this.heap.pop();
    if (top?.callback === null) this.cancelledInHeap--;
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
}
