import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWnsHttpServer } from '../../src/adapters/http/wns-http-server.js';
import { ensureCertificates } from '../../src/adapters/tls/certificates.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { WnsEmulator } from '../../src/wns/emulator.js';
import { APP, OTHER, T0, startHarness, type Harness } from '../helpers/wns-harness.js';

const form = (fields: Record<string, string>): URLSearchParams => new URLSearchParams(fields);

const classic = (overrides: Record<string, string | null> = {}): URLSearchParams => {
  const fields: Record<string, string> = {};
  const base: Record<string, string> = {
    grant_type: 'client_credentials',
    client_id: APP.sid,
    client_secret: APP.secret,
    scope: 'notify.windows.com',
  };
  for (const [k, v] of Object.entries({ ...base, ...overrides })) if (v !== null) fields[k] = v;
  return form(fields);
};

const entra = (overrides: Record<string, string | null> = {}): URLSearchParams => {
  const fields: Record<string, string> = {};
  const base: Record<string, string> = {
    grant_type: 'client_credentials',
    client_id: APP.entraAppId as string,
    client_secret: APP.secret,
    scope: 'https://wns.windows.com/.default',
  };
  for (const [k, v] of Object.entries({ ...base, ...overrides })) if (v !== null) fields[k] = v;
  return form(fields);
};

/** Sends raw bytes over a plain TCP socket and resolves with everything the server answered. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** True when `promise` is still pending after a full server round trip. */
async function stillPending(h: Harness, promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await (await fetch(`${h.url}/_sim/health`)).text();
  await (await fetch(`${h.url}/_sim/health`)).text();
  return !settled;
}

