import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import { SYNCML_CONTENT_TYPE } from '../../src/core/syncml/message.js';
import { DAY } from '../../src/core/time/iso.js';
import {
  createReferenceMdmServer,
  MAX_SYNCML_BYTES,
  type ReferenceMdmServer,
} from '../../src/adapters/mdm-server/http-server.js';
import { WnsSender } from '../../src/adapters/mdm-server/wns-sender.js';
import { APP, startHarness, type Harness } from '../helpers/wns-harness.js';
import type {
  Command,
  NodeCommand,
  StatusCommand,
  SyncMLMessage,
} from '../../src/core/syncml/message.js';
import {
  MdmProtocolError,
  ReferenceMdm,
  type MdmServerEvent,
  type ReferenceMdmOptions,
} from '../../src/mdm-server/reference-mdm.js';

const SERVER = 'https://mdm.example/ManagementServer/MDM.svc';
const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
const PROVIDER = './Vendor/MSFT/DMClient/Provider/DMPUSH';
const URI_1 = 'http://127.0.0.1:8080/?token=AwYAAAB1';
const URI_2 = 'http://127.0.0.1:8080/?token=AwYAAAB2';
const T0 = Date.UTC(2026, 0, 1);

/**
 * A device side good enough to drive the server: a DMClient tree answering server commands as
 * Windows does (Get → Status and Results, Add of an existing node → 418, a command on a missing
 * node → 404), and package 1 as in [MDM §4].
 */
class FakeDevice {
  readonly nodes = new Map<string, string>([
    [`${PROVIDER}/Push/ChannelURI`, ''],
    [`${PROVIDER}/Push/Status`, '4'],
    [`${PROVIDER}/Poll/IntervalForFirstSetOfRetries`, '15'],
    [`${PROVIDER}/Poll/NumberOfFirstRetries`, '10'],
    [`${PROVIDER}/Poll/IntervalForSecondSetOfRetries`, '0'],
    [`${PROVIDER}/Poll/NumberOfSecondRetries`, '0'],
    [`${PROVIDER}/Poll/IntervalForRemainingScheduledRetries`, '0'],
    [`${PROVIDER}/Poll/NumberOfRemainingScheduledRetries`, '0'],
  ]);
  /** Status codes to answer instead, by node path and command kind (`Add ./…`). */
  readonly force = new Map<string, string>();
  private msgId = 0;
  private sessionId = 0;

  constructor(readonly devId = 'DEV-1') {}

  /** Package 1 of a new session. */
  start(alert = '1201', final = true): SyncMLMessage {
    this.sessionId++;
    this.msgId = 0;
    return this.message(
      [
        { kind: 'Alert', cmdId: '2', data: alert, items: [] },
        {
          kind: 'Alert',
          cmdId: '3',
          data: '1224',
          items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'user' }],
        },
        {
          kind: 'Replace',
          cmdId: '4',
          items: [
            { source: './DevInfo/DevId', data: this.devId },
            { source: './DevInfo/Man', data: 'VMware, Inc.' },
          ],
        },
      ],
      final,
    );
  }

  /** The next message of the session, carrying `commands`. */
  message(commands: Command[], final = true): SyncMLMessage {
    return {
      header: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId: String(this.sessionId),
        msgId: String(++this.msgId),
        target: SERVER,
        source: this.devId,
      },
      commands,
      final,
    };
  }

  /** Runs the server's commands and answers them: package 3 (or a later device message). */
  answer(reply: SyncMLMessage): SyncMLMessage {
    const msgRef = reply.header.msgId;
    const out: Command[] = [];
    const id = (): string => String(out.length + 1);
    out.push({ kind: 'Status', cmdId: id(), msgRef, cmdRef: '0', cmd: 'SyncHdr', data: '200' });
    for (const c of reply.commands) {
      if (c.kind === 'Status' || c.kind === 'Alert') continue;
      const command = c as NodeCommand;
      const target = command.items[0]?.target ?? '';
      const status = this.force.get(`${c.kind} ${target}`) ?? this.run(command, target);
      out.push({ kind: 'Status', cmdId: id(), msgRef, cmdRef: c.cmdId, cmd: c.kind, data: status });
      if (c.kind === 'Get' && status === '200')
        out.push({
          kind: 'Results',
          cmdId: id(),
          msgRef,
          cmdRef: c.cmdId,
          items: [{ source: target, meta: { format: 'chr' }, data: this.nodes.get(target) ?? '' }],
        });
    }
    return this.message(out);
  }

  private run(command: NodeCommand, target: string): string {
    const exists = this.nodes.has(target);
    switch (command.kind) {
      case 'Add':
        if (exists) return '418';
        this.nodes.set(target, command.items[0]?.data ?? '');
        return '200';
      case 'Replace':
        if (!exists) return '404';
        this.nodes.set(target, command.items[0]?.data ?? '');
        return '200';
      default:
        return exists ? '200' : '404';
    }
  }

  /** The device got a channel from WNS. */
  channel(uri: string, status = '0'): void {
    this.nodes.set(`${PROVIDER}/Push/ChannelURI`, uri);
    this.nodes.set(`${PROVIDER}/Push/Status`, status);
  }
}

