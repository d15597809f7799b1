import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NetworkConfig } from '../../src/core/device/network.js';
import {
  attemptGoesAhead,
  decideRenewal,
  OS_VERSIONS,
  RENEWAL_TIMING,
  scheduleAfterAttempt,
  scheduleAfterSkip,
  type OsVersion,
  type RenewalDecision,
  type RenewalInput,
  type RenewalRule,
} from '../../src/core/dmclient/renewal-policy.js';
import { SeededRandom, streamFor } from '../../src/core/random/random.js';
import { Simulation, type SimulationSpec } from '../../src/core/simulation.js';
import { DAY, HOUR } from '../../src/core/time/iso.js';
import { MemorySink, type EventSink, type TimelineEvent } from '../../src/core/timeline/events.js';
import { toJsonLine } from '../../src/core/timeline/format.js';
import {
  conditionTimelineArb,
  deviceSpecArb,
  instantArb,
  osVersionArb,
  remainingArb,
  renewalInputArb,
  simulationSpecFor,
} from '../../src/testing/arbitraries.js';

const FIFTEEN_DAYS = 15 * DAY;
const seedArb = fc.integer();
/** Every version that applies the 1607 network check: all but 1511. */
const laterThan1511Arb = osVersionArb.filter((os) => os !== '1511');

/** The rule and window the section 3 prescribes, computed independently of the code. */
function expected(input: RenewalInput): {
  rule: RenewalRule;
  earliest: number;
  latest: number;
} {
  const { os, now, expiry, networkConnected } = input;
  // 1511 alone has no network check; every later version (1607 … 11-25H2) checks first.
  if (os !== '1511' && !networkConnected)
    return { rule: 'no-network', earliest: now + 3 * HOUR, latest: now + 5 * HOUR };
  return afterAttempt(now, expiry);
}

function afterAttempt(
  now: number,
  expiry: number | null,
): { rule: RenewalRule; earliest: number; latest: number } {
  if (expiry !== null && expiry - now > FIFTEEN_DAYS) {
    const at = expiry - FIFTEEN_DAYS;
    return { rule: 'fifteen-day-mark', earliest: at, latest: at };
  }
  if (expiry !== null && expiry - now > 0)
    return { rule: 'within-fifteen-days', earliest: now + 3 * HOUR, latest: now + 5 * HOUR };
  return { rule: 'expired', earliest: now + 20 * HOUR, latest: now + 28 * HOUR };
}

const decide = (input: RenewalInput, seed: number): RenewalDecision =>
  decideRenewal(input, new SeededRandom(seed));

/** Inputs that lead to a random window (every rule but the fifteen-day mark). */
const windowedInputArb = renewalInputArb.filter((i) => expected(i).rule !== 'fifteen-day-mark');

