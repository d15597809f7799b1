import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  LOGIN_STATUS_TYPE,
  sessionIdFor,
  type ClientSessionOptions,
  type SessionStep,
} from '../../src/core/dm/client-session.js';
import { DmTree } from '../../src/core/dm/dm-tree.js';
import {
  defaultIdentity,
  windowsTree,
  type WindowsTreeBindings,
} from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import type {
  Command,
  Item,
  NodeCommand,
  StatusCommand,
  SyncHdr,
  SyncMLMessage,
} from '../../src/core/syncml/message.js';

const SERVER = 'https://mdm.example/omadm?mode=Maintenance&Platform=WoA';
const PROVIDER = './Vendor/MSFT/DMClient/Provider/MDMSRV';
const identity = defaultIdentity('dev-1', '1607');
const DEV = identity.devId;

function device() {
  const state = {
    pfn: null as string | null,
    channelUri: 'https://wns.example/?token=t1' as string | null,
    status: PushStatus.Success as PushStatus,
    pfnCalls: [] as (string | null)[],
  };
  const bindings: WindowsTreeBindings = {
    now: () => 0,
    readPush: () => ({ pfn: state.pfn, channelUri: state.channelUri, status: state.status }),
    setPfn: (pfn) => {
      state.pfnCalls.push(pfn);
      state.pfn = pfn;
    },
    pollConfig: () => DEFAULT_POLL,
    setPoll: () => undefined,
  };
  return { state, tree: windowsTree(identity, 'MDMSRV', bindings) };
}

function session(options: Partial<ClientSessionOptions> = {}) {
  const dev = device();
  const s = new ClientSession({
    sessionId: '7',
    serverUrl: SERVER,
    devId: DEV,
    tree: dev.tree,
    ...options,
  });
  return { ...dev, session: s, first: s.start() };
}

/** A server message header answering the device. */
function hdr(msgId: number, over: Partial<SyncHdr> = {}): SyncHdr {
  return {
    verDTD: '1.2',
    verProto: 'DM/1.2',
    sessionId: '7',
    msgId: String(msgId),
    target: DEV,
    source: SERVER,
    ...over,
  };
}
function hdrStatus(msgRef: number, code = '200'): StatusCommand {
  return {
    kind: 'Status',
    cmdId: '1',
    msgRef: String(msgRef),
    cmdRef: '0',
    cmd: 'SyncHdr',
    data: code,
  };
}
function serverMessage(
  msgId: number,
  commands: Command[],
  { final = true, ref = msgId, code = '200' } = {},
): SyncMLMessage {
  return { header: hdr(msgId), commands: [hdrStatus(ref, code), ...commands], final };
}
function sent(step: SessionStep): SyncMLMessage {
  if (step.kind !== 'send') throw new Error(`expected send, got ${JSON.stringify(step)}`);
  return step.message;
}
/** `[cmd, cmdRef, code, targetRef]` of each Status. */
function statuses(message: SyncMLMessage): (string | undefined)[][] {
  return message.commands
    .filter((c): c is StatusCommand => c.kind === 'Status')
    .map((s) => [s.cmd, s.cmdRef, s.data, s.targetRef]);
}
function get(cmdId: string, ...targets: string[]): Command {
  return { kind: 'Get', cmdId, items: targets.map((target): Item => ({ target })) };
}

