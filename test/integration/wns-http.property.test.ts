import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE, SECOND } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { WnsEmulator } from '../../src/wns/emulator.js';
import { APP, OTHER, T0, startHarness, type Harness } from '../helpers/wns-harness.js';

const RUNS = 150;

interface RawAnswer {
  readonly status: number | null;
  readonly error: string | null;
}

/** One request with Node's HTTP client, which lets us send any method, header set and framing. */
function send(
  port: number,
  agent: Agent,
  r: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: Uint8Array;
    chunked: boolean;
  },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...r.headers };
    // Framing set explicitly: Node's client would otherwise send a GET or HEAD body unframed
    // (with `Connection: close`), which the server rightly reads as a second, garbage request.
    if (r.chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = r.body.length;
    let req;
    try {
      req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent });
    } catch (e) {
      // The client itself refused the request (not the server's doing): nothing was sent.
      resolve({ status: null, error: `client: ${(e as Error).message}` });
      return;
    }
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? null, error: e.message }));
    });
    req.on('error', (e) => resolve({ status: null, error: e.message }));
    if (r.chunked && r.body.length > 0) {
      // Two chunks.
      const mid = r.body.length >> 1;
      req.write(r.body.subarray(0, mid));
      req.write(r.body.subarray(mid));
    }
    req.end(r.chunked ? undefined : r.body);
  });
}

/** Header value characters Node's client accepts: tab, visible ASCII, space and Latin-1. */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9))
  .map((c) => String.fromCharCode(c));
const garbage = fc.string({ unit: headerChar, maxLength: 40 });

const WNS_HEADERS = [
  'x-wns-type',
  'x-wns-cache-policy',
  'x-wns-ttl',
  'x-wns-requestforstatus',
  'x-wns-priority',
  'x-wns-tag',
  'x-wns-group',
  'x-wns-match',
  'x-wns-suppresspopup',
  'ms-cv',
  'content-type',
  'authorization',
  'accept',
  'content-encoding',
];
/** Hop-by-hop and framing headers: the client library owns them. */
const RESERVED = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'upgrade',
  'expect',
  'keep-alive',
  'te',
  'trailer',
]);