function setup(options: Partial<ReferenceMdmOptions> = {}): {
  mdm: ReferenceMdm;
  events: MdmServerEvent[];
  clock: { now: number };
} {
  const events: MdmServerEvent[] = [];
  const clock = { now: T0 };
  const mdm = new ReferenceMdm({
    pfn: PFN,
    now: () => clock.now,
    onEvent: (e) => events.push(e),
    wnsOrigins: ['http://127.0.0.1:8080'],
    ...options,
  });
  return { mdm, events, clock };
}

/** Runs a whole session: package 1, then answers until the server ends it. Returns the replies. */
function session(mdm: ReferenceMdm, device: FakeDevice, alert = '1201'): SyncMLMessage[] {
  const replies = [mdm.handle(device.start(alert))];
  for (let i = 0; i < 10; i++) {
    const last = replies[replies.length - 1] as SyncMLMessage;
    if (last.commands.every((c) => c.kind === 'Status')) return replies;
    replies.push(mdm.handle(device.answer(last)));
  }
  throw new Error('the server never ended the session');
}

const kinds = (m: SyncMLMessage): string[] =>
  m.commands.map((c) => (c.kind === 'Status' ? `Status ${c.cmd}` : c.kind));
const targets = (m: SyncMLMessage): string[] =>
  m.commands.flatMap((c) => (c.kind === 'Status' || c.kind === 'Alert' ? [] : [targetOf(c)]));
const targetOf = (c: Command): string =>
  ((c as NodeCommand).items[0]?.target ?? '').replace(PROVIDER, '');
const types = (events: MdmServerEvent[]): string[] => events.map((e) => e.type);

