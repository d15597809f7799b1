import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { AppRegistry } from '../../src/core/wns/apps.js';
import { Journal } from '../../src/core/wns/journal.js';
import { channelToken } from '../../src/core/wns/wns-cloud.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { parseAppsFile } from '../../src/wns/apps-file.js';
import { INBOX_CAPACITY, WnsEmulator } from '../../src/wns/emulator.js';

const T0 = Date.UTC(2026, 0, 1);
const APP = {
  pfn: 'Contoso.MDM_8wekyb3d8bbwe',
  sid: 'ms-app://S-1-15-2-2411136829-3422574390-1218575391-4088406412-1652238325-1536734281-1962548315',
  secret: 'contoso-secret-1',
  entraAppId: 'app-1',
};

describe('regressions in the WNS domain', () => {
  it('a cached push whose TTL ends at the reconnect instant is dropped, not delivered (TTL 0)', () => {
    const clock = new VirtualClock({ start: T0 });
    const sink = new MemorySink();
    const emulator = new WnsEmulator({
      clock,
      seed: 1,
      sink,
      baseUrl: 'http://127.0.0.1:1/',
      apps: [APP],
    });
    const grant = emulator.createInboxChannel(APP.pfn, 'inbox', false);
    if ('error' in grant) throw new Error(grant.error);
    emulator.cloud.send(grant.channelUri, {
      cachePolicy: 'cache',
      ttlSeconds: 0,
      bodyBase64: 'AA==',
    });
    emulator.setInboxConnection('inbox', true);
    expect(emulator.inbox('inbox')).toEqual([]);
    expect(sink.ofType('push.dropped').map((e) => e.reason)).toEqual(['ttl-expired']);
  });

  it('a second app with the same Entra application id is refused (the registry and apps files)', () => {
    const registry = new AppRegistry([APP]);
    const other = { ...APP, pfn: 'Fabrikam.MDM_8wekyb3d8bbwe', sid: APP.sid.replace(/\d$/, '6') };
    expect(() => registry.add(other)).toThrow(ValidationError);
    expect(() => registry.add(other)).toThrow(/entraAppId: an app with Entra application id app-1/);
    expect(() => parseAppsFile(JSON.stringify([APP, other]), 'apps.json')).toThrow(
      /apps\[1\]\.entraAppId: app-1 is listed twice/,
    );
  });

  it('fault draws do not depend on generated ids (a stream of their own)', () => {
    const draws = (withIds: boolean): boolean[] => {
      const emulator = new WnsEmulator({
        clock: new VirtualClock({ start: T0 }),
        seed: 5,
        sink: new MemorySink(),
        baseUrl: 'http://x/',
        apps: [APP],
      });
      emulator.service.addFault({ op: 'notify', action: { status: 503 }, probability: 0.5 });
      const hits: boolean[] = [];
      for (let i = 0; i < 40; i++) {
        // A notify without MS-CV generates one from the service's id stream.
        if (withIds)
          emulator.service.notify({
            method: 'GET',
            channel: 'none',
            headers: {},
            bodyBase64: '',
            length: 0,
          });
        hits.push(emulator.service.faultFor('notify') !== null);
      }
      return hits;
    };
    expect(draws(true)).toEqual(draws(false));
  });
});

describe('bounded stores and the channel token parser', () => {
  it('the journal keeps its capacity, oldest first, at any fill level', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.nat(40), (capacity, adds) => {
        const journal = new Journal(capacity);
        for (let i = 1; i <= adds; i++)
          journal.add({ time: i, op: 'notify', status: i % 2 ? 200 : 404 });
        const expected = Array.from(
          { length: Math.min(adds, capacity) },
          (_, k) => Math.max(adds - capacity, 0) + k + 1,
        );
        expect(journal.list().map((e) => e.seq)).toEqual(expected);
        expect(journal.list({ status: 404 }).map((e) => e.seq)).toEqual(
          expected.filter((seq) => seq % 2 === 0),
        );
      }),
    );
    const journal = new Journal(3);
    for (let i = 0; i < 5; i++) journal.add({ time: i, op: 'notify', status: 200 });
    journal.clear();
    journal.add({ time: 9, op: 'token', status: 200 });
    expect(journal.list().map((e) => e.seq)).toEqual([6]);
  });

  it('an inbox keeps the newest deliveries only', () => {
    const emulator = new WnsEmulator({
      clock: new VirtualClock({ start: T0 }),
      seed: 1,
      sink: { emit: () => undefined },
      baseUrl: 'http://x/',
      apps: [APP],
      throttle: { channel: { perSecond: 1e9, burst: 1e9 } },
    });
    const grant = emulator.createInboxChannel(APP.pfn, 'box', true);
    if ('error' in grant) throw new Error(grant.error);
    const n = INBOX_CAPACITY + INBOX_CAPACITY / 4;
    for (let i = 0; i < n; i++)
      emulator.cloud.send(grant.channelUri, { cachePolicy: 'no-cache', bodyBase64: String(i) });
    const items = emulator.inbox('box') ?? [];
    expect(items.length).toBeLessThanOrEqual(INBOX_CAPACITY + INBOX_CAPACITY / 8);
    expect(items.at(-1)?.bodyBase64).toBe(String(n - 1));
  });

  it('channelToken agrees with URLSearchParams on any query', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc
          .array(
            fc.constantFrom('token=', 'a', 'B', '-', '_', '=', '&', '%41', '%', '+', '#', '?', '0'),
          )
          .map((parts) => parts.join('')),
        (host, query) => {
          const uri = `https://${host.replace(/\?/g, '')}/?${query}`;
          const expected = new URLSearchParams(query).get('token') ?? '';
          return channelToken(uri) === expected;
        },
      ),
    );
    expect(channelToken('AwYAAAB-x_y')).toBe('AwYAAAB-x_y');
  });
});
