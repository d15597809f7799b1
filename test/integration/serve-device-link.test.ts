/**
 * The WNS link of `dmpush serve` under a stranger on its device endpoint (decision 0011): a hello
 * for a fleet device without the fleet's proof is refused and the device keeps its connection;
 * an external device that never acknowledges a push does not stop `POST /api/clock/advance`.
 * Composed in process on a virtual clock, real sockets on 127.0.0.1; nothing sleeps.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { api, fresh, TEST_SERVE, type Api } from '../helpers/serve.js';
import { closeAll, expectError, helloClient, rawClient } from '../helpers/device-sockets.js';
import { until } from '../helpers/until.js';
import { APP } from '../helpers/wns-harness.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

/** Posts JSON or a form to the emulator; the parsed answer, if any. */
async function wns(
  a: Api,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fresh(`${a.s.wnsUrl}${path}`, { method: 'POST', body, headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as unknown) : null,
  };
}

describe('dmpush serve: strangers on the device endpoint', () => {
  let a: Api;
  let devices: string;
  beforeAll(async () => {
    a = api(await startServe(io, TEST_SERVE));
    await a.advance('PT1M');
    devices = `${a.s.wnsUrl.replace(/^http/, 'ws')}/_device`;
  });
  afterAll(async () => {
    await closeAll();
    await a.s.close();
  });

  it('a hello for a fleet device without the fleet’s proof is refused; the device stays connected and gets its pushes', async () => {
    expect((await a.device('laptop')).wnsConnected).toBe(true);
    const hijacker = await rawClient(devices);
    hijacker.send({ type: 'hello', deviceId: 'laptop' });
    expectError(await hijacker.next(), /belongs to this emulator's fleet/);
    await until(() => hijacker.closeCode !== null, 'the hijacker’s socket to close');
    expect(hijacker.closeCode).toBe(4003);

    await a.advance('PT1S');
    expect((await a.device('laptop')).wnsConnected).toBe(true);
    const pushed = await a.json('POST', '/api/devices/laptop/push', {});
    expect(pushed.body).toMatchObject({ status: 200, notificationStatus: 'received' });
    await a.advance('PT1S');
    const received = await a.events('?device=laptop&type=push.received');
    expect(received.length).toBeGreaterThan(0);
    expect((await a.events('?device=laptop&type=wns.disconnected')).map((e) => e.reason)).toEqual(
      [],
    );
  });

  it('an external device that never acks a push does not stop POST /api/clock/advance; the push is given up', async () => {
    const created = await wns(
      a,
      '/_sim/channels',
      JSON.stringify({ pfn: APP.pfn, deviceId: 'external-1', connected: false }),
      { 'content-type': 'application/json' },
    );
    expect(created.status).toBe(201);
    const { channelUri } = created.json as { channelUri: string };
    const external = await helloClient(devices, 'external-1');

    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: APP.sid,
      client_secret: APP.secret,
      scope: 'notify.windows.com',
    });
    const token = await wns(a, '/accesstoken.srf', form.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const bearer = (token.json as { access_token: string }).access_token;
    const res = await fresh(channelUri, {
      method: 'POST',
      body: 'wake up',
      headers: {
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/octet-stream',
        'x-wns-type': 'wns/raw',
      },
    });
    expect(res.status).toBe(200);
    const msgId = res.headers.get('x-wns-msg-id');
    expect(await external.next()).toMatchObject({ type: 'push', msgId });

    // Never acked: the advance completes, past the ack deadline (30 s).
    let advanced = false;
    const advance = a.advance('PT1M').then(() => (advanced = true));
    await until(() => advanced, 'POST /api/clock/advance to answer');
    await advance;
    const journal = (await (
      await fresh(`${a.s.wnsUrl}/_sim/journal?status=200&channel=${encodeURIComponent(channelUri)}`)
    ).json()) as Array<Record<string, unknown>>;
    expect(journal.at(-1)).toMatchObject({
      msgId,
      notificationStatus: 'dropped',
      description: 'not delivered: no ack within 30000 ms',
    });
  });
});
