import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OmaDmHttpClient,
  retryAfterMs,
  type TappedExchange,
} from '../../src/adapters/http/omadm-client.js';
import { defaultIdentity, windowsTree } from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type { SessionRequest, SessionResult } from '../../src/core/ports.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import { SYNCML_CONTENT_TYPE, type SyncMLMessage } from '../../src/core/syncml/message.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
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

/** The server's end of a session: a Status for the device's SyncHdr, and Final. */
function endMessage(device: SyncMLMessage): SyncMLMessage {
  const h = device.header;
  return {
    header: { ...h, msgId: '1', target: h.source, source: h.target },
    commands: [
      {
        kind: 'Status',
        cmdId: '1',
        msgRef: h.msgId,
        cmdRef: '0',
        cmd: 'SyncHdr',
        targetRef: h.target,
        sourceRef: h.source,
        data: '200',
      },
    ],
    final: true,
  };
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text));
  });
}

const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/ManagementServer/MDM.svc`;
}

function start(client: OmaDmHttpClient, req = request()): { result: () => SessionResult | null } {
  let result: SessionResult | null = null;
  client.startSession(req, (r) => {
    expect(result).toBeNull();
    result = r;
  });
  return { result: () => result };
}

describe('OmaDmHttpClient', () => {
  it('posts package 1 as SyncML with the DMClient user agent; an end message completes the session', async () => {
    const seen: Array<{ type?: string; agent?: string; message: SyncMLMessage }> = [];
    const url = await serve((req, res) => {
      void readAll(req).then((body) => {
        const message = parseSyncML(body);
        seen.push({ type: req.headers['content-type'], agent: req.headers['user-agent'], message });
        res.writeHead(200, { 'content-type': SYNCML_CONTENT_TYPE });
        res.end(serializeSyncML(endMessage(message)));
      });
    });
    const client = new OmaDmHttpClient({ url, clock: new VirtualClock({ start: T0 }) });
    const s = start(client);
    await until(() => s.result() !== null, 'the session to end');
    client.close();
    expect(s.result()).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.type).toBe(SYNCML_CONTENT_TYPE);
    expect(seen[0]?.agent).toBe('MSFT OMA DM Client/1.2.0.1');
    expect(seen[0]?.message.header.target).toBe(url);
    expect(seen[0]?.message.commands.map((c) => c.kind)).toEqual(['Alert', 'Alert', 'Replace']);
  });

  it('429: waits Retry-After on the clock (virtual time skips it), then sends the same message again', async () => {
    const bodies: string[] = [];
    const url = await serve((req, res) => {
      void readAll(req).then((body) => {
        bodies.push(body);
        if (bodies.length === 1) {
          res.writeHead(429, { 'retry-after': '120' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': SYNCML_CONTENT_TYPE });
        res.end(serializeSyncML(endMessage(parseSyncML(body))));
      });
    });
    const clock = new VirtualClock({ start: T0 });
    const client = new OmaDmHttpClient({ url, clock });
    const s = start(client);
    await until(() => bodies.length === 1 && !clock.busy, 'the 429');
    expect(clock.nextEventAt()).toBe(T0 + 120_000);
    await clock.runUntilIdleAware(T0 + 119_999);
    expect(bodies).toHaveLength(1);
    await clock.runUntilIdleAware(T0 + 120_000);
    await until(() => s.result() !== null, 'the session to end');
    client.close();
    expect(s.result()).toEqual({ ok: true });
    expect(bodies[1]).toBe(bodies[0]);
  });

  it('429 more than maxThrottleRetries times fails the session', async () => {
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(429, { 'retry-after': '1' });
      res.end();
    });
    const clock = new VirtualClock({ start: T0 });
    const client = new OmaDmHttpClient({ url, clock, maxThrottleRetries: 2 });
    const s = start(client);
    for (let i = 0; i < 3 && s.result() === null; i++) {
      await until(() => !clock.busy && (clock.nextEventAt() !== null || s.result() !== null));
      await clock.runUntilIdleAware(clock.now() + 1000);
    }
    await until(() => s.result() !== null, 'the session to fail');
    client.close();
    expect(s.result()).toEqual({ ok: false, reason: 'throttled (429) 3 times' });
  });

  it.each([
    [
      'a non-SyncML reply',
      200,
      'text/html',
      '<html/>',
      /^reply is text\/html, not application\/vnd\.syncml\.dm\+xml$/,
    ],
    ['a malformed reply', 200, SYNCML_CONTENT_TYPE, '<SyncML>', /^malformed reply: /],
    ['an HTTP error', 503, 'text/plain', 'busy', /^HTTP 503 from the management server$/],
  ])('%s fails the session with its reason', async (_what, status, type, body, reason) => {
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
    const client = new OmaDmHttpClient({ url, clock: new VirtualClock({ start: T0 }) });
    const s = start(client);
    await until(() => s.result() !== null, 'the session to fail');
    client.close();
    const result = s.result();
    expect(result?.ok).toBe(false);
    expect(result && !result.ok ? result.reason : '').toMatch(reason);
  });

  it('a request to a server that never answers ends when aborted, and releases the clock', async () => {
    const held: ServerResponse[] = [];
    const url = await serve((_req, res) => held.push(res));
    const controller = new AbortController();
    const clock = new VirtualClock({ start: T0 });
    const client = new OmaDmHttpClient({ url, clock, signal: () => controller.signal });
    const s = start(client);
    await until(() => held.length === 1, 'the request to arrive');
    expect(clock.busy).toBe(true);
    controller.abort();
    await until(() => s.result() !== null, 'the session to fail');
    client.close();
    expect(s.result()).toEqual({ ok: false, reason: 'network error: aborted' });
    await clock.whenIdle();
  });

  it('a refused connection fails the session', async () => {
    const url = await serve(() => undefined);
    for (const s of servers.splice(0)) s.close();
    await until(() => true);
    const client = new OmaDmHttpClient({ url, clock: new VirtualClock({ start: T0 }) });
    const s = start(client);
    await until(() => s.result() !== null, 'the session to fail');
    client.close();
    expect(s.result()).toEqual({ ok: false, reason: 'network error: ECONNREFUSED' });
  });

  it('refuses a management URL that is not http(s)', () => {
    expect(
      () => new OmaDmHttpClient({ url: 'ftp://x/', clock: new VirtualClock({ start: T0 }) }),
    ).toThrow(/management URL must be http\(s\), got ftp:\/\/x\//);
  });
});

describe('OmaDmHttpClient tap (the SyncML recorder of dmpush check)', () => {
  it('sees each message the device sent and the parsed answer, with status, type and trigger', async () => {
    const url = await serve((req, res) => {
      void readAll(req).then((body) => {
        res.writeHead(200, { 'content-type': `${SYNCML_CONTENT_TYPE}; charset=utf-8` });
        res.end(serializeSyncML(endMessage(parseSyncML(body))));
      });
    });
    const tapped: TappedExchange[] = [];
    const clock = new VirtualClock({ start: T0 });
    const client = new OmaDmHttpClient({ url, clock, tap: (x) => tapped.push(x) });
    const s = start(client);
    await until(() => s.result() !== null, 'the session to end');
    client.close();
    expect(tapped).toHaveLength(1);
    const [x] = tapped as [TappedExchange];
    expect(x).toMatchObject({
      time: T0,
      deviceId: 'dev',
      sessionId: '1',
      trigger: 'poll',
      httpStatus: 200,
      contentType: SYNCML_CONTENT_TYPE,
    });
    expect(x.sent.commands.map((c) => c.kind)).toEqual(['Alert', 'Alert', 'Replace']);
    expect(x.reply?.commands.map((c) => c.kind)).toEqual(['Status']);
    expect(x.problem).toBeUndefined();
  });

  it.each([
    ['malformed', 200, SYNCML_CONTENT_TYPE, '<SyncML><SyncHdr>', /^malformed reply/],
    ['HTML', 200, 'text/html', '<html>oops</html>', /not application\/vnd\.syncml\.dm\+xml/],
    ['500', 500, 'text/plain', 'boom', /HTTP 500/],
  ])(
    'a %s answer is tapped with its problem and the start of its body',
    async (_, code, type, body, problem) => {
      const url = await serve((req, res) => {
        void readAll(req).then(() => {
          res.writeHead(code, { 'content-type': type });
          res.end(body);
        });
      });
      const tapped: TappedExchange[] = [];
      const client = new OmaDmHttpClient({
        url,
        clock: new VirtualClock({ start: T0 }),
        tap: (x) => tapped.push(x),
      });
      const s = start(client);
      await until(() => s.result() !== null, 'the session to end');
      client.close();
      expect(s.result()?.ok).toBe(false);
      expect(tapped).toHaveLength(1);
      expect(tapped[0]).toMatchObject({ reply: null, httpStatus: code, contentType: type });
      expect(tapped[0]?.problem).toMatch(problem);
      if (code === 200) expect(tapped[0]?.rawReply).toBe(body);
    },
  );

  it('a server that cannot be reached is tapped with no status', async () => {
    const tapped: TappedExchange[] = [];
    const client = new OmaDmHttpClient({
      url: 'http://127.0.0.1:1/',
      clock: new VirtualClock({ start: T0 }),
      tap: (x) => tapped.push(x),
    });
    const s = start(client);
    await until(() => s.result() !== null, 'the session to end');
    client.close();
    expect(tapped[0]).toMatchObject({ reply: null, httpStatus: null, contentType: null });
    expect(tapped[0]?.problem).toMatch(/^network error/);
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates; refuses anything else', () => {
    expect(retryAfterMs('120', T0)).toBe(120_000);
    expect(retryAfterMs(new Date(T0 + 5000).toUTCString(), T0)).toBe(5000);
    expect(retryAfterMs(new Date(T0 - 5000).toUTCString(), T0)).toBe(0);
    expect(retryAfterMs('soon', T0)).toBeNull();
    expect(retryAfterMs(undefined, T0)).toBeNull();
  });
});