describe('reference MDM: session logic on message objects', () => {
  it('package 2 of a first session: statuses, Add PFN, the six Poll nodes, the two Push Gets', () => {
    const { mdm } = setup();
    const device = new FakeDevice();
    const reply = mdm.handle(device.start());

    expect(reply.header).toEqual({
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: '1',
      msgId: '1',
      target: 'DEV-1',
      source: SERVER,
    });
    expect(reply.final).toBe(true);
    expect(kinds(reply)).toEqual([
      'Status SyncHdr',
      'Status Alert',
      'Status Alert',
      'Status Replace',
      'Add',
      ...Array<string>(6).fill('Replace'),
      'Get',
      'Get',
    ]);
    const [hdr, ...statuses] = reply.commands.slice(0, 4) as StatusCommand[];
    expect(hdr).toMatchObject({ msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200' });
    expect(hdr).toMatchObject({ targetRef: SERVER, sourceRef: 'DEV-1' });
    expect(statuses.map((s) => [s.msgRef, s.cmdRef, s.data])).toEqual([
      ['1', '2', '200'],
      ['1', '3', '200'],
      ['1', '4', '200'],
    ]);
    expect(targets(reply)).toEqual([
      '/Push/PFN',
      '/Poll/IntervalForFirstSetOfRetries',
      '/Poll/NumberOfFirstRetries',
      '/Poll/IntervalForSecondSetOfRetries',
      '/Poll/NumberOfSecondRetries',
      '/Poll/IntervalForRemainingScheduledRetries',
      '/Poll/NumberOfRemainingScheduledRetries',
      '/Push/ChannelURI',
      '/Push/Status',
    ]);
    const items = reply.commands.slice(4, 11).map((c) => (c as NodeCommand).items[0]);
    expect(items[0]).toMatchObject({ data: PFN, meta: { format: 'chr' } });
    expect(items.slice(1).map((i) => [i?.data, i?.meta?.format])).toEqual([
      ['3', 'int'],
      ['5', 'int'],
      ['15', 'int'],
      ['8', 'int'],
      ['480', 'int'],
      ['0', 'int'],
    ]);
    const ids = reply.commands.map((c) => c.cmdId);
    expect(ids).toEqual(ids.map((_, i) => String(i + 1)));
  });

  it('package 3 records ChannelURI and Status; the server ends with only the SyncHdr Status', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    device.channel(URI_1);
    const [, end] = session(mdm, device);

    expect(end?.header.msgId).toBe('2');
    expect(end?.commands).toEqual([
      {
        kind: 'Status',
        cmdId: '1',
        msgRef: '2',
        cmdRef: '0',
        cmd: 'SyncHdr',
        data: '200',
        targetRef: SERVER,
        sourceRef: 'DEV-1',
      },
    ]);
    expect(end?.final).toBe(true);
    expect(device.nodes.get(`${PROVIDER}/Push/PFN`)).toBe(PFN);
    expect(device.nodes.get(`${PROVIDER}/Poll/NumberOfFirstRetries`)).toBe('5');
    expect(mdm.device('DEV-1')).toEqual({
      deviceId: 'DEV-1',
      channelUri: URI_1,
      pushStatus: 0,
      pfnSet: true,
      sessions: 1,
      lastSessionAt: T0,
    });
    expect(types(events)).toEqual([
      'mdm.session',
      'mdm.pfn-set',
      'mdm.channel-read',
      'mdm.session-ended',
    ]);
    expect(events[0]).toEqual({
      type: 'mdm.session',
      time: T0,
      deviceId: 'DEV-1',
      sessionId: '1',
      alert: '1201',
    });
    expect(events[1]).toMatchObject({ pfn: PFN, via: 'Add' });
    expect(events[2]).toMatchObject({ channelUri: URI_1, pushStatus: 0 });
    expect(events[3]).toMatchObject({ reason: 'completed', sessionId: '1' });
  });

  it('later sessions only read the Push nodes, and pick up a renewed ChannelURI', () => {
    const { mdm, clock } = setup();
    const device = new FakeDevice();
    device.channel(URI_1);
    session(mdm, device);
    device.channel(URI_2);
    clock.now = T0 + 60_000;
    const [first] = session(mdm, device, '1200');

    expect(targets(first as SyncMLMessage)).toEqual(['/Push/ChannelURI', '/Push/Status']);
    expect(mdm.device('DEV-1')).toMatchObject({
      channelUri: URI_2,
      sessions: 2,
      lastSessionAt: T0 + 60_000,
    });
  });

  it('no channel yet: empty ChannelURI data is "none"; Push/Status is recorded', () => {
    const { mdm } = setup();
    const device = new FakeDevice();
    session(mdm, device);
    expect(mdm.device('DEV-1')).toMatchObject({ channelUri: null, pushStatus: 4, pfnSet: true });
  });

  it('418 on Add PFN (the node exists): Replace it in the next message, then end', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    device.nodes.set(`${PROVIDER}/Push/PFN`, 'Old.App_abc');
    const replies = session(mdm, device);

    expect(replies).toHaveLength(3);
    const second = replies[1] as SyncMLMessage;
    expect(second.header.msgId).toBe('2');
    expect(kinds(second)).toEqual(['Status SyncHdr', 'Replace']);
    expect((second.commands[1] as NodeCommand).items[0]).toMatchObject({
      target: `${PROVIDER}/Push/PFN`,
      data: PFN,
      meta: { format: 'chr' },
    });
    expect(kinds(replies[2] as SyncMLMessage)).toEqual(['Status SyncHdr']);
    expect(device.nodes.get(`${PROVIDER}/Push/PFN`)).toBe(PFN);
    expect(mdm.device('DEV-1')?.pfnSet).toBe(true);
    expect(events.find((e) => e.type === 'mdm.pfn-set')).toMatchObject({ via: 'Replace' });
    expect(types(events)).not.toContain('mdm.command-failed');
  });

  it('a failed PFN Add is reported and retried in the next session; failed Poll Replaces are reported', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    device.force.set(`Add ${PROVIDER}/Push/PFN`, '500');
    device.nodes.delete(`${PROVIDER}/Poll/NumberOfSecondRetries`);
    const replies = session(mdm, device);

    expect(replies).toHaveLength(2);
    expect(mdm.device('DEV-1')?.pfnSet).toBe(false);
    const failed = events.filter((e) => e.type === 'mdm.command-failed');
    expect(failed.map((e) => [e.cmd, e.target.replace(PROVIDER, ''), e.status])).toEqual([
      ['Add', '/Push/PFN', '500'],
      ['Replace', '/Poll/NumberOfSecondRetries', '404'],
    ]);

    device.force.clear();
    const [next] = session(mdm, device);
    expect(targets(next as SyncMLMessage)[0]).toBe('/Push/PFN');
    expect(mdm.device('DEV-1')?.pfnSet).toBe(true);
  });

  it('a failed Get leaves what the server holds and is reported', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    device.channel(URI_1);
    session(mdm, device);
    device.force.set(`Get ${PROVIDER}/Push/ChannelURI`, '500');
    device.channel(URI_2, '0');
    session(mdm, device);
    expect(mdm.device('DEV-1')?.channelUri).toBe(URI_1);
    expect(events.filter((e) => e.type === 'mdm.command-failed')).toHaveLength(1);
  });

  it('rereadChannelUri false: the held URI is not read again (stale) until it is forgotten', () => {
    const { mdm } = setup({ rereadChannelUri: false });
    const device = new FakeDevice();
    device.channel(URI_1);
    session(mdm, device);
    device.channel(URI_2);
    const [second] = session(mdm, device);

    expect(targets(second as SyncMLMessage)).toEqual(['/Push/Status']);
    expect(mdm.device('DEV-1')?.channelUri).toBe(URI_1);

    mdm.forgetChannel('DEV-1');
    expect(mdm.device('DEV-1')?.channelUri).toBeNull();
    const [third] = session(mdm, device);
    expect(targets(third as SyncMLMessage)).toEqual(['/Push/ChannelURI', '/Push/Status']);
    expect(mdm.device('DEV-1')?.channelUri).toBe(URI_2);
  });

  it('providerId and poll options set the node paths and values', () => {
    const { mdm } = setup({
      providerId: 'Contoso',
      poll: {
        first: { intervalMinutes: 15, count: 8 },
        second: { intervalMinutes: 3, count: 5 },
        remaining: { intervalMinutes: 1560, count: 0 },
      },
    });
    const reply = mdm.handle(new FakeDevice().start());
    const nodes = reply.commands.flatMap((c) =>
      c.kind === 'Add' || c.kind === 'Replace' || c.kind === 'Get' ? [c.items[0]] : [],
    );
    expect(
      nodes.every((i) => i?.target?.startsWith('./Vendor/MSFT/DMClient/Provider/Contoso/')),
    ).toBe(true);
    expect(nodes.slice(1, 7).map((i) => i?.data)).toEqual(['15', '8', '3', '5', '1560', '0']);
  });

  it('a device message without Final gets its statuses and Alert 1222; commands wait for Final', () => {
    const { mdm } = setup();
    const device = new FakeDevice();
    const partial = mdm.handle(device.start('1201', false));
    expect(kinds(partial)).toEqual([
      'Status SyncHdr',
      'Status Alert',
      'Status Alert',
      'Status Replace',
      'Alert',
    ]);
    expect(partial.commands[4]).toMatchObject({
      data: '1222',
      items: [{ target: 'DEV-1', source: SERVER }],
    });
    const rest = mdm.handle(
      device.message([{ kind: 'Alert', cmdId: '1', data: '1222', items: [] }]),
    );
    expect(rest.header.msgId).toBe('2');
    expect(kinds(rest).slice(0, 3)).toEqual(['Status SyncHdr', 'Status Alert', 'Add']);
    expect(targets(rest)).toHaveLength(9);
  });

  it('Alert 1223 from the device aborts the session', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    mdm.handle(device.start());
    const end = mdm.handle(
      device.message([{ kind: 'Alert', cmdId: '1', data: '1223', items: [] }]),
    );
    expect(kinds(end)).toEqual(['Status SyncHdr', 'Status Alert']);
    expect(events.at(-1)).toMatchObject({ type: 'mdm.session-ended', reason: 'aborted' });
    const late = mdm.handle(device.message([]));
    expect(kinds(late)).toEqual(['Status SyncHdr']);
    expect(events.at(-1)?.type).toBe('mdm.unknown-session');
  });

  it('a message of an unknown session is answered with an end message and changes nothing', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    device.channel(URI_1);
    const stray = device.answer(mdm.handle(new FakeDevice('OTHER').start()));
    // DEV-1 has no session: its Results must not be taken.
    const reply = mdm.handle(stray);
    expect(reply.header).toMatchObject({ msgId: '1', target: 'DEV-1', source: SERVER });
    expect(kinds(reply)).toEqual(['Status SyncHdr']);
    expect(reply.final).toBe(true);
    expect(mdm.device('DEV-1')).toBeUndefined();
    expect(events.at(-1)).toEqual({
      type: 'mdm.unknown-session',
      time: T0,
      deviceId: 'DEV-1',
      sessionId: '0',
    });
  });

  it('a new package 1 replaces the open session; messages of the old one are unknown', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    const firstReply = mdm.handle(device.start());
    const oldAnswer = device.answer(firstReply);
    mdm.handle(device.start());
    mdm.handle(oldAnswer);
    expect(events.at(-1)).toMatchObject({ type: 'mdm.unknown-session', sessionId: '1' });
    expect(mdm.device('DEV-1')?.sessions).toBe(2);
  });

  it('statuses and results that answer nothing the server sent are ignored', () => {
    const { mdm } = setup();
    const device = new FakeDevice();
    mdm.handle(device.start());
    const reply = mdm.handle(
      device.message([
        { kind: 'Status', cmdId: '1', msgRef: '9', cmdRef: '5', cmd: 'Add', data: '200' },
        {
          kind: 'Results',
          cmdId: '2',
          msgRef: '9',
          cmdRef: '6',
          items: [{ source: `${PROVIDER}/Push/ChannelURI`, data: URI_1 }],
        },
      ]),
    );
    expect(kinds(reply)).toEqual(['Status SyncHdr']);
    expect(mdm.device('DEV-1')).toMatchObject({ channelUri: null, pfnSet: false });
  });

  it('devices() lists every device seen, as copies', () => {
    const { mdm } = setup();
    session(mdm, new FakeDevice('A'));
    session(mdm, new FakeDevice('B'));
    const list = mdm.devices();
    expect(list.map((d) => d.deviceId)).toEqual(['A', 'B']);
    (list[0] as { sessions: number }).sessions = 99;
    expect(mdm.device('A')?.sessions).toBe(1);
  });

  it('recordPush reports the push and forgets the URI on channel-gone, unless a newer one was read', () => {
    const { mdm, events } = setup();
    const device = new FakeDevice();
    device.channel(URI_1);
    session(mdm, device);
    const gone = { status: 410, notificationStatus: 'dropped', outcome: 'channel-gone' } as const;

    mdm.recordPush('DEV-1', URI_2, gone);
    expect(mdm.device('DEV-1')?.channelUri).toBe(URI_1);
    mdm.recordPush('DEV-1', URI_1, gone);
    expect(mdm.device('DEV-1')?.channelUri).toBeNull();
    expect(events.filter((e) => e.type === 'mdm.push')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ channelUri: URI_1, result: gone });
  });

  it('a SyncHdr without Source, Target or SessionID is a protocol error naming the field', () => {
    const { mdm } = setup();
    const message = new FakeDevice().start();
    for (const field of ['source', 'target', 'sessionId'] as const) {
      const bad = { ...message, header: { ...message.header, [field]: '' } };
      expect(() => mdm.handle(bad)).toThrow(MdmProtocolError);
      expect(() => mdm.handle(bad)).toThrow(`SyncHdr ${field}`);
    }
  });

  it('rejects bad options with the path of each', () => {
    expect(() => new ReferenceMdm({ pfn: '', now: () => T0 })).toThrow(ValidationError);
    expect(
      () =>
        new ReferenceMdm({
          pfn: PFN,
          providerId: 'a/b',
          poll: {
            first: { intervalMinutes: -1, count: 5 },
            second: { intervalMinutes: 15, count: 1.5 },
            remaining: { intervalMinutes: 480, count: 0 },
          },
          now: () => T0,
        }),
    ).toThrow(/providerId[\s\S]*poll\.first[\s\S]*poll\.second/);
  });
});

