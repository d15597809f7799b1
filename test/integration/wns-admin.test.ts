import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWnsHttpServer } from '../../src/adapters/http/wns-http-server.js';
import { SystemClock } from '../../src/adapters/clock/system-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { WnsEmulator } from '../../src/wns/emulator.js';
import { APP, OTHER, startHarness, type Harness } from '../helpers/wns-harness.js';

const NEW_APP = {
  pfn: 'Northwind.Device_1234567890abc',
  sid: 'ms-app://S-1-15-2-9-8-7-6-5-4-3',
  secret: 'northwind-secret-3',
};

interface ChannelRow {
  channelUri: string;
  pfn: string;
  deviceId: string;
  expiresAt: string;
  revoked: boolean;
  connected: boolean;
}

interface JournalRow {
  seq: number;
  time: string;
  op: string;
  status: number;
  pfn?: string;
  channelUri?: string;
  description?: string;
  request?: Record<string, unknown>;
}

const errorOf = (body: unknown): string => (body as { error: string }).error;

describe('admin API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    expect((await h.admin('POST', '/_sim/reset')).status).toBe(204);
  });

  describe('health and clock', () => {
    it('GET /_sim/health → 200 {"ok":true}', async () => {
      const r = await h.admin('GET', '/_sim/health');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ ok: true });
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('GET /_sim/clock → now (ISO) and mode', async () => {
      const r = await h.admin('GET', '/_sim/clock');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ now: new Date(h.clock.now()).toISOString(), mode: 'virtual' });
    });

    it('POST /_sim/clock/advance moves the virtual clock by an ISO duration', async () => {
      const before = h.clock.now();
      const r = await h.admin('POST', '/_sim/clock/advance', { duration: 'PT25H' });
      expect(r.status).toBe(200);
      expect(h.clock.now()).toBe(before + 25 * 3_600_000);
      expect(r.body).toEqual({ now: new Date(before + 25 * 3_600_000).toISOString() });
      const zero = await h.admin('POST', '/_sim/clock/advance', { duration: 'PT0S' });
      expect(zero.status).toBe(200);
      expect(h.clock.now()).toBe(before + 25 * 3_600_000);
    });

    it('POST /_sim/clock/advance runs what falls due on the way (a cached push expires)', async () => {
      const token = await h.token();
      const channel = await h.channel('clock-dev', { connected: false });
      await h.push(channel, token, {
        headers: { 'x-wns-cache-policy': 'cache', 'x-wns-ttl': '10' },
      });
      await h.admin('POST', '/_sim/clock/advance', { duration: 'PT10S' });
      expect(h.sink.ofType('push.dropped', 'clock-dev').map((e) => e.reason)).toContain(
        'ttl-expired',
      );
    });

    it.each([
      ['missing', {}],
      ['not a string', { duration: 25 }],
      ['not ISO 8601', { duration: '25 hours' }],
      ['negative', { duration: 'PT-5S' }],
      ['empty', { duration: 'P' }],
    ])('POST /_sim/clock/advance with a duration %s → 400 naming "duration"', async (_w, body) => {
      const before = h.clock.now();
      const r = await h.admin('POST', '/_sim/clock/advance', body);
      expect(r.status).toBe(400);
      expect(errorOf(r.body)).toMatch(/^duration: /);
      expect(h.clock.now()).toBe(before);
    });

    it('POST /_sim/clock/advance with an unknown field → 400 naming it', async () => {
      const r = await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1H', durtion: 'x' });
      expect(r.status).toBe(400);
      expect(errorOf(r.body)).toMatch(/durtion/);
    });

    it('on the system clock: GET /_sim/clock says so and advance → 409', async () => {
      const emulator = new WnsEmulator({
        clock: new SystemClock(),
        seed: 1,
        sink: new MemorySink(),
        baseUrl: 'http://127.0.0.1/',
      });
      const server = createWnsHttpServer(emulator, {});
      const { url } = await server.listen(0);
      try {
        const clock = await fetch(`${url}/_sim/clock`);
        expect(((await clock.json()) as { mode: string }).mode).toBe('system');
        const r = await fetch(`${url}/_sim/clock/advance`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ duration: 'PT25H' }),
        });
        expect(r.status).toBe(409);
        expect(errorOf(await r.json())).toMatch(/system clock/);
      } finally {
        await server.close();
      }
    });
  });

  describe('apps', () => {
    it('GET /_sim/apps lists the apps without their secrets', async () => {
      const r = await h.admin('GET', '/_sim/apps');
      expect(r.status).toBe(200);
      expect(r.body).toEqual([
        {
          pfn: APP.pfn,
          sid: APP.sid,
          entraAppId: APP.entraAppId,
          tenant: APP.tenant,
        },
        { pfn: OTHER.pfn, sid: OTHER.sid },
      ]);
      expect(r.text).not.toContain(APP.secret);
      expect(r.text).not.toContain(OTHER.secret);
    });

    it('POST /_sim/apps registers an app (201, no secret in the answer) that can get tokens', async () => {
      const r = await h.admin('POST', '/_sim/apps', NEW_APP);
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ pfn: NEW_APP.pfn, sid: NEW_APP.sid });
      expect(r.text).not.toContain(NEW_APP.secret);
      const list = await h.admin('GET', '/_sim/apps');
      expect((list.body as Array<{ pfn: string }>).map((a) => a.pfn)).toContain(NEW_APP.pfn);
      expect(list.text).not.toContain(NEW_APP.secret);
      const token = await h.token(NEW_APP);
      const channel = await h.channel('northwind-1', { pfn: NEW_APP.pfn });
      expect((await h.push(channel, token)).status).toBe(200);
    });

    it('POST /_sim/apps keeps apps across a reset', async () => {
      await h.admin('POST', '/_sim/reset');
      const list = await h.admin('GET', '/_sim/apps');
      expect((list.body as Array<{ pfn: string }>).map((a) => a.pfn)).toContain(NEW_APP.pfn);
    });

    it.each([
      ['pfn', { ...NEW_APP, pfn: 'not a pfn' }],
      ['sid', { ...NEW_APP, sid: 'S-1-15-2-1' }],
      ['secret', { ...NEW_APP, secret: 'short' }],
      ['secret', { pfn: 'Other.App_1234567890abc', sid: 'ms-app://S-1-15-2-1-1-1-1-1-1-1' }],
      ['entraAppId', { ...NEW_APP, pfn: 'X.Y_1234567890abc', entraAppId: '' }],
      ['colour', { ...NEW_APP, colour: 'blue' }],
    ])('POST /_sim/apps with a bad %s → 400 naming it', async (field, body) => {
      const r = await h.admin('POST', '/_sim/apps', body);
      expect(r.status).toBe(400);
      expect(errorOf(r.body)).toContain(field);
    });

    it('POST /_sim/apps never echoes a rejected secret', async () => {
      const r = await h.admin('POST', '/_sim/apps', { ...NEW_APP, pfn: 'bad', secret: 'tiny' });
      expect(r.status).toBe(400);
      expect(r.text).not.toContain('"tiny"');
    });

    it.each([
      ['PFN', { ...NEW_APP, pfn: APP.pfn, sid: 'ms-app://S-1-15-2-1-2-3-4-5-6-7' }],
      ['SID', { ...NEW_APP, pfn: 'Dup.Sid_1234567890abc', sid: APP.sid }],
      [
        'Entra application id',
        {
          pfn: 'Dup.Entra_1234567890abc',
          sid: 'ms-app://S-1-15-2-2-2-2-2-2-2-2',
          secret: 'another-secret',
          entraAppId: APP.entraAppId,
        },
      ],
    ])('POST /_sim/apps with a duplicate %s → 409', async (what, body) => {
      const r = await h.admin('POST', '/_sim/apps', body);
      expect(r.status).toBe(409);
      expect(errorOf(r.body)).toContain(what);
    });

    it('POST /_sim/apps/{pfn}/block and /unblock switch the PFN; unknown PFN → 404', async () => {
      const block = await h.admin('POST', `/_sim/apps/${encodeURIComponent(APP.pfn)}/block`);
      expect(block.status).toBe(200);
      expect(block.body).toEqual({ pfn: APP.pfn, blocked: true });
      expect(h.emulator.cloud.isBlocked(APP.pfn)).toBe(true);
      const refused = await h.admin('POST', '/_sim/channels', { pfn: APP.pfn, deviceId: 'b1' });
      expect(refused.status).toBe(400);
      expect(errorOf(refused.body)).toMatch(/^pfn: .*blocked/);
      const unblock = await h.admin('POST', `/_sim/apps/${APP.pfn}/unblock`);
      expect(unblock.body).toEqual({ pfn: APP.pfn, blocked: false });
      expect(h.emulator.cloud.isBlocked(APP.pfn)).toBe(false);
      const unknown = await h.admin('POST', '/_sim/apps/Nobody.Here_1234567890abc/block');
      expect(unknown.status).toBe(404);
    });
  });

  describe('channels and inbox devices', () => {
    it('POST /_sim/channels → 201 {channelUri, expiresAt}; GET /_sim/channels lists it', async () => {
      const r = await h.admin('POST', '/_sim/channels', {
        pfn: APP.pfn,
        deviceId: 'dev-1',
        connected: true,
      });
      expect(r.status).toBe(201);
      const { channelUri, expiresAt } = r.body as { channelUri: string; expiresAt: string };
      expect(channelUri).toMatch(new RegExp(`^${h.url}/\\?token=`));
      expect(expiresAt).toBe(new Date(h.clock.now() + 30 * 86_400_000).toISOString());
      const list = await h.admin('GET', '/_sim/channels');
      expect(list.body).toEqual([
        { channelUri, pfn: APP.pfn, deviceId: 'dev-1', expiresAt, revoked: false, connected: true },
      ]);
      // Revoked by its device: listed as such (a push to it gets 410 Revoked channel URL).
      h.emulator.cloud.revokeChannels('dev-1', APP.pfn, () => undefined);
      const after = (await h.admin('GET', '/_sim/channels')).body as ChannelRow[];
      expect(after).toMatchObject([{ channelUri, revoked: true }]);
    });

    it('connected defaults to true; connected:false lists as disconnected', async () => {
      await h.admin('POST', '/_sim/channels', { pfn: APP.pfn, deviceId: 'dev-a' });
      await h.admin('POST', '/_sim/channels', {
        pfn: OTHER.pfn,
        deviceId: 'dev-b',
        connected: false,
      });
      const rows = (await h.admin('GET', '/_sim/channels')).body as ChannelRow[];
      expect(rows.map((c) => [c.deviceId, c.pfn, c.connected])).toEqual([
        ['dev-a', APP.pfn, true],
        ['dev-b', OTHER.pfn, false],
      ]);
      const filtered = (await h.admin('GET', `/_sim/channels?pfn=${OTHER.pfn}`))
        .body as ChannelRow[];
      expect(filtered.map((c) => c.deviceId)).toEqual(['dev-b']);
    });

    it('a device may hold several channels', async () => {
      await h.channel('multi');
      await h.channel('multi', { pfn: OTHER.pfn });
      const rows = (await h.admin('GET', '/_sim/channels?deviceId=multi')).body as ChannelRow[];
      expect(rows).toHaveLength(2);
      expect(new Set(rows.map((c) => c.channelUri)).size).toBe(2);
    });

    it.each([
      ['pfn', { deviceId: 'd' }],
      ['pfn', { pfn: 42, deviceId: 'd' }],
      ['deviceId', { pfn: APP.pfn }],
      ['deviceId', { pfn: APP.pfn, deviceId: '' }],
      ['connected', { pfn: APP.pfn, deviceId: 'd', connected: 'yes' }],
      ['extra', { pfn: APP.pfn, deviceId: 'd', extra: 1 }],
    ])('POST /_sim/channels with a bad %s → 400 naming it', async (field, body) => {
      const r = await h.admin('POST', '/_sim/channels', body);
      expect(r.status).toBe(400);
      expect(errorOf(r.body)).toContain(field);
    });

    it('POST /_sim/channels for an unknown PFN → 400 naming the PFN', async () => {
      const r = await h.admin('POST', '/_sim/channels', {
        pfn: 'Unknown.App_1234567890abc',
        deviceId: 'd',
      });
      expect(r.status).toBe(400);
      expect(errorOf(r.body)).toMatch(/^pfn: Unknown\.App_1234567890abc/);
      expect((await h.admin('GET', '/_sim/channels')).body).toEqual([]);
    });

    it('POST /_sim/devices/{id}/connection switches the connection; unknown device → 404', async () => {
      await h.channel('switch');
      const off = await h.admin('POST', '/_sim/devices/switch/connection', { connected: false });
      expect(off.status).toBe(200);
      expect(off.body).toEqual({ deviceId: 'switch', connected: false });
      expect(h.emulator.cloud.isConnected('switch')).toBe(false);
      const rows = (await h.admin('GET', '/_sim/channels')).body as ChannelRow[];
      expect(rows[0]?.connected).toBe(false);
      const on = await h.admin('POST', '/_sim/devices/switch/connection', { connected: true });
      expect(on.body).toEqual({ deviceId: 'switch', connected: true });
      const unknown = await h.admin('POST', '/_sim/devices/ghost/connection', {
        connected: true,
      });
      expect(unknown.status).toBe(404);
      expect(errorOf(unknown.body)).toContain('ghost');
      const bad = await h.admin('POST', '/_sim/devices/switch/connection', { connected: 'no' });
      expect(bad.status).toBe(400);
      expect(errorOf(bad.body)).toMatch(/^connected: /);
    });

    it('device ids are percent-decoded from the path', async () => {
      await h.channel('room 1/desk');
      const r = await h.admin('GET', `/_sim/devices/${encodeURIComponent('room 1/desk')}/inbox`);
      expect(r.status).toBe(200);
      const bad = await h.admin('GET', '/_sim/devices/%E0%A4%A/inbox');
      expect(bad.status).toBe(400);
    });

    it('GET /_sim/devices/{id}/inbox lists deliveries; unknown device → 404', async () => {
      const channel = await h.channel('inboxed');
      const token = await h.token();
      await h.push(channel, token, { body: 'one' });
      await h.admin('POST', '/_sim/clock/advance', { duration: 'PT1M' });
      await h.push(channel, token, { body: new Uint8Array([0, 255]) });
      const r = await h.admin('GET', '/_sim/devices/inboxed/inbox');
      expect(r.status).toBe(200);
      expect(r.body).toEqual([
        {
          receivedAt: new Date(h.clock.now() - 60_000).toISOString(),
          channelUri: channel,
          bodyBase64: Buffer.from('one').toString('base64'),
        },
        {
          receivedAt: new Date(h.clock.now()).toISOString(),
          channelUri: channel,
          bodyBase64: 'AP8=',
        },
      ]);
      expect((await h.admin('GET', '/_sim/devices/nobody/inbox')).status).toBe(404);
    });
  });

  describe('journal', () => {
    it('records token and notify requests with ISO times, filterable by channel, app and status', async () => {
      const token = await h.token();
      const other = await h.token(OTHER);
      const a = await h.channel('j-a');
      const b = await h.channel('j-b', { pfn: OTHER.pfn });
      expect((await h.push(a, token)).status).toBe(200);
      expect((await h.push(a, other)).status).toBe(403);
      expect((await h.push(b, other)).status).toBe(200);
      expect((await h.push(b, other, { headers: { 'x-wns-type': '' } })).status).toBe(400);

      const all = (await h.admin('GET', '/_sim/journal')).body as JournalRow[];
      expect(all.map((e) => e.op)).toEqual([
        'token',
        'token',
        'channel',
        'channel',
        'notify',
        'notify',
        'notify',
        'notify',
      ]);
      for (const e of all) expect(e.time).toBe(new Date(h.clock.now()).toISOString());

      const byChannel = (await h.admin('GET', `/_sim/journal?channel=${encodeURIComponent(a)}`))
        .body as JournalRow[];
      expect(byChannel.map((e) => [e.op, e.status])).toEqual([
        ['channel', 201],
        ['notify', 200],
        ['notify', 403],
      ]);
      const token_ = new URL(a).searchParams.get('token') as string;
      const byToken = (await h.admin('GET', `/_sim/journal?channel=${token_}`))
        .body as JournalRow[];
      expect(byToken).toEqual(byChannel);

      const byApp = (await h.admin('GET', `/_sim/journal?app=${OTHER.pfn}`)).body as JournalRow[];
      expect(byApp.map((e) => [e.op, e.status])).toEqual([
        ['token', 200],
        ['channel', 201],
        ['notify', 200],
        ['notify', 400],
      ]);

      const byStatus = (await h.admin('GET', '/_sim/journal?status=403')).body as JournalRow[];
      expect(byStatus).toHaveLength(1);
      expect(byStatus[0]?.description).toMatch(/incompatible/);

      const both = (await h.admin('GET', `/_sim/journal?app=${OTHER.pfn}&status=200`))
        .body as JournalRow[];
      expect(both.map((e) => e.op)).toEqual(['token', 'notify']);

      const badStatus = await h.admin('GET', '/_sim/journal?status=ok');
      expect(badStatus.status).toBe(400);
      expect(errorOf(badStatus.body)).toMatch(/^status: /);
    });

    it('records injected faults', async () => {
      await h.admin('POST', '/_sim/faults', { op: 'token', status: 503 });
      await fetch(`${h.url}/accesstoken.srf`, { method: 'POST', body: 'x=y' });
      const rows = (await h.admin('GET', '/_sim/journal?op=token')).body as JournalRow[];
      expect(rows).toEqual([
        expect.objectContaining({ op: 'token', status: 503, description: 'injected fault' }),
      ]);
    });

    it('keeps what each token request asked for (endpoint, grant type, scope), never the secret', async () => {
      await h.token();
      const form = (scope: string) =>
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.entraAppId as string,
          client_secret: APP.secret,
          scope,
        });
      const entra = `${h.url}/${APP.tenant}/oauth2/v2.0/token`;
      expect(
        (await fetch(entra, { method: 'POST', body: form('notify.windows.com') })).status,
      ).toBe(400);
      expect(
        (await fetch(entra, { method: 'POST', body: form('https://wns.windows.com/.default') }))
          .status,
      ).toBe(200);
      const rows = (await h.admin('GET', '/_sim/journal?op=token')).body as JournalRow[];
      expect(rows.map((r) => [r.status, r.request])).toEqual([
        [
          200,
          { endpoint: 'classic', grantType: 'client_credentials', scope: 'notify.windows.com' },
        ],
        [400, { endpoint: 'entra', grantType: 'client_credentials', scope: 'notify.windows.com' }],
        [
          200,
          {
            endpoint: 'entra',
            grantType: 'client_credentials',
            scope: 'https://wns.windows.com/.default',
          },
        ],
      ]);
      expect(JSON.stringify(rows)).not.toContain(APP.secret);
    });

    it('keeps what each push asked for (headers that matter, body length), refused or not', async () => {
      const token = await h.token();
      const channel = await h.channel('j-facts');
      const headers = {
        'x-wns-cache-policy': 'cache',
        'x-wns-ttl': '3600',
        'x-wns-priority': '1',
        'x-wns-requestforstatus': 'true',
      };
      expect((await h.push(channel, token, { headers, body: 'hello' })).status).toBe(200);
      const noType = { 'x-wns-type': '', 'x-wns-cache-policy': 'no-cache' };
      expect((await h.push(channel, token, { headers: noType, body: 'x' })).status).toBe(400);
      const rows = (await h.admin('GET', '/_sim/journal?op=notify')).body as JournalRow[];
      expect(rows.map((r) => [r.status, r.request])).toEqual([
        [
          200,
          {
            type: 'wns/raw',
            contentType: 'application/octet-stream',
            cachePolicy: 'cache',
            ttl: '3600',
            priority: '1',
            requestForStatus: 'true',
            bytes: 5,
          },
        ],
        [400, { contentType: 'application/octet-stream', cachePolicy: 'no-cache', bytes: 1 }],
      ]);
      expect(JSON.stringify(rows)).not.toContain(token);
    });

    it('secrets and access tokens never appear in any GET answer or the journal', async () => {
      const token = await h.token();
      const other = await h.token(OTHER);
      const entra = await fetch(`${h.url}/${APP.tenant}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.entraAppId as string,
          client_secret: APP.secret,
          scope: 'https://wns.windows.com/.default',
        }),
      });
      const entraToken = ((await entra.json()) as { access_token: string }).access_token;
      // Failed attempts carry secrets too.
      await fetch(`${h.url}/accesstoken.srf`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.sid,
          client_secret: 'a-wrong-secret-value',
          scope: 'notify.windows.com',
        }),
      });
      await h.admin('POST', '/_sim/apps', NEW_APP);
      const channel = await h.channel('secretive', { connected: false });
      await h.push(channel, token, { headers: { 'x-wns-cache-policy': 'cache' } });
      await h.push(channel, other);
      await h.push(channel, 'Bearer-looking-garbage-token');
      await h.admin('POST', '/_sim/devices/secretive/connection', { connected: true });

      const texts: string[] = [];
      for (const path of [
        '/_sim/health',
        '/_sim/clock',
        '/_sim/apps',
        '/_sim/channels',
        '/_sim/devices/secretive/inbox',
        '/_sim/journal',
        '/_sim/faults',
      ]) {
        const r = await h.admin('GET', path);
        expect(r.status, path).toBe(200);
        texts.push(r.text);
      }
      texts.push(JSON.stringify(h.emulator.service.journal.list()));
      texts.push(JSON.stringify(h.log));
      texts.push(JSON.stringify(h.sink.events));
      for (const text of texts) {
        for (const secret of [
          APP.secret,
          OTHER.secret,
          NEW_APP.secret,
          'a-wrong-secret-value',
          token,
          other,
          entraToken,
          'Bearer-looking-garbage-token',
        ]) {
          expect(text).not.toContain(secret);
        }
      }
    });
  });

  describe('faults', () => {
    it('POST /_sim/faults adds status, drop and delay faults; GET lists them; DELETE clears', async () => {
      const a = await h.admin('POST', '/_sim/faults', { op: 'notify', status: 503 });
      expect(a.status).toBe(201);
      expect(a.body).toEqual({ op: 'notify', status: 503, probability: 1 });
      const b = await h.admin('POST', '/_sim/faults', {
        op: 'token',
        drop: true,
        probability: 0.25,
      });
      expect(b.body).toEqual({ op: 'token', drop: true, probability: 0.25 });
      const c = await h.admin('POST', '/_sim/faults', { op: 'connect', delay: 'PT5S' });
      expect(c.body).toEqual({ op: 'connect', delay: 'PT5S', delayMs: 5000, probability: 1 });
      const list = await h.admin('GET', '/_sim/faults');
      expect(list.body).toEqual([a.body, b.body, c.body]);
      const cleared = await h.admin('DELETE', '/_sim/faults');
      expect(cleared.status).toBe(204);
      expect(cleared.text).toBe('');
      expect((await h.admin('GET', '/_sim/faults')).body).toEqual([]);
    });

    it.each([
      ['op', { status: 503 }],
      ['op', { op: 'render', status: 503 }],
      ['status, drop or delay', { op: 'notify' }],
      ['status, drop or delay', { op: 'notify', status: 503, drop: true }],
      ['status', { op: 'notify', status: 200 }],
      ['status', { op: 'notify', status: '503' }],
      ['drop', { op: 'notify', drop: false }],
      ['delay', { op: 'notify', delay: '5 seconds' }],
      ['probability', { op: 'notify', status: 503, probability: 2 }],
      ['probability', { op: 'notify', status: 503, probability: 'often' }],
      ['sometimes', { op: 'notify', status: 503, sometimes: true }],
    ])('POST /_sim/faults with a bad %s → 400 naming it', async (field, body) => {
      const r = await h.admin('POST', '/_sim/faults', body);
      expect(r.status).toBe(400);
      expect(errorOf(r.body)).toContain(field);
      expect((await h.admin('GET', '/_sim/faults')).body).toEqual([]);
    });

    it('a fault with probability 0 never fires; with 0.5 it fires about half the time', async () => {
      const token = await h.token();
      const channel = await h.channel('dice');
      await h.admin('POST', '/_sim/faults', { op: 'notify', status: 503, probability: 0 });
      for (let i = 0; i < 10; i++) expect((await h.push(channel, token)).status).toBe(200);
      await h.admin('DELETE', '/_sim/faults');
      await h.admin('POST', '/_sim/faults', { op: 'notify', status: 503, probability: 0.5 });
      let hits = 0;
      for (let i = 0; i < 20; i++) {
        await h.admin('POST', '/_sim/clock/advance', { duration: 'PT2S' });
        if ((await h.push(channel, token)).status === 503) hits++;
      }
      expect(hits).toBeGreaterThan(2);
      expect(hits).toBeLessThan(18);
    });
  });

  describe('reset', () => {
    it('POST /_sim/reset forgets channels, inboxes, tokens, faults, blocks and the journal, keeps apps', async () => {
      const apps = (await h.admin('GET', '/_sim/apps')).body;
      const token = await h.token();
      await h.channel('r1');
      await h.admin('POST', '/_sim/faults', { op: 'notify', status: 500 });
      await h.admin('POST', `/_sim/apps/${OTHER.pfn}/block`);
      const r = await h.admin('POST', '/_sim/reset');
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
      expect((await h.admin('GET', '/_sim/channels')).body).toEqual([]);
      expect((await h.admin('GET', '/_sim/faults')).body).toEqual([]);
      expect((await h.admin('GET', '/_sim/journal')).body).toEqual([]);
      expect((await h.admin('GET', '/_sim/devices/r1/inbox')).status).toBe(404);
      expect(h.emulator.cloud.isBlocked(OTHER.pfn)).toBe(false);
      expect((await h.admin('GET', '/_sim/apps')).body).toEqual(apps);
      const channel = await h.channel('r2');
      expect((await h.push(channel, token)).status).toBe(401);
      expect((await h.push(channel, await h.token())).status).toBe(200);
    });
  });

  describe('errors', () => {
    it('an unknown /_sim/ route → 404 JSON', async () => {
      for (const path of ['/_sim', '/_sim/', '/_sim/nothing', '/_sim/apps/x/y/z']) {
        const r = await h.admin('GET', path);
        expect(r.status, path).toBe(404);
        expect(errorOf(r.body), path).toMatch(/no admin route/);
      }
    });

    it('a wrong method on a known route → 405 JSON with Allow', async () => {
      const r = await h.admin('PUT', '/_sim/apps', {});
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, POST');
      expect(errorOf(r.body)).toMatch(/PUT/);
      const d = await h.admin('DELETE', '/_sim/health');
      expect(d.status).toBe(405);
    });

    it('bad JSON → 400 naming the problem; a JSON non-object → 400', async () => {
      const r = await h.admin('POST', '/_sim/channels', '{"pfn": ');
      expect(r.status).toBe(400);
      expect(errorOf(r.body)).toMatch(/not valid JSON/);
      const arr = await h.admin('POST', '/_sim/faults', '[1,2]');
      expect(arr.status).toBe(400);
      expect(errorOf(arr.body)).toMatch(/JSON object/);
      const str = await h.admin('POST', '/_sim/apps', '"app"');
      expect(str.status).toBe(400);
    });

    it('a body over 1 MiB → 413 JSON', async () => {
      const r = await h.admin('POST', '/_sim/apps', `{"pfn":"${'x'.repeat(1_100_000)}"}`);
      expect(r.status).toBe(413);
      expect(errorOf(r.body)).toMatch(/over/);
      expect((await h.admin('GET', '/_sim/health')).status).toBe(200);
    });

    it('a trailing slash is tolerated', async () => {
      expect((await h.admin('GET', '/_sim/health/')).status).toBe(200);
    });

    it('admin routes win over a token query parameter', async () => {
      const r = await h.admin('GET', '/_sim/health?token=abc');
      expect(r.body).toEqual({ ok: true });
    });
  });
});
