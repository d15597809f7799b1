/**
 * Device identity on the WNS link (decision 0011) and the Origin check of the device endpoint,
 * with real sockets on 127.0.0.1: a hello must prove its device, a refused one never disturbs the
 * device's own connection, the link keeps and presents its credentials, reconnects when the
 * server replaces its connection and stops, saying why, when its credential is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  DeviceCredentialRefusedError,
  fleetCredentials,
  hashSecret,
  memoryCredentials,
} from '../../src/adapters/ws/device-credentials.js';
import { DeviceCloseCode } from '../../src/adapters/ws/device-socket-server.js';
import { streamFor } from '../../src/core/random/random.js';
import { SECOND } from '../../src/core/time/iso.js';
import {
  channel,
  closeAll,
  endpoint,
  expectError,
  helloClient,
  ISSUED,
  link,
  listener,
  PFN,
  rawClient,
  text,
} from '../helpers/device-sockets.js';
import { until } from '../helpers/until.js';

afterEach(closeAll);

/** A credential that is well-formed but nobody's. */
const WRONG = 'A'.repeat(43);

describe('a hello proves its device', () => {
  it('a hijack hello (no credential, or a wrong one) is refused with 4003; the device keeps its connection and its pushes', async () => {
    const e = await endpoint();
    const uri = channel(e, 'pc-4');
    const device = await helloClient(e.url, 'pc-4');

    for (const credential of [undefined, WRONG]) {
      const hijacker = await rawClient(e.url);
      hijacker.send({ type: 'hello', deviceId: 'pc-4', ...(credential ? { credential } : {}) });
      expectError(await hijacker.next(), /^hello: .*"pc-4".*(present it|not its own)/);
      await until(() => hijacker.closeCode !== null, 'the hijacker’s socket to close');
      expect(hijacker.closeCode).toBe(DeviceCloseCode.credentialRefused);
    }

    expect(device.closeCode).toBeNull();
    expect(e.emulator.cloud.isConnected('pc-4')).toBe(true);
    expect(e.sockets.connectedCount()).toBe(1);
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
    expect(await device.next()).toMatchObject({ type: 'push', msgId: outcome.msgId });

    // Journalled as refused connections, and no secret is written anywhere.
    const refused = e.emulator.service.journalEntries({ op: 'connect', status: 403 });
    expect(refused.map((j) => j.deviceId)).toEqual(['pc-4', 'pc-4']);
    expect(JSON.stringify(e.emulator.saveGlobals())).not.toContain(device.credential);
    expect(e.emulator.credentials.recordOf('pc-4')?.hash).toBe(hashSecret(device.credential));
  });

  it('a channel request on a presence:false socket without proof is refused; with it, granted', async () => {
    const e = await endpoint();
    const device = await helloClient(e.url, 'pc-4');
    const before = e.emulator.cloud.listChannels().length;

    const stranger = await rawClient(e.url);
    stranger.send({ type: 'hello', deviceId: 'pc-4', presence: false });
    stranger.send({ type: 'channel', id: 1, pfn: PFN });
    expectError(await stranger.next(), /^hello: .*"pc-4"/);
    await until(() => stranger.closeCode !== null, 'the socket to close');
    expect(stranger.closeCode).toBe(DeviceCloseCode.credentialRefused);
    expect(stranger.frames).toHaveLength(1);
    expect(e.emulator.cloud.listChannels()).toHaveLength(before);

    const renewing = await helloClient(e.url, 'pc-4', {
      presence: false,
      credential: device.credential,
    });
    renewing.send({ type: 'channel', id: 2, pfn: PFN });
    expect(await renewing.next()).toMatchObject({ type: 'channel', id: 2, ok: true });
    expect(device.closeCode).toBeNull();
  });

  it('a malformed credential is a bad frame, not a refusal', async () => {
    const e = await endpoint();
    const c = await rawClient(e.url);
    c.send({ type: 'hello', deviceId: 'd1', credential: 'short' });
    expectError(await c.next(), /hello: "credential" must be 32–128 base64url/);
    expect(c.closeCode).toBeNull();
  });

  it('after an emulator reset, a device presenting its credential has it recorded again', async () => {
    const e = await endpoint();
    const first = await helloClient(e.url, 'd1');
    e.emulator.reset();
    expect(e.emulator.credentials.recordOf('d1')).toBeUndefined();
    const again = await helloClient(e.url, 'd1', { credential: first.credential });
    expect(again.frames[0]).toEqual({ type: 'welcome', presence: true });
    expect(e.emulator.credentials.recordOf('d1')?.hash).toBe(hashSecret(first.credential));
  });

  it('the fleet key of a serve process proves its devices, and nothing else does', async () => {
    const e = await endpoint();
    const key = Buffer.alloc(32, 7);
    e.emulator.credentials.trustFleet(key, ['laptop']);
    const proof = fleetCredentials(key).get('laptop') as string;
    const fleet = await helloClient(e.url, 'laptop', { credential: proof });
    expect(fleet.frames[0]).toEqual({ type: 'welcome', presence: true });
    for (const credential of [
      undefined,
      WRONG,
      fleetCredentials(Buffer.alloc(32, 8)).get('laptop'),
    ]) {
      const other = await rawClient(e.url);
      other.send({ type: 'hello', deviceId: 'laptop', ...(credential ? { credential } : {}) });
      expectError(await other.next(), /belongs to this emulator's fleet|not its own/);
    }
    expect(fleet.closeCode).toBeNull();
    // Devices outside the fleet are trusted on first use; fleet devices leave no record.
    await helloClient(e.url, 'visitor');
    expect(e.emulator.credentials.save().map((c) => c.deviceId)).toEqual(['visitor']);
  });
});

describe('the link and its credentials', () => {
  it('keeps the credential issued on its first hello and presents it on every reconnect', async () => {
    const e = await endpoint();
    const credentials = memoryCredentials();
    const l = link(e, { initialMs: 1000, maxMs: 4000 }, e.url, { credentials });
    const heard = listener(e.clock);
    l.connect('d1', heard.handlers);
    await e.clock.runUntilIdleAware(e.clock.now());
    const issued = credentials.get('d1') as string;
    expect(issued).toMatch(ISSUED);
    expect(e.emulator.credentials.recordOf('d1')?.hash).toBe(hashSecret(issued));

    e.emulator.cloud.setAvailable(false);
    e.emulator.cloud.setAvailable(true);
    await until(() => heard.closed.length === 1, 'the link to hear of the outage');
    await e.clock.runUntilIdleAware(e.clock.now() + 5 * SECOND);
    expect(heard.opened).toHaveLength(2);
    expect(credentials.get('d1')).toBe(issued);
    expect(e.emulator.service.journalEntries({ op: 'connect', status: 403 })).toEqual([]);
  });

  it('a device whose connection is replaced reconnects with backoff (not for good), ever more slowly', async () => {
    const e = await endpoint();
    const credentials = memoryCredentials();
    const l = link(e, { initialMs: 1000, maxMs: 60_000 }, e.url, { credentials });
    const heard = listener(e.clock);
    l.connect('d1', heard.handlers);
    await e.clock.runUntilIdleAware(e.clock.now());
    const replica = streamFor(3, 'link');

    for (const [round, base] of [
      [1, 1000],
      [2, 2000],
    ] as const) {
      // Another holder of the device's credential takes the connection over.
      const other = await helloClient(e.url, 'd1', { credential: credentials.get('d1') });
      await until(() => heard.closed.length === round, 'the link to hear it was replaced');
      const delay = Math.round(base / 2 + (replica.float() * base) / 2);
      expect(e.clock.nextEventAt()).toBe(e.clock.now() + delay);
      await e.clock.runUntilIdleAware(e.clock.now() + delay);
      expect(heard.opened).toHaveLength(round + 1);
      await until(() => other.closeCode !== null, 'the other holder to be replaced in turn');
      expect(other.closeCode).toBe(DeviceCloseCode.replaced);
    }
    expect(l.isConnected('d1')).toBe(true);
  });

  it('a refused credential stops the link for that device, reporting why', async () => {
    const e = await endpoint();
    const owner = await helloClient(e.url, 'd1');
    const errors: Error[] = [];
    const l = link(e, undefined, e.url, { onError: (error) => errors.push(error) });
    const heard = listener(e.clock);
    l.connect('d1', heard.handlers);
    await e.clock.runUntilIdleAware(e.clock.now() + 10 * 60 * SECOND);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DeviceCredentialRefusedError);
    expect(errors[0]?.message).toMatch(
      /refused the credential of device "d1" \(close 4003\): hello: .*present it.*; the link stops connecting it/,
    );
    expect(heard.opened).toEqual([]);
    expect(l.isConnected('d1')).toBe(false);
    expect(e.clock.nextEventAt()).toBeNull();
    expect(owner.closeCode).toBeNull();

    // Its channel requests get wns-unreachable, reported the same way.
    const grants: unknown[] = [];
    l.requestChannel('d1', PFN, (g) => grants.push(g));
    await e.clock.runUntilIdleAware(e.clock.now());
    expect(grants).toEqual([{ ok: false, reason: 'wns-unreachable' }]);
    expect(errors.at(-1)).toBeInstanceOf(DeviceCredentialRefusedError);
  });
});

