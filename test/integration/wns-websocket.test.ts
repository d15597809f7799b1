/**
 * The WNS emulator's device WebSocket endpoint and the WebSocket link, with real sockets on
 * loopback. No sleeps: virtual time moves only when a test says so; real I/O is awaited.
 */
import { DEFAULT_CACHE_MAX_AGE_MS } from '../../src/core/wns/cache-age.js';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  attachDeviceSockets,
  DeviceCloseCode,
  parseClientMessage,
} from '../../src/adapters/ws/device-socket-server.js';
import { WebSocketWnsLink } from '../../src/adapters/ws/websocket-wns-link.js';
import { streamFor } from '../../src/core/random/random.js';
import { Simulation } from '../../src/core/simulation.js';
import { SECOND } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { deviceSpecWith, simulationSpecFor } from '../../src/testing/arbitraries.js';
import {
  channel,
  closeAll,
  endpoint,
  expectError,
  helloClient,
  ISSUED,
  link,
  listener,
  onClose,
  PFN,
  rawClient,
  T0,
  text,
} from '../helpers/device-sockets.js';
import { until } from '../helpers/until.js';

afterEach(closeAll);

/** A welcome frame that issues the device's credential (its first hello). */
const firstWelcome = (presence: boolean): Record<string, unknown> => ({
  type: 'welcome',
  presence,
  credential: expect.stringMatching(ISSUED) as unknown,
});

