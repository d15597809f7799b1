/**
 * One contract for every WnsLink: the in-process cloud (virtual-time fleets) and the WebSocket
 * link to the emulator (live runs) must behave the same towards a device.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachDeviceSockets,
  type DeviceSockets,
} from '../../src/adapters/ws/device-socket-server.js';
import { WebSocketWnsLink } from '../../src/adapters/ws/websocket-wns-link.js';
import type { IncomingPush, LinkHandlers, WnsLink } from '../../src/core/ports.js';
import { streamFor } from '../../src/core/random/random.js';
import { DAY, SECOND } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { WnsEmulator } from '../../src/wns/emulator.js';
import { until } from '../helpers/until.js';

const T0 = Date.UTC(2026, 0, 1);
const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
const OTHER_PFN = 'Fabrikam.Agent_1a2b3c4d5e6f7';
const APPS = [
  {
    pfn: PFN,
    sid: 'ms-app://S-1-15-2-2411136829-3422574390-1218575391-4088406412-1652238325-1536734281-1962548315',
    secret: 'contoso-secret-1',
  },
  {
    pfn: OTHER_PFN,
    sid: 'ms-app://S-1-15-2-1111111111-2222222222-3333333333-4444444444-5555555555-6666666666-7777777777',
    secret: 'fabrikam-secret-1',
  },
];

/** A link under test, with the emulator behind it, on one virtual clock. */
interface LinkHarness {
  readonly clock: VirtualClock;
  readonly sink: MemorySink;
  readonly emulator: WnsEmulator;
  readonly link: WnsLink;
  close(): Promise<void>;
}

type HarnessFactory = () => Promise<LinkHarness>;

function newEmulator(): { clock: VirtualClock; sink: MemorySink; emulator: WnsEmulator } {
  const clock = new VirtualClock({ start: T0 });
  const sink = new MemorySink();
  const emulator = new WnsEmulator({
    clock,
    seed: 7,
    sink,
    baseUrl: 'http://127.0.0.1:9/',
    apps: APPS,
  });
  return { clock, sink, emulator };
}

const inMemory: HarnessFactory = () => {
  const { clock, sink, emulator } = newEmulator();
  return Promise.resolve({
    clock,
    sink,
    emulator,
    link: emulator.cloud,
    close: () => Promise.resolve(),
  });
};

