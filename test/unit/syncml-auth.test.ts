import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUTH_BASIC,
  AUTH_MD5,
  basicCredential,
  md5Credential,
  md5Digest,
  readChallenge,
} from '../../src/core/syncml/auth.js';
import { parseSyncML, serializeSyncML, SyncMLError } from '../../src/core/syncml/codec.js';
import type { Chal, Cred, StatusCommand, SyncMLMessage } from '../../src/core/syncml/message.js';

const RUNS = 300;

/** The OMA formula B64(H(B64(H(user:password)):nonce)), written independently with node:crypto. */
function nodeDigest(user: string, password: string, nonce: Uint8Array): string {
  const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();
  const secret = md5(Buffer.from(`${user}:${password}`, 'utf8')).toString('base64');
  return md5(Buffer.concat([Buffer.from(`${secret}:`, 'utf8'), nonce])).toString('base64');
}

/**
 * What Fleet's server expects (`server/service/microsoft_mdm.go`, isTrustedRequest): it keeps
 * MD5(user:password), stores the nonce as text, sends B64(text) as NextNonce and compares the
 * Cred's decoded Data with MD5(B64(hash) + ":" + text).
 */
function fleetExpected(user: string, password: string, nonceText: string): string {
  const hash = createHash('md5').update(`${user}:${password}`, 'utf8').digest();
  const digest = `${hash.toString('base64')}:${nonceText}`;
  return createHash('md5').update(digest, 'utf8').digest('base64');
}

const HDR =
  '<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>' +
  '<MsgID>1</MsgID><Target><LocURI>DEV1</LocURI></Target>' +
  '<Source><LocURI>https://mdm.example.com/dm</LocURI></Source></SyncHdr>';

/** The first command of a server message whose SyncBody is `body`. */
function firstStatus(body: string): StatusCommand {
  const message = parseSyncML(
    `<SyncML xmlns="SYNCML:SYNCML1.2">${HDR}<SyncBody>${body}<Final/></SyncBody></SyncML>`,
  );
  const [status] = message.commands;
  if (status?.kind !== 'Status') throw new Error('expected a Status');
  return status;
}

/** A SyncHdr Status with a Chal whose Meta holds `metaXml`, as Fleet writes it. */
function challengeStatus(metaXml: string, code = '407'): string {
  return (
    '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>' +
    `<Chal><Meta>${metaXml}</Meta></Chal><Data>${code}</Data></Status>`
  );
}

function fleetChal(nextNonce: string): string {
  return challengeStatus(
    `<Type xmlns="syncml:metinf">${AUTH_MD5}</Type><Format xmlns="syncml:metinf">b64</Format>` +
      `<NextNonce xmlns="syncml:metinf">${nextNonce}</NextNonce>`,
  );
}

function message(cred: Cred | undefined, chal: Chal | undefined): SyncMLMessage {
  return {
    header: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: '7',
      msgId: '2',
      target: 'https://mdm.example.com/dm',
      source: 'DEV1',
      ...(cred !== undefined && { cred }),
      maxMsgSize: 65536,
    },
    commands: [
      {
        kind: 'Status',
        cmdId: '1',
        msgRef: '1',
        cmdRef: '0',
        cmd: 'SyncHdr',
        ...(chal !== undefined && { chal }),
        data: '407',
      },
    ],
    final: true,
  };
}

/** Text the codec keeps as is in structural fields: non-empty, no surrounding whitespace. */
const token = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
  .filter((text) => text.trim() === text && text !== '');

