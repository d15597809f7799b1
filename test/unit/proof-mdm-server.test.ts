/**
 * The proof MDM server (test/helpers/proof-mdm-server.ts) over real sockets: the SyncML it answers
 * to the project's device session, and its pushes to a tiny fake WNS (token, headers, 401 retry,
 * 404/410, 406 `Retry-After`), in the good configuration and with each mistake.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientSession, type SessionStep } from '../../src/core/dm/client-session.js';
import { defaultIdentity, windowsTree } from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL, type PollConfig } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import type { NodeCommand, StatusCommand, SyncMLMessage } from '../../src/core/syncml/message.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import {
  PROOF_MISTAKES,
  startProofServer,
  type ProofMistake,
  type ProofServer,
} from '../helpers/proof-mdm-server.js';
import { until } from '../helpers/until.js';

const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
const SID = 'ms-app://S-1-15-2-1';
const PROVIDER = './Vendor/MSFT/DMClient/Provider/PROOF';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface WnsRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A fake WNS: tokens `t1`, `t2`… and channel answers from `answers` (then 200). */
async function fakeWns(): Promise<{ base: string; requests: WnsRequest[]; answers: number[] }> {
  const requests: WnsRequest[] = [];
  const answers: number[] = [];
  let tokens = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/accesstoken.srf') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: `t${++tokens}`, expires_in: 86400 }));
        return;
      }
      const status = answers.shift() ?? 200;
      res.writeHead(status, status === 406 ? { 'retry-after': '1' } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => void server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, requests, answers };
}

/** The fake WNS and a proof server sending to it, on a virtual clock. */
async function setUp(mistake: ProofMistake = 'none') {
  const wns = await fakeWns();
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1) });
  const wnsCredentials = { tokenUrl: () => `${wns.base}/accesstoken.srf`, sid: SID, secret: 's' };
  const server = await startProofServer({
    ...{ providerId: 'PROOF', pfn: PFN, wns: wnsCredentials, mistake, clock },
  });
  closers.push(() => server.close());
  const pushes = () => wns.requests.filter((r) => r.path.startsWith('/ch/'));
  return { wns, clock, server, pushes };
}

/** A device with the provider `PROOF` preset, whose channel is `channelUri` once it has a PFN. */
function device(channelUri: string) {
  const state: { pfn: string | null; poll: PollConfig; sessions: number } = {
    pfn: null,
    poll: DEFAULT_POLL,
    sessions: 0,
  };
  const tree = windowsTree(defaultIdentity('proof-1', '22H2'), 'PROOF', {
    now: () => 0,
    readPush: () => ({
      pfn: state.pfn,
      channelUri: state.pfn === null ? null : channelUri,
      status: state.pfn === null ? PushStatus.NoChannelUri : PushStatus.Success,
    }),
    setPfn: (pfn) => void (state.pfn = pfn),
    pollConfig: () => state.poll,
    setPoll: (p) => {
      const { first, second, remaining } = state.poll;
      state.poll = {
        ...state.poll,
        ...{ first: { ...first, ...p.first }, second: { ...second, ...p.second } },
        remaining: { ...remaining, ...p.remaining },
      };
    },
  });
  const devId = defaultIdentity('proof-1', '22H2').devId;
  return { state, tree, devId };
}

/** Runs one session of `dev` against `url`; resolves with its end and the server's messages. */
async function session(url: string, dev: ReturnType<typeof device>) {
  const s = new ClientSession({
    ...{
      sessionId: String(++dev.state.sessions),
      serverUrl: url,
      devId: dev.devId,
      tree: dev.tree,
    },
  });
  const received: SyncMLMessage[] = [];
  let step: SessionStep = { kind: 'send', message: s.start() };
  while (step.kind === 'send') {
    const res = await fetch(url, { method: 'POST', body: serializeSyncML(step.message) });
    expect(res.headers.get('content-type')).toBe('application/vnd.syncml.dm+xml');
    received.push(parseSyncML(await res.text()));
    step = s.receive(received.at(-1) as SyncMLMessage);
  }
  return { step, received };
}

const nodeCommands = (m: SyncMLMessage | undefined): [string, string, string?][] =>
  (m?.commands ?? [])
    .filter((c): c is NodeCommand => ['Add', 'Replace', 'Get'].includes(c.kind))
    .map((c) => [c.kind, (c.items[0]?.target ?? '').replace(`${PROVIDER}/`, ''), c.items[0]?.data]);
const statuses = (m: SyncMLMessage | undefined): StatusCommand[] =>
  (m?.commands ?? []).filter((c): c is StatusCommand => c.kind === 'Status');
const trigger = (server: ProofServer, devId: string) =>
  fetch(`${server.triggerUrl}/${devId}`, { method: 'POST' }).then((r) => r.status);