/** The status and body of an upgrade the server answered with plain HTTP. */
async function refusedUpgrade(
  url: string,
  headers: { origin?: string; host?: string },
): Promise<[number, string]> {
  const ws = new WebSocket(
    url,
    headers.host
      ? { origin: headers.origin, headers: { host: headers.host } }
      : { origin: headers.origin },
  );
  let answer: [number, string] | null = null;
  ws.on('unexpected-response', (_req, res) => {
    let body = '';
    res.on('data', (chunk: Buffer) => (body += text(chunk)));
    res.on('end', () => (answer = [res.statusCode ?? 0, body]));
  });
  ws.on('error', () => undefined);
  await until(() => answer !== null, 'the refusal');
  ws.terminate();
  return answer as unknown as [number, string];
}

describe('the device endpoint and Origin', () => {
  it('refuses an upgrade from a foreign Origin with 403 naming it; accepts none and its own', async () => {
    const e = await endpoint();
    for (const origin of ['https://evil.example', 'http://localhost:3000', 'null']) {
      const [status, body] = await refusedUpgrade(e.url, { origin });
      expect(status, origin).toBe(403);
      expect((JSON.parse(body) as { error: string }).error).toContain(
        `Origin ${JSON.stringify(origin)} is not this server's`,
      );
    }
    for (const origin of [undefined, `http://127.0.0.1:${e.port}`]) {
      const c = await rawClient(e.url, origin ? { origin } : {});
      c.send({ type: 'hello', deviceId: `d-${origin ?? 'none'}` });
      expect(await c.next(), origin).toMatchObject({ type: 'welcome' });
    }
  });

  it('refuses a Host it does not answer to (DNS rebinding) with 421 naming it', async () => {
    const e = await endpoint();
    const [status, body] = await refusedUpgrade(e.url, { host: 'rebound.attacker.example' });
    expect(status).toBe(421);
    expect(body).toContain('rebound.attacker.example');
  });
});