describe('md5Digest', () => {
  it('gives the OMA example: Bruce2, OhBehave, nonce "Nonce" is Zz6EivR3yeaaENcRN6lpAQ==', () => {
    // OMA DM RepPro 1.2 (Cred) and OMA DM Protocol 1.2 (MD5 digest authentication example).
    const nonce = new TextEncoder().encode('Nonce');
    expect(md5Digest({ user: 'Bruce2', password: 'OhBehave', nonce })).toBe(
      'Zz6EivR3yeaaENcRN6lpAQ==',
    );
    expect(nodeDigest('Bruce2', 'OhBehave', nonce)).toBe('Zz6EivR3yeaaENcRN6lpAQ==');
  });

  it('hashes the nonce Fleet issued, decoded from its NextNonce, as Fleet checks it', () => {
    const nonceText = '8f14e45f-ceea-467a-9575-0e9b3e2d7a11'; // Fleet's nonce is a UUID
    const status = firstStatus(fleetChal(Buffer.from(nonceText).toString('base64')));
    const challenge = readChallenge(status);
    expect(challenge?.type).toBe(AUTH_MD5);
    expect(Buffer.from(challenge?.nonce ?? []).toString('utf8')).toBe(nonceText);
    const user = '0F3B8E6C-A271-4556-9B72-A26CBD290C0B';
    const password = 'b2a8f3a0-5b0a-4f5e-9c61-3d7e1c2b4a59';
    const digest = md5Digest({ user, password, nonce: challenge?.nonce ?? new Uint8Array() });
    expect(digest).toBe(fleetExpected(user, password, nonceText));
    expect(digest).toBe(nodeDigest(user, password, Buffer.from(nonceText)));
    // Hashing the base64 text instead (the mistake to avoid) gives another digest.
    const wrong = nodeDigest(
      user,
      password,
      Buffer.from(Buffer.from(nonceText).toString('base64')),
    );
    expect(digest).not.toBe(wrong);
  });

  it('equals an independent node:crypto implementation for any user, password and nonce bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ maxLength: 64 }),
        (user, password, nonce) => {
          expect(md5Digest({ user, password, nonce })).toBe(nodeDigest(user, password, nonce));
        },
      ),
      { numRuns: RUNS },
    );
    expect(md5Digest({ user: '', password: '', nonce: new Uint8Array() })).toBe(
      nodeDigest('', '', new Uint8Array()),
    );
  });

  it("matches Fleet's check for any nonce text sent as base64 in a Chal (line breaks too)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.nat({ max: 5 }),
        (user, password, nonceText, wrapAt) => {
          const b64 = Buffer.from(nonceText, 'utf8').toString('base64');
          // A pretty printer may break the text; the reader drops whitespace.
          const wrapped =
            wrapAt === 0 ? b64 : b64.replace(new RegExp(`(.{${wrapAt * 4}})`, 'g'), '$1\n  ');
          const challenge = readChallenge(firstStatus(fleetChal(wrapped)));
          expect(challenge?.nonce).toStrictEqual(new Uint8Array(Buffer.from(nonceText, 'utf8')));
          const nonce = challenge?.nonce ?? new Uint8Array();
          expect(md5Digest({ user, password, nonce })).toBe(
            fleetExpected(user, password, nonceText),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('decodes any nonce bytes from their base64 NextNonce', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString('base64');
        expect(readChallenge(firstStatus(fleetChal(b64)))?.nonce).toStrictEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('credentials', () => {
  it('builds the MD5 Cred with Type syncml:auth-md5 and Format b64, as Fleet requires', () => {
    const nonce = new TextEncoder().encode('Nonce');
    expect(md5Credential({ user: 'Bruce2', password: 'OhBehave', nonce })).toStrictEqual({
      meta: { format: 'b64', type: 'syncml:auth-md5' },
      data: 'Zz6EivR3yeaaENcRN6lpAQ==',
    });
  });

  it('builds the basic Cred: the OMA example Bruce2:OhBehave is QnJ1Y2UyOk9oQmVoYXZl', () => {
    expect(basicCredential('Bruce2', 'OhBehave')).toStrictEqual({
      meta: { format: 'b64', type: AUTH_BASIC },
      data: 'QnJ1Y2UyOk9oQmVoYXZl',
    });
    expect(basicCredential('', '').data).toBe('Og==');
  });

  it('encodes any user and password as base64 of their UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (user, pw) => {
        const { data } = basicCredential(user, pw);
        expect(data).toBe(Buffer.from(`${user}:${pw}`, 'utf8').toString('base64'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('readChallenge', () => {
  it('reads the OMA example challenge (Status 401, NextNonce ZG9iZWhhdmUNCg==)', () => {
    const status = firstStatus(
      challengeStatus(
        `<Type xmlns='syncml:metinf'>syncml:auth-md5</Type>` +
          `<Format xmlns='syncml:metinf'>b64</Format>` +
          `<NextNonce xmlns='syncml:metinf'>ZG9iZWhhdmUNCg==</NextNonce>`,
        '401',
      ),
    );
    expect(status.chal).toStrictEqual({
      meta: { format: 'b64', type: AUTH_MD5, nextNonce: 'ZG9iZWhhdmUNCg==' },
    });
    const challenge = readChallenge(status);
    expect(Buffer.from(challenge?.nonce ?? []).toString('latin1')).toBe('dobehave\r\n');
  });

  it('reads a basic challenge without a nonce, and no challenge from a plain Status', () => {
    const basic = `<Type xmlns="syncml:metinf">${AUTH_BASIC}</Type><Format xmlns="syncml:metinf">b64</Format>`;
    expect(readChallenge(firstStatus(challengeStatus(basic)))).toStrictEqual({ type: AUTH_BASIC });
    const plain = firstStatus(
      '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>',
    );
    expect(plain.chal).toBeUndefined();
    expect(readChallenge(plain)).toBeUndefined();
  });

  it('takes a NextNonce not in base64 format as its UTF-8 text', () => {
    const chr = `<Type xmlns="syncml:metinf">${AUTH_MD5}</Type><NextNonce xmlns="syncml:metinf">Nonce</NextNonce>`;
    expect(readChallenge(firstStatus(challengeStatus(chr)))?.nonce).toStrictEqual(
      new TextEncoder().encode('Nonce'),
    );
  });

  it('refuses a b64 NextNonce that is not base64', () => {
    for (const bad of ['abc', 'ab=c', '%%%%', 'YQ', 'Y===']) {
      const status = firstStatus(fleetChal(bad));
      expect(() => readChallenge(status)).toThrow(SyncMLError);
      expect(() => readChallenge(status)).toThrow(
        'Status/Chal/Meta/NextNonce: expected base64 (Format b64)',
      );
    }
  });
});

describe('codec: Cred and Chal', () => {
  it('writes Cred after Source and before Meta, and Chal before Data, in metinf order', () => {
    const nonce = new TextEncoder().encode('Nonce');
    const cred = md5Credential({ user: 'Bruce2', password: 'OhBehave', nonce });
    const chal: Chal = { meta: { format: 'b64', type: AUTH_MD5, nextNonce: 'ZG9iZWhhdmUNCg==' } };
    const xml = serializeSyncML(message(cred, chal));
    expect(xml).toContain(
      '<Source><LocURI>DEV1</LocURI></Source><Cred><Meta>' +
        '<Format xmlns="syncml:metinf">b64</Format><Type xmlns="syncml:metinf">syncml:auth-md5</Type>' +
        '</Meta><Data>Zz6EivR3yeaaENcRN6lpAQ==</Data></Cred><Meta><MaxMsgSize',
    );
    expect(xml).toContain(
      '<Cmd>SyncHdr</Cmd><Chal><Meta><Format xmlns="syncml:metinf">b64</Format>' +
        '<Type xmlns="syncml:metinf">syncml:auth-md5</Type>' +
        '<NextNonce xmlns="syncml:metinf">ZG9iZWhhdmUNCg==</NextNonce></Meta></Chal><Data>407</Data>',
    );
    expect(parseSyncML(xml)).toStrictEqual(message(cred, chal));
  });

  it('reads the Cred of a device message as Fleet’s test client writes it', () => {
    const xml =
      '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
      '<SessionID>1</SessionID><MsgID>2</MsgID><Target><LocURI>https://mdm.example.com/dm</LocURI>' +
      '</Target><Source><LocURI>DEV1</LocURI></Source>\n\t<Cred>\n\t\t<Meta>\n\t\t\t' +
      '<Type xmlns="syncml:metinf">syncml:auth-md5</Type>\n\t\t\t<Format xmlns="syncml:metinf">b64</Format>' +
      '\n\t\t</Meta>\n\t\t<Data>Zz6EivR3yeaaENcRN6lpAQ==</Data>\n\t</Cred></SyncHdr><SyncBody><Final/></SyncBody></SyncML>';
    expect(parseSyncML(xml).header.cred).toStrictEqual({
      meta: { type: AUTH_MD5, format: 'b64' },
      data: 'Zz6EivR3yeaaENcRN6lpAQ==',
    });
  });

  it('round-trips any Cred and Chal', () => {
    const meta = fc.record(
      { format: token, type: token, nextNonce: token },
      { requiredKeys: [], noNullPrototype: true },
    );
    const cred = fc.record(
      { meta: meta.map(({ nextNonce: _, ...rest }) => rest), data: token },
      { requiredKeys: ['data'], noNullPrototype: true },
    );
    fc.assert(
      fc.property(
        fc.option(cred, { nil: undefined }),
        fc.option(meta, { nil: undefined }),
        (c, m) => {
          const original = message(c, m === undefined ? undefined : { meta: m });
          expect(parseSyncML(serializeSyncML(original))).toStrictEqual(original);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('names the element when Cred has no Data or Chal no Meta, and refuses unknown children', () => {
    const error = (xml: string): string => {
      try {
        parseSyncML(xml);
      } catch (e) {
        if (e instanceof SyncMLError) return e.message;
        throw e;
      }
      throw new Error('expected a SyncMLError');
    };
    const withHdr = (cred: string, body = ''): string =>
      `<SyncML xmlns="SYNCML:SYNCML1.2">${HDR.replace('</SyncHdr>', `${cred}</SyncHdr>`)}<SyncBody>${body}</SyncBody></SyncML>`;
    expect(error(withHdr('<Cred><Meta/></Cred>'))).toBe('SyncHdr/Cred: expected Data, got nothing');
    expect(error(withHdr('<Cred><Data>x</Data><Foo/></Cred>'))).toBe(
      'SyncHdr/Cred: unexpected element Foo',
    );
    expect(
      error(
        withHdr(
          '',
          '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Chal/><Data>407</Data></Status>',
        ),
      ),
    ).toBe('SyncBody/Status[1]/Chal: expected Meta, got nothing');
    expect(error(withHdr('', fleetChal('')))).toBe(
      'SyncBody/Status[1]/Chal/Meta/NextNonce: expected text, got nothing',
    );
  });

  it('refuses to write a Cred or Chal value XML cannot carry', () => {
    const bad = message({ data: 'a\u0000b' }, undefined);
    expect(() => serializeSyncML(bad)).toThrow(
      'SyncHdr/Cred/Data: U+0000 cannot be written in XML 1.0',
    );
    const badChal = message(undefined, { meta: { nextNonce: '\u0001' } });
    expect(() => serializeSyncML(badChal)).toThrow(
      'SyncBody/Status[1]/Chal/Meta/NextNonce: U+0001 cannot be written in XML 1.0',
    );
  });
});