describe('proof MDM server: SyncML', () => {
  it('answers package 1 with Statuses, the PFN, the poll schedule and the two Gets, then ends', async () => {
    const { server } = await setUp();
    const dev = device('http://127.0.0.1:1/ch/a');
    const { step, received } = await session(server.url, dev);
    expect(step).toEqual({ kind: 'done' });
    const [first] = received;
    expect(statuses(first).map((s) => [s.msgRef, s.cmdRef, s.cmd])).toEqual([
      ['1', '0', 'SyncHdr'],
      ['1', '1', 'Alert'],
      ['1', '2', 'Alert'],
      ['1', '3', 'Replace'],
    ]);
    expect(nodeCommands(first)).toEqual([
      ['Add', 'Push/PFN', PFN],
      ['Replace', 'Poll/IntervalForFirstSetOfRetries', '3'],
      ['Replace', 'Poll/NumberOfFirstRetries', '5'],
      ['Replace', 'Poll/IntervalForSecondSetOfRetries', '15'],
      ['Replace', 'Poll/NumberOfSecondRetries', '8'],
      ['Replace', 'Poll/IntervalForRemainingScheduledRetries', '480'],
      ['Replace', 'Poll/NumberOfRemainingScheduledRetries', '0'],
      ['Get', 'Push/ChannelURI', undefined],
      ['Get', 'Push/Status', undefined],
    ]);
    const ids = first?.commands.map((c) => c.cmdId) ?? [];
    expect(new Set(ids).size).toBe(ids.length);
    expect(first?.final).toBe(true);
    expect(received).toHaveLength(2);
    expect(received[1]?.commands.map((c) => c.kind)).toEqual(['Status']);
    expect(dev.state.pfn).toBe(PFN);
    expect(dev.state.poll.first).toEqual({ intervalMinutes: 3, count: 5 });
    expect(server.channels.get(dev.devId)).toBe('http://127.0.0.1:1/ch/a');
  });

  it('reads the ChannelURI in every session, and sets the PFN only until the device has it', async () => {
    const { server } = await setUp();
    const dev = device('http://127.0.0.1:1/ch/a');
    await session(server.url, dev);
    const { received } = await session(server.url, dev);
    expect(nodeCommands(received[0]).map(([kind, node]) => `${kind} ${node}`)).toEqual([
      'Get Push/ChannelURI',
      'Get Push/Status',
    ]);
  });

  it.each(PROOF_MISTAKES)(
    '%s: a session of the device ends well, the ChannelURI read',
    async (m) => {
      const { server } = await setUp(m);
      const dev = device('http://127.0.0.1:1/ch/a');
      expect((await session(server.url, dev)).step).toEqual({ kind: 'done' });
      expect(dev.state.pfn).toBe(PFN);
      expect(server.channels.get(dev.devId)).toBe('http://127.0.0.1:1/ch/a');
    },
  );

  it('read-channel-once: no Get of the ChannelURI while it holds one', async () => {
    const { server } = await setUp('read-channel-once');
    const dev = device('http://127.0.0.1:1/ch/a');
    await session(server.url, dev);
    const { received } = await session(server.url, dev);
    expect(nodeCommands(received[0]).map(([kind, node]) => `${kind} ${node}`)).toEqual([
      'Get Push/Status',
    ]);
  });

  it('one-minute-poll: every minute, forever', async () => {
    const { server } = await setUp('one-minute-poll');
    const dev = device('http://127.0.0.1:1/ch/a');
    await session(server.url, dev);
    expect(dev.state.poll.first).toEqual({ intervalMinutes: 1, count: 0 });
  });

  it('malformed-syncml: wrong MsgRefs and a duplicate CmdID, which the device still accepts', async () => {
    const { server } = await setUp('malformed-syncml');
    const dev = device('http://127.0.0.1:1/ch/a');
    const { step, received } = await session(server.url, dev);
    expect(step).toEqual({ kind: 'done' });
    const [first] = received;
    expect(statuses(first).map((s) => s.msgRef)).toEqual(['1', '2', '2', '2']);
    const ids = first?.commands.map((c) => c.cmdId) ?? [];
    expect(ids.at(-1)).toBe(ids.at(-2));
    expect(server.channels.get(dev.devId)).toBe('http://127.0.0.1:1/ch/a');
  });
});

/** A proof server holding the ChannelURI `<fake WNS>/ch/a` of one device. */
async function withChannel(mistake: ProofMistake = 'none') {
  const s = await setUp(mistake);
  const dev = device(`${s.wns.base}/ch/a`);
  await session(s.server.url, dev);
  return { ...s, dev };
}

