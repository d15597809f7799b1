import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockLoopLimitError } from '../../src/core/errors.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';

const T0 = Date.UTC(2026, 0, 1);

/** Lets settled promises' callbacks run, without any real timer. */
async function flushMicrotasks(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A promise with its resolver exposed, to settle "I/O" by hand. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('VirtualClock ordering', () => {
  it('runs events by (time, insertion order), whatever order they were scheduled in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), (offsets) => {
        const clock = new VirtualClock({ start: T0 });
        const ran: Array<{ i: number; at: number; now: number }> = [];
        offsets.forEach((o, i) =>
          clock.schedule(T0 + o, () => ran.push({ i, at: T0 + o, now: clock.now() })),
        );
        expect(clock.runAll()).toBe(offsets.length);
        const want = offsets
          .map((o, i) => ({ i, at: T0 + o, now: T0 + o }))
          .sort((a, b) => a.at - b.at || a.i - b.i);
        expect(ran).toEqual(want);
      }),
    );
  });

  it('events scheduled by an event at the same instant run after those already queued there', () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    clock.schedule(T0 + 10, () => {
      log.push('a');
      clock.schedule(T0 + 10, () => log.push('c'));
    });
    clock.schedule(T0 + 10, () => log.push('b'));
    clock.schedule(T0 + 11, () => log.push('d'));
    clock.runAll();
    expect(log).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a time in the past runs at now, after what is already due now', () => {
    const clock = new VirtualClock({ start: T0 });
    clock.advance(1000);
    const log: Array<[string, number]> = [];
    clock.schedule(T0 + 1000, () => log.push(['now', clock.now()]));
    const timer = clock.schedule(T0 - 5000, () => log.push(['past', clock.now()]));
    expect(timer.at).toBe(T0 + 1000);
    clock.runNext();
    clock.runNext();
    expect(log).toEqual([
      ['now', T0 + 1000],
      ['past', T0 + 1000],
    ]);
    expect(clock.now()).toBe(T0 + 1000);
  });
});

describe('VirtualClock runs', () => {
  it('advance(ms) runs what is due on the way and leaves now() at the end', () => {
    const clock = new VirtualClock({ start: T0 });
    const seen: number[] = [];
    for (const o of [5, 10, 15, 20]) clock.schedule(T0 + o, () => seen.push(clock.now()));
    expect(clock.advance(15)).toBe(3);
    expect(seen).toEqual([T0 + 5, T0 + 10, T0 + 15]);
    expect(clock.now()).toBe(T0 + 15);
    expect(clock.advance(2)).toBe(0);
    expect(clock.now()).toBe(T0 + 17);
    expect(clock.nextEventAt()).toBe(T0 + 20);
  });

  it('runUntil includes events at exactly `until` and never moves time back', () => {
    const clock = new VirtualClock({ start: T0 });
    let ran = 0;
    clock.schedule(T0 + 100, () => ran++);
    clock.schedule(T0 + 101, () => ran++);
    expect(clock.runUntil(T0 + 100)).toBe(1);
    expect(ran).toBe(1);
    expect(clock.runUntil(T0 + 50)).toBe(0);
    expect(clock.now()).toBe(T0 + 100);
  });

  it('runNext jumps to the next event only; returns false when none is left', () => {
    const clock = new VirtualClock({ start: T0 });
    const log: number[] = [];
    clock.schedule(T0 + 3_600_000, () => log.push(1));
    clock.schedule(T0 + 7_200_000, () => log.push(2));
    expect(clock.runNext()).toBe(true);
    expect(log).toEqual([1]);
    expect(clock.now()).toBe(T0 + 3_600_000);
    expect(clock.runNext()).toBe(true);
    expect(clock.runNext()).toBe(false);
    expect(clock.now()).toBe(T0 + 7_200_000);
    expect(clock.eventsRun).toBe(2);
  });

  it('runAll drains every event, including ones scheduled while running', () => {
    const clock = new VirtualClock({ start: T0 });
    let n = 0;
    const tick = (): void => {
      if (++n < 10) clock.schedule(clock.now() + 60_000, tick);
    };
    clock.schedule(T0, tick);
    expect(clock.runAll()).toBe(10);
    expect(n).toBe(10);
    expect(clock.now()).toBe(T0 + 9 * 60_000);
    expect(clock.nextEventAt()).toBeNull();
  });

  it('cancel: a cancelled timer never runs; cancelling twice or after it ran is harmless', () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    const a = clock.schedule(T0 + 10, () => log.push('a'));
    const b = clock.schedule(T0 + 20, () => log.push('b'));
    clock.cancel(a);
    clock.cancel(a);
    clock.cancel(null);
    clock.cancel(undefined);
    expect(clock.nextEventAt()).toBe(T0 + 20);
    expect(clock.advance(100)).toBe(1);
    clock.cancel(b);
    expect(log).toEqual(['b']);
    expect(clock.runNext()).toBe(false);
  });

  it('an event can cancel a later event due at the same instant', () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    const timers: { b?: ReturnType<VirtualClock['schedule']> } = {};
    clock.schedule(T0 + 5, () => {
      log.push('a');
      clock.cancel(timers.b);
    });
    timers.b = clock.schedule(T0 + 5, () => log.push('b'));
    clock.advance(10);
    expect(log).toEqual(['a']);
  });
});

