/**
 * Digest authentication of management sessions on message objects (`SessionAuth` inside
 * `ReferenceMdm`): digests are computed here with node:crypto, independently of the server's
 * `@noble/hashes` code.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import type { Cred, StatusCommand, SyncMLMessage } from '../../src/core/syncml/message.js';
import { credentialHash } from '../../src/mdm-server/enrollment/digest.js';
import {
  EnrollmentRegistry,
  type EnrollmentRecord,
} from '../../src/mdm-server/enrollment/registry.js';
import type { MdmServerEvent } from '../../src/mdm-server/mdm-events.js';
import { ReferenceMdm } from '../../src/mdm-server/reference-mdm.js';
import {
  NONCE_LIFETIME_MS,
  SessionAuth,
  type NonceRotation,
} from '../../src/mdm-server/session-auth.js';

const T0 = Date.UTC(2026, 0, 1);
const SERVER = 'https://mdm.example/ManagementServer/MDM.svc';

const md5 = (data: Buffer | string): Buffer => createHash('md5').update(data).digest();
/** OMA DM Security 1.2 §5.3, with node:crypto. */
const digest = (name: string, secret: string, nonce: Buffer): string =>
  md5(
    Buffer.concat([Buffer.from(`${md5(`${name}:${secret}`).toString('base64')}:`), nonce]),
  ).toString('base64');

function record(deviceId: string, secret: string): EnrollmentRecord {
  return {
    deviceId,
    hwDevId: `HW-${deviceId}`,
    enrollmentType: 'Full',
    deviceName: null,
    osVersion: '10.0.26100.1',
    osEdition: '72',
    applicationVersion: null,
    authPolicy: 'OnPremise',
    user: 'user',
    authName: deviceId,
    credentialHash: credentialHash(deviceId, secret),
    nonce: null,
    nonceIssuedAt: null,
    certificateThumbprint: 'A'.repeat(40),
    enrolledAt: T0,
    unenrolledAt: null,
  };
}

function setup(rotation?: NonceRotation) {
  const clock = { now: T0 };
  const events: MdmServerEvent[] = [];
  const registry = new EnrollmentRegistry();
  let n = 0;
  const auth = new SessionAuth({
    registry,
    now: () => clock.now,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    ...(rotation ? { rotation } : {}),
  });
  const mdm = new ReferenceMdm({
    pfn: 'A.B_1',
    now: () => clock.now,
    onEvent: (e) => events.push(e),
    auth,
  });
  return { clock, events, registry, mdm };
}

let sessionSeq = 0;
function message(
  deviceId: string,
  cred?: Cred,
  extra: SyncMLMessage['commands'] = [],
): SyncMLMessage {
  return {
    header: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: String(++sessionSeq),
      msgId: '1',
      target: SERVER,
      source: deviceId,
      ...(cred ? { cred } : {}),
    },
    commands: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }, ...extra],
    final: true,
  };
}

const md5Cred = (data: string): Cred => ({
  meta: { type: 'syncml:auth-md5', format: 'b64' },
  data,
});
const hdrOf = (reply: SyncMLMessage): StatusCommand => reply.commands[0] as StatusCommand;
const nonceOf = (reply: SyncMLMessage): Buffer =>
  Buffer.from(hdrOf(reply).chal?.meta.nextNonce ?? '', 'base64');