describe('renewal policy: every rule over arbitrary now/expiry/OS/network/seed', () => {
  it('picks the rule of section 3 and a window with the right bounds', () => {
    fc.assert(
      fc.property(renewalInputArb, seedArb, (input, seed) => {
        const d = decide(input, seed);
        const want = expected(input);
        expect(d.os).toBe(input.os);
        expect(d.rule).toBe(want.rule);
        expect(d.earliest).toBe(want.earliest);
        expect(d.latest).toBe(want.latest);
        expect(d.at).toBeGreaterThanOrEqual(d.earliest);
        expect(d.at).toBeLessThanOrEqual(d.latest);
      }),
      { numRuns: 2000 },
    );
  });

  it('within fifteen days: at in [now + 3 h, now + 5 h]', () => {
    fc.assert(
      fc.property(
        osVersionArb,
        instantArb,
        fc.integer({ min: 1, max: FIFTEEN_DAYS }),
        seedArb,
        (os, now, remaining, seed) => {
          const d = decide({ os, now, expiry: now + remaining, networkConnected: true }, seed);
          expect(d.rule).toBe('within-fifteen-days');
          expect(d.at).toBeGreaterThanOrEqual(now + 3 * HOUR);
          expect(d.at).toBeLessThanOrEqual(now + 5 * HOUR);
        },
      ),
    );
  });

  it('expired (or no channel): at in [now + 20 h, now + 28 h]', () => {
    fc.assert(
      fc.property(
        osVersionArb,
        instantArb,
        fc.option(fc.integer({ min: -90 * DAY, max: 0 }), { nil: null }),
        seedArb,
        (os, now, remaining, seed) => {
          const expiry = remaining === null ? null : now + remaining;
          const d = decide({ os, now, expiry, networkConnected: true }, seed);
          expect(d.rule).toBe('expired');
          expect(d.earliest).toBe(now + 20 * HOUR);
          expect(d.latest).toBe(now + 28 * HOUR);
          expect(d.at).toBeGreaterThanOrEqual(now + 20 * HOUR);
          expect(d.at).toBeLessThanOrEqual(now + 28 * HOUR);
        },
      ),
    );
  });

  it('more than fifteen days left: exactly expiry − 15 days, whatever the seed', () => {
    fc.assert(
      fc.property(
        osVersionArb,
        instantArb,
        fc.integer({ min: 1, max: 60 * DAY }),
        seedArb,
        seedArb,
        (os, now, beyond, seedA, seedB) => {
          const expiry = now + FIFTEEN_DAYS + beyond;
          const a = decide({ os, now, expiry, networkConnected: true }, seedA);
          const b = decide({ os, now, expiry, networkConnected: true }, seedB);
          expect(a.rule).toBe('fifteen-day-mark');
          expect(a.at).toBe(expiry - FIFTEEN_DAYS);
          expect(a.earliest).toBe(a.at);
          expect(a.latest).toBe(a.at);
          expect(b).toEqual(a);
        },
      ),
    );
  });

  it('a fresh 30-day channel is renewed exactly when 15 days are left', () => {
    fc.assert(
      fc.property(osVersionArb, instantArb, seedArb, (os, now, seed) => {
        const expiry = now + RENEWAL_TIMING.channelLifetime;
        const d = scheduleAfterAttempt(os, now, expiry, new SeededRandom(seed));
        expect(RENEWAL_TIMING.channelLifetime).toBe(30 * DAY);
        expect(d).toEqual({
          os,
          rule: 'fifteen-day-mark',
          at: now + 15 * DAY,
          earliest: now + 15 * DAY,
          latest: now + 15 * DAY,
        });
      }),
    );
  });

  describe('boundaries', () => {
    const cases: ReadonlyArray<[string, number, RenewalRule]> = [
      ['exactly 15 days left', FIFTEEN_DAYS, 'within-fifteen-days'],
      ['15 days − 1 ms left', FIFTEEN_DAYS - 1, 'within-fifteen-days'],
      ['15 days + 1 ms left', FIFTEEN_DAYS + 1, 'fifteen-day-mark'],
      ['1 ms left', 1, 'within-fifteen-days'],
      ['exactly 0 left', 0, 'expired'],
      ['1 ms past expiry', -1, 'expired'],
    ];
    for (const [name, remaining, rule] of cases) {
      it(`${name} → ${rule}`, () => {
        fc.assert(
          fc.property(osVersionArb, instantArb, seedArb, (os, now, seed) => {
            const d = decide({ os, now, expiry: now + remaining, networkConnected: true }, seed);
            expect(d.rule).toBe(rule);
            if (rule === 'fifteen-day-mark') {
              expect(d.at).toBe(now + 1);
              expect(d.earliest).toBe(now + 1);
              expect(d.latest).toBe(now + 1);
            }
          }),
        );
      });
    }

    it('the boundary-biased arbitrary actually reaches every boundary', () => {
      const seen = new Set(fc.sample(remainingArb, { numRuns: 2000, seed: 42 }));
      for (const b of [-1, 0, 1, FIFTEEN_DAYS - 1, FIFTEEN_DAYS, FIFTEEN_DAYS + 1])
        expect(seen.has(b)).toBe(true);
    });
  });

  it('no channel at all (expiry null) → expired', () => {
    fc.assert(
      fc.property(osVersionArb, instantArb, seedArb, (os, now, seed) => {
        const d = decide({ os, now, expiry: null, networkConnected: true }, seed);
        expect(d.rule).toBe('expired');
        expect(d.earliest).toBe(now + 20 * HOUR);
        expect(d.latest).toBe(now + 28 * HOUR);
      }),
    );
  });

  describe('the 1607 network check', () => {
    it('1607 and every later version without network → no-network in [now + 3 h, now + 5 h], whatever the expiry', () => {
      fc.assert(
        fc.property(
          laterThan1511Arb,
          instantArb,
          fc.option(remainingArb, { nil: null }),
          seedArb,
          (os, now, remaining, seed) => {
            const expiry = remaining === null ? null : now + remaining;
            const d = decide({ os, now, expiry, networkConnected: false }, seed);
            expect(d.rule).toBe('no-network');
            expect(d.os).toBe(os);
            expect(d.earliest).toBe(now + 3 * HOUR);
            expect(d.latest).toBe(now + 5 * HOUR);
            expect(d.at).toBeGreaterThanOrEqual(now + 3 * HOUR);
            expect(d.at).toBeLessThanOrEqual(now + 5 * HOUR);
            // The same draw as the skip schedule itself.
            expect(d).toEqual(scheduleAfterSkip(os, now, new SeededRandom(seed)));
          },
        ),
      );
    });

    it('1511 without network → the expiry rules (it does not check the network)', () => {
      fc.assert(
        fc.property(
          instantArb,
          fc.option(remainingArb, { nil: null }),
          seedArb,
          (now, remaining, seed) => {
            const expiry = remaining === null ? null : now + remaining;
            const down = decide({ os: '1511', now, expiry, networkConnected: false }, seed);
            const up = decide({ os: '1511', now, expiry, networkConnected: true }, seed);
            expect(down.rule).not.toBe('no-network');
            expect(down.rule).toBe(afterAttempt(now, expiry).rule);
            expect(down).toEqual(up);
          },
        ),
      );
    });

    it('with network, 1607 and every later version follow exactly the 1511 rules', () => {
      fc.assert(
        fc.property(
          laterThan1511Arb,
          instantArb,
          fc.option(remainingArb, { nil: null }),
          seedArb,
          (os, now, remaining, seed) => {
            const expiry = remaining === null ? null : now + remaining;
            const a = decide({ os, now, expiry, networkConnected: true }, seed);
            const b = decide({ os: '1511', now, expiry, networkConnected: true }, seed);
            expect({ ...a, os: '1511' }).toEqual(b);
          },
        ),
      );
    });

    it('attemptGoesAhead: every version but 1511 skips without network', () => {
      for (const os of OS_VERSIONS) {
        expect(attemptGoesAhead(os, true)).toBe(true);
        expect(attemptGoesAhead(os, false)).toBe(os === '1511');
      }
    });

    it('attemptGoesAhead reads older spellings and refuses unknown names, listing the valid ones', () => {
      expect(attemptGoesAhead('win11-24H2' as OsVersion, false)).toBe(false);
      expect(() => attemptGoesAhead('1512' as OsVersion, false)).toThrow(
        /os: expected one of 1511, 1607, .*11-25H2, got "1512"/,
      );
    });
  });

  describe('randomness', () => {
    it('is deterministic: same input and seed ⇒ identical decision', () => {
      fc.assert(
        fc.property(renewalInputArb, seedArb, (input, seed) => {
          expect(decide(input, seed)).toEqual(decide(input, seed));
          expect(decideRenewal(input, streamFor(seed, 'device:d1'))).toEqual(
            decideRenewal(input, streamFor(seed, 'device:d1')),
          );
        }),
      );
    });

    it('different seeds spread over the window (both halves, many distinct instants)', () => {
      fc.assert(
        fc.property(windowedInputArb, fc.integer({ min: 0, max: 1_000_000 }), (input, base) => {
          // Run seeds reach the policy through per-device streams, as in a simulation.
          for (const name of ['device:d1', 'device:laptop-42', 'schedule']) {
            const ats = Array.from(
              { length: 200 },
              (_, k) => decideRenewal(input, streamFor(base + k, name)).at,
            );
            const { earliest, latest } = expected(input);
            const mid = (earliest + latest) / 2;
            expect(ats.some((t) => t < mid)).toBe(true);
            expect(ats.some((t) => t > mid)).toBe(true);
            expect(new Set(ats).size).toBeGreaterThanOrEqual(190);
            expect(Math.min(...ats)).toBeLessThan(earliest + (latest - earliest) * 0.1);
            expect(Math.max(...ats)).toBeGreaterThan(latest - (latest - earliest) * 0.1);
          }
        }),
        { numRuns: 30 },
      );
    });

    it('draws are roughly uniform over the window (10 buckets, 5000 seeds)', () => {
      for (const input of [
        { os: '1511', now: 0, expiry: DAY, networkConnected: true },
        { os: '1511', now: 0, expiry: -DAY, networkConnected: true },
        { os: '1607', now: 0, expiry: null, networkConnected: false },
      ] satisfies RenewalInput[]) {
        const { earliest, latest } = expected(input);
        const buckets = new Array<number>(10).fill(0);
        for (let seed = 0; seed < 5000; seed++) {
          const { at } = decideRenewal(input, streamFor(seed, 'device:d1'));
          const k = Math.min(9, Math.floor(((at - earliest) / (latest - earliest)) * 10));
          buckets[k] = (buckets[k] ?? 0) + 1;
        }
        for (const count of buckets) {
          expect(count).toBeGreaterThan(400);
          expect(count).toBeLessThan(600);
        }
      }
    });

    it('has millisecond resolution: instants are integers, not rounded to seconds', () => {
      fc.assert(
        fc.property(windowedInputArb, seedArb, (input, seed) => {
          const ats = Array.from({ length: 50 }, (_, k) => decide(input, seed + k).at);
          for (const at of ats) expect(Number.isInteger(at)).toBe(true);
          expect(ats.some((at) => (at - input.now) % 1000 !== 0)).toBe(true);
        }),
        { numRuns: 50 },
      );
    });
  });
});