describe('device socket protocol', () => {
  it('hello → welcome: the device is connected in the cloud until bye', async () => {
    const e = await endpoint();
    const c = await rawClient(e.url);
    c.send({ type: 'hello', deviceId: 'd1' });
    expect(await c.next()).toEqual(firstWelcome(true));
    expect(e.emulator.cloud.isConnected('d1')).toBe(true);
    expect(e.sockets.connectedCount()).toBe(1);
    c.send({ type: 'bye' });
    await until(() => !e.emulator.cloud.isConnected('d1'), 'offline after bye');
    expect(e.sockets.connectedCount()).toBe(0);
  });

  it('a presence:false hello identifies without going online, and channels are granted on it', async () => {
    const e = await endpoint();
    const c = await rawClient(e.url);
    c.send({ type: 'hello', deviceId: 'd1', presence: false });
    expect(await c.next()).toEqual(firstWelcome(false));
    c.send({ type: 'channel', id: 41, pfn: PFN });
    const answer = await c.next();
    expect(answer).toMatchObject({ type: 'channel', id: 41, ok: true });
    expect(e.emulator.cloud.findChannel(answer.channelUri as string)?.deviceId).toBe('d1');
    c.send({ type: 'channel', id: 42, pfn: 'Unknown.App_0000000000000' });
    expect(await c.next()).toEqual({ type: 'channel', id: 42, ok: false, reason: 'invalid-pfn' });
    expect(e.emulator.cloud.isConnected('d1')).toBe(false);
  });

  it('a push is tracked on the clock until the device acks it (a client that does not pong)', async () => {
    const e = await endpoint();
    const uri = channel(e, 'd1');
    const c = await rawClient(e.url, { autoPong: false });
    c.send({ type: 'hello', deviceId: 'd1' });
    await c.next();
    const sentAt = e.clock.now();
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'no-cache', bodyBase64: 'eA==' });
    const push = await c.next();
    expect(push).toEqual({
      type: 'push',
      msgId: outcome.msgId,
      channelUri: uri,
      cached: false,
      bodyBase64: 'eA==',
      // The deadline a device holding it by its priority keeps: the cache's maximum age.
      expiresAt: sentAt + DEFAULT_CACHE_MAX_AGE_MS,
    });
    expect(e.clock.busy).toBe(true);
    c.send({ type: 'ack', msgId: push.msgId });
    await e.clock.whenIdle();
    expect(e.clock.busy).toBe(false);
    c.send({ type: 'ack', msgId: push.msgId });
    expectError(await c.next(), /^ack:/);
  });

  it('a dropped socket releases its unacknowledged pushes', async () => {
    const e = await endpoint();
    const uri = channel(e, 'd1');
    const c = await rawClient(e.url, { autoPong: false });
    c.send({ type: 'hello', deviceId: 'd1' });
    await c.next();
    e.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
    await c.next();
    expect(e.clock.busy).toBe(true);
    c.ws.terminate();
    await e.clock.whenIdle();
    expect(e.emulator.cloud.isConnected('d1')).toBe(false);
  });

  it('answers bad frames with an error naming the problem, and keeps serving', async () => {
    const e = await endpoint();
    const c = await rawClient(e.url);
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /invalid JSON/],
      ['[1,2]', /JSON object/],
      ['"hello"', /JSON object/],
      [{ deviceId: 'd1' }, /missing "type"/],
      [{ type: 'subscribe' }, /unknown type "subscribe"/],
      [{ type: 'hello' }, /hello: "deviceId"/],
      [{ type: 'hello', deviceId: '' }, /hello: "deviceId"/],
      [{ type: 'hello', deviceId: 'x'.repeat(300) }, /hello: "deviceId"/],
      [{ type: 'hello', deviceId: 'd1', presence: 'yes' }, /hello: "presence"/],
      [{ type: 'channel', pfn: PFN }, /channel: "id"/],
      [{ type: 'channel', id: -1, pfn: PFN }, /channel: "id"/],
      [{ type: 'ack' }, /ack: "msgId"/],
      [{ type: 'channel', id: 5, pfn: PFN }, /say hello first/],
      [{ type: 'ack', msgId: 'm' }, /say hello first/],
      [{ type: 'bye' }, /say hello first/],
    ];
    for (const [frame, error] of cases) {
      c.send(frame);
      const answer = await c.next();
      expect(answer.type, JSON.stringify(frame)).toBe('error');
      expect(answer.error, JSON.stringify(frame)).toMatch(error);
    }
    c.send({ type: 'channel', id: 9 });
    expectError(await c.next(), /channel: "pfn"/, 9);
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expectError(await c.next(), /text frame/);

    // The same socket still works, and a second hello is refused.
    c.send({ type: 'hello', deviceId: 'd1' });
    expect(await c.next()).toEqual(firstWelcome(true));
    c.send({ type: 'hello', deviceId: 'd2' });
    expectError(await c.next(), /already identified/);
    expect(e.emulator.cloud.isConnected('d1')).toBe(true);
    expect(e.emulator.cloud.isConnected('d2')).toBe(false);

    // So does the server for others.
    const other = await rawClient(e.url);
    other.send({ type: 'hello', deviceId: 'd3' });
    expect(await other.next()).toEqual(firstWelcome(true));
  });

  it('survives an oversized frame and invalid UTF-8: that socket closes, the device goes offline', async () => {
    const e = await endpoint();
    const big = await rawClient(e.url);
    big.send({ type: 'hello', deviceId: 'big' });
    await big.next();
    big.send(JSON.stringify({ type: 'ack', msgId: 'x'.repeat(70 * 1024) }));
    await until(() => big.closeCode !== null, 'close of the oversized socket');
    expect(big.closeCode).toBe(1009);

    const bad = await rawClient(e.url);
    bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    await until(() => bad.closeCode !== null, 'close of the invalid UTF-8 socket');
    expect(bad.closeCode).toBe(1007);

    expect(e.errors.length).toBe(2);
    expect(e.emulator.cloud.isConnected('big')).toBe(false);
    const ok = await rawClient(e.url);
    ok.send({ type: 'hello', deviceId: 'ok' });
    expect(await ok.next()).toEqual(firstWelcome(true));
  });

  it('an unclean drop (no bye) takes the device offline; later pushes are cached', async () => {
    const e = await endpoint();
    const uri = channel(e, 'd1');
    const c = await rawClient(e.url);
    c.send({ type: 'hello', deviceId: 'd1' });
    await c.next();
    expect(e.sockets.connectedCount()).toBe(1);
    c.ws.terminate();
    await until(() => !e.emulator.cloud.isConnected('d1'), 'offline after the drop');
    expect(e.sockets.connectedCount()).toBe(0);
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'cache' });
    expect(outcome.deviceConnectionStatus).toBe('disconnected');
    expect(e.sink.ofType('push.cached')).toHaveLength(1);
  });

  it('a second connection for a device replaces the first (closed 4001), which no longer counts', async () => {
    const e = await endpoint();
    const first = await helloClient(e.url, 'd1');
    // The device's new connection proves it is the device.
    const second = await rawClient(e.url);
    second.send({ type: 'hello', deviceId: 'd1', credential: first.credential });
    expect(await second.next()).toEqual({ type: 'welcome', presence: true });
    await until(() => first.closeCode !== null, 'the first socket to close');
    expect(first.closeCode).toBe(DeviceCloseCode.replaced);
    expect(e.emulator.cloud.isConnected('d1')).toBe(true);
    expect(e.sockets.connectedCount()).toBe(1);
  });

  it('refuses a presence hello during a WNS outage with 1013 (try again later)', async () => {
    const e = await endpoint();
    e.emulator.cloud.setAvailable(false);
    const c = await rawClient(e.url);
    c.send({ type: 'hello', deviceId: 'd1' });
    await until(() => c.closeCode !== null, 'close');
    expect(c.closeCode).toBe(DeviceCloseCode.tryAgainLater);
    expect(c.frames).toEqual([]);
  });

  it('applies injected connect faults: status → 1013, drop → terminated, delay → admitted later', async () => {
    const e = await endpoint();
    e.emulator.service.addFault({ op: 'connect', action: { status: 503 }, probability: 1 });
    const refused = await rawClient(e.url);
    refused.send({ type: 'hello', deviceId: 'd1' });
    await until(() => refused.closeCode !== null, 'close');
    expect(refused.closeCode).toBe(DeviceCloseCode.tryAgainLater);
    expect(e.emulator.cloud.isConnected('d1')).toBe(false);

    e.emulator.service.clearFaults();
    e.emulator.service.addFault({ op: 'connect', action: { drop: true }, probability: 1 });
    const dropped = await rawClient(e.url);
    dropped.send({ type: 'hello', deviceId: 'd2' });
    await until(() => dropped.closeCode !== null, 'close');
    expect(dropped.closeCode).toBe(1006);
    expect(e.emulator.cloud.isConnected('d2')).toBe(false);

    e.emulator.service.clearFaults();
    e.emulator.service.addFault({ op: 'connect', action: { delayMs: 5 * SECOND }, probability: 1 });
    const delayed = await rawClient(e.url);
    delayed.send({ type: 'hello', deviceId: 'd3' });
    await until(() => e.clock.pending > 0, 'the delay timer');
    expect(e.emulator.cloud.isConnected('d3')).toBe(false);
    e.clock.advance(5 * SECOND);
    expect(await delayed.next()).toEqual(firstWelcome(true));
    expect(e.emulator.cloud.isConnected('d3')).toBe(true);
  });

  it('closes connections with 4000 when WNS ends them (outage)', async () => {
    const e = await endpoint();
    const c = await rawClient(e.url);
    c.send({ type: 'hello', deviceId: 'd1' });
    await c.next();
    e.emulator.cloud.setAvailable(false);
    await until(() => c.closeCode !== null, 'close');
    expect(c.closeCode).toBe(DeviceCloseCode.wnsClosed);
    // The cloud does not keep the closed socket waiting to reopen it.
    e.emulator.cloud.setAvailable(true);
    expect(e.emulator.cloud.isConnected('d1')).toBe(false);
  });

  it('disconnectAll ends every persistent connection (4000), as after an emulator reset', async () => {
    const e = await endpoint();
    const online = await rawClient(e.url);
    online.send({ type: 'hello', deviceId: 'd1' });
    await online.next();
    const offline = await rawClient(e.url);
    offline.send({ type: 'hello', deviceId: 'd2', presence: false });
    await offline.next();
    e.sockets.disconnectAll();
    expect(e.emulator.cloud.isConnected('d1')).toBe(false);
    expect(e.sockets.connectedCount()).toBe(0);
    await until(() => online.closeCode !== null, 'close');
    expect(online.closeCode).toBe(DeviceCloseCode.wnsClosed);
    expect(offline.closeCode).toBeNull();
  });

  it('answers 404 to upgrades on other paths, unless another listener serves them', async () => {
    const e = await endpoint();
    const refused = new WebSocket(`ws://127.0.0.1:${e.port}/elsewhere`);
    let status = 0;
    refused.on('unexpected-response', (_req, res) => {
      status = res.statusCode ?? 0;
      refused.terminate();
    });
    refused.on('error', () => undefined);
    await until(() => status !== 0, 'the 404');
    expect(status).toBe(404);

    const feed = new WebSocketServer({ noServer: true });
    e.server.on('upgrade', (req, socket, head) => {
      if (req.url === '/feed') feed.handleUpgrade(req, socket, head, (ws) => ws.send('feed'));
    });
    onClose(() => new Promise<void>((resolve) => feed.close(() => resolve())));
    const other = new WebSocket(`ws://127.0.0.1:${e.port}/feed`);
    onClose(() => other.terminate());
    let got = '';
    other.on('message', (data) => (got = text(data)));
    await until(() => got !== '', 'the other listener');
    expect(got).toBe('feed');
  });

  it('keep-alive terminates a peer that stops answering pings, and only that one', async () => {
    const e = await endpoint({ keepAliveMs: 10 * SECOND });
    const live = await rawClient(e.url);
    const dead = await rawClient(e.url, { autoPong: false });
    let livePings = 0;
    let deadPings = 0;
    live.ws.on('ping', () => livePings++);
    dead.ws.on('ping', () => deadPings++);
    live.send({ type: 'hello', deviceId: 'live' });
    dead.send({ type: 'hello', deviceId: 'dead' });
    await live.next();
    await dead.next();

    for (let round = 1; round <= 2; round++) {
      e.clock.advance(10 * SECOND);
      await until(() => livePings === round, 'a ping');
      // A round trip after the ping: the pong went out before it, on the same connection.
      live.send({ type: 'channel', id: round, pfn: PFN });
      await live.next();
      if (round === 1) await until(() => deadPings === 1, 'the dead peer’s ping');
    }
    // The second round found `dead` silent since the first ping.
    expect(e.emulator.cloud.isConnected('dead')).toBe(false);
    expect(e.emulator.cloud.isConnected('live')).toBe(true);
    await until(() => dead.closeCode !== null, 'the dead peer’s socket to close');
    expect(dead.closeCode).toBe(1006);
    expect(live.closeCode).toBeNull();
    expect(e.sockets.connectedCount()).toBe(1);
  });

  it('keep-alive is off by default on a virtual clock, and its timer stops with the last socket', async () => {
    const quiet = await endpoint();
    const a = await rawClient(quiet.url);
    a.send({ type: 'hello', deviceId: 'a' });
    await a.next();
    expect(quiet.clock.nextEventAt()).toBeNull();

    const e = await endpoint({ keepAliveMs: 1000 });
    const b = await rawClient(e.url);
    expect(e.clock.nextEventAt()).toBe(T0 + 1000);
    b.ws.terminate();
    await until(() => e.clock.nextEventAt() === null, 'the keep-alive timer to stop');
  });

  it('close() closes every device socket with 1001 and takes the devices offline', async () => {
    const e = await endpoint();
    const c = await rawClient(e.url);
    c.send({ type: 'hello', deviceId: 'd1' });
    await c.next();
    await e.sockets.close();
    await until(() => c.closeCode !== null, 'close');
    expect(c.closeCode).toBe(DeviceCloseCode.goingAway);
    expect(e.emulator.cloud.isConnected('d1')).toBe(false);
    expect(e.sockets.connectedCount()).toBe(0);
  });

  it('parseClientMessage accepts the four frame types', () => {
    expect(parseClientMessage('{"type":"hello","deviceId":"d"}')).toMatchObject({ ok: true });
    expect(parseClientMessage('{"type":"channel","id":0,"pfn":"p"}')).toMatchObject({ ok: true });
    expect(parseClientMessage('{"type":"ack","msgId":"m"}')).toMatchObject({ ok: true });
    expect(parseClientMessage('{"type":"bye"}')).toMatchObject({ ok: true });
  });
});