describe('VirtualClock loop limit', () => {
  it('runUntil throws ClockLoopLimitError on an event that reschedules itself at the same instant', () => {
    const clock = new VirtualClock({ start: T0, loopLimit: 100 });
    const again = (): void => {
      clock.schedule(clock.now(), again);
    };
    clock.schedule(T0 + 1, again);
    try {
      clock.runUntil(T0 + 10);
      expect.unreachable('the loop limit must throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ClockLoopLimitError);
      expect((e as ClockLoopLimitError).code).toBe('E_LOOP_LIMIT');
      expect((e as Error).message).toContain('100');
    }
    // It stopped where the loop spins, after exactly `loopLimit` events.
    expect(clock.now()).toBe(T0 + 1);
    expect(clock.eventsRun).toBe(100);
  });

  it('runAll and advance throw it too', () => {
    const loop = (clock: VirtualClock): void => {
      const again = (): void => {
        clock.schedule(clock.now(), again);
      };
      clock.schedule(clock.now(), again);
    };
    const a = new VirtualClock({ start: T0, loopLimit: 50 });
    loop(a);
    expect(() => a.runAll()).toThrow(ClockLoopLimitError);
    const b = new VirtualClock({ start: T0, loopLimit: 50 });
    loop(b);
    expect(() => b.advance(1)).toThrow(ClockLoopLimitError);
  });

  it('does not throw for exactly `loopLimit` events in one run', () => {
    const clock = new VirtualClock({ start: T0, loopLimit: 5 });
    for (let i = 0; i < 5; i++) clock.schedule(T0 + i, () => {});
    expect(clock.runUntil(T0 + 10)).toBe(5);
    const other = new VirtualClock({ start: T0, loopLimit: 5 });
    for (let i = 0; i < 5; i++) other.schedule(T0 + i, () => {});
    expect(other.runAll()).toBe(5);
  });
});

describe('VirtualClock with tracked I/O (time-skipping only when idle)', () => {
  it('holds time while a tracked promise is pending, then lets its reply land first', async () => {
    const clock = new VirtualClock({ start: T0 });
    const io = deferred<string>();
    const log: Array<[string, number]> = [];
    clock.schedule(T0 + 10, () => {
      log.push(['request', clock.now()]);
      // The reply schedules its own follow-up, which must run before the event at +20.
      clock.track(io.promise).then(
        (reply) => clock.schedule(clock.now() + 5, () => log.push([reply, clock.now()])),
        () => {},
      );
    });
    clock.schedule(T0 + 20, () => log.push(['later', clock.now()]));

    const run = clock.runUntilIdleAware(T0 + 100);
    await flushMicrotasks();
    expect(log).toEqual([['request', T0 + 10]]);
    expect(clock.busy).toBe(true);
    expect(clock.now()).toBe(T0 + 10);

    io.resolve('reply');
    expect(await run).toBe(3);
    expect(log).toEqual([
      ['request', T0 + 10],
      ['reply', T0 + 15],
      ['later', T0 + 20],
    ]);
    expect(clock.busy).toBe(false);
    expect(clock.now()).toBe(T0 + 100);
  });

  it('a rejected tracked promise also releases the clock', async () => {
    const clock = new VirtualClock({ start: T0 });
    const io = deferred<void>();
    let later = false;
    clock.schedule(T0 + 1, () => {
      clock.track(io.promise).catch(() => {});
    });
    clock.schedule(T0 + 2, () => (later = true));
    const run = clock.runUntilIdleAware(T0 + 3);
    await flushMicrotasks();
    expect(later).toBe(false);
    io.reject(new Error('socket closed'));
    await run;
    expect(later).toBe(true);
  });

  it('whenIdle waits for every tracked promise', async () => {
    const clock = new VirtualClock({ start: T0 });
    const a = deferred<number>();
    const b = deferred<number>();
    void clock.track(a.promise);
    void clock.track(b.promise);
    let idle = false;
    const waiting = clock.whenIdle().then(() => (idle = true));
    a.resolve(1);
    await flushMicrotasks();
    expect(idle).toBe(false);
    expect(clock.busy).toBe(true);
    b.resolve(2);
    await waiting;
    expect(idle).toBe(true);
    expect(clock.busy).toBe(false);
  });

  it('the synchronous runUntil does not wait for I/O (it is for pure virtual runs)', () => {
    const clock = new VirtualClock({ start: T0 });
    const io = deferred<void>();
    void clock.track(io.promise);
    let ran = false;
    clock.schedule(T0 + 1, () => (ran = true));
    clock.runUntil(T0 + 2);
    expect(ran).toBe(true);
    io.resolve();
  });
});

describe('regression: the loop limit lost the event over the limit', () => {
  const selfRescheduling = (clock: VirtualClock): void => {
    const tick = (): void => void clock.schedule(clock.now() + 1, tick);
    clock.schedule(clock.now() + 1, tick);
  };

  it('runUntil throws before running it and leaves it queued', () => {
    const clock = new VirtualClock({ start: 0, loopLimit: 3 });
    selfRescheduling(clock);
    expect(() => clock.runUntil(1000)).toThrow(ClockLoopLimitError);
    expect(clock.eventsRun).toBe(3);
    expect(clock.nextEventAt()).toBe(4);
  });

  it('runAll stops at the same count', () => {
    const clock = new VirtualClock({ start: 0, loopLimit: 3 });
    selfRescheduling(clock);
    expect(() => clock.runAll()).toThrow(ClockLoopLimitError);
    expect(clock.eventsRun).toBe(3);
    expect(clock.nextEventAt()).toBe(4);
  });
});