describe('SessionAuth in the reference server', () => {
  it('challenges first (407, a b64 md5 Chal), then accepts the digest over the NextNonce', () => {
    const { registry, mdm, events } = setup();
    registry.enroll(record('D1', 'secret-1'));
    const first = mdm.handle(
      message('D1', md5Cred(digest('D1', 'secret-1', Buffer.from('whatever')))),
    );
    expect(first.commands).toHaveLength(1);
    expect(hdrOf(first)).toMatchObject({
      cmd: 'SyncHdr',
      data: '407',
      chal: { meta: { type: 'syncml:auth-md5', format: 'b64' } },
    });
    const nonce = nonceOf(first);
    expect(nonce.toString()).toMatch(/^[0-9a-f-]{36}$/);

    const second = mdm.handle(message('D1', md5Cred(digest('D1', 'secret-1', nonce))));
    expect(hdrOf(second)).toMatchObject({ data: '200' });
    expect(hdrOf(second).chal).toBeUndefined();
    expect(second.commands.length).toBeGreaterThan(2);
    expect(events.map((e) => e.type)).toEqual(['mdm.auth-challenged', 'mdm.session']);
  });

  it('accepts exactly the digest of the right secret over the current nonce (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (secret, other, junk) => {
        const { registry, mdm } = setup();
        registry.enroll(record('D', secret));
        const current = (): Buffer => Buffer.from(registry.get('D')?.nonce ?? '', 'base64');
        mdm.handle(message('D'));
        expect(hdrOf(mdm.handle(message('D', md5Cred(digest('D', secret, current()))))).data).toBe(
          '200',
        );
        if (other !== secret)
          expect(hdrOf(mdm.handle(message('D', md5Cred(digest('D', other, current()))))).data).toBe(
            '401',
          );
        const expected =
          junk.replace(/\s+/g, '') === digest('D', secret, current()) ? '200' : '401';
        expect(hdrOf(mdm.handle(message('D', md5Cred(junk)))).data).toBe(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('answers a wrong scheme with 401, an expired nonce with 407, a stranger with 403', () => {
    const { registry, mdm, clock, events } = setup();
    registry.enroll(record('D2', 's'));
    const nonce = nonceOf(mdm.handle(message('D2')));
    const basic: Cred = { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: 'RDI6cw==' };
    expect(hdrOf(mdm.handle(message('D2', basic))).data).toBe('401');
    const fresh = registry.get('D2')?.nonce ?? '';
    clock.now += NONCE_LIFETIME_MS - 1;
    expect(
      hdrOf(mdm.handle(message('D2', md5Cred(digest('D2', 's', Buffer.from(fresh, 'base64'))))))
        .data,
    ).toBe('200');
    clock.now += 1;
    expect(hdrOf(mdm.handle(message('D2', md5Cred(digest('D2', 's', nonce))))).data).toBe('407');
    expect(events.at(-1)).toMatchObject({ reason: 'nonce-expired' });
    const stranger = mdm.handle(message('NOBODY', md5Cred('x')));
    expect(stranger.commands).toEqual([expect.objectContaining({ data: '403' })]);
    expect(hdrOf(stranger).chal).toBeUndefined();
  });

  it('with every-message rotation, each 200 carries a new NextNonce the next message must use', () => {
    const { registry, mdm } = setup('every-message');
    registry.enroll(record('D3', 's'));
    let nonce = nonceOf(mdm.handle(message('D3')));
    for (let i = 0; i < 3; i++) {
      const reply = mdm.handle(message('D3', md5Cred(digest('D3', 's', nonce))));
      expect(hdrOf(reply).data).toBe('200');
      const next = nonceOf(reply);
      expect(next.equals(nonce)).toBe(false);
      const stale = mdm.handle(message('D3', md5Cred(digest('D3', 's', nonce))));
      expect(hdrOf(stale).data).toBe('401');
      nonce = nonceOf(stale);
    }
  });

  it('unenrolls on Alert 1226 com.microsoft:mdm.unenrollment.userrequest, then refuses (403)', () => {
    const { registry, mdm, events, clock } = setup();
    registry.enroll(record('D4', 's'));
    const nonce = nonceOf(mdm.handle(message('D4')));
    const alert = {
      kind: 'Alert' as const,
      cmdId: '2',
      data: '1226',
      items: [
        { meta: { type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int' }, data: '1' },
      ],
    };
    clock.now += 1000;
    const reply = mdm.handle(message('D4', md5Cred(digest('D4', 's', nonce)), [alert]));
    expect(hdrOf(reply).data).toBe('200');
    expect(events.filter((e) => e.type === 'mdm.device-unenrolled')).toEqual([
      { type: 'mdm.device-unenrolled', deviceId: 'D4', time: T0 + 1000 },
    ]);
    expect(registry.get('D4')).toMatchObject({ unenrolledAt: T0 + 1000, nonce: null });
    expect(hdrOf(mdm.handle(message('D4', md5Cred(digest('D4', 's', nonce))))).data).toBe('403');
    expect(events.at(-1)).toMatchObject({ type: 'mdm.auth-refused', reason: 'unenrolled' });
  });

  it('names bad options', () => {
    const registry = new EnrollmentRegistry();
    const make = (o: object) => () =>
      new SessionAuth({ registry, now: () => 0, uuid: () => 'u', ...o });
    expect(make({ nonceLifetimeMs: 0 })).toThrow(ValidationError);
    expect(make({ rotation: 'sometimes' })).toThrow(
      /rotation: expected on-challenge or every-message/,
    );
  });
});