// ---- simulation-level properties ------------------------------------------------------------

/** A sink that also records the device's network at each renewal-related event. */
class RecordingSink implements EventSink {
  sim: Simulation | null = null;
  readonly events: TimelineEvent[] = [];
  readonly network = new Map<TimelineEvent, NetworkConfig>();
  private static readonly WATCHED = new Set([
    'channel.requested',
    'renewal.skipped',
    'renewal.scheduled',
  ]);
  emit(event: TimelineEvent): void {
    this.events.push(event);
    if (event.device !== null && RecordingSink.WATCHED.has(event.type)) {
      const device = this.sim?.device(event.device);
      if (device) this.network.set(event, device.snapshot().network);
    }
  }
}

function runRecorded(spec: SimulationSpec): RecordingSink {
  const sink = new RecordingSink();
  const sim = new Simulation(spec, sink);
  sink.sim = sim;
  sim.run();
  return sink;
}

const jsonl = (events: readonly TimelineEvent[]): string => events.map(toJsonLine).join('\n');

/** Checks every renewal decision and attempt of one device against section 3. */
function checkRenewals(sink: RecordingSink, deviceId: string, os: OsVersion, end: number): number {
  let expiry: number | null = null;
  let basis: 'attempt' | 'skip' | null = null;
  let pendingAt: number | null = null;
  let scheduled = 0;
  let lastRequest: string | null = null;
  let sessionQueued = false;
  let lastSessionEnd: number | null = null;
  const events = sink.events.filter((e) => e.device === deviceId);
  events.forEach((e, i) => {
    const network = sink.network.get(e);
    switch (e.type) {
      case 'channel.issued':
        expect(e.expiresAt).toBe(e.time + 30 * DAY);
        expiry = e.expiresAt;
        basis = 'attempt';
        if (lastRequest === 'renewal' && !sessionQueued) {
          // A successful renewal starts a management session (trigger `renewal`) at once.
          const session = events.find(
            (x) =>
              x.time === e.time &&
              (x.type === 'session.started' ||
                x.type === 'session.skipped' ||
                x.type === 'session.queued') &&
              x.trigger === 'renewal',
          );
          expect(session, `renewal session at ${e.time}`).toBeDefined();
        }
        break;
      case 'session.queued':
        sessionQueued = true;
        break;
      case 'session.completed':
      case 'session.failed':
        lastSessionEnd = e.time;
        break;
      case 'session.started':
      case 'session.skipped':
        if (e.time === lastSessionEnd) sessionQueued = false;
        break;
      case 'channel.request-failed':
        basis = 'attempt';
        break;
      case 'device.powered-off':
        // An empty battery drops the renewal schedule; the boot asks WNS again (model.md §4).
        pendingAt = null;
        break;
      case 'channel.requested': {
        if (!network) throw new Error('no network recorded');
        lastRequest = e.reason;
        if (e.reason === 'renewal') {
          // A scheduled renewal fired at its instant; 1607 only attempts with a network.
          expect(e.time).toBe(pendingAt);
          pendingAt = null;
          if (os !== '1511') expect(network.connected).toBe(true);
        }
        // The in-process WNS answers at once: success iff network, internet and WNS reachable.
        const outcome = events[i + 1];
        const failure = !network.connected
          ? 'no-network'
          : !network.internet
            ? 'no-internet'
            : !network.wnsReachable
              ? 'wns-unreachable'
              : null;
        if (failure === null) expect(outcome?.type).toBe('channel.issued');
        else expect(outcome).toMatchObject({ type: 'channel.request-failed', reason: failure });
        break;
      }
      case 'renewal.skipped':
        expect(os).not.toBe('1511');
        expect(network?.connected).toBe(false);
        expect(e.time).toBe(pendingAt);
        pendingAt = null;
        basis = 'skip';
        break;
      case 'renewal.scheduled': {
        expect(basis).not.toBeNull();
        expect(pendingAt).toBeNull(); // no schedule is silently replaced
        const want =
          basis === 'skip'
            ? { rule: 'no-network', earliest: e.time + 3 * HOUR, latest: e.time + 5 * HOUR }
            : afterAttempt(e.time, expiry);
        expect({ os: e.os, rule: e.rule, earliest: e.earliest, latest: e.latest }).toEqual({
          os,
          ...want,
        });
        expect(e.at).toBeGreaterThanOrEqual(e.earliest);
        expect(e.at).toBeLessThanOrEqual(e.latest);
        expect(Number.isInteger(e.at)).toBe(true);
        basis = null;
        pendingAt = e.at;
        scheduled++;
        break;
      }
      default:
        break;
    }
  });
  // The last schedule either fired (checked above) or lies beyond the end of the run.
  if (pendingAt !== null) expect(pendingAt).toBeGreaterThan(end);
  return scheduled;
}

