/**
 * WNS priorities on the live fleet: the control API's `PATCH {screen}` and push `priority` over
 * real sockets on 127.0.0.1 — the reference server sends `X-WNS-PRIORITY`, the emulator carries
 * it over the device's WebSocket, and the device's notification platform holds or delivers.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { api, TEST_SERVE, type Api } from '../helpers/serve.js';

/** Like `until`, for a condition read over HTTP: turn by turn, bounded by 10 s of real time. */
async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // eslint-disable-next-line no-restricted-syntax -- one event-loop turn, not a timer
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

interface PushEventJson {
  readonly type: string;
  readonly msgId: string;
  readonly priority?: number;
  readonly reason?: string;
  readonly heldAt?: string;
}

describe('dmpush serve: screen and WNS priority through the control API', () => {
  let a: Api;
  const pushEvents = async (type: string): Promise<PushEventJson[]> =>
    (await a.events(`?device=laptop&type=${type}`)) as unknown as PushEventJson[];

  beforeAll(async () => {
    a = api(await startServe(io, TEST_SERVE));
    await a.advance('PT1M');
  });
  afterAll(() => a.s.close());

  it('PATCH takes the screen; a bad value is a 400 naming the field', async () => {
    const res = await a.json<{ screen: string }>('PATCH', '/api/devices/laptop', {
      screen: 'off',
      battery: { charging: false, level: 90 },
    });
    expect(res.status).toBe(200);
    expect(res.body.screen).toBe('off');
    const bad = await a.json<{ error: string }>('PATCH', '/api/devices/laptop', { screen: 'dim' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^screen: expected "on" or "off"/);
  });

  it('a Low push waits on the lid-closed laptop; a High push (priority 1) arrives at once', async () => {
    expect((await a.device('laptop')).wnsConnected).toBe(true);
    const low = await a.json('POST', '/api/devices/laptop/push', {});
    expect(low.body).toMatchObject({ status: 200, outcome: 'sent' });
    await eventually(async () => (await pushEvents('push.held')).length === 1, 'the Low push held');
    const [held] = await pushEvents('push.held');
    expect(held).toMatchObject({ priority: 3, reason: 'screen-off-on-battery' });

    const receivedBefore = (await pushEvents('push.received')).length;
    const high = await a.json('POST', '/api/devices/laptop/push', { priority: 1 });
    expect(high.body).toMatchObject({ status: 200, outcome: 'sent' });
    await eventually(
      async () => (await pushEvents('push.received')).length > receivedBefore,
      'the High push received',
    );
    expect((await pushEvents('push.received')).at(-1)).toMatchObject({ priority: 1 });
    expect((await pushEvents('push.held')).length).toBe(1);

    await a.json('PATCH', '/api/devices/laptop', { screen: 'on' });
    const released = (await pushEvents('push.received')).at(-1);
    expect(released).toMatchObject({ msgId: held?.msgId, priority: 3 });
    expect(released?.heldAt).toEqual(expect.any(String));
  });

  it('refuses a priority outside 1–4, naming the field', async () => {
    const bad = await a.json<{ error: string }>('POST', '/api/devices/laptop/push', {
      priority: 5,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^priority: expected 1 \(High\), 2 \(Medium\), 3 \(Low\) or 4/);
  });
});