describe('WNS over HTTP: properties against a live server', () => {
  let h: Harness;
  let token: string;
  let channel: string;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
    channel = await h.channel('prop-device');
    port = Number(new URL(h.url).port);
  });
  afterAll(async () => {
    agent.destroy();
    await h.close();
  });

  it('arbitrary methods, header sets and bodies never get a 5xx without an injected fault, nor crash the server', async () => {
    const channelPath = new URL(channel).search;
    const method = fc.oneof(
      { weight: 3, arbitrary: fc.constant('POST') },
      fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE'),
      fc.stringMatching(/^[A-Z]{1,10}$/).filter((m) => m !== 'CONNECT'),
    );
    const path = fc.oneof(
      { weight: 4, arbitrary: fc.constant(`/${channelPath}`) },
      fc.constant('/?token=AwYAAABunknown'),
      fc.constant('/?token='),
      fc.constant('/'),
      fc.constant('/accesstoken.srf'),
      fc.constant(`/${APP.tenant}/oauth2/v2.0/token`),
      fc.constantFrom(
        '/_sim/health',
        '/_sim/clock',
        '/_sim/clock/advance',
        '/_sim/apps',
        '/_sim/channels',
        '/_sim/journal?status=abc',
        '/_sim/devices/prop-device/inbox',
        '/_sim/devices/%ZZ/connection',
        '/_sim/apps/x/block',
      ),
      fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
      fc
        .tuple(fc.webPath(), fc.webQueryParameters())
        .map(([p, q]) => `${p.startsWith('/') ? p : `/${p}`}?${q}`),
    );
    const headerName = fc
      .oneof(fc.constantFrom(...WNS_HEADERS), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/))
      .filter((n) => !RESERVED.has(n));
    const headerValue = fc.oneof(
      garbage,
      fc.constantFrom(
        'wns/raw',
        'wns/toast',
        'cache',
        'no-cache',
        'Cache',
        '60',
        '0',
        '-1',
        '99999999999',
        'true',
        'false',
        '1',
        '5',
        'application/octet-stream',
        'text/xml',
        'application/x-www-form-urlencoded',
        'application/json',
        '',
      ),
      fc.constant('Bearer TOKEN'),
    );
    // Mostly a well-formed push with some headers missing, then arbitrary headers on top.
    const base = fc.record(
      {
        authorization: fc.constant('Bearer TOKEN'),
        'x-wns-type': fc.constant('wns/raw'),
        'content-type': fc.constant('application/octet-stream'),
      },
      { requiredKeys: [] },
    );
    const headers = fc
      .tuple(base, fc.dictionary(headerName, headerValue, { maxKeys: 6 }))
      .map(([b, d]) => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries({ ...b, ...d }))
          out[k] = v === 'Bearer TOKEN' ? `Bearer ${token}` : v;
        return out;
      });
    const body = fc.oneof(
      fc.constant(new Uint8Array(0)),
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ minLength: 4990, maxLength: 5010 }),
      fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s)),
    );
    const statuses = new Map<number | string, number>();

    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        headers,
        body,
        fc.integer({ min: 0, max: 4 }).map((i) => i === 0),
        async (m, p, hs, b, chunked) => {
          const answer = await send(port, agent, {
            method: m,
            path: p,
            headers: hs,
            body: b,
            chunked,
          });
          const key = answer.status ?? answer.error ?? 'none';
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (answer.error?.startsWith('client: ')) return;
          expect(answer.error).toBeNull();
          expect(answer.status).not.toBeNull();
          expect(answer.status as number).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );

    // The run reached the interesting answers, not only 404s.
    expect([...statuses.keys()].filter((k) => typeof k === 'number').length).toBeGreaterThan(2);
    const health = await fetch(`${h.url}/_sim/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    // The channel under fire still works for a well-formed push (with a fresh token: the run may
    // have moved the clock).
    await h.admin('POST', '/_sim/reset');
    const fresh = await h.channel('after-the-storm');
    expect((await h.push(fresh, await h.token())).status).toBe(200);
  });

  it('well-formed raw pushes with arbitrary optional headers are accepted exactly when valid', async () => {
    await h.admin('POST', '/_sim/reset');
    const fresh = await h.token();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.constantFrom('cache', 'no-cache', 'CACHE', 'maybe'), { nil: undefined }),
        fc.option(
          fc.oneof(fc.nat({ max: 10_000 }).map(String), fc.constantFrom('x', '-3', '1e3')),
          {
            nil: undefined,
          },
        ),
        fc.option(fc.constantFrom('true', 'false', 'TRUE', 'perhaps'), { nil: undefined }),
        fc.integer({ min: 1, max: 5001 }),
        async (cache, ttl, forStatus, size) => {
          const ch = await h.channel(`valid-${++n}`, { connected: n % 2 === 0 });
          const extra: Record<string, string> = {};
          if (cache !== undefined) extra['x-wns-cache-policy'] = cache;
          if (ttl !== undefined) extra['x-wns-ttl'] = ttl;
          if (forStatus !== undefined) extra['x-wns-requestforstatus'] = forStatus;
          const res = await h.push(ch, fresh, { headers: extra, body: new Uint8Array(size) });
          const valid =
            (cache === undefined || cache !== 'maybe') &&
            (ttl === undefined || /^\d+$/.test(ttl)) &&
            (forStatus === undefined || forStatus !== 'perhaps');
          const expected = !valid ? 400 : size > 5000 ? 413 : 200;
          expect(res.status).toBe(expected);
          expect(res.headers.get('x-wns-status')).toBe(res.headers.get('x-wns-notificationstatus'));
          if (expected === 200) {
            const connected = n % 2 === 0;
            const cached = cache !== undefined && cache.toLowerCase() === 'cache';
            expect(res.headers.get('x-wns-status')).toBe(
              connected || cached ? 'received' : 'dropped',
            );
            expect(res.headers.has('x-wns-deviceconnectionstatus')).toBe(
              forStatus?.toLowerCase() === 'true',
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---- cache, TTL and channel expiry over arbitrary timings (on the emulator object) -----------

type Action =
  | { kind: 'push'; device: number; channel: number; cache: boolean; ttl: number | null }
  | { kind: 'advance'; ms: number }
  | { kind: 'connect'; device: number; connected: boolean }
  | { kind: 'channel'; device: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      device: fc.nat({ max: 1 }),
      channel: fc.nat({ max: 3 }),
      cache: fc.boolean(),
      ttl: fc.option(fc.integer({ min: 1, max: 600 }), { nil: null }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 5 * MINUTE }), fc.constantFrom(SECOND, 60 * SECOND)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      device: fc.nat({ max: 1 }),
      connected: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('channel' as const), device: fc.nat({ max: 1 }) }),
  },
);

interface ModelChannel {
  uri: string;
  expiresAt: number;
  cached: { body: string; expiresAt: number | null } | null;
}

describe('cache, TTL and channel expiry over arbitrary timings', () => {
  it('delivery, caching, replacement, TTL and channel expiry follow the model', () => {
    const LIFETIME = 10 * MINUTE;
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), fc.boolean(), (actions, startConnected) => {
        const clock = new VirtualClock({ start: T0 });
        const emulator = new WnsEmulator({
          clock,
          seed: 3,
          sink: new MemorySink(),
          baseUrl: 'http://wns.test/',
          apps: [APP, OTHER],
          channelLifetimeMs: LIFETIME,
          throttle: {
            channel: { perSecond: 1000, burst: 1_000_000 },
            app: { perSecond: 1000, burst: 1_000_000 },
          },
        });
        const devices = ['dev-0', 'dev-1'];
        const connected = devices.map(() => startConnected);
        const channels: ModelChannel[][] = devices.map(() => []);
        const expected: Array<
          Array<{ receivedAt: number; channelUri: string; bodyBase64: string }>
        > = devices.map(() => []);
        const newChannel = (d: number): void => {
          const grant = emulator.createInboxChannel(
            APP.pfn,
            devices[d] as string,
            connected[d] as boolean,
          );
          if ('error' in grant) throw new Error(grant.error);
          channels[d]?.push({ uri: grant.channelUri, expiresAt: grant.expiresAt, cached: null });
        };
        devices.forEach((_, d) => newChannel(d));
        let pushes = 0;

        for (const a of actions) {
          const now = clock.now();
          if (a.kind === 'advance') {
            clock.advance(a.ms);
            for (const list of channels)
              for (const c of list)
                if (c.cached && c.cached.expiresAt !== null && c.cached.expiresAt <= clock.now())
                  c.cached = null;
          } else if (a.kind === 'channel') {
            newChannel(a.device);
          } else if (a.kind === 'connect') {
            const was = connected[a.device] as boolean;
            connected[a.device] = a.connected;
            emulator.setInboxConnection(devices[a.device] as string, a.connected);
            if (a.connected && !was) {
              for (const c of channels[a.device] as ModelChannel[]) {
                if (c.cached && c.expiresAt > now)
                  expected[a.device]?.push({
                    receivedAt: now,
                    channelUri: c.uri,
                    bodyBase64: c.cached.body,
                  });
                c.cached = null;
              }
            }
          } else {
            const list = channels[a.device] as ModelChannel[];
            const c = list[a.channel % list.length] as ModelChannel;
            const body = Buffer.from(`push ${++pushes}`).toString('base64');
            const { token } = emulator.tokens.issue(APP, now);
            const headers: Record<string, string> = {
              authorization: `Bearer ${token}`,
              'x-wns-type': 'wns/raw',
              'x-wns-requestforstatus': 'true',
            };
            if (a.cache) headers['x-wns-cache-policy'] = 'cache';
            if (a.ttl !== null) headers['x-wns-ttl'] = String(a.ttl);
            const res = emulator.service.notify({
              method: 'POST',
              channel: c.uri,
              headers,
              bodyBase64: body,
              length: Buffer.from(body, 'base64').length,
            });
            if (c.expiresAt <= now) {
              expect(res.status).toBe(410);
              continue;
            }
            expect(res.status).toBe(200);
            const online = connected[a.device] as boolean;
            expect(res.headers['x-wns-deviceconnectionstatus']).toBe(
              online ? 'connected' : 'disconnected',
            );
            if (online) {
              expected[a.device]?.push({ receivedAt: now, channelUri: c.uri, bodyBase64: body });
              expect(res.headers['x-wns-status']).toBe('received');
            } else if (a.cache) {
              c.cached = { body, expiresAt: a.ttl === null ? null : now + a.ttl * SECOND };
              expect(res.headers['x-wns-status']).toBe('received');
            } else {
              expect(res.headers['x-wns-status']).toBe('dropped');
            }
          }
        }
        devices.forEach((id, d) => expect(emulator.inbox(id)).toEqual(expected[d]));
      }),
      { numRuns: 200 },
    );
  });
});