describe('reference MDM over HTTP, pushing through the WNS emulator', () => {
  let wns: Harness;
  let server: ReferenceMdmServer;
  let url: string;
  let events: MdmServerEvent[];

  async function startServer(options: Partial<ReferenceMdmOptions> = {}): Promise<void> {
    await server?.close();
    events = [];
    const now = (): number => wns.clock.now();
    server = createReferenceMdmServer({
      mdm: new ReferenceMdm({
        pfn: APP.pfn,
        now,
        onEvent: (e) => events.push(e),
        wnsOrigins: [wns.url],
        ...options,
      }),
      wns: new WnsSender({
        tokenUrl: `${wns.url}/accesstoken.srf`,
        sid: APP.sid,
        secret: APP.secret,
        now,
      }),
    });
    url = `${(await server.listen(0)).url}/ManagementServer/MDM.svc`;
  }

  beforeEach(async () => {
    wns = await startHarness();
    await startServer();
  });
  afterEach(async () => {
    await server.close();
    await wns.close();
  });

  const post = (
    body: string | Uint8Array,
    headers: Record<string, string> = { 'content-type': SYNCML_CONTENT_TYPE },
    method = 'POST',
  ): Promise<Response> => fetch(url, { method, headers, body });

  /** Sends a device message over HTTP and parses the answer. */
  async function exchange(message: SyncMLMessage): Promise<SyncMLMessage> {
    const res = await post(serializeSyncML(message));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(SYNCML_CONTENT_TYPE);
    return parseSyncML(await res.text());
  }

  /** A whole session over HTTP. */
  async function httpSession(device: FakeDevice): Promise<SyncMLMessage[]> {
    const replies = [await exchange(device.start())];
    while (!(replies.at(-1) as SyncMLMessage).commands.every((c) => c.kind === 'Status'))
      replies.push(await exchange(device.answer(replies.at(-1) as SyncMLMessage)));
    return replies;
  }

  /** A WNS channel for `device`, as its DMClient would get one after the PFN is set. */
  function issueChannel(device: FakeDevice): string {
    const grant = wns.emulator.createInboxChannel(APP.pfn, device.devId, true);
    if ('error' in grant) throw new Error(grant.error);
    device.channel(grant.channelUri);
    return grant.channelUri;
  }

  it('runs a session over HTTP: PFN and poll nodes set, then the ChannelURI read', async () => {
    const device = new FakeDevice();
    const first = await httpSession(device);
    expect(first).toHaveLength(2);
    expect(device.nodes.get(`${PROVIDER}/Push/PFN`)).toBe(APP.pfn);
    expect(server.mdm.device('DEV-1')).toMatchObject({ pfnSet: true, channelUri: null });

    const uri = issueChannel(device);
    await httpSession(device);
    expect(server.mdm.device('DEV-1')).toMatchObject({ channelUri: uri, pushStatus: 0 });
  });

  it('push: no-channel without a ChannelURI (nothing sent), then delivered once one is read', async () => {
    const device = new FakeDevice();
    expect(await server.push('DEV-1')).toEqual({
      status: 0,
      notificationStatus: null,
      outcome: 'no-channel',
    });
    await httpSession(device);
    expect((await server.push('DEV-1')).outcome).toBe('no-channel');
    expect(wns.emulator.service.journal.list()).toEqual([]);

    issueChannel(device);
    await httpSession(device);
    expect(await server.push('DEV-1')).toEqual({
      status: 200,
      notificationStatus: 'received',
      outcome: 'sent',
    });
    expect(wns.emulator.inbox('DEV-1')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'mdm.push').map((e) => e.result.outcome)).toEqual([
      'no-channel',
      'no-channel',
      'sent',
    ]);
  });

  it('push: 410 after expiry makes the server forget the URI until the next session', async () => {
    const device = new FakeDevice();
    await httpSession(device);
    issueChannel(device);
    await httpSession(device);
    wns.clock.advance(31 * DAY);

    expect(await server.push('DEV-1')).toMatchObject({ status: 410, outcome: 'channel-gone' });
    expect(server.mdm.device('DEV-1')?.channelUri).toBeNull();
    expect((await server.push('DEV-1')).outcome).toBe('no-channel');

    const renewed = issueChannel(device);
    await httpSession(device);
    expect(server.mdm.device('DEV-1')?.channelUri).toBe(renewed);
    expect((await server.push('DEV-1')).outcome).toBe('sent');
  });

  it('rereadChannelUri false: pushes go to the stale URI until WNS answers 410', async () => {
    await startServer({ rereadChannelUri: false });
    const device = new FakeDevice();
    await httpSession(device);
    const first = issueChannel(device);
    await httpSession(device);
    wns.clock.advance(16 * DAY);
    const renewed = issueChannel(device);
    await httpSession(device);
    expect(server.mdm.device('DEV-1')?.channelUri).toBe(first);

    wns.clock.advance(15 * DAY);
    expect(await server.push('DEV-1')).toMatchObject({ status: 410, outcome: 'channel-gone' });
    await httpSession(device);
    expect(server.mdm.device('DEV-1')?.channelUri).toBe(renewed);
    expect((await server.push('DEV-1')).outcome).toBe('sent');
  });

  it('push without a WNS sender is a clear error', async () => {
    const bare = createReferenceMdmServer({ mdm: new ReferenceMdm({ pfn: PFN, now: () => T0 }) });
    await expect(bare.push('DEV-1')).rejects.toThrow(/no WNS sender/);
  });

  it('any path works; a charset parameter on the content type is accepted', async () => {
    const device = new FakeDevice();
    const res = await fetch(url.replace('/ManagementServer/MDM.svc', '/x?mode=Maintenance'), {
      method: 'POST',
      headers: { 'content-type': `${SYNCML_CONTENT_TYPE}; charset=UTF-8` },
      body: serializeSyncML(device.start()),
    });
    expect(res.status).toBe(200);
    expect(parseSyncML(await res.text()).header.target).toBe('DEV-1');
  });

  it('500 when the logic throws (here a failing onEvent), reported to onError; the server lives on', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const failing = createReferenceMdmServer({
      mdm: new ReferenceMdm({
        pfn: PFN,
        now: () => T0,
        onEvent: () => {
          if (fail) throw new Error('listener broke');
        },
      }),
      onError: (e) => errors.push(e),
    });
    const base = (await failing.listen(0)).url;
    try {
      const body = serializeSyncML(new FakeDevice().start());
      const headers = { 'content-type': SYNCML_CONTENT_TYPE };
      const res = await fetch(base, { method: 'POST', headers, body });
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('internal error');
      expect(errors).toHaveLength(1);
      fail = false;
      expect((await fetch(base, { method: 'POST', headers, body })).status).toBe(200);
    } finally {
      await failing.close();
    }
  });

  it('405 for another method, with Allow: POST', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it.each([
    ['text/xml', 'text/xml'],
    ['application/vnd.syncml.dm+wbxml', 'application/vnd.syncml.dm+wbxml'],
    ['', 'none'],
  ])('415 for Content-Type "%s"', async (type, named) => {
    const headers: Record<string, string> = type === '' ? {} : { 'content-type': type };
    const res = await post(
      new TextEncoder().encode(serializeSyncML(new FakeDevice().start())),
      headers,
    );
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toContain(`got ${named}`);
  });

  it('413 for a body over 1 MiB', async () => {
    const res = await post('<'.repeat(MAX_SYNCML_BYTES + 1));
    expect(res.status).toBe(413);
    expect(await res.text()).toContain(String(MAX_SYNCML_BYTES));
  });

  /** The message `parseSyncML` throws for `body`. */
  const codecError = (body: string): string => {
    try {
      parseSyncML(body);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`parseSyncML accepted ${body}`);
  };

  it('400 with the codec error for malformed SyncML, and the server keeps working', async () => {
    const message = new FakeDevice().start();
    const emptySession = serializeSyncML({
      ...message,
      header: { ...message.header, sessionId: '' },
    });
    for (const body of ['<SyncML', '<Other/>', 'not xml at all', '', emptySession]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe(codecError(body));
    }
    expect(codecError(emptySession)).toContain('SyncHdr/SessionID');
    expect(await exchange(new FakeDevice().start())).toMatchObject({ final: true });
  });

  it('400 for a body that is not UTF-8', async () => {
    const res = await post(new Uint8Array([0x3c, 0xff, 0xfe]));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('the body is not valid UTF-8');
  });
});
