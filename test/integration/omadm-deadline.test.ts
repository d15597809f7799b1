/**
 * The OMA-DM client's total deadlines, against real servers on 127.0.0.1. Regression: the client
 * had only an idle (socket) timeout, so a server that sends its reply one byte at a time kept a
 * session open for ever. Every bound here is real time, and small.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OmaDmHttpClient } from '../../src/adapters/http/omadm-client.js';
import { defaultIdentity, windowsTree } from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type { SessionRequest, SessionResult } from '../../src/core/ports.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import { SYNCML_CONTENT_TYPE } from '../../src/core/syncml/message.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { ReferenceMdm } from '../../src/mdm-server/reference-mdm.js';
import { until } from '../helpers/until.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

function request(id = 'dev'): SessionRequest {
  const identity = defaultIdentity(id, '1607');
  const readPush = () => ({ pfn: null, channelUri: null, status: PushStatus.NoChannelUri });
  return {
    deviceId: id,
    trigger: 'poll',
    devId: identity.devId,
    readPush,
    account: null,
    identity: null,
    tree: windowsTree(identity, 'DMPUSH', {
      now: () => T0,
      readPush,
      setPfn: () => undefined,
      pollConfig: () => DEFAULT_POLL,
      setPoll: () => undefined,
    }),
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/ManagementServer/MDM.svc`;
}

/** A server that answers 200 and then sends its body one byte every 20 ms, for ever. */
function dripping(): Promise<string> {
  return serve((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': SYNCML_CONTENT_TYPE });
    // eslint-disable-next-line no-restricted-syntax -- the server under test drips in real time
    const drip = setInterval(() => res.write('<'), 20);
    res.on('close', () => clearInterval(drip));
    cleanups.push(() => clearInterval(drip));
  });
}

/** Runs one session; resolves with its result and the real milliseconds it took. */
async function session(client: OmaDmHttpClient): Promise<{ result: SessionResult; ms: number }> {
  let result: SessionResult | null = null;
  const started = performance.now();
  client.startSession(request(), (r) => (result = r));
  // Bounded by real time: without a total deadline the session would still be open then.
  await until(() => result !== null, 'the session to end', 3_000);
  client.close();
  return { result: result as unknown as SessionResult, ms: performance.now() - started };
}

describe('OmaDmHttpClient: total deadlines, whatever pace the server keeps', () => {
  it('a server dripping its reply a byte at a time: the session ends at its deadline', async () => {
    const url = await dripping();
    const clock = new VirtualClock({ start: T0 });
    const client = new OmaDmHttpClient({ url, clock, sessionTimeoutMs: 300 });
    const { result, ms } = await session(client);
    expect(result).toEqual({ ok: false, reason: 'timeout: the session took longer than 300 ms' });
    expect(ms).toBeGreaterThanOrEqual(290);
    await clock.whenIdle();
  });

  it('a per-request deadline shorter than the session: its own reason', async () => {
    const url = await dripping();
    const client = new OmaDmHttpClient({
      url,
      clock: new VirtualClock({ start: T0 }),
      sessionTimeoutMs: 10_000,
      timeoutMs: 200,
    });
    const { result } = await session(client);
    expect(result).toEqual({ ok: false, reason: 'timeout: no answer within 200 ms' });
  });

  it('counts every request of a session: two slow answers overrun a deadline one fits in', async () => {
    // The reference server's logic, each answer held back 150 ms: a session is two exchanges.
    const mdm = new ReferenceMdm({ pfn: 'Contoso.MDM_8wekyb3d8bbwe', now: () => T0 });
    const answered: number[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const reply = serializeSyncML(mdm.handle(parseSyncML(body)));
        // eslint-disable-next-line no-restricted-syntax -- a slow server, in real time
        const timer = setTimeout(() => {
          answered.push(performance.now());
          res.writeHead(200, { 'content-type': SYNCML_CONTENT_TYPE });
          res.end(reply);
        }, 150);
        cleanups.push(() => clearTimeout(timer));
      });
    });
    const clock = new VirtualClock({ start: T0 });
    const slow = await session(new OmaDmHttpClient({ url, clock, sessionTimeoutMs: 250 }));
    expect(slow.result).toEqual({
      ok: false,
      reason: 'timeout: the session took longer than 250 ms',
    });
    expect(answered).toHaveLength(1);
    const roomy = await session(new OmaDmHttpClient({ url, clock, sessionTimeoutMs: 2_000 }));
    expect(roomy.result).toEqual({ ok: true });
  });

  it('refuses a deadline that is not a positive number of milliseconds', () => {
    const clock = new VirtualClock({ start: T0 });
    const url = 'http://127.0.0.1:9/';
    expect(() => new OmaDmHttpClient({ url, clock, sessionTimeoutMs: 0 })).toThrow(
      'sessionTimeoutMs must be a number of milliseconds from 1 to 2^31 - 1, got 0',
    );
    expect(() => new OmaDmHttpClient({ url, clock, timeoutMs: Number.NaN })).toThrow(/timeoutMs/);
  });
});
