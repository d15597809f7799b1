import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FAULT_RETRY_AFTER_SECONDS } from '../../src/adapters/http/wns-http-server.js';
import { DAY, HOUR, MINUTE } from '../../src/core/time/iso.js';
import {
  DEFAULT_PUSH_TTL_SECONDS,
  WnsSender,
  type WnsSenderOptions,
} from '../../src/adapters/mdm-server/wns-sender.js';
import { APP, OTHER, startHarness, type Harness } from '../helpers/wns-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  h = await startHarness(options);
  return h;
}

/** A sender for the demo app, on the harness's virtual clock. */
const senderFor = (harness: Harness, options: Partial<WnsSenderOptions> = {}): WnsSender =>
  new WnsSender({
    tokenUrl: `${harness.url}/accesstoken.srf`,
    sid: APP.sid,
    secret: APP.secret,
    now: () => harness.clock.now(),
    ...options,
  });

const tokenRequests = (harness: Harness): number =>
  harness.log.filter((e) => e.path === '/accesstoken.srf').length;
const notifyRequests = (harness: Harness): number =>
  harness.log.filter((e) => e.path === '/').length;

describe('WnsSender against the WNS emulator over HTTP', () => {
  it('gets a token, sends a raw push that reaches the device, and reuses the token', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    const sender = senderFor(harness);

    const result = await sender.send(uri);
    expect(result).toEqual({ status: 200, notificationStatus: 'received', outcome: 'sent' });
    expect(harness.emulator.inbox('dev-1')).toHaveLength(1);
    expect(
      Buffer.from(harness.emulator.inbox('dev-1')?.[0]?.bodyBase64 ?? '', 'base64').length,
    ).toBeGreaterThan(0);

    expect((await sender.send(uri)).outcome).toBe('sent');
    await harness.until(() => tokenRequests(harness) === 1 && notifyRequests(harness) === 2, 'log');
    expect(tokenRequests(harness)).toBe(1);
  });

  it('sends X-WNS-Cache-Policy: cache and the TTL: an offline device gets it cached for that long', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1', { connected: false });
    const sender = senderFor(harness, { ttlSeconds: 600 });

    expect((await sender.send(uri)).outcome).toBe('sent');
    expect((await sender.send(uri, { ttlSeconds: 60 })).outcome).toBe('sent');
    const cached = harness.sink.ofType('push.cached');
    expect(cached.map((e) => (e.expiresAt ?? 0) - e.time)).toEqual([600_000, 60_000]);
    harness.emulator.setInboxConnection('dev-1', true);
    expect(harness.emulator.inbox('dev-1')).toHaveLength(1);
  });

  it('defaults to a TTL of an hour', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1', { connected: false });
    await senderFor(harness).send(uri);
    const [cached] = harness.sink.ofType('push.cached');
    expect((cached?.expiresAt ?? 0) - (cached?.time ?? 0)).toBe(DEFAULT_PUSH_TTL_SECONDS * 1000);
  });

  it('asks for a new token shortly before the cached one expires', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    const sender = senderFor(harness);
    await sender.send(uri);
    harness.clock.advance(23 * HOUR + 50 * MINUTE);
    await sender.send(uri);
    await harness.until(() => tokenRequests(harness) === 1, 'first token');
    expect(tokenRequests(harness)).toBe(1);
    harness.clock.advance(6 * MINUTE);
    expect((await sender.send(uri)).outcome).toBe('sent');
    await harness.until(() => tokenRequests(harness) === 2, 'second token');
  });

  it('concurrent sends share one token request', async () => {
    const harness = await start();
    const uris = await Promise.all(['a', 'b', 'c'].map((d) => harness.channel(d)));
    const sender = senderFor(harness);
    const results = await Promise.all(uris.map((u) => sender.send(u)));
    expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'sent']);
    await harness.until(() => notifyRequests(harness) === 3, 'pushes logged');
    expect(tokenRequests(harness)).toBe(1);
  });

  it('401 (token no longer valid at WNS): a new token and one retry', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    const sender = senderFor(harness);
    await sender.send(uri);
    harness.emulator.tokens.clear();

    expect(await sender.send(uri)).toEqual({
      status: 200,
      notificationStatus: 'received',
      outcome: 'sent',
    });
    await harness.until(() => notifyRequests(harness) === 3, 'pushes logged');
    expect(harness.log.filter((e) => e.path === '/').map((e) => e.status)).toEqual([200, 401, 200]);
    expect(tokenRequests(harness)).toBe(2);
  });

  it('410 after the channel expired: channel-gone', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    harness.clock.advance(31 * DAY);
    const result = await senderFor(harness).send(uri);
    expect(result).toMatchObject({
      status: 410,
      outcome: 'channel-gone',
      notificationStatus: 'dropped',
    });
    expect(result.description).toMatch(/expired/);
  });

  it('410 for a blocked PFN: channel-gone', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    harness.emulator.cloud.setBlocked(APP.pfn, true);
    const result = await senderFor(harness).send(uri);
    expect(result).toMatchObject({ status: 410, outcome: 'channel-gone' });
    expect(result.description).toMatch(/Blocked/);
  });

  it('404 for an unknown channel: channel-gone (stop sending to it)', async () => {
    const harness = await start();
    const result = await senderFor(harness).send(`${harness.url}/?token=AwYAAABnope`);
    expect(result).toMatchObject({ status: 404, outcome: 'channel-gone' });
  });

  it("403 for another app's channel: unauthorized", async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1', { pfn: OTHER.pfn });
    const result = await senderFor(harness).send(uri);
    expect(result).toMatchObject({ status: 403, outcome: 'unauthorized' });
    expect(result.description).toMatch(/incompatible/);
  });

  it('406: throttled with Retry-After; no request until the backoff has passed', async () => {
    const harness = await start({ throttle: { channel: { perSecond: 0.5, burst: 1 } } });
    const uri = await harness.channel('dev-1');
    const sender = senderFor(harness);
    expect((await sender.send(uri)).outcome).toBe('sent');

    const throttled = await sender.send(uri);
    expect(throttled).toMatchObject({
      status: 406,
      outcome: 'throttled',
      notificationStatus: 'channelthrottled',
    });
    const wait = throttled.retryAfterSeconds ?? 0;
    expect(wait).toBe(2);
    await harness.until(() => notifyRequests(harness) === 2, 'pushes logged');

    harness.clock.advance((wait - 1) * 1000);
    const backingOff = await sender.send(uri);
    expect(backingOff).toMatchObject({ status: 0, outcome: 'throttled', retryAfterSeconds: 1 });
    expect(notifyRequests(harness)).toBe(2);

    harness.clock.advance(1000);
    expect((await sender.send(uri)).outcome).toBe('sent');
  });

  it('the backoff is per channel', async () => {
    const harness = await start({ throttle: { channel: { perSecond: 0.5, burst: 1 } } });
    const a = await harness.channel('a');
    const b = await harness.channel('b');
    const sender = senderFor(harness);
    await sender.send(a);
    expect((await sender.send(a)).outcome).toBe('throttled');
    expect((await sender.send(b)).outcome).toBe('sent');
  });

  it('5xx: failed, with Retry-After reported', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    harness.emulator.service.addFault({ op: 'notify', action: { status: 503 }, probability: 1 });
    const result = await senderFor(harness).send(uri);
    expect(result).toMatchObject({
      status: 503,
      outcome: 'failed',
      retryAfterSeconds: FAULT_RETRY_AFTER_SECONDS,
    });
  });

  it('a wrong secret: unauthorized, naming the token error, never the secret', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    const secret = 'not-the-secret-4242';
    const result = await senderFor(harness, { secret }).send(uri);
    expect(result).toMatchObject({ status: 0, outcome: 'unauthorized' });
    expect(result.description).toMatch(/token request: 400 invalid_client/);
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(notifyRequests(harness)).toBe(0);
  });

  it('results never carry the secret or the token', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    const sender = senderFor(harness);
    const token = await harness.token();
    const results = [await sender.send(uri), await sender.send(`${harness.url}/?token=x`)];
    for (const r of results) {
      expect(JSON.stringify(r)).not.toContain(APP.secret);
      expect(JSON.stringify(r)).not.toContain(token.slice(0, 12));
    }
  });

  it('a token endpoint that does not answer: failed, status 0, with the network error', async () => {
    const harness = await start();
    const uri = await harness.channel('dev-1');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const result = await senderFor(harness, {
      tokenUrl: `http://127.0.0.1:${port}/accesstoken.srf`,
      channelOrigins: [harness.url],
    }).send(uri);
    expect(result).toMatchObject({ status: 0, outcome: 'failed', notificationStatus: null });
    expect(result.description).toMatch(/^token request: fetch failed/);
  });

  it('a push endpoint that does not answer: failed, status 0', async () => {
    const harness = await start();
    const sender = senderFor(harness);
    const uri = await harness.channel('dev-1');
    await sender.send(uri);
    await harness.close();
    h = null;
    const result = await sender.send(uri);
    expect(result).toMatchObject({ status: 0, outcome: 'failed' });
  });

  it('sends the documented request headers', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    const fake = createServer((req, res) => {
      if (req.url === '/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'tok', token_type: 'bearer', expires_in: '86399' }));
        return;
      }
      seen.push(req.headers);
      res.writeHead(200, { 'x-wns-notificationstatus': 'received' });
      res.end();
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const { port } = fake.address() as AddressInfo;
    try {
      const sender = new WnsSender({
        tokenUrl: `http://127.0.0.1:${port}/token`,
        sid: APP.sid,
        secret: APP.secret,
        now: () => 0,
        ttlSeconds: 120,
      });
      const result = await sender.send(`http://127.0.0.1:${port}/?token=abc`);
      expect(result).toEqual({ status: 200, notificationStatus: 'received', outcome: 'sent' });
      expect(seen[0]).toMatchObject({
        authorization: 'Bearer tok',
        'x-wns-type': 'wns/raw',
        'content-type': 'application/octet-stream',
        'x-wns-cache-policy': 'cache',
        'x-wns-ttl': '120',
      });
      expect(Number(seen[0]?.['content-length'])).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });
});
