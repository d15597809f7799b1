import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CHALLENGES, SessionAuth } from '../../src/core/dm/client-session-auth.js';
import {
  ClientSession,
  UNENROLL_ALERT_TYPE,
  type ClientSessionOptions,
  type SessionStep,
} from '../../src/core/dm/client-session.js';
import type { AccountCredential, AuthScheme, DmAccount } from '../../src/core/dm/dm-account.js';
import { DmTree } from '../../src/core/dm/dm-tree.js';
import { defaultIdentity, windowsTree } from '../../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import { PushStatus } from '../../src/core/dmclient/push-status.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import type {
  ChalMeta,
  Command,
  Cred,
  StatusCommand,
  SyncMLMessage,
} from '../../src/core/syncml/message.js';

const SERVER = 'https://mdm.example/ManagementServer/MDM.svc';
const identity = defaultIdentity('dev-1', '1607');
const DEV = identity.devId;
const PROVIDER = './Vendor/MSFT/DMClient/Provider/MDMSRV';

/** A hand-made DM account: its nonce is what `saveNonce` last kept. */
interface TestAccount extends DmAccount {
  readonly saved: string[];
}
function account(
  client: { scheme?: AuthScheme; name?: string; secret?: string; nonce?: string } | null = {},
): TestAccount {
  const saved: string[] = [];
  let nonce = client?.nonce ?? '';
  const credential: AccountCredential | null =
    client === null
      ? null
      : {
          scheme: client.scheme ?? 'md5',
          name: client.name ?? DEV,
          secret: client.secret ?? 'OhBehave',
          get nonce() {
            return nonce;
          },
        };
  return {
    serverId: 'MDMSRV',
    serverUrl: SERVER,
    client: credential,
    saved,
    saveNonce(value: string) {
      saved.push(value);
      nonce = value;
    },
  };
}

function tree() {
  const readPush = () => ({
    pfn: null,
    channelUri: 'https://wns.example/?token=t1',
    status: PushStatus.Success,
  });
  return windowsTree(identity, 'MDMSRV', {
    now: () => 0,
    readPush,
    setPfn: () => undefined,
    pollConfig: () => DEFAULT_POLL,
    setPoll: () => undefined,
  });
}

function open(options: Partial<ClientSessionOptions> = {}) {
  const session = new ClientSession({
    sessionId: '7',
    serverUrl: SERVER,
    devId: DEV,
    tree: tree(),
    ...options,
  });
  return { session, first: session.start() };
}

/** The independent digest: `B64(MD5(B64(MD5(name:secret)) ":" nonce))`, with node:crypto. */
function digest(name: string, secret: string, nonce: Uint8Array): string {
  const inner = createHash('md5').update(`${name}:${secret}`, 'utf8').digest('base64');
  return createHash('md5')
    .update(Buffer.concat([Buffer.from(`${inner}:`, 'utf8'), nonce]))
    .digest('base64');
}

/**
 * Fleet's check of a Cred (fleetdm/fleet `server/service/microsoft_mdm.go` `isTrustedRequest`):
 * Type and Format exactly `syncml:auth-md5` / `b64`, Data strict base64 of
 * `MD5(B64(MD5(user:password)) ":" nonce)`, where the nonce is what the server stored (the bytes
 * it sent base64-encoded as NextNonce).
 */
function fleetTrusts(cred: Cred | undefined, name: string, secret: string, nonce: Buffer): boolean {
  if (cred?.meta?.format !== 'b64' || cred.meta.type !== 'syncml:auth-md5') return false;
  const received = Buffer.from(cred.data, 'base64');
  if (received.toString('base64') !== cred.data) return false; // Go's StdEncoding is strict
  const hash = createHash('md5').update(`${name}:${secret}`, 'utf8').digest();
  const expected = createHash('md5')
    .update(Buffer.concat([Buffer.from(`${hash.toString('base64')}:`, 'utf8'), nonce]))
    .digest();
  return received.equals(expected);
}