describe('ClientSession.start', () => {
  it('sends package 1: Alert 1201, LoginStatus 1224, the DevInfo Replace, Final', () => {
    const { first } = session();
    expect(first.header).toEqual({
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: '7',
      msgId: '1',
      target: SERVER,
      source: DEV,
    });
    expect(first.final).toBe(true);
    expect(first.commands).toEqual([
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      {
        kind: 'Alert',
        cmdId: '2',
        data: '1224',
        items: [{ meta: { type: LOGIN_STATUS_TYPE }, data: 'user' }],
      },
      {
        kind: 'Replace',
        cmdId: '3',
        items: [
          { source: './DevInfo/DevId', data: DEV },
          { source: './DevInfo/Man', data: identity.man },
          { source: './DevInfo/Mod', data: identity.mod },
          { source: './DevInfo/DmV', data: identity.dmV },
          { source: './DevInfo/Lang', data: identity.lang },
        ],
      },
    ]);
  });

  it('honours alertCode and loginStatus; DevInfo nodes missing from the tree are sent empty', () => {
    const s = new ClientSession({
      sessionId: '1',
      serverUrl: SERVER,
      devId: 'x',
      tree: new DmTree(),
      alertCode: '1200',
      loginStatus: 'none',
    });
    const first = s.start();
    expect(first.commands[0]).toMatchObject({ kind: 'Alert', data: '1200' });
    expect(first.commands[1]).toMatchObject({ items: [{ data: 'none' }] });
    const replace = first.commands[2] as NodeCommand;
    expect(replace.kind).toBe('Replace');
    expect(replace.items[0]).toEqual({ source: './DevInfo/DevId', data: '' });
  });

  it('refuses misuse: start twice, receive before start or after the end, bad options', () => {
    const { session: s } = session();
    expect(() => s.start()).toThrow(/already started/);
    const fresh = new ClientSession({
      sessionId: '1',
      serverUrl: SERVER,
      devId: DEV,
      tree: new DmTree(),
    });
    expect(() => fresh.receive(serverMessage(1, []))).toThrow(/start\(\) first/);
    expect(s.receive(serverMessage(1, []))).toEqual({ kind: 'done' });
    expect(() => s.receive(serverMessage(2, []))).toThrow(/ended/);
    const options = { serverUrl: SERVER, devId: DEV, tree: new DmTree() };
    expect(() => new ClientSession({ ...options, sessionId: 'abc' })).toThrow(/decimal/);
    expect(() => new ClientSession({ ...options, sessionId: '1', maxMessages: 0 })).toThrow(
      /maxMessages/,
    );
  });
});