describe('WNS over HTTP: access tokens', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const postClassic = (body: URLSearchParams | Uint8Array): Promise<Response> =>
    fetch(`${h.url}/accesstoken.srf`, { method: 'POST', body });

  it('classic flow: 200 with a lowercase bearer token for 86400 s, not cacheable', async () => {
    const res = await postClassic(classic());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body['token_type']).toBe('bearer');
    expect(body['expires_in']).toBe(86400);
    expect(typeof body['access_token']).toBe('string');
    expect((body['access_token'] as string).length).toBeGreaterThan(20);
  });

  it('classic flow: the body is parsed as a form whatever its Content-Type (or none)', async () => {
    const bytes = new TextEncoder().encode(classic().toString());
    const none = await postClassic(bytes);
    expect(none.status).toBe(200);
    const text = await fetch(`${h.url}/accesstoken.srf`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: classic().toString(),
    });
    expect(text.status).toBe(200);
  });

  it('classic flow: the SID arrives percent-encoded (ms-app%3a%2f%2f…) and is decoded', async () => {
    const body =
      `grant_type=client_credentials&client_id=${encodeURIComponent(APP.sid).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}` +
      `&client_secret=${encodeURIComponent(APP.secret)}&scope=notify.windows.com`;
    const res = await fetch(`${h.url}/accesstoken.srf`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(200);
  });

  it.each(['grant_type', 'client_id', 'client_secret', 'scope'])(
    'classic flow: without %s → 400 invalid_request naming it',
    async (field) => {
      const res = await postClassic(classic({ [field]: null }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toContain(field);
    },
  );

  it('classic flow: a wrong grant_type → 400 unsupported_grant_type', async () => {
    const res = await postClassic(classic({ grant_type: 'password' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('classic flow: a wrong scope → 400 invalid_scope', async () => {
    const res = await postClassic(classic({ scope: 'https://wns.windows.com/.default' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_scope');
  });

  it('classic flow: an unknown client_id → 400 invalid_client with x-wlid-error', async () => {
    const res = await postClassic(classic({ client_id: 'foo' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('x-wlid-error')).toBe('0x80045A78');
    expect(await res.json()).toEqual({
      error: 'invalid_client',
      error_description: 'Invalid client id',
    });
  });

  it('classic flow: a wrong secret → 400 invalid_client, no x-wlid-error', async () => {
    const res = await postClassic(classic({ client_secret: 'not-the-secret' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('x-wlid-error')).toBeNull();
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('classic flow: GET → 405 with Allow: POST', async () => {
    const res = await fetch(`${h.url}/accesstoken.srf`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('Entra flow: 200 with a token that can send to the app’s channels', async () => {
    const res = await fetch(`${h.url}/${APP.tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      body: entra(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body['token_type']).toBe('Bearer');
    expect(body['expires_in']).toBe(86400);
    const channel = await h.channel('entra-device');
    const push = await h.push(channel, body['access_token'] as string);
    expect(push.status).toBe(200);
  });

  it('Entra flow: the scope may carry a trailing slash', async () => {
    const res = await fetch(`${h.url}/${APP.tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      body: entra({ scope: 'https://wns.windows.com/.default/' }),
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['a missing parameter', 400, 'invalid_request', 900144, { client_secret: null }],
    ['a wrong grant', 400, 'unsupported_grant_type', 70003, { grant_type: 'password' }],
    ['a wrong scope', 400, 'invalid_scope', 70011, { scope: 'notify.windows.com' }],
    ['an unknown client_id', 400, 'unauthorized_client', 700016, { client_id: 'nobody' }],
    ['a wrong secret', 401, 'invalid_client', 7000215, { client_secret: 'wrong-secret' }],
  ] as const)(
    'Entra flow: %s → %i %s (AADSTS%i)',
    async (_what, status, error, code, overrides) => {
      const res = await fetch(`${h.url}/${APP.tenant}/oauth2/v2.0/token`, {
        method: 'POST',
        body: entra(overrides),
      });
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: string; error_codes: number[] };
      expect(body.error).toBe(error);
      expect(body.error_codes).toEqual([code]);
    },
  );

  it('Entra flow: another tenant than the app’s → 400 unauthorized_client', async () => {
    const res = await fetch(`${h.url}/someone-else/oauth2/v2.0/token`, {
      method: 'POST',
      body: entra(),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unauthorized_client');
  });
});

describe('WNS over HTTP: POST <ChannelURI>', () => {
  let h: Harness;
  let token: string;
  let channel: string;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  afterEach(async () => {
    await h.admin('DELETE', '/_sim/faults');
  });
  // A fresh channel for every test: the channel throttle never gets in the way.
  let n = 0;
  const fresh = async (connected = true): Promise<string> => {
    token = await h.token();
    channel = await h.channel(`device-${++n}`, { connected });
    return channel;
  };

  it('200 to a connected device: received, both status headers, Msg-ID, Debug-Trace, MS-CV', async () => {
    await fresh();
    expect(channel.startsWith(`${h.url}/?token=`)).toBe(true);
    const res = await h.push(channel, token, { body: 'hello device' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-wns-status')).toBe('received');
    expect(res.headers.get('x-wns-notificationstatus')).toBe('received');
    const msgId = res.headers.get('x-wns-msg-id');
    expect(msgId).toMatch(/^[0-9A-F]{16}$/);
    expect(res.headers.get('x-wns-debug-trace')).toBeTruthy();
    expect(res.headers.get('ms-cv')).toMatch(/^[A-Za-z0-9+/]{22}\.0$/);
    expect(res.headers.get('x-wns-deviceconnectionstatus')).toBeNull();
    expect(res.headers.get('x-wns-error-description')).toBeNull();
    expect(await res.text()).toBe('');
    const inbox = await h.admin('GET', `/_sim/devices/device-${n}/inbox`);
    expect(inbox.body).toEqual([
      {
        receivedAt: new Date(h.clock.now()).toISOString(),
        channelUri: channel,
        bodyBase64: Buffer.from('hello device').toString('base64'),
      },
    ]);
  });

  it('MS-CV is echoed when the sender sends one', async () => {
    await fresh();
    const res = await h.push(channel, token, { headers: { 'ms-cv': 'abcDEF123.1.2' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('ms-cv')).toBe('abcDEF123.1.2');
  });

  it('X-WNS-DeviceConnectionStatus only with X-WNS-RequestForStatus: true', async () => {
    await fresh();
    const asked = await h.push(channel, token, { headers: { 'x-wns-requestforstatus': 'true' } });
    expect(asked.headers.get('x-wns-deviceconnectionstatus')).toBe('connected');
    const no = await h.push(channel, token, { headers: { 'x-wns-requestforstatus': 'false' } });
    expect(no.status).toBe(200);
    expect(no.headers.get('x-wns-deviceconnectionstatus')).toBeNull();
    await fresh(false);
    const offline = await h.push(channel, token, {
      headers: { 'x-wns-requestforstatus': 'TRUE' },
    });
    expect(offline.status).toBe(200);
    expect(offline.headers.get('x-wns-deviceconnectionstatus')).toBe('disconnected');
    expect(offline.headers.get('x-wns-status')).toBe('dropped');
    expect(offline.headers.get('x-wns-notificationstatus')).toBe('dropped');
  });

  it('a raw body with no Content-Type at all is accepted', async () => {
    await fresh();
    const res = await h.push(channel, token, {
      headers: { 'content-type': '' },
      body: new Uint8Array([1, 2, 3, 250]),
    });
    expect(res.status).toBe(200);
    const inbox = await h.admin('GET', `/_sim/devices/device-${n}/inbox`);
    expect((inbox.body as Array<{ bodyBase64: string }>)[0]?.bodyBase64).toBe(
      Buffer.from([1, 2, 3, 250]).toString('base64'),
    );
  });

  it.each([
    ['X-WNS-Type missing', { 'x-wns-type': '' }, /X-WNS-Type/],
    ['X-WNS-Type not a WNS type', { 'x-wns-type': 'wns/unknown' }, /X-WNS-Type/],
    ['X-WNS-Type toast (not modelled)', { 'x-wns-type': 'wns/toast' }, /not modelled/],
    ['X-WNS-TTL not a number', { 'x-wns-ttl': 'soon' }, /X-WNS-TTL/],
    ['X-WNS-TTL negative', { 'x-wns-ttl': '-5' }, /X-WNS-TTL/],
    ['X-WNS-TTL fractional', { 'x-wns-ttl': '1.5' }, /X-WNS-TTL/],
    ['X-WNS-Cache-Policy unknown', { 'x-wns-cache-policy': 'sometimes' }, /X-WNS-Cache-Policy/],
    ['Content-Type conflicting with raw', { 'content-type': 'text/xml' }, /Content-Type/],
    ['X-WNS-Tag on raw', { 'x-wns-tag': 'tag1' }, /x-wns-tag/i],
    ['X-WNS-Group on raw', { 'x-wns-group': 'g' }, /x-wns-group/i],
    ['X-WNS-SuppressPopup on raw', { 'x-wns-suppresspopup': 'true' }, /suppresspopup/i],
    ['X-WNS-RequestForStatus not a boolean', { 'x-wns-requestforstatus': 'yes' }, /Request/],
    ['X-WNS-PRIORITY out of range', { 'x-wns-priority': '5' }, /PRIORITY/],
  ] as const)('400: %s, with X-WNS-Error-Description', async (_what, headers, description) => {
    await fresh();
    const res = await h.push(channel, token, { headers });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-wns-error-description')).toMatch(description);
    expect(res.headers.get('x-wns-status')).toBe('dropped');
    expect(res.headers.get('x-wns-notificationstatus')).toBe('dropped');
    expect(res.headers.get('ms-cv')).toBeTruthy();
    const inbox = await h.admin('GET', `/_sim/devices/device-${n}/inbox`);
    expect(inbox.body).toEqual([]);
  });

  it('400: an empty body', async () => {
    await fresh();
    const res = await h.push(channel, token, { body: '' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-wns-error-description')).toMatch(/non-empty body/);
  });

  it('400: a chunked body (no Content-Length), which WNS does not support', async () => {
    await fresh();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk one'));
        controller.close();
      },
    });
    const res = await fetch(channel, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'x-wns-type': 'wns/raw',
      },
      body,
      duplex: 'half',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-wns-error-description')).toMatch(/chunked/);
    const inbox = await h.admin('GET', `/_sim/devices/device-${n}/inbox`);
    expect(inbox.body).toEqual([]);
  });

  it('Cache policy values are accepted in any case (cache, Cache, no-cache, NO-CACHE)', async () => {
    await fresh();
    for (const value of ['cache', 'Cache', 'CACHE', 'no-cache', 'No-Cache']) {
      const res = await h.push(channel, token, { headers: { 'x-wns-cache-policy': value } });
      expect(res.status, value).toBe(200);
    }
  });

  it('401 without Authorization, with WWW-Authenticate', async () => {
    await fresh();
    const res = await h.push(channel, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.headers.get('x-wns-error-description')).toMatch(/missing/);
  });

  it('401 with a token WNS never issued, or not a bearer token', async () => {
    await fresh();
    const invalid = await h.push(channel, 'EgAnot-a-real-token=');
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get('www-authenticate')).toMatch(/invalid_token/);
    const basic = await h.push(channel, null, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(basic.status).toBe(401);
  });

  it('401 with an expired token after 24 h (advanced through the admin clock); a new token works', async () => {
    await fresh();
    const almost = await h.admin('POST', '/_sim/clock/advance', { duration: 'PT23H59M59S' });
    expect(almost.status).toBe(200);
    expect((await h.push(channel, token)).status).toBe(200);
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1S' });
    const expired = await h.push(channel, token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(expired.headers.get('x-wns-error-description')).toMatch(/expired/i);
    const again = await h.push(channel, await h.token());
    expect(again.status).toBe(200);
  });

  it('403 with a token of another app', async () => {
    await fresh();
    const other = await h.token(OTHER);
    const res = await h.push(channel, other);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-wns-error-description')).toBe(
      'Channel URL incompatible with caller app',
    );
  });

  it('404 for an unknown channel, and for a channel URI changed in any way', async () => {
    await fresh();
    const unknown = await h.push(`${h.url}/?token=AwYAAABnot-a-channel`, token);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-wns-error-description')).toBeTruthy();
    const changed = await h.push(channel.slice(0, -1) + (channel.endsWith('A') ? 'B' : 'A'), token);
    expect(changed.status).toBe(404);
    const noToken = await h.push(`${h.url}/`, token);
    expect(noToken.status).toBe(404);
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('405 for %s on a channel URI', async (method) => {
    await fresh();
    const res = await h.push(channel, token, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('x-wns-error-description')).toMatch(method);
  });

  it('410 for an expired channel (30 days on the admin clock)', async () => {
    await fresh();
    await h.admin('POST', '/_sim/clock/advance', { duration: 'P29DT23H' });
    token = await h.token();
    expect((await h.push(channel, token)).status).toBe(200);
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1H' });
    const res = await h.push(channel, token);
    expect(res.status).toBe(410);
    expect(res.headers.get('x-wns-error-description')).toMatch(/expired/);
  });

  it('410 Revoked channel URL, with both status headers, once its device revoked it', async () => {
    await fresh();
    const info = h.emulator.cloud.findChannel(channel);
    const results: unknown[] = [];
    h.emulator.cloud.revokeChannels(info?.deviceId ?? '', APP.pfn, (r) => results.push(r));
    expect(results).toEqual([{ ok: true }]);
    const res = await h.push(channel, token);
    expect(res.status).toBe(410);
    expect(res.headers.get('x-wns-error-description')).toBe('Revoked channel URL');
    expect(res.headers.get('x-wns-status')).toBe('dropped');
    expect(res.headers.get('x-wns-notificationstatus')).toBe('dropped');
    expect(res.headers.get('x-wns-msg-id')).toBeNull();
  });

  it('410 Domain Blocked for a blocked PFN; 200 again once unblocked', async () => {
    await fresh();
    expect((await h.admin('POST', `/_sim/apps/${APP.pfn}/block`)).status).toBe(200);
    const blocked = await h.push(channel, token);
    expect(blocked.status).toBe(410);
    expect(blocked.headers.get('x-wns-error-description')).toMatch(/Domain Blocked/);
    expect((await h.admin('POST', `/_sim/apps/${APP.pfn}/unblock`)).status).toBe(200);
    expect((await h.push(channel, token)).status).toBe(200);
  });

  it('413 for a body of 5001 bytes; 5000 bytes are accepted', async () => {
    await fresh();
    const ok = await h.push(channel, token, { body: new Uint8Array(5000).fill(65) });
    expect(ok.status).toBe(200);
    const big = await h.push(channel, token, { body: new Uint8Array(5001).fill(65) });
    expect(big.status).toBe(413);
    expect(big.headers.get('x-wns-error-description')).toMatch(/5001/);
    const inbox = await h.admin('GET', `/_sim/devices/device-${n}/inbox`);
    expect((inbox.body as unknown[]).length).toBe(1);
  });

  it('413 for a body of 3 MB, and the server goes on serving', async () => {
    await fresh();
    const huge = await h.push(channel, token, { body: new Uint8Array(3_000_000) });
    expect(huge.status).toBe(413);
    expect((await h.push(channel, token)).status).toBe(200);
  });

  it('503 only when injected (with Retry-After), 500 likewise; cleared faults → 200', async () => {
    await fresh();
    expect((await h.push(channel, token)).status).toBe(200);
    const add = await h.admin('POST', '/_sim/faults', { op: 'notify', status: 503 });
    expect(add.status).toBe(201);
    const unavailable = await h.push(channel, token);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(unavailable.headers.get('x-wns-error-description')).toBe('injected fault');
    await h.admin('DELETE', '/_sim/faults');
    await h.admin('POST', '/_sim/faults', { op: 'notify', status: 500 });
    const internal = await h.push(channel, token);
    expect(internal.status).toBe(500);
    expect(internal.headers.get('retry-after')).toBeNull();
    await h.admin('DELETE', '/_sim/faults');
    expect((await h.push(channel, token)).status).toBe(200);
  });

  it('a dropped-connection fault fails the request; the next one is served', async () => {
    await fresh();
    await h.admin('POST', '/_sim/faults', { op: 'notify', drop: true });
    await expect(h.push(channel, token)).rejects.toThrow();
    await h.admin('DELETE', '/_sim/faults');
    expect((await h.push(channel, token)).status).toBe(200);
  });

  it('a delay fault answers only once the emulator clock has moved on by the delay', async () => {
    await fresh();
    await h.admin('POST', '/_sim/faults', { op: 'notify', delay: 'PT5S' });
    const pending = h.push(channel, token);
    await h.until(() => h.clock.nextEventAt() !== null, 'the delayed answer to be scheduled');
    expect(h.clock.busy).toBe(false);
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT4S' });
    expect(await stillPending(h, pending)).toBe(true);
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1S' });
    const res = await pending;
    expect(res.status).toBe(200);
    const inbox = await h.admin('GET', `/_sim/devices/device-${n}/inbox`);
    expect((inbox.body as unknown[]).length).toBe(1);
  });

  it('a delay fault does not hold a time-skipping virtual clock still (no deadlock)', async () => {
    await fresh();
    await h.admin('POST', '/_sim/faults', { op: 'notify', delay: 'PT30S' });
    const pending = h.push(channel, token);
    await h.until(() => h.clock.nextEventAt() !== null, 'the delayed answer to be scheduled');
    const due = h.clock.nextEventAt() as number;
    // Waits for tracked I/O before each event: the delay must not count as I/O in flight, and the
    // answer written after it must (the run ends only once it is out).
    await h.clock.runUntilIdleAware(due);
    expect(h.clock.now()).toBe(due);
    expect(h.clock.busy).toBe(false);
    expect((await pending).status).toBe(200);
  });

  it('a request being read counts as I/O in flight on the virtual clock', async () => {
    let finish!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"pfn":'));
        finish = () => {
          controller.enqueue(new TextEncoder().encode('"x"}'));
          controller.close();
        };
      },
    });
    const pending = fetch(`${h.url}/_sim/channels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    });
    await h.until(() => h.clock.busy, 'the request to be in flight');
    // Other requests come and go; the unfinished one still holds the clock.
    await (await fetch(`${h.url}/_sim/health`)).text();
    expect(h.clock.busy).toBe(true);
    expect(await stillPending(h, pending)).toBe(true);
    finish();
    const res = await pending;
    expect(res.status).toBe(400);
    await h.clock.whenIdle();
    expect(h.clock.busy).toBe(false);
  });

  it('token faults: 503 with Retry-After, and drop', async () => {
    await h.admin('POST', '/_sim/faults', { op: 'token', status: 503 });
    const res = await fetch(`${h.url}/accesstoken.srf`, { method: 'POST', body: classic() });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    await h.admin('DELETE', '/_sim/faults');
    await h.admin('POST', '/_sim/faults', { op: 'token', drop: true });
    await expect(
      fetch(`${h.url}/accesstoken.srf`, { method: 'POST', body: classic() }),
    ).rejects.toThrow();
  });

  it('a bad request to one channel does not affect another', async () => {
    const a = await fresh();
    const b = await h.channel(`device-${++n}`);
    expect((await h.push(a, token, { headers: { 'x-wns-type': 'junk' } })).status).toBe(400);
    expect((await h.push(a, token, { body: new Uint8Array(6000) })).status).toBe(413);
    expect((await h.push(b, token)).status).toBe(200);
    expect((await h.push(a, token)).status).toBe(200);
  });

  it('an unexpected exception answers 500 JSON, and the server keeps serving', async () => {
    await fresh();
    const service = h.emulator.service;
    const original = service.notify.bind(service);
    service.notify = () => {
      throw new Error('boom');
    };
    try {
      const res = await h.push(channel, token);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: string }).error).toMatch(/boom/);
    } finally {
      service.notify = original;
    }
    expect((await h.push(channel, token)).status).toBe(200);
  });

  it('malformed HTTP gets a 400 and the server keeps serving', async () => {
    const port = Number(new URL(h.url).port);
    const answer = await rawExchange(port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect((await h.admin('GET', '/_sim/health')).status).toBe(200);
  });

  it('CONNECT → 405 JSON; HTTP/1.1 without Host → 400 JSON; HTTP/1.0 is served', async () => {
    const port = Number(new URL(h.url).port);
    const connectAnswer = await rawExchange(
      port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n',
    );
    expect(connectAnswer).toMatch(/^HTTP\/1\.1 405/);
    expect(connectAnswer).toMatch(/\{"error":"CONNECT is not supported"\}$/);
    const noHost = await rawExchange(
      port,
      'GET /_sim/health HTTP/1.1\r\nConnection: close\r\n\r\n',
    );
    expect(noHost).toMatch(/^HTTP\/1\.1 400/);
    expect(noHost).toMatch(/"error":"the Host header is missing/);
    const http10 = await rawExchange(port, 'GET /_sim/health HTTP/1.0\r\n\r\n');
    expect(http10).toMatch(/^HTTP\/1\.1 200/);
  });

  it('unknown paths without a token → 404 JSON', async () => {
    const res = await fetch(`${h.url}/favicon.ico`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/no route/);
  });

  it('the request log has method, path (no query), status and time: no tokens or secrets', async () => {
    await fresh();
    await h.push(channel, token);
    const text = JSON.stringify(h.log);
    expect(h.log.length).toBeGreaterThan(10);
    for (const entry of h.log) {
      expect(Object.keys(entry).sort()).toEqual(['method', 'ms', 'path', 'status']);
      expect(entry.path).not.toContain('?');
    }
    expect(text).not.toContain(token);
    expect(text).not.toContain(APP.secret);
    expect(text).not.toContain(new URL(channel).searchParams.get('token') as string);
    expect(h.log).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/', status: 200 }),
    );
  });
});

describe('WNS over HTTPS (tls option)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dmpush-tls-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the same endpoints over TLS with a certificate from the local CA', async () => {
    const tls = await ensureCertificates(dir, ['localhost', '127.0.0.1']);
    const clock = new VirtualClock({ start: T0 });
    const emulator = new WnsEmulator({
      clock,
      seed: 1,
      sink: new MemorySink(),
      baseUrl: 'https://127.0.0.1/',
      apps: [APP],
    });
    const server = createWnsHttpServer(emulator, { tls: { cert: tls.certPem, key: tls.keyPem } });
    const { url, port } = await server.listen(0);
    try {
      expect(url).toBe(`https://127.0.0.1:${port}`);
      const call = (method: string, path: string, body?: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = httpsRequest(
            { host: '127.0.0.1', port, method, path, ca: tls.caPem, servername: 'localhost' },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString('utf8')));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const health = await call('GET', '/_sim/health');
      expect(health).toEqual({ status: 200, text: '{"ok":true}' });
      const token = await call('POST', '/accesstoken.srf', classic().toString());
      expect(token.status).toBe(200);
      expect(JSON.parse(token.text)).toMatchObject({ token_type: 'bearer', expires_in: 86400 });
    } finally {
      await server.close();
    }
  });
});

describe('WNS over HTTP: throttling', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      throttle: { channel: { perSecond: 1, burst: 2 }, app: { perSecond: 100, burst: 5 } },
    });
  });
  afterAll(() => h.close());

  it('406 with Retry-After and channelthrottled once a channel is over its rate', async () => {
    const token = await h.token();
    const channel = await h.channel('throttled');
    expect((await h.push(channel, token)).status).toBe(200);
    expect((await h.push(channel, token)).status).toBe(200);
    const res = await h.push(channel, token);
    expect(res.status).toBe(406);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-wns-status')).toBe('channelthrottled');
    expect(res.headers.get('x-wns-notificationstatus')).toBe('channelthrottled');
    expect(res.headers.get('x-wns-continue-after')).toBe('1');
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1S' });
    expect((await h.push(channel, token)).status).toBe(200);
  });

  it('406 once the app is over its rate, on any of its channels: dropped, not channelthrottled', async () => {
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1M' });
    const token = await h.token();
    const answers: Response[] = [];
    for (let i = 0; i < 6; i++) answers.push(await h.push(await h.channel(`app-${i}`), token));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 406]);
    const res = answers[5] as Response;
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-wns-status')).toBe('dropped');
    expect(res.headers.get('x-wns-notificationstatus')).toBe('dropped');
    expect(res.headers.get('x-wns-continue-after')).toBeNull();
    expect(res.headers.get('x-wns-error-description')).toBe(
      'the cloud service exceeded its throttle limit',
    );
  });
});

describe('WNS over HTTP: cache and TTL, seen through the admin inbox', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  let n = 0;

  const offline = async (): Promise<{ id: string; channel: string; token: string }> => {
    const id = `cache-${++n}`;
    return { id, channel: await h.channel(id, { connected: false }), token: await h.token() };
  };
  const reconnect = (id: string) =>
    h.admin('POST', `/_sim/devices/${id}/connection`, { connected: true });
  const inbox = async (id: string) =>
    (await h.admin('GET', `/_sim/devices/${id}/inbox`)).body as Array<{
      bodyBase64: string;
      receivedAt: string;
    }>;
  const b64 = (s: string): string => Buffer.from(s).toString('base64');

  it('a cached push to an offline device is delivered on reconnect', async () => {
    const { id, channel, token } = await offline();
    const res = await h.push(channel, token, {
      headers: { 'x-wns-cache-policy': 'Cache' },
      body: 'wake up',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-wns-status')).toBe('received');
    expect(await inbox(id)).toEqual([]);
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT2H' });
    expect((await reconnect(id)).status).toBe(200);
    const items = await inbox(id);
    expect(items.map((i) => i.bodyBase64)).toEqual([b64('wake up')]);
    expect(items[0]?.receivedAt).toBe(new Date(h.clock.now()).toISOString());
  });

  it('a cached push past its TTL is not delivered', async () => {
    const { id, channel, token } = await offline();
    await h.push(channel, token, {
      headers: { 'x-wns-cache-policy': 'cache', 'x-wns-ttl': '60' },
    });
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT60S' });
    await reconnect(id);
    expect(await inbox(id)).toEqual([]);
  });

  it('a cached push within its TTL is delivered', async () => {
    const { id, channel, token } = await offline();
    await h.push(channel, token, {
      headers: { 'x-wns-cache-policy': 'cache', 'x-wns-ttl': '60' },
      body: 'in time',
    });
    await h.admin('POST', '/_sim/clock/advance', { duration: 'PT59S' });
    await reconnect(id);
    expect((await inbox(id)).map((i) => i.bodyBase64)).toEqual([b64('in time')]);
  });

  it('without a cache policy (or with no-cache) an offline push is dropped', async () => {
    const { id, channel, token } = await offline();
    const none = await h.push(channel, token, { body: 'lost' });
    expect(none.status).toBe(200);
    expect(none.headers.get('x-wns-status')).toBe('dropped');
    const noCache = await h.push(channel, token, {
      headers: { 'x-wns-cache-policy': 'no-cache' },
      body: 'lost too',
    });
    expect(noCache.headers.get('x-wns-status')).toBe('dropped');
    await reconnect(id);
    expect(await inbox(id)).toEqual([]);
  });

  it('a newer cached push replaces the older one', async () => {
    const { id, channel, token } = await offline();
    for (const body of ['first', 'second', 'third']) {
      const res = await h.push(channel, token, {
        headers: { 'x-wns-cache-policy': 'cache' },
        body,
      });
      expect(res.status).toBe(200);
      await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1M' });
    }
    await reconnect(id);
    expect((await inbox(id)).map((i) => i.bodyBase64)).toEqual([b64('third')]);
  });

  it('a cached push for a channel that expired while offline is not delivered', async () => {
    const { id, channel, token } = await offline();
    await h.push(channel, token, { headers: { 'x-wns-cache-policy': 'cache' } });
    await h.admin('POST', '/_sim/clock/advance', { duration: 'P30D' });
    await reconnect(id);
    expect(await inbox(id)).toEqual([]);
  });

  it('a push to a connected device is delivered at once; after disconnecting it is dropped', async () => {
    const id = `cache-${++n}`;
    const channel = await h.channel(id, { connected: true });
    const token = await h.token();
    await h.push(channel, token, { body: 'live' });
    await h.admin('POST', `/_sim/devices/${id}/connection`, { connected: false });
    await h.push(channel, token, { body: 'offline' });
    await reconnect(id);
    expect((await inbox(id)).map((i) => i.bodyBase64)).toEqual([b64('live')]);
  });
});