describe('renewal rules inside a running simulation', () => {
  const seedArbSmall = fc.integer({ min: 0, max: 2 ** 31 - 1 });

  it('every renewal.scheduled obeys the rule for the channel and network at that instant', () => {
    let total = 0;
    const rules = new Set<string>();
    fc.assert(
      fc.property(deviceSpecArb('d1'), conditionTimelineArb(), seedArbSmall, (device, tl, seed) => {
        const spec = simulationSpecFor(device, tl, { seed });
        const sink = runRecorded(spec);
        total += checkRenewals(sink, 'd1', device.os, spec.end);
        for (const e of sink.events) if (e.type === 'renewal.scheduled') rules.add(e.rule);
      }),
      { numRuns: 150 },
    );
    expect(total).toBeGreaterThan(150);
    // The arbitraries drive devices through every rule.
    expect([...rules].sort()).toEqual([
      'expired',
      'fifteen-day-mark',
      'no-network',
      'within-fifteen-days',
    ]);
  });

  it('the same seed gives a byte-identical JSONL timeline', () => {
    fc.assert(
      fc.property(deviceSpecArb('d1'), conditionTimelineArb(), seedArbSmall, (device, tl, seed) => {
        const spec = simulationSpecFor(device, tl, { seed });
        const a = new MemorySink();
        const b = new MemorySink();
        new Simulation(spec, a).run();
        new Simulation(spec, b).run();
        expect(a.events.length).toBeGreaterThan(0);
        expect(jsonl(b.events)).toBe(jsonl(a.events));
      }),
      { numRuns: 50 },
    );
  });

  it('a different seed changes the random retry instants', () => {
    // A 1511 device offline from the start retries on the expired rule: the draws must differ.
    const device = fc.sample(deviceSpecArb('d1'), { numRuns: 1, seed: 3 })[0];
    if (!device) throw new Error('no sample');
    const offline = {
      ...device,
      os: '1511' as const,
      network: { ...device.network, connected: false },
    };
    const ats = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const sink = new MemorySink();
      new Simulation(simulationSpecFor(offline, [], { seed }), sink).run();
      const first = sink.ofType('renewal.scheduled', 'd1')[0];
      expect(first?.rule).toBe('expired');
      if (first) ats.add(first.at);
    }
    expect(ats.size).toBeGreaterThanOrEqual(18);
  });

  it("adding a second device does not change the first device's events", () => {
    fc.assert(
      fc.property(
        deviceSpecArb('d1'),
        deviceSpecArb('other'),
        conditionTimelineArb(),
        fc.boolean(),
        seedArbSmall,
        (first, second, tl, secondFirst, seed) => {
          const alone = new MemorySink();
          new Simulation(simulationSpecFor(first, tl, { seed }), alone).run();
          const together = new MemorySink();
          const devices = secondFirst ? [second, first] : [first, second];
          new Simulation(simulationSpecFor(devices, tl, { seed }), together).run();
          const mine = together.events.filter((e) => e.device === 'd1');
          expect(together.events.some((e) => e.device === 'other')).toBe(true);
          expect(jsonl(mine)).toBe(jsonl(alone.events.filter((e) => e.device === 'd1')));
        },
      ),
      { numRuns: 50 },
    );
  });
});
