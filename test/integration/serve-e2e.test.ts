/**
 * The live fleet end to end (issue 4 §7): `dmpush serve` composed in process on a virtual clock,
 * every party a real peer on 127.0.0.1 — WNS emulator (HTTP + WebSocket), devices on real
 * WebSockets opening real SyncML sessions over HTTP, the reference MDM server (or a bad one),
 * and the control API driven with fetch. Time skips (POST /api/clock/advance); nothing sleeps.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { api, TEST_SERVE, type Api, type DeviceJson } from '../helpers/serve.js';
import { until } from '../helpers/until.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

const BASE = TEST_SERVE;

describe('dmpush serve with the reference MDM server', () => {
  let a: Api;
  beforeAll(async () => {
    a = api(await startServe(io, BASE));
    // First contact: a poll session in which the server sets Push/PFN; the channel and the
    // session after it follow.
    await a.advance('PT1M');
  });
  afterAll(() => a.s.close());

  it('first contact: the server sets Push/PFN, the device gets a channel, the server reads it', async () => {
    const laptop = await a.device('laptop');
    expect(laptop.pfn).toBe('Contoso.MDM_8wekyb3d8bbwe');
    expect(laptop.channelUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(laptop.pushStatus).toBe(0);
    expect(laptop.wnsConnected).toBe(true);
    const record = a.s.reference?.mdm.device(a.s.simulation.device('laptop')?.devId ?? '');
    expect(record?.channelUri).toBe(laptop.channelUri);
    expect(record?.pushStatus).toBe(0);
    const triggers = (await a.events('?device=laptop&type=session.started')).map((e) => e.trigger);
    expect(triggers.slice(0, 2)).toEqual(['poll', 'provisioned']);
  });

  it('the reference server pushes → WNS → the device over WebSocket → its session reaches the server', async () => {
    const devId = a.s.simulation.device('laptop')?.devId ?? '';
    const before = a.s.reference?.mdm.device(devId)?.sessions ?? 0;
    const pushed = await a.json('POST', '/api/devices/laptop/push', {});
    expect(pushed.status).toBe(200);
    expect(pushed.body).toMatchObject({
      status: 200,
      outcome: 'sent',
      notificationStatus: 'received',
    });
    await until(
      () => (a.s.reference?.mdm.device(devId)?.sessions ?? 0) > before,
      'the push-triggered session to reach the server',
    );
    await a.advance('PT1S');
    const received = await a.events('?device=laptop&type=push.received');
    expect(received.at(-1)).toMatchObject({ cached: false });
    const sessions = await a.events('?device=laptop&type=session');
    expect(sessions.slice(-2).map((e) => [e.type, e.trigger])).toEqual([
      ['session.started', 'push'],
      ['session.completed', 'push'],
    ]);
  });

  it('Battery Saver: an uncached push is missed, a cached one arrives once the device charges', async () => {
    let res = await a.json<DeviceJson>('PATCH', '/api/devices/laptop', {
      battery: { level: 5, charging: false },
    });
    expect(res.status).toBe(200);
    expect(res.body.battery.saverOn).toBe(true);
    expect(res.body.wnsConnected).toBe(false);
    const dropped = await a.json('POST', '/api/devices/laptop/push', { cachePolicy: 'no-cache' });
    expect(dropped.body).toMatchObject({ status: 200, notificationStatus: 'dropped' });
    const cached = await a.json('POST', '/api/devices/laptop/push', { cachePolicy: 'cache' });
    expect(cached.body).toMatchObject({ status: 200, notificationStatus: 'received' });
    const receivedBefore = (await a.events('?device=laptop&type=push.received')).length;
    res = await a.json<DeviceJson>('PATCH', '/api/devices/laptop', { battery: { charging: true } });
    expect(res.body.battery.saverOn).toBe(false);
    await a.advance('PT1M');
    const received = await a.events('?device=laptop&type=push.received');
    expect(received.length).toBe(receivedBefore + 1);
    expect(received.at(-1)).toMatchObject({ cached: true });
  });

  it('day 15: the renewal starts a session in which the server reads the new ChannelURI; 1607 without network skips', async () => {
    const before = await a.device('laptop');
    await a.advance('P15DT6H');
    const after = await a.device('laptop');
    expect(after.channelUri).not.toBe(before.channelUri);
    const devId = a.s.simulation.device('laptop')?.devId ?? '';
    expect(a.s.reference?.mdm.device(devId)?.channelUri).toBe(after.channelUri);
    const renewal = await a.events('?device=laptop&type=session.started');
    expect(renewal.some((e) => e.trigger === 'renewal')).toBe(true);
    // The tablet lost its network on day 14: its 1607 DMClient skips the attempt.
    const skipped = await a.events('?device=tablet&type=renewal.skipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped[0]).toMatchObject({ reason: 'no-network' });
  });

  it('GET /metrics: Prometheus text that follows the fleet', async () => {
    const scrape = async (): Promise<string> => {
      const res = await fetch(`${a.s.controlUrl}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };
    const sample = (text: string, series: string): number =>
      Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    const series = 'dmpush_sessions_total{trigger="push",result="completed"}';
    const before = await scrape();
    expect(sample(before, 'dmpush_devices_connected')).toBe(1);
    // Day 15¼: the laptop renewed (29+ days left); the tablet, offline, has under 15 days left.
    expect(sample(before, 'dmpush_channels_expiring_15d')).toBe(1);
    const done = sample(before, series);
    const pushSessions = (): number =>
      a.s.events
        .list({ device: 'laptop', type: 'session.completed' })
        .filter((e) => e.type === 'session.completed' && e.trigger === 'push').length;
    const sessionsBefore = pushSessions();
    await a.json('POST', '/api/devices/laptop/push', {});
    await until(() => pushSessions() > sessionsBefore, 'the push-triggered session to complete');
    await a.advance('PT1S');
    expect(sample(await scrape(), series)).toBeGreaterThan(done);
  });

  it('the control API names bad requests', async () => {
    const bad = await a.json<{ error: string }>('PATCH', '/api/devices/laptop', {
      battery: { level: 'low' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/battery\.level/);
    const unknownField = await a.json<{ error: string }>('PATCH', '/api/devices/laptop', {
      batery: {},
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error).toMatch(/batery/);
    expect((await a.json('GET', '/api/devices/nobody')).status).toBe(404);
    expect((await a.json('GET', '/api/events?since=yesterday')).status).toBe(400);
    const list = await a.json<DeviceJson[]>('GET', '/api/devices');
    expect(list.body.map((d) => d.id)).toEqual(['laptop', 'tablet']);
    expect(Object.keys(list.body[0] ?? {})).toEqual(
      expect.arrayContaining([
        'id',
        'os',
        'pfn',
        'channelUri',
        'channelExpiresAt',
        'nextRenewalAt',
        'wnsConnected',
        'pushStatus',
        'battery',
        'network',
        'dataSense',
      ]),
    );
  });
});

describe('dmpush serve: a server that never re-reads the ChannelURI', () => {
  let a: Api;
  beforeAll(async () => {
    a = api(await startServe(io, { ...BASE, staleChannelUri: true }));
    await a.advance('PT1M');
  });
  afterAll(() => a.s.close());

  it('a PFN the emulator does not know: the channel request fails and Push/Status reads 3', async () => {
    const res = await a.json<DeviceJson>('PATCH', '/api/devices/tablet', {
      pfn: 'Fabrikam.Unknown_8wekyb3d8bbwe',
    });
    expect(res.status).toBe(200);
    await a.advance('PT1S');
    const tablet = await a.device('tablet');
    expect(tablet.pfn).toBe('Fabrikam.Unknown_8wekyb3d8bbwe');
    expect(tablet.channelUri).toBeNull();
    expect(tablet.pushStatus).toBe(3);
    const failed = await a.events('?device=tablet&type=channel.request-failed');
    expect(failed.at(-1)).toMatchObject({ reason: 'invalid-pfn' });
  });

  it('the server’s Replace of Poll/* reschedules polling: every 3 minutes, 5 times', async () => {
    const at = (await a.events('?device=laptop&type=session.started'))
      .filter((e) => e.trigger === 'poll')
      .map((e) => Date.parse(e.time));
    await a.advance('PT40M');
    const polls = (await a.events('?device=laptop&type=session.started'))
      .filter((e) => e.trigger === 'poll')
      .map((e) => Date.parse(e.time))
      .slice(at.length);
    const gaps = polls.slice(1).map((t, i) => (t - (polls[i] as number)) / 60_000);
    expect(gaps.slice(0, 4)).toEqual([3, 3, 3, 3]);
    // Then the second set: every 15 minutes.
    expect(gaps[4]).toBe(15);
  });

  it('keeps pushing to the first URI and gets 410 once it expired', async () => {
    const first = await a.device('laptop');
    await a.advance('P31D');
    const now = await a.device('laptop');
    expect(now.channelUri).not.toBe(first.channelUri);
    const devId = a.s.simulation.device('laptop')?.devId ?? '';
    expect(a.s.reference?.mdm.device(devId)?.channelUri).toBe(first.channelUri);
    const pushed = await a.json('POST', '/api/devices/laptop/push', {});
    expect(pushed.body).toMatchObject({ status: 410, outcome: 'channel-gone' });
  });
});

/** A management server that misbehaves as told. */
async function badServer(
  behaviour: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer(behaviour);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

describe('dmpush serve against a misbehaving management server', () => {
  const cases: Array<[string, (req: IncomingMessage, res: ServerResponse) => void, RegExp]> = [
    [
      'garbage',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.syncml.dm+xml' });
        res.end('<html>not SyncML</html');
      },
      /^malformed reply: /,
    ],
    [
      '500',
      (_req, res) => {
        res.writeHead(500);
        res.end();
      },
      /^HTTP 500/,
    ],
  ];

  it.each(cases)(
    '%s: the session fails with a reason and the device carries on',
    async (_, behaviour, reason) => {
      const bad = await badServer(behaviour);
      const a = api(
        await startServe(io, { ...BASE, mdmUrl: bad.url, pfn: 'Contoso.MDM_8wekyb3d8bbwe' }),
      );
      try {
        await a.advance('PT1H');
        const failed = await a.events('?device=laptop&type=session.failed');
        expect(failed.length).toBeGreaterThanOrEqual(2);
        expect(failed[0]?.reason).toMatch(reason);
        // It carried on: it got its channel and kept polling (15-minute first set by default).
        const { body } = await a.json('GET', '/api/devices/laptop');
        expect(body.channelUri).toMatch(/token=/);
        expect((await a.events('?device=laptop&type=session.started')).length).toBe(failed.length);
      } finally {
        await a.s.close();
        bad.server.closeAllConnections();
        bad.server.close();
      }
    },
  );

  it('a server that hangs holds the session (and virtual time) until the connection drops', async () => {
    const held: ServerResponse[] = [];
    const bad = await badServer((_req, res) => held.push(res));
    const a = api(await startServe(io, { ...BASE, mdmUrl: bad.url, devices: undefined }));
    try {
      await until(() => held.length >= 2, 'both devices to open a session');
      expect(a.s.clock.mode).toBe('virtual');
      const t0 = a.s.clock.now();
      for (const res of held) res.socket?.destroy();
      await a.advance('PT1S');
      expect(a.s.clock.now()).toBeGreaterThan(t0);
      const failed = await a.events('?type=session.failed');
      expect(failed.map((e) => e.reason)).toEqual([
        expect.stringMatching(/^network error: /),
        expect.stringMatching(/^network error: /),
      ]);
    } finally {
      await a.s.close();
      bad.server.closeAllConnections();
      bad.server.close();
    }
  });
});