const NONCE_1 = Buffer.from('5e1d8c4a-51e8-4b6e-9a3e-0f6c8d2b7a11');
const NONCE_2 = Buffer.from('a0c2f7d9-3b1e-4c55-8e0a-9d4f2b6c1e33');
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A server message to the session answering the device's message `ref` with `code`. */
function reply(
  msgId: number,
  ref: number,
  code: string,
  { chal, commands = [] }: { chal?: ChalMeta; commands?: Command[] } = {},
): SyncMLMessage {
  const status: StatusCommand = {
    kind: 'Status',
    cmdId: '1',
    msgRef: String(ref),
    cmdRef: '0',
    cmd: 'SyncHdr',
    data: code,
    ...(chal === undefined ? {} : { chal: { meta: chal } }),
  };
  return {
    header: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: '7',
      msgId: String(msgId),
      target: DEV,
      source: SERVER,
    },
    commands: [status, ...commands],
    final: true,
  };
}
const md5Chal = (nonce: Uint8Array): ChalMeta => ({
  type: 'syncml:auth-md5',
  format: 'b64',
  nextNonce: b64(nonce),
});
const getChannelUri: Command = {
  kind: 'Get',
  cmdId: '2',
  items: [{ target: `${PROVIDER}/Push/ChannelURI` }],
};

function sent(step: SessionStep): SyncMLMessage {
  if (step.kind !== 'send') throw new Error(`expected send, got ${JSON.stringify(step)}`);
  return step.message;
}