describe('WebSocketWnsLink', () => {
  it('reconnects with jittered exponential backoff after an outage and gets the cached push', async () => {
    const e = await endpoint();
    const backoff = { initialMs: 1000, maxMs: 60_000 };
    const l = link(e, backoff);
    const uri = channel(e, 'd1');
    const heard = listener(e.clock);
    l.connect('d1', heard.handlers);
    await e.clock.runUntilIdleAware(e.clock.now());
    expect(heard.opened).toEqual([T0]);

    e.emulator.cloud.setAvailable(false);
    await until(() => heard.closed.length === 1, 'onClosed');
    expect(l.isConnected('d1')).toBe(false);
    const cached = e.emulator.cloud.send(uri, { cachePolicy: 'cache' });

    // The delays the link draws: d/2 + u·d/2 with d = 1 s, then 2 s (same seeded stream).
    const replica = streamFor(3, 'link');
    const first = Math.round(500 + replica.float() * 500);
    const second = Math.round(1000 + replica.float() * 1000);
    // Attempt 1 comes while WNS is still down: refused (1013), attempt 2 is scheduled.
    await e.clock.runUntilIdleAware(T0 + first);
    expect(heard.opened).toHaveLength(1);
    expect(e.clock.nextEventAt()).toBe(T0 + first + second);

    e.emulator.cloud.setAvailable(true);
    await e.clock.runUntilIdleAware(T0 + 10 * SECOND);
    expect(heard.opened).toEqual([T0, T0 + first + second]);
    expect(heard.pushes).toEqual([
      {
        msgId: cached.msgId,
        channelUri: uri,
        cached: true,
        bodyBase64: undefined,
        expiresAt: T0 + DEFAULT_CACHE_MAX_AGE_MS,
      },
    ]);
    expect(e.emulator.cloud.isConnected('d1')).toBe(true);
  });

  it('reconnects after the server drops the socket (endpoint closed and reopened on the port)', async () => {
    const clock = new VirtualClock({ start: T0 });
    const e = await endpoint({}, clock);
    const l = link(e, { initialMs: 1000, maxMs: 4000 });
    const heard = listener(clock);
    l.connect('d1', heard.handlers);
    await clock.runUntilIdleAware(clock.now());
    await e.sockets.close();
    await until(() => heard.closed.length === 1, 'onClosed');
    e.server.closeAllConnections();
    // While nothing listens, attempts fail (refused) and back off, capped at 4 s.
    const down = e.port;
    await new Promise<void>((resolve) => e.server.close(() => resolve()));
    await clock.runUntilIdleAware(clock.now() + 20 * SECOND);
    expect(heard.opened).toHaveLength(1);
    const gap = (clock.nextEventAt() ?? 0) - clock.now();
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThanOrEqual(4000);

    // A new emulator endpoint on the same port: the next attempt gets in.
    const server = createServer();
    const sockets = attachDeviceSockets(server, e.emulator);
    await new Promise<void>((resolve) => server.listen(down, '127.0.0.1', resolve));
    onClose(async () => {
      await sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    await clock.runUntilIdleAware(clock.now() + 5 * SECOND);
    expect(heard.opened).toHaveLength(2);
    expect(e.emulator.cloud.isConnected('d1')).toBe(true);
  });

  it('answers wns-unreachable when the emulator cannot be reached, and keeps trying to connect', async () => {
    const e = await endpoint();
    const l = link(e, undefined, `ws://127.0.0.1:${e.port}/nowhere`);
    const grants: unknown[] = [];
    l.requestChannel('d1', PFN, (g) => grants.push(g));
    await e.clock.runUntilIdleAware(e.clock.now());
    expect(grants).toEqual([{ ok: false, reason: 'wns-unreachable' }]);

    const heard = listener(e.clock);
    l.connect('d1', heard.handlers);
    await e.clock.runUntilIdleAware(e.clock.now() + 30 * SECOND);
    expect(heard.opened).toEqual([]);
    expect(heard.closed).toEqual([]);
    expect(e.clock.nextEventAt()).not.toBeNull();
    l.disconnect('d1');
    expect(e.clock.nextEventAt()).toBeNull();
  });

  it('a channel request on the persistent socket fails if it drops before the answer', async () => {
    const e = await endpoint();
    const l = link(e);
    const heard = listener(e.clock);
    l.connect('d1', heard.handlers);
    await e.clock.runUntilIdleAware(e.clock.now());
    const grants: unknown[] = [];
    l.requestChannel('d1', PFN, (g) => grants.push(g));
    // The server goes away before the request is read.
    await e.sockets.close();
    await e.clock.whenIdle();
    expect(grants).toEqual([{ ok: false, reason: 'wns-unreachable' }]);
  });

  it('rejects a bad URL or backoff with a precise error', () => {
    const clock = new VirtualClock({ start: T0 });
    const random = streamFor(1, 'x');
    expect(() => new WebSocketWnsLink({ url: 'http://x/', clock, random })).toThrow(
      /url: expected/,
    );
    expect(
      () =>
        new WebSocketWnsLink({
          url: 'ws://x/',
          clock,
          random,
          backoff: { initialMs: 0, maxMs: 10 },
        }),
    ).toThrow(/backoff.initialMs/);
  });
});

describe('a simulated device over the WebSocket link', () => {
  it('provisions, connects, and starts a session on a push sent through the emulator', async () => {
    const clock = new VirtualClock({ start: T0 });
    const e = await endpoint({}, clock);
    const l = link(e);
    const spec = simulationSpecFor(deviceSpecWith({ id: 'laptop-1' }), [], {
      start: T0,
      duration: 2 * 86_400_000,
    });
    const sink = new MemorySink();
    const sim = new Simulation(spec, sink, { clock, wns: l });
    sim.start();
    await clock.runUntilIdleAware(clock.now());

    const issued = sink.ofType('channel.issued', 'laptop-1');
    expect(issued).toHaveLength(1);
    const uri = issued[0]?.channelUri as string;
    expect(e.emulator.cloud.findChannel(uri)).toMatchObject({ deviceId: 'laptop-1', pfn: PFN });
    expect(sink.ofType('wns.connected', 'laptop-1')).toHaveLength(1);
    expect(e.emulator.cloud.isConnected('laptop-1')).toBe(true);
    expect(sim.device('laptop-1')?.snapshot()).toMatchObject({
      wnsConnected: true,
      channelUri: uri,
      pushStatus: 0,
    });

    // Past the provisioning session, then a push from the server side.
    await clock.runUntilIdleAware(clock.now() + 10 * SECOND);
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
    expect(outcome.deviceConnectionStatus).toBe('connected');
    await clock.runUntilIdleAware(clock.now());
    expect(sink.ofType('push.received', 'laptop-1')).toEqual([
      expect.objectContaining({ msgId: outcome.msgId, channelUri: uri, cached: false }),
    ]);
    expect(sink.ofType('session.started', 'laptop-1').map((s) => s.trigger)).toEqual([
      'provisioned',
      'push',
    ]);

    // The device goes offline (network off): WNS caches, and delivers once it is back.
    sim.device('laptop-1')?.apply({ network: { connected: false } });
    await clock.runUntilIdleAware(clock.now());
    expect(e.emulator.cloud.isConnected('laptop-1')).toBe(false);
    const cached = e.emulator.cloud.send(uri, { cachePolicy: 'cache', ttlSeconds: 3600 });
    await clock.runUntilIdleAware(clock.now() + 60 * SECOND);
    sim.device('laptop-1')?.apply({ network: { connected: true } });
    await clock.runUntilIdleAware(clock.now() + 10 * SECOND);
    expect(sink.ofType('push.received', 'laptop-1').at(-1)).toMatchObject({
      msgId: cached.msgId,
      cached: true,
    });
    expect(sink.ofType('wns.connected', 'laptop-1')).toHaveLength(2);
  });
});
