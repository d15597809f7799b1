/**
 * `VirtualClock.runIdleAware`: a run that a signal stops and a pause yields in, as the control
 * API's advance uses it (`src/adapters/http/control-advance.ts`). Stopping leaves time at the last
 * event run; pausing changes no order, so a run that completes is the same with or without it.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/core/simulation.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { toJson } from '../../src/core/timeline/format.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { loadScenario } from '../../src/scenario/load.js';
import { fixture } from '../helpers/run-scenario.js';

const T0 = Date.UTC(2026, 0, 1);

/** A timer every `period` ms from `T0`, logging its instant under `name`. */
function every(clock: VirtualClock, name: string, period: number, log: string[]): void {
  const tick = (): void => {
    log.push(`${name}@${clock.now() - T0}`);
    clock.after(period, tick);
  };
  clock.after(period, tick);
}

/** A pause that yields (a settled promise) before every `n`th event it is asked about. */
function yieldEvery(n: number): { pause: () => Promise<void> | undefined; count: () => number } {
  let asked = 0;
  let yields = 0;
  return {
    pause: () => {
      if (++asked % n !== 0) return undefined;
      yields++;
      return Promise.resolve();
    },
    count: () => yields,
  };
}

describe('VirtualClock.runIdleAware with a signal', () => {
  it('does not move when the signal is aborted before it starts', async () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    every(clock, 'a', 10, log);
    const result = await clock.runIdleAware(T0 + 100, { signal: AbortSignal.abort() });
    expect(result).toEqual({ events: 0, stopped: true });
    expect(log).toEqual([]);
    expect(clock.now()).toBe(T0);
  });

  it('stops before the next event once aborted; time stays at the last event run', async () => {
    const clock = new VirtualClock({ start: T0 });
    const stop = new AbortController();
    const log: string[] = [];
    every(clock, 'a', 10, log);
    clock.schedule(T0 + 25, () => stop.abort());
    const result = await clock.runIdleAware(T0 + 100, { signal: stop.signal });
    expect(result).toEqual({ events: 3, stopped: true });
    expect(log).toEqual(['a@10', 'a@20']);
    expect(clock.now()).toBe(T0 + 25);
    // What was due later is still queued: a next run picks it up.
    expect(clock.nextEventAt()).toBe(T0 + 30);
    expect(await clock.runIdleAware(T0 + 40)).toEqual({ events: 2, stopped: false });
    expect(log).toEqual(['a@10', 'a@20', 'a@30', 'a@40']);
    expect(clock.now()).toBe(T0 + 40);
  });

  it('a wait for I/O in flight is woken by the signal (a hung peer does not hold the stop)', async () => {
    const clock = new VirtualClock({ start: T0 });
    const stop = new AbortController();
    clock.schedule(T0 + 5, () => void clock.track(new Promise<void>(() => undefined)));
    clock.schedule(T0 + 6, () => undefined);
    const run = clock.runIdleAware(T0 + 100, { signal: stop.signal });
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(clock.busy).toBe(true);
    stop.abort();
    expect(await run).toEqual({ events: 1, stopped: true });
    expect(clock.now()).toBe(T0 + 5);
  });

  it('a signal never aborted changes nothing: the run completes and reaches `until`', async () => {
    const clock = new VirtualClock({ start: T0 });
    const log: string[] = [];
    every(clock, 'a', 7, log);
    const result = await clock.runIdleAware(T0 + 50, { signal: new AbortController().signal });
    expect(result).toEqual({ events: 7, stopped: false });
    expect(clock.now()).toBe(T0 + 50);
  });
});

describe('VirtualClock.runIdleAware with a pause', () => {
  it('waits for the pause, then stops there if the signal was aborted meanwhile', async () => {
    const clock = new VirtualClock({ start: T0 });
    const stop = new AbortController();
    const log: string[] = [];
    every(clock, 'a', 10, log);
    let pauses = 0;
    const pause = (): Promise<void> | undefined => {
      if (clock.now() < T0 + 30) return undefined;
      pauses++;
      // Something served during the pause (a DELETE) stops the run.
      return Promise.resolve().then(() => stop.abort());
    };
    const result = await clock.runIdleAware(T0 + 100, { signal: stop.signal, pause });
    expect(pauses).toBe(1);
    expect(result).toEqual({ events: 3, stopped: true });
    expect(clock.now()).toBe(T0 + 30);
  });

  it('pausing changes no order: any timers, any pause rhythm, the same log (property)', async () => {
    const timers = fc.array(
      fc.record({ first: fc.nat(50), period: fc.integer({ min: 1, max: 30 }), io: fc.boolean() }),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(timers, fc.integer({ min: 1, max: 5 }), async (specs, n) => {
        const run = async (pause?: () => Promise<void> | undefined): Promise<string[]> => {
          const clock = new VirtualClock({ start: T0 });
          const log: string[] = [];
          specs.forEach((s, i) => {
            const tick = (): void => {
              log.push(`${i}@${clock.now() - T0}`);
              // Tracked "I/O" whose reply schedules a follow-up, as a socket's would.
              if (s.io)
                void clock
                  .track(Promise.resolve(i))
                  .then((k) => clock.schedule(clock.now() + 1, () => log.push(`reply${k}`)));
              clock.after(s.period, tick);
            };
            clock.schedule(T0 + s.first, tick);
          });
          const result = await clock.runIdleAware(T0 + 200, pause ? { pause } : {});
          expect(result.stopped).toBe(false);
          log.push(`end@${clock.now() - T0}:${result.events}`);
          return log;
        };
        const yielding = yieldEvery(n);
        expect(await run(yielding.pause)).toEqual(await run());
        expect(yielding.count()).toBeGreaterThan(0);
      }),
      { numRuns: 60 },
    );
  });

  it('a fleet run yielding before every event has the byte-identical timeline of runUntil', async () => {
    const timeline = async (
      run: (clock: VirtualClock, until: number) => Promise<void>,
    ): Promise<string> => {
      const scenario = loadScenario(readFileSync(fixture('fixtures/scenarios/fleet.yaml'), 'utf8'));
      const clock = new VirtualClock({ start: scenario.start });
      const sink = new MemorySink();
      const simulation = new Simulation(scenario, sink, { clock });
      simulation.start();
      await run(clock, scenario.start + 20 * 86_400_000);
      return sink.events.map((e) => JSON.stringify(toJson(e))).join('\n');
    };
    const plain = await timeline((clock, until) => Promise.resolve(void clock.runUntil(until)));
    const yielding = yieldEvery(1);
    const paused = await timeline(async (clock, until) => {
      await clock.runIdleAware(until, {
        signal: new AbortController().signal,
        pause: yielding.pause,
      });
    });
    expect(plain.length).toBeGreaterThan(1000);
    expect(paused).toBe(plain);
  });
});