describe('ClientSession with an MD5 account', () => {
  it('puts Cred in every message, the digest of the account name, secret and current nonce', () => {
    const acc = account({ nonce: b64(NONCE_1) });
    const { session, first } = open({ account: acc });
    const expected = digest(DEV, 'OhBehave', NONCE_1);
    expect(first.header.cred).toEqual({
      meta: { format: 'b64', type: 'syncml:auth-md5' },
      data: expected,
    });
    const second = sent(session.receive(reply(1, 1, '200', { commands: [getChannelUri] })));
    expect(second.header.cred?.data).toBe(expected);
    expect(fleetTrusts(second.header.cred, DEV, 'OhBehave', NONCE_1)).toBe(true);
    expect(session.receive(reply(2, 2, '200'))).toEqual({ kind: 'done' });
  });

  it('the Cred survives the XML codec unchanged', () => {
    const { first } = open({ account: account({ nonce: b64(NONCE_1) }) });
    expect(parseSyncML(serializeSyncML(first)).header.cred).toEqual(first.header.cred);
  });

  it('407 with a Chal: keeps the NextNonce and sends package 1 again as message 2 with a fresh Cred', () => {
    const acc = account();
    const { session, first } = open({ account: acc });
    expect(first.header.cred).toBeUndefined(); // no nonce yet: nothing to compute a digest with
    const again = sent(session.receive(reply(1, 1, '407', { chal: md5Chal(NONCE_1) })));
    expect(acc.saved).toEqual([b64(NONCE_1)]);
    expect(acc.client?.nonce).toBe(b64(NONCE_1));
    expect(again.header.msgId).toBe('2');
    expect(again.header.cred?.data).toBe(digest(DEV, 'OhBehave', NONCE_1));
    expect(again.commands[0]).toEqual({
      kind: 'Status',
      cmdId: '4',
      msgRef: '1',
      cmdRef: '0',
      cmd: 'SyncHdr',
      targetRef: DEV,
      sourceRef: SERVER,
      data: '200',
    });
    // The same content as package 1, numbered on.
    expect(again.commands.slice(1)).toEqual(
      first.commands.map((c, i) => ({ ...c, cmdId: String(5 + i) })),
    );
    const third = sent(session.receive(reply(2, 2, '200', { commands: [getChannelUri] })));
    expect(third.header.cred?.data).toBe(digest(DEV, 'OhBehave', NONCE_1));
    expect(session.receive(reply(3, 3, '200'))).toEqual({ kind: 'done' });
  });

  it('a 407 to a Cred already carrying a digest (Fleet, nonce expired) is answered the same way', () => {
    const acc = account({ nonce: b64(NONCE_1) });
    const { session, first } = open({ account: acc });
    expect(first.header.cred).toBeDefined();
    const again = sent(session.receive(reply(1, 1, '407', { chal: md5Chal(NONCE_2) })));
    expect(fleetTrusts(again.header.cred, DEV, 'OhBehave', NONCE_2)).toBe(true);
  });

  it('rotates the nonce: the NextNonce of session 1 last Status is session 2 first digest', () => {
    const acc = account({ nonce: b64(NONCE_1) });
    const one = open({ account: acc });
    const msg2 = sent(one.session.receive(reply(1, 1, '200', { commands: [getChannelUri] })));
    expect(msg2.header.cred?.data).toBe(digest(DEV, 'OhBehave', NONCE_1));
    expect(one.session.receive(reply(2, 2, '200', { chal: md5Chal(NONCE_2) }))).toEqual({
      kind: 'done',
    });
    expect(acc.saved).toEqual([b64(NONCE_2)]);
    const two = open({ account: acc, sessionId: '8' });
    expect(two.first.header.cred?.data).toBe(digest(DEV, 'OhBehave', NONCE_2));
  });

  it('a NextNonce with a 200 is used from the next message on', () => {
    const acc = account({ nonce: b64(NONCE_1) });
    const { session } = open({ account: acc });
    const next = sent(
      session.receive(reply(1, 1, '200', { chal: md5Chal(NONCE_2), commands: [getChannelUri] })),
    );
    expect(next.header.cred?.data).toBe(digest(DEV, 'OhBehave', NONCE_2));
  });

  it('wrong credentials: a 401 after a digest on a fresh nonce fails with auth-rejected', () => {
    const { session } = open({ account: account({ secret: 'wrong' }) });
    sent(session.receive(reply(1, 1, '407', { chal: md5Chal(NONCE_1) })));
    const step = session.receive(reply(2, 2, '401', { chal: md5Chal(NONCE_2) }));
    expect(step).toEqual({
      kind: 'failed',
      reason: 'auth-rejected: the server refused the credentials (401) for syncml:auth-md5',
    });
  });

  it('a 401 to a digest on the stored nonce (stale) is answered once with the new one', () => {
    const { session } = open({ account: account({ nonce: b64(NONCE_1) }) });
    const again = sent(session.receive(reply(1, 1, '401', { chal: md5Chal(NONCE_2) })));
    expect(again.header.cred?.data).toBe(digest(DEV, 'OhBehave', NONCE_2));
    expect(session.receive(reply(2, 2, '401', { chal: md5Chal(NONCE_1) }))).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/^auth-rejected: /) as string,
    });
  });

  it(`a server that keeps challenging fails with auth-challenge-loop after ${MAX_CHALLENGES} answers`, () => {
    const { session } = open({ account: account() });
    const sentIds: string[] = [];
    let step: SessionStep | undefined;
    for (let msgId = 1; msgId < 20 && (step === undefined || step.kind === 'send'); msgId++) {
      const nonce = Buffer.from(`nonce-${msgId}`);
      step = session.receive(reply(msgId, msgId, '407', { chal: md5Chal(nonce) }));
      if (step.kind === 'send') sentIds.push(step.message.header.msgId);
    }
    expect(sentIds).toEqual(['2', '3', '4']);
    expect(step).toEqual({
      kind: 'failed',
      reason:
        'auth-challenge-loop: the server challenged 4 times in one session (at most 3 are answered)',
    });
  });

  it('fails with auth-rejected on a Chal for another scheme, a challenge without nonce, or a 403', () => {
    const basicChal = open({ account: account() }).session.receive(
      reply(1, 1, '407', { chal: { type: 'syncml:auth-basic', format: 'b64' } }),
    );
    expect(basicChal).toEqual({
      kind: 'failed',
      reason:
        'auth-rejected: the server asks for syncml:auth-basic (407), the account answers syncml:auth-md5',
    });
    const noNonce = open({ account: account() }).session.receive(
      reply(1, 1, '407', { chal: { type: 'syncml:auth-md5', format: 'b64' } }),
    );
    expect(noNonce).toEqual({
      kind: 'failed',
      reason: 'auth-rejected: the server challenged (407) without a nonce for syncml:auth-md5',
    });
    const forbidden = open({ account: account() }).session.receive(reply(1, 1, '403'));
    expect(forbidden).toEqual({
      kind: 'failed',
      reason: 'auth-rejected: the server refused the device (403 Forbidden)',
    });
    const malformed = open({ account: account() }).session.receive(
      reply(1, 1, '407', { chal: { type: 'syncml:auth-md5', format: 'b64', nextNonce: '@@' } }),
    );
    expect(malformed).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/^auth-rejected: malformed challenge \(.*NextNonce/) as string,
    });
  });

  it('212 (authentication accepted): no Cred for the rest of the session; its NextNonce is kept', () => {
    const acc = account({ nonce: b64(NONCE_1) });
    const { session } = open({ account: acc });
    const next = sent(
      session.receive(reply(1, 1, '212', { chal: md5Chal(NONCE_2), commands: [getChannelUri] })),
    );
    expect(next.header.cred).toBeUndefined();
    expect(acc.client?.nonce).toBe(b64(NONCE_2));
  });

  it('property: the Cred sent after a challenge is what Fleet isTrustedRequest accepts', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.uint8Array({ minLength: 1, maxLength: 48 }),
        fc.option(fc.uint8Array({ maxLength: 48 }), { nil: undefined }),
        (name, secret, nonce, stored) => {
          const acc = account({ name, secret, nonce: stored === undefined ? '' : b64(stored) });
          const { session } = open({ account: acc });
          const again = sent(session.receive(reply(1, 1, '407', { chal: md5Chal(nonce) })));
          expect(fleetTrusts(again.header.cred, name, secret, Buffer.from(nonce))).toBe(true);
          expect(again.header.cred?.data).toBe(digest(name, secret, nonce));
          // A Cred for other bytes is refused: the check can fail.
          const other = Buffer.concat([Buffer.from(nonce), Buffer.from([0])]);
          expect(fleetTrusts(again.header.cred, name, secret, other)).toBe(false);
        },
      ),
    );
  });
});

