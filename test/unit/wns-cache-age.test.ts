import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LinkHandlers } from '../../src/core/ports.js';
import { DAY, HOUR, SECOND } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { cacheExpiry, DEFAULT_CACHE_MAX_AGE_MS } from '../../src/core/wns/cache-age.js';
import { WnsCloud, type WnsCloudOptions } from '../../src/core/wns/wns-cloud.js';
import { loadScenario } from '../../src/scenario/load.js';

const T0 = Date.UTC(2026, 0, 1);
const PFN = 'Contoso.MDM_8wekyb3d8bbwe';

/** A cloud with one offline device holding one channel. */
function offlineDevice(options: Partial<WnsCloudOptions> = {}) {
  const clock = new VirtualClock({ start: T0 });
  const sink = new MemorySink();
  const cloud = new WnsCloud(clock, sink, { seed: 1, ...options });
  let uri = '';
  cloud.requestChannel('d', PFN, (g) => {
    if (g.ok) uri = g.channelUri;
  });
  const received: string[] = [];
  const handlers: LinkHandlers = {
    onOpen: () => undefined,
    onPush: (p) => void received.push(p.msgId),
    onClosed: () => undefined,
  };
  return { clock, sink, cloud, uri, received, connect: () => cloud.connect('d', handlers) };
}

describe('the WNS cache is bounded', () => {
  it('keeps a cached push without TTL 3 days by default, then drops it (cache-expired)', () => {
    expect(DEFAULT_CACHE_MAX_AGE_MS).toBe(3 * DAY);
    const d = offlineDevice();
    d.cloud.send(d.uri, { cachePolicy: 'cache' });
    expect(d.sink.ofType('push.cached')[0]?.expiresAt).toBe(T0 + 3 * DAY);
    d.clock.runUntil(T0 + 3 * DAY - 1);
    expect(d.sink.ofType('push.dropped')).toEqual([]);
    d.clock.runUntil(T0 + 3 * DAY);
    expect(d.sink.ofType('push.dropped')).toEqual([
      expect.objectContaining({ time: T0 + 3 * DAY, msgId: 'd#1', reason: 'cache-expired' }),
    ]);
    d.connect();
    expect(d.received).toEqual([]);
  });

  it('gives a push delivered at once the same bound, for the device to hold it no longer', () => {
    const d = offlineDevice({ cacheMaxAgeMs: 2 * HOUR });
    const bounds: (number | null | undefined)[] = [];
    d.cloud.connect('d', {
      onOpen: () => undefined,
      onPush: (p) => void bounds.push(p.expiresAt),
      onClosed: () => undefined,
    });
    d.cloud.send(d.uri, { cachePolicy: 'cache' });
    d.cloud.send(d.uri, { cachePolicy: 'no-cache', ttlSeconds: 60 });
    d.cloud.send(d.uri, { cachePolicy: 'cache', ttlSeconds: 3 * 3600 });
    expect(bounds).toEqual([T0 + 2 * HOUR, T0 + 60 * SECOND, T0 + 2 * HOUR]);
  });

  it('delivers a push cached for less than the maximum age', () => {
    const d = offlineDevice({ cacheMaxAgeMs: 2 * HOUR });
    d.cloud.send(d.uri, { cachePolicy: 'cache' });
    d.clock.runUntil(T0 + 2 * HOUR - 1);
    d.connect();
    expect(d.received).toEqual(['d#1']);
    expect(d.sink.ofType('push.dropped')).toEqual([]);
  });

  it('keeps reason ttl-expired for a TTL shorter than the maximum age', () => {
    const d = offlineDevice({ cacheMaxAgeMs: 2 * HOUR });
    d.cloud.send(d.uri, { cachePolicy: 'cache', ttlSeconds: 60 });
    d.clock.runUntil(T0 + DAY);
    expect(d.sink.ofType('push.dropped')).toEqual([
      expect.objectContaining({ time: T0 + 60 * SECOND, reason: 'ttl-expired' }),
    ]);
  });

  it('bounds a TTL longer than the maximum age by the maximum age (cache-expired)', () => {
    const d = offlineDevice({ cacheMaxAgeMs: 2 * HOUR });
    d.cloud.send(d.uri, { cachePolicy: 'cache', ttlSeconds: 30 * 24 * 3600 });
    expect(d.sink.ofType('push.cached')[0]?.expiresAt).toBe(T0 + 2 * HOUR);
    d.clock.runUntil(T0 + DAY);
    expect(d.sink.ofType('push.dropped')).toEqual([
      expect.objectContaining({ time: T0 + 2 * HOUR, reason: 'cache-expired' }),
    ]);
  });

  it('drops a push whose bound falls at the reconnect instant (the timer would run after)', () => {
    const d = offlineDevice({ cacheMaxAgeMs: HOUR });
    d.cloud.send(d.uri, { cachePolicy: 'cache' });
    d.clock.runUntil(T0 + HOUR - 1);
    d.clock.schedule(T0 + HOUR, d.connect);
    d.clock.runUntil(T0 + HOUR);
    expect(d.received).toEqual([]);
    expect(d.sink.ofType('push.dropped').map((e) => e.reason)).toEqual(['cache-expired']);
  });

  it('refuses a maximum age that is not a positive duration', () => {
    expect(() => offlineDevice({ cacheMaxAgeMs: 0 })).toThrow(
      /cacheMaxAgeMs: expected a positive duration, got 0/,
    );
  });

  it('ends a cached push at min(TTL, maximum age), with the reason of the earlier (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 10 * 24 * 3600 }), { nil: null }),
        fc.integer({ min: 1, max: 10 * DAY }),
        (ttl, maxAge) => {
          const e = cacheExpiry(T0, ttl, maxAge);
          const ttlEnds = ttl === null ? Infinity : T0 + ttl * SECOND;
          expect(e.at).toBe(Math.min(ttlEnds, T0 + maxAge));
          expect(e.reason).toBe(ttlEnds <= T0 + maxAge ? 'ttl-expired' : 'cache-expired');
        },
      ),
    );
  });

  it('delivers a cached push iff the device reconnects before min(TTL, maximum age) (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 4 * 24 * 3600 }), { nil: null }),
        fc.integer({ min: 1, max: 4 * DAY }),
        fc.integer({ min: 0, max: 5 * DAY }),
        (ttl, maxAge, back) => {
          const d = offlineDevice({ cacheMaxAgeMs: maxAge });
          d.cloud.send(d.uri, { cachePolicy: 'cache', ttlSeconds: ttl });
          d.clock.schedule(T0 + back, d.connect);
          d.clock.runUntil(T0 + 6 * DAY);
          const ends = Math.min(ttl === null ? Infinity : T0 + ttl * SECOND, T0 + maxAge);
          const dropped = d.sink.ofType('push.dropped');
          if (T0 + back < ends) {
            expect(d.received).toEqual(['d#1']);
            expect(dropped).toEqual([]);
          } else {
            expect(d.received).toEqual([]);
            expect(dropped.map((e) => e.time)).toEqual([ends]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('takes the scenario field wns.cacheMaxAge, and names it when it is wrong', () => {
    const base = 'devices: [{ id: d }]\n';
    expect(loadScenario(`wns: { cacheMaxAge: PT6H }\n${base}`).wns?.cacheMaxAgeMs).toBe(6 * HOUR);
    expect(() => loadScenario(`wns: { cacheMaxAge: soon }\n${base}`)).toThrow(
      /wns\.cacheMaxAge: expected a positive ISO 8601 duration/,
    );
  });
});