describe('proof MDM server: pushes', () => {
  it('answers a trigger 404 for an unknown device and 409 while no ChannelURI is held', async () => {
    const { server } = await setUp();
    expect(await trigger(server, 'nobody')).toBe(404);
    const dev = device('');
    await session(server.url, dev);
    expect(await trigger(server, dev.devId)).toBe(409);
  });

  it('gets a classic token and pushes raw, cached, with a TTL, to the held ChannelURI', async () => {
    const { wns, server, dev, pushes } = await withChannel();
    expect(await trigger(server, dev.devId)).toBe(202);
    await until(() => pushes().length === 1, 'the push');
    const form = new URLSearchParams(wns.requests[0]?.body);
    expect(wns.requests[0]?.path).toBe('/accesstoken.srf');
    expect(Object.fromEntries(form)).toEqual({
      ...{ grant_type: 'client_credentials', client_id: SID, client_secret: 's' },
      scope: 'notify.windows.com',
    });
    expect(pushes()[0]?.headers).toMatchObject({
      authorization: 'Bearer t1',
      'x-wns-type': 'wns/raw',
      'content-type': 'application/octet-stream',
      'x-wns-cache-policy': 'cache',
      'x-wns-ttl': '86400',
    });
    expect(pushes()[0]?.body.length).toBeGreaterThan(0);
    await trigger(server, dev.devId);
    await until(() => pushes().length === 2, 'the second push');
    expect(server.tokenRequests()).toBe(1);
  });

  it('no-cache: X-WNS-Cache-Policy no-cache', async () => {
    const { server, dev, pushes } = await withChannel('no-cache');
    await trigger(server, dev.devId);
    await until(() => pushes().length === 1, 'the push');
    expect(pushes()[0]?.headers['x-wns-cache-policy']).toBe('no-cache');
  });

  it('401: drops the token, gets a new one and pushes once more', async () => {
    const { wns, server, dev, pushes } = await withChannel();
    wns.answers.push(401, 401);
    await trigger(server, dev.devId);
    await until(() => pushes().length === 2, 'the retry');
    expect(pushes().map((p) => p.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
    await until(() => server.pushes.length === 2, 'the retry recorded');
    expect(server.pushes.map((p) => p.status)).toEqual([401, 401]);
  });

  it('never-refresh-token: no new token and no retry after a 401', async () => {
    const { wns, server, dev, pushes } = await withChannel('never-refresh-token');
    wns.answers.push(401);
    await trigger(server, dev.devId);
    await until(() => server.pushes.length === 1, 'the push');
    await trigger(server, dev.devId);
    await until(() => server.pushes.length === 2, 'the next push');
    expect(pushes().map((p) => p.headers.authorization)).toEqual(['Bearer t1', 'Bearer t1']);
    expect(server.tokenRequests()).toBe(1);
  });

  it.each([404, 410])('%i: forgets the URI and pushes no more to it', async (status) => {
    const { wns, server, dev, pushes } = await withChannel();
    wns.answers.push(status);
    await trigger(server, dev.devId);
    await until(() => server.channels.size === 0, 'the URI forgotten');
    expect(await trigger(server, dev.devId)).toBe(409);
    await session(server.url, dev);
    expect(server.channels.size).toBe(0);
    expect(pushes()).toHaveLength(1);
  });

  it('ignore-410: keeps pushing to the URI', async () => {
    const { wns, server, dev, pushes } = await withChannel('ignore-410');
    wns.answers.push(410);
    await trigger(server, dev.devId);
    await until(() => server.pushes.length === 1, 'the push');
    expect(await trigger(server, dev.devId)).toBe(202);
    await until(() => pushes().length === 2, 'the push to the gone URI');
  });

  it('406: no push to the channel before Retry-After has passed, then one', async () => {
    const { wns, server, dev, clock, pushes } = await withChannel();
    wns.answers.push(406);
    await trigger(server, dev.devId);
    await until(() => server.pushes.length === 1, 'the 406');
    await trigger(server, dev.devId);
    await trigger(server, dev.devId);
    clock.advance(999);
    await trigger(server, dev.devId);
    expect(pushes()).toHaveLength(1);
    clock.advance(1_000);
    await until(() => server.pushes.length === 2, 'the held push');
    // Retry-After (1 s) and the sender's margin (0.5 s); the three triggers made one push.
    expect(server.pushes.map((p) => [p.status, p.at - (server.pushes[0]?.at ?? 0)])).toEqual([
      [406, 0],
      [200, 1_500],
    ]);
  });

  it('ignore-retry-after: pushes again at once after a 406', async () => {
    const { wns, server, dev } = await withChannel('ignore-retry-after');
    wns.answers.push(406);
    await trigger(server, dev.devId);
    await until(() => server.pushes.length === 2, 'the second push');
    expect(server.pushes.map((p) => p.at)).toEqual([server.pushes[0]?.at, server.pushes[0]?.at]);
  });
});