describe('ClientSession with a basic account', () => {
  const basic = (name: string, secret: string) =>
    Buffer.from(`${name}:${secret}`, 'utf8').toString('base64');

  it('every message carries B64(name:secret); a 401 after it fails with auth-rejected', () => {
    const { session, first } = open({
      account: account({ scheme: 'basic', name: 'Bruce2', secret: 'OhBehave' }),
    });
    const cred = {
      meta: { format: 'b64', type: 'syncml:auth-basic' },
      data: basic('Bruce2', 'OhBehave'),
    };
    expect(first.header.cred).toEqual(cred);
    expect(cred.data).toBe('QnJ1Y2UyOk9oQmVoYXZl'); // OMA DM Protocol 1.2 example
    const next = sent(session.receive(reply(1, 1, '200', { commands: [getChannelUri] })));
    expect(next.header.cred).toEqual(cred);
    expect(session.receive(reply(2, 2, '401', { chal: { type: 'syncml:auth-basic' } }))).toEqual({
      kind: 'failed',
      reason: 'auth-rejected: the server refused the credentials (401) for syncml:auth-basic',
    });
  });

  it('never answers an MD5 challenge with a basic account', () => {
    const { session } = open({ account: account({ scheme: 'basic' }) });
    expect(session.receive(reply(1, 1, '407', { chal: md5Chal(NONCE_1) }))).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(
        /^auth-rejected: the server asks for syncml:auth-md5/,
      ) as string,
    });
  });
});

describe('ClientSession without credentials', () => {
  it('no account: no Cred, and 401/403/407 fail as unauthorized, as before accounts', () => {
    for (const code of ['401', '403', '407']) {
      const { session, first } = open();
      expect(first.header.cred).toBeUndefined();
      expect(session.receive(reply(1, 1, code, { chal: md5Chal(NONCE_1) }))).toEqual({
        kind: 'failed',
        reason: `unauthorized (${code})`,
      });
    }
    const s = new SessionAuth(null);
    expect(s.credential()).toBeUndefined();
  });

  it('an account without a client credential: no Cred; a challenge fails with auth-rejected', () => {
    const { session, first } = open({ account: account(null) });
    expect(first.header.cred).toBeUndefined();
    expect(session.receive(reply(1, 1, '407', { chal: md5Chal(NONCE_1) }))).toEqual({
      kind: 'failed',
      reason: 'auth-rejected: the server asks for credentials (407) and the account has none',
    });
  });
});

describe('ClientSession unenroll', () => {
  it('adds the 1226 user-unenrollment alert to package 1, after LoginStatus, before DevInfo', () => {
    const { first } = open({ unenroll: true });
    expect(first.commands.map((c) => [c.kind, c.cmdId])).toEqual([
      ['Alert', '1'],
      ['Alert', '2'],
      ['Alert', '3'],
      ['Replace', '4'],
    ]);
    expect(first.commands[2]).toEqual({
      kind: 'Alert',
      cmdId: '3',
      data: '1226',
      items: [{ meta: { format: 'int', type: UNENROLL_ALERT_TYPE }, data: '1' }],
    });
    expect(UNENROLL_ALERT_TYPE).toBe('com.microsoft:mdm.unenrollment.userrequest');
    expect(open().first.commands.some((c) => c.kind === 'Alert' && c.data === '1226')).toBe(false);
    const bare = new ClientSession({
      sessionId: '1',
      serverUrl: SERVER,
      devId: DEV,
      tree: new DmTree(),
    });
    expect(bare.start().commands).toHaveLength(3);
  });
});