const overWebSocket: HarnessFactory = async () => {
  const { clock, sink, emulator } = newEmulator();
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const sockets: DeviceSockets = attachDeviceSockets(server, emulator);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const link = new WebSocketWnsLink({
    url: `ws://127.0.0.1:${port}/_device`,
    clock,
    random: streamFor(7, 'ws-link'),
  });
  return {
    clock,
    sink,
    emulator,
    link,
    async close() {
      await link.close();
      await sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** What a device heard on its connection. */
interface Heard {
  opened: number;
  closed: number;
  pushes: IncomingPush[];
  handlers: LinkHandlers;
}

function listener(): Heard {
  const heard: Heard = {
    opened: 0,
    closed: 0,
    pushes: [],
    handlers: {
      onOpen: () => void heard.opened++,
      onPush: (push) => void heard.pushes.push(push),
      onClosed: () => void heard.closed++,
    },
  };
  return heard;
}

function wnsLinkContract(name: string, factory: HarnessFactory): void {
  describe(`WnsLink contract: ${name}`, () => {
    let h: LinkHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    /** Lets the link's I/O finish (events due now run; time does not move). */
    const settle = (): Promise<number> => h.clock.runUntilIdleAware(h.clock.now());
    /** Moves virtual time on by `ms`, letting I/O land before each event. */
    const advance = (ms: number): Promise<number> => h.clock.runUntilIdleAware(h.clock.now() + ms);

    async function channelFor(deviceId: string, pfn = PFN): Promise<string> {
      const grants: unknown[] = [];
      h.link.requestChannel(deviceId, pfn, (g) => grants.push(g));
      await settle();
      const grant = grants[0] as { ok: boolean; channelUri: string };
      expect(grant.ok).toBe(true);
      return grant.channelUri;
    }

    async function connected(deviceId: string): Promise<Heard> {
      const heard = listener();
      h.link.connect(deviceId, heard.handlers);
      await settle();
      expect(heard.opened).toBe(1);
      return heard;
    }

    it('grants a channel for a registered PFN, valid 30 days, while the device is offline', async () => {
      const grants: unknown[] = [];
      h.link.requestChannel('d1', PFN, (g) => grants.push(g));
      await settle();
      expect(grants).toHaveLength(1);
      const grant = grants[0] as { ok: true; channelUri: string; expiresAt: number };
      expect(grant).toMatchObject({ ok: true, expiresAt: T0 + 30 * DAY });
      expect(h.emulator.cloud.findChannel(grant.channelUri)).toMatchObject({
        deviceId: 'd1',
        pfn: PFN,
      });
      expect(h.emulator.cloud.isConnected('d1')).toBe(false);
    });

    it('refuses an unknown PFN with invalid-pfn', async () => {
      const grants: unknown[] = [];
      h.link.requestChannel('d1', 'Unknown.App_0000000000000', (g) => grants.push(g));
      await settle();
      expect(grants).toEqual([{ ok: false, reason: 'invalid-pfn' }]);
    });

    it('refuses a blocked PFN with pfn-blocked', async () => {
      h.emulator.cloud.setBlocked(PFN, true);
      const grants: unknown[] = [];
      h.link.requestChannel('d1', PFN, (g) => grants.push(g));
      await settle();
      expect(grants).toEqual([{ ok: false, reason: 'pfn-blocked' }]);
    });

    it('answers wns-unreachable during a WNS outage', async () => {
      h.emulator.cloud.setAvailable(false);
      const grants: unknown[] = [];
      h.link.requestChannel('d1', PFN, (g) => grants.push(g));
      await settle();
      expect(grants).toEqual([{ ok: false, reason: 'wns-unreachable' }]);
    });

    it('revokes the channels of one PFN (offline and connected): 410 channel-revoked after', async () => {
      const first = await channelFor('d1');
      await connected('d1');
      const second = await channelFor('d1');
      const other = await channelFor('d1', OTHER_PFN);
      const results: unknown[] = [];
      h.link.revokeChannels('d1', PFN, (r) => results.push(r));
      await settle();
      expect(results).toEqual([{ ok: true }]);
      for (const uri of [first, second])
        expect(h.emulator.cloud.send(uri, { cachePolicy: 'no-cache' }).status).toBe(410);
      expect(h.emulator.cloud.send(other, { cachePolicy: 'no-cache' }).status).toBe(200);
      expect(h.sink.ofType('push.rejected').map((e) => e.reason)).toEqual([
        'channel-revoked',
        'channel-revoked',
      ]);
    });

    it('answers a revocation wns-unreachable during a WNS outage; the channel stays valid', async () => {
      const uri = await channelFor('d1');
      h.emulator.cloud.setAvailable(false);
      const results: unknown[] = [];
      h.link.revokeChannels('d1', PFN, (r) => results.push(r));
      await settle();
      expect(results).toEqual([{ ok: false, reason: 'wns-unreachable' }]);
      h.emulator.cloud.setAvailable(true);
      expect(h.emulator.cloud.send(uri, { cachePolicy: 'no-cache' }).status).toBe(200);
    });

    it('opens the connection: onOpen once, and WNS sees the device connected', async () => {
      await channelFor('d1');
      const heard = await connected('d1');
      expect(h.emulator.cloud.isConnected('d1')).toBe(true);
      expect(heard).toMatchObject({ opened: 1, closed: 0, pushes: [] });
    });

    it('grants channels while connected too (a renewal), for several PFNs', async () => {
      const first = await channelFor('d1');
      await connected('d1');
      const second = await channelFor('d1');
      const other = await channelFor('d1', OTHER_PFN);
      expect(new Set([first, second, other]).size).toBe(3);
      expect(h.emulator.cloud.isConnected('d1')).toBe(true);
    });

    it('delivers a push sent while connected exactly once, with its payload', async () => {
      const uri = await channelFor('d1');
      const heard = await connected('d1');
      const outcome = h.emulator.cloud.send(uri, { cachePolicy: 'no-cache', bodyBase64: 'aGk=' });
      expect(outcome).toMatchObject({
        status: 200,
        notificationStatus: 'received',
        deviceConnectionStatus: 'connected',
      });
      await settle();
      await advance(SECOND);
      expect(heard.pushes).toEqual([
        {
          msgId: outcome.msgId,
          channelUri: uri,
          cached: false,
          bodyBase64: 'aGk=',
          expiresAt: expect.any(Number) as number,
        },
      ]);
    });

    it('delivers to the right device when one link serves several', async () => {
      const uri1 = await channelFor('d1');
      const uri2 = await channelFor('d2');
      const heard1 = await connected('d1');
      const heard2 = await connected('d2');
      h.emulator.cloud.send(uri2, { cachePolicy: 'no-cache' });
      await settle();
      expect(heard1.pushes).toEqual([]);
      expect(heard2.pushes.map((p) => p.channelUri)).toEqual([uri2]);
      h.emulator.cloud.send(uri1, { cachePolicy: 'no-cache' });
      await settle();
      expect(heard1.pushes.map((p) => p.channelUri)).toEqual([uri1]);
      expect(heard2.pushes).toHaveLength(1);
    });

    it('offline: a push with cache is cached and delivered on reconnect, one without is dropped', async () => {
      const uri = await channelFor('d1');
      const first = await connected('d1');
      h.link.disconnect('d1');
      await settle();
      expect(h.emulator.cloud.isConnected('d1')).toBe(false);

      const dropped = h.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
      expect(dropped).toMatchObject({
        notificationStatus: 'dropped',
        deviceConnectionStatus: 'disconnected',
      });
      const cached = h.emulator.cloud.send(uri, {
        cachePolicy: 'cache',
        ttlSeconds: 60,
        bodyBase64: 'Y2FjaGVk',
      });
      expect(cached).toMatchObject({
        notificationStatus: 'received',
        deviceConnectionStatus: 'disconnected',
      });
      await advance(30 * SECOND);
      expect(first.pushes).toEqual([]);

      const second = await connected('d1');
      expect(second.pushes).toEqual([
        {
          msgId: cached.msgId,
          channelUri: uri,
          cached: true,
          bodyBase64: 'Y2FjaGVk',
          expiresAt: expect.any(Number) as number,
        },
      ]);
      expect(first.pushes).toEqual([]);
      expect(first.closed).toBe(0);
      expect(h.sink.ofType('push.dropped').map((e) => e.reason)).toEqual(['offline']);
    });

    it('offline: a cached push whose TTL passed is not delivered', async () => {
      const uri = await channelFor('d1');
      await connected('d1');
      h.link.disconnect('d1');
      await settle();
      h.emulator.cloud.send(uri, { cachePolicy: 'cache', ttlSeconds: 60 });
      await advance(61 * SECOND);
      const again = await connected('d1');
      await advance(SECOND);
      expect(again.pushes).toEqual([]);
      expect(h.sink.ofType('push.dropped').map((e) => e.reason)).toEqual(['ttl-expired']);
    });

    it('a WNS outage closes the connection (onClosed), which comes back after it', async () => {
      const uri = await channelFor('d1');
      const heard = await connected('d1');
      h.emulator.cloud.setAvailable(false);
      await until(() => heard.closed === 1, 'onClosed');
      expect(h.emulator.cloud.isConnected('d1')).toBe(false);
      const cached = h.emulator.cloud.send(uri, { cachePolicy: 'cache' });
      h.emulator.cloud.setAvailable(true);
      // Within the first reconnect backoff of the WebSocket link (at most 1 s by default).
      await advance(5 * SECOND);
      expect(heard.opened).toBe(2);
      expect(heard.closed).toBe(1);
      expect(h.emulator.cloud.isConnected('d1')).toBe(true);
      expect(heard.pushes).toEqual([
        {
          msgId: cached.msgId,
          channelUri: uri,
          cached: true,
          bodyBase64: undefined,
          expiresAt: expect.any(Number) as number,
        },
      ]);
    });

    it('disconnect is final: no reconnect, nothing delivered afterwards', async () => {
      const uri = await channelFor('d1');
      const heard = await connected('d1');
      h.link.disconnect('d1');
      await settle();
      h.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
      await advance(10 * 60 * SECOND);
      expect(heard).toMatchObject({ opened: 1, closed: 0, pushes: [] });
      expect(h.emulator.cloud.isConnected('d1')).toBe(false);
    });
  });
}

wnsLinkContract('in-memory WnsCloud', inMemory);
wnsLinkContract('WebSocketWnsLink to the emulator', overWebSocket);