describe('ClientSession.receive', () => {
  it('a full session: Sequence of Get ChannelURI + Status and Add PFN, then the server ends it', () => {
    const { session: s, state } = session();
    const pkg2 = serverMessage(1, [
      { kind: 'Status', cmdId: '2', msgRef: '1', cmdRef: '1', cmd: 'Alert', data: '200' },
      { kind: 'Status', cmdId: '3', msgRef: '1', cmdRef: '2', cmd: 'Alert', data: '200' },
      { kind: 'Status', cmdId: '4', msgRef: '1', cmdRef: '3', cmd: 'Replace', data: '200' },
      {
        kind: 'Sequence',
        cmdId: '5',
        commands: [
          {
            kind: 'Add',
            cmdId: '6',
            items: [
              {
                target: `${PROVIDER}/Push/PFN`,
                meta: { format: 'chr' },
                data: 'Contoso.App_8wekyb3d8bbwe',
              },
            ],
          },
          get('7', `${PROVIDER}/Push/ChannelURI`, `${PROVIDER}/Push/Status`),
        ],
      },
    ]);
    const pkg3 = sent(s.receive(pkg2));
    expect(state.pfnCalls).toEqual(['Contoso.App_8wekyb3d8bbwe']);
    expect(pkg3.header).toMatchObject({ msgId: '2', sessionId: '7', target: SERVER, source: DEV });
    expect(pkg3.final).toBe(true);
    expect(pkg3.commands).toEqual([
      {
        kind: 'Status',
        cmdId: '4',
        msgRef: '1',
        cmdRef: '0',
        cmd: 'SyncHdr',
        targetRef: DEV,
        sourceRef: SERVER,
        data: '200',
      },
      { kind: 'Status', cmdId: '5', msgRef: '1', cmdRef: '5', cmd: 'Sequence', data: '200' },
      {
        kind: 'Status',
        cmdId: '6',
        msgRef: '1',
        cmdRef: '6',
        cmd: 'Add',
        targetRef: `${PROVIDER}/Push/PFN`,
        data: '200',
      },
      {
        kind: 'Status',
        cmdId: '7',
        msgRef: '1',
        cmdRef: '7',
        cmd: 'Get',
        targetRef: `${PROVIDER}/Push/ChannelURI`,
        data: '200',
      },
      {
        kind: 'Status',
        cmdId: '8',
        msgRef: '1',
        cmdRef: '7',
        cmd: 'Get',
        targetRef: `${PROVIDER}/Push/Status`,
        data: '200',
      },
      {
        kind: 'Results',
        cmdId: '9',
        msgRef: '1',
        cmdRef: '7',
        items: [
          {
            source: `${PROVIDER}/Push/ChannelURI`,
            meta: { format: 'chr' },
            data: 'https://wns.example/?token=t1',
          },
          { source: `${PROVIDER}/Push/Status`, meta: { format: 'int' }, data: '0' },
        ],
      },
    ]);
    // Round 2: the server reads the PFN back and changes the poll interval.
    const pkg5 = sent(
      s.receive(
        serverMessage(2, [
          {
            kind: 'Replace',
            cmdId: '2',
            items: [{ target: `${PROVIDER}/Poll/IntervalForFirstSetOfRetries`, data: '-5' }],
          },
          get('3', `${PROVIDER}/Push/PFN`, `${PROVIDER}/Push/Nope`),
        ]),
      ),
    );
    expect(pkg5.header.msgId).toBe('3');
    expect(statuses(pkg5)).toEqual([
      ['SyncHdr', '0', '200', DEV],
      ['Replace', '2', '415', `${PROVIDER}/Poll/IntervalForFirstSetOfRetries`],
      ['Get', '3', '200', `${PROVIDER}/Push/PFN`],
      ['Get', '3', '404', `${PROVIDER}/Push/Nope`],
    ]);
    expect(pkg5.commands.at(-1)).toMatchObject({
      kind: 'Results',
      cmdRef: '3',
      items: [{ source: `${PROVIDER}/Push/PFN`, data: 'Contoso.App_8wekyb3d8bbwe' }],
    });
    // The server ends the session: only a Status for the device's SyncHdr, and Final.
    expect(s.receive(serverMessage(3, []))).toEqual({ kind: 'done' });
  });

  it('statuses of a failed Atomic come with the Atomic first, and a rolled-back PFN is not set', () => {
    const { session: s, state } = session();
    const reply = sent(
      s.receive(
        serverMessage(1, [
          {
            kind: 'Atomic',
            cmdId: '2',
            commands: [
              {
                kind: 'Add',
                cmdId: '3',
                items: [{ target: `${PROVIDER}/Push/PFN`, data: 'A_8wekyb3d8bbwe' }],
              },
              {
                kind: 'Replace',
                cmdId: '4',
                items: [{ target: `${PROVIDER}/Push/ChannelURI`, data: 'x' }],
              },
            ],
          },
        ]),
      ),
    );
    expect(statuses(reply).slice(1)).toEqual([
      ['Atomic', '2', '507', undefined],
      ['Add', '3', '216', `${PROVIDER}/Push/PFN`],
      ['Replace', '4', '405', `${PROVIDER}/Push/ChannelURI`],
    ]);
    expect(state.pfnCalls).toEqual([]);
  });

  it('a message without Final is answered with Alert 1222 (next message)', () => {
    const { session: s } = session();
    const reply = sent(s.receive(serverMessage(1, [get('2', './DevInfo/Lang')], { final: false })));
    expect(reply.commands.at(-1)).toMatchObject({ kind: 'Alert', data: '1222' });
    expect(reply.final).toBe(true);
    const next = sent(s.receive(serverMessage(2, [], { final: false })));
    expect(next.commands.map((c) => c.kind)).toEqual(['Status', 'Alert']);
    expect(s.receive(serverMessage(3, []))).toEqual({ kind: 'done' });
  });

  it('server alerts: 1222 answered 200, unknown alerts 406, a bad CmdID 400, 1223 aborts', () => {
    const { session: s } = session();
    const reply = sent(
      s.receive(
        serverMessage(1, [
          { kind: 'Alert', cmdId: '2', data: '1222', items: [] },
          { kind: 'Alert', cmdId: '3', data: '1100', items: [] },
          { kind: 'Alert', cmdId: '', data: '1222', items: [] },
        ]),
      ),
    );
    expect(statuses(reply).slice(1)).toEqual([
      ['Alert', '2', '200', undefined],
      ['Alert', '3', '406', undefined],
      ['Alert', '', '400', undefined],
    ]);
    expect(
      s.receive(serverMessage(2, [{ kind: 'Alert', cmdId: '2', data: '1223', items: [] }])),
    ).toEqual({
      kind: 'failed',
      reason: 'server aborted the session (Alert 1223)',
    });
  });

  it('Results from the server are not answered', () => {
    const { session: s } = session();
    const only = { kind: 'Results', cmdId: '2', msgRef: '1', cmdRef: '3', items: [] } as const;
    expect(s.receive(serverMessage(1, [only]))).toEqual({ kind: 'done' });
  });

  it.each<[string, (m: SyncMLMessage) => SyncMLMessage, RegExp]>([
    ['SessionID', (m) => ({ ...m, header: { ...m.header, sessionId: '8' } }), /SessionID '8'/],
    ['VerDTD', (m) => ({ ...m, header: { ...m.header, verDTD: '1.1' } }), /VerDTD '1.1'/],
    [
      'VerProto',
      (m) => ({ ...m, header: { ...m.header, verProto: 'DS/1.2' } }),
      /VerProto 'DS\/1.2'/,
    ],
    ['MsgID', (m) => ({ ...m, header: { ...m.header, msgId: 'one' } }), /MsgID 'one'/],
    ['Target', (m) => ({ ...m, header: { ...m.header, target: 'other' } }), /Target 'other'/],
    [
      'SyncHdr Status',
      (m) => ({ ...m, commands: m.commands.slice(1) }),
      /no Status for the device's SyncHdr/,
    ],
  ])('fails on a wrong %s', (_what, spoil, reason) => {
    const { session: s } = session();
    const step = s.receive(spoil(serverMessage(1, [get('2', './DevInfo/Lang')])));
    expect(step.kind).toBe('failed');
    expect(step.kind === 'failed' && step.reason).toMatch(reason);
  });

  it('fails when the MsgID does not increase or the SyncHdr Status refers to another message', () => {
    const a = session();
    sent(a.session.receive(serverMessage(2, [get('2', './DevInfo/Lang')], { ref: 1 })));
    expect(a.session.receive(serverMessage(2, [], { ref: 2 }))).toEqual({
      kind: 'failed',
      reason: 'MsgID 2 does not increase (previous 2)',
    });
    const b = session();
    expect(b.session.receive(serverMessage(1, [], { ref: 5 }))).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/MsgRef 1, CmdRef 0/) as unknown,
    });
  });

  it.each(['401', '403', '407'])('fails as unauthorized when the SyncHdr Status is %s', (code) => {
    const { session: s } = session();
    expect(s.receive(serverMessage(1, [], { code }))).toEqual({
      kind: 'failed',
      reason: `unauthorized (${code})`,
    });
  });

  it('accepts 212 for the SyncHdr; other codes fail', () => {
    expect(session().session.receive(serverMessage(1, [], { code: '212' }))).toEqual({
      kind: 'done',
    });
    expect(session().session.receive(serverMessage(1, [], { code: '500' }))).toEqual({
      kind: 'failed',
      reason: "the server answered the device's SyncHdr with status 500",
    });
  });

  it('fails after more than maxMessages server messages', () => {
    const { session: s } = session({ maxMessages: 2 });
    sent(s.receive(serverMessage(1, [get('2', './DevInfo/Lang')])));
    sent(s.receive(serverMessage(2, [get('2', './DevInfo/Lang')])));
    expect(s.receive(serverMessage(3, []))).toEqual({
      kind: 'failed',
      reason: 'too many messages: the server sent more than 2',
    });
  });

  it('property: never throws on arbitrary server messages; replies are well-formed', () => {
    const targetArb = fc.constantFrom(
      `${PROVIDER}/Push/PFN`,
      `${PROVIDER}/Push/ChannelURI`,
      `${PROVIDER}/Poll/NumberOfFirstRetries`,
      `${PROVIDER}/Unenroll`,
      './DevInfo',
      './Nope',
      '/bad',
      '',
    );
    const itemArb = fc.record(
      {
        target: targetArb,
        source: targetArb,
        data: fc.oneof(
          fc.string({ maxLength: 6 }),
          fc.constantFrom('1', 'true', 'A_8wekyb3d8bbwe'),
        ),
        meta: fc.record({ format: fc.constantFrom('chr', 'int', 'node') }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    const cmdIdArb = fc.oneof(fc.integer({ min: 0, max: 20 }).map(String), fc.constant(''));
    const { command: commandArb } = fc.letrec<{ command: Command }>((tie) => ({
      command: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({
          kind: fc.constantFrom('Get', 'Add', 'Replace', 'Delete', 'Exec'),
          cmdId: cmdIdArb,
          items: fc.array(itemArb, { maxLength: 3 }),
        }),
        fc.record({
          kind: fc.constant('Alert'),
          cmdId: cmdIdArb,
          data: fc.constantFrom('1222', '1223', '1226', '1100', ''),
          items: fc.array(itemArb, { maxLength: 1 }),
        }),
        fc.record({
          kind: fc.constantFrom('Atomic', 'Sequence'),
          cmdId: cmdIdArb,
          commands: fc.array(tie('command'), { maxLength: 3 }),
        }),
        fc.record({
          kind: fc.constant('Status'),
          cmdId: cmdIdArb,
          msgRef: fc.constantFrom('0', '1', '2', '3'),
          cmdRef: fc.constantFrom('0', '1', '2'),
          cmd: fc.constantFrom('SyncHdr', 'Alert'),
          data: fc.constantFrom('200', '212', '401', '500', 'x'),
        }),
        fc.record({
          kind: fc.constant('Results'),
          cmdId: cmdIdArb,
          msgRef: fc.constant('1'),
          cmdRef: fc.constant('1'),
          items: fc.array(itemArb, { maxLength: 1 }),
        }),
      ),
    }));
    const messageArb = fc.record({
      /** Mostly a well-formed header; sometimes one thing wrong. */
      spoil: fc.option(
        fc.constantFrom(
          'verDTD',
          'verProto',
          'sessionId',
          'msgId',
          'target',
          'hdrStatus',
          'hdrCode',
        ),
        { freq: 4 },
      ),
      commands: fc.array(commandArb, { maxLength: 5 }),
      final: fc.boolean(),
    });
    const seen = { send: 0, done: 0, failed: 0 };
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 6 }), (drafts) => {
        const { session: s } = session({ maxMessages: 4 });
        let ourMsgId = 1;
        let lastCmdId = 3;
        for (const [i, { spoil, commands, final }] of drafts.entries()) {
          const header = hdr(spoil === 'msgId' ? i : i + 1);
          const message: SyncMLMessage = {
            header: {
              ...header,
              ...(spoil === 'verDTD' && { verDTD: '1.1' }),
              ...(spoil === 'verProto' && { verProto: 'DM/1.1' }),
              ...(spoil === 'sessionId' && { sessionId: '8' }),
              ...(spoil === 'target' && { target: 'other' }),
            },
            commands:
              spoil === 'hdrStatus'
                ? commands.filter((c) => !(c.kind === 'Status' && c.cmdRef === '0'))
                : [hdrStatus(ourMsgId, spoil === 'hdrCode' ? '401' : '200'), ...commands],
            final,
          };
          const step = s.receive(message);
          seen[step.kind]++;
          if (step.kind !== 'send') {
            const aborted = commands.some((c) => c.kind === 'Alert' && c.data === '1223');
            expect(step.kind === 'done' || spoil !== null || i >= 4 || aborted).toBe(true);
            return;
          }
          expect(spoil).toBeNull();
          const reply = step.message;
          ourMsgId++;
          expect(reply.header.msgId).toBe(String(ourMsgId));
          expect(reply.final).toBe(true);
          expect(reply.commands[0]).toMatchObject({
            kind: 'Status',
            cmdRef: '0',
            cmd: 'SyncHdr',
            data: '200',
          });
          // Never a message holding only the SyncHdr Status.
          expect(reply.commands.slice(1).length).toBeGreaterThan(0);
          expect(
            reply.commands.filter((c) => c.kind === 'Status' && c.cmd === 'SyncHdr'),
          ).toHaveLength(1);
          for (const c of reply.commands) {
            const id = Number(c.cmdId);
            expect(id).toBeGreaterThan(lastCmdId);
            lastCmdId = id;
          }
        }
      }),
      { numRuns: 500 },
    );
    expect(Math.min(seen.send, seen.done, seen.failed)).toBeGreaterThan(5);
  });
});

describe('sessionIdFor', () => {
  it('gives decimal ids from 1 to 9999, wrapping', () => {
    expect(sessionIdFor(0)).toBe('1');
    expect(sessionIdFor(9998)).toBe('9999');
    expect(sessionIdFor(9999)).toBe('1');
    expect(() => sessionIdFor(-1)).toThrow(RangeError);
    expect(() => sessionIdFor(1.5)).toThrow(RangeError);
  });
});
