/**
 * Digest-authenticated management sessions of enrolled devices, over real HTTP on 127.0.0.1: the
 * device enrolls with hand-written SOAP, then posts SyncML whose `Cred` is computed here with
 * node:crypto MD5 (test/helpers/enrollment-soap.ts, `md5Digest`). Also: unenrollment, and the
 * records surviving a restart with the same state file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { webcrypto } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startReferenceMdm,
  type RunningReferenceMdm,
  type StartReferenceMdmOptions,
} from '../../src/adapters/mdm-server/start.js';
import { readSavedEnrollments } from '../../src/adapters/mdm-server/saved-enrollments.js';
import { SqliteStateStore } from '../../src/adapters/state/sqlite-state-store.js';
import { StateFile } from '../../src/adapters/state/state-store.js';
import { parseSyncML, serializeSyncML } from '../../src/core/syncml/codec.js';
import {
  SYNCML_CONTENT_TYPE,
  type Command,
  type Cred,
  type StatusCommand,
  type SyncMLMessage,
} from '../../src/core/syncml/message.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import type { MdmServerEvent } from '../../src/mdm-server/mdm-events.js';
import {
  enrollDevice,
  md5Digest,
  rsaKeys,
  usernameToken,
  type EnrolledCredential,
} from '../helpers/enrollment-soap.js';

const T0 = Date.UTC(2026, 0, 1);
const USER = { user: 'user@contoso.com', password: 'mypassword' };
const MINUTE = 60_000;

let keyPair: webcrypto.CryptoKeyPair;
let dir: string;
beforeAll(async () => {
  keyPair = await rsaKeys();
  dir = mkdtempSync(join(tmpdir(), 'dmpush-enroll-sessions-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A device's side of sessions: its credential, the nonce it holds, its message counters. */
class Device {
  nonce: Buffer;
  private sessionId = 0;
  private msgId = 0;
  constructor(
    readonly id: string,
    readonly credential: EnrolledCredential,
  ) {
    this.nonce = credential.initialNonce;
  }

  cred(secret = this.credential.secret): Cred {
    return {
      meta: { type: 'syncml:auth-md5', format: 'b64' },
      data: md5Digest(this.credential.name, secret, this.nonce),
    };
  }

  message(commands: Command[], cred: Cred | undefined, options: { newSession?: boolean } = {}) {
    if (options.newSession) {
      this.sessionId++;
      this.msgId = 0;
    }
    return {
      header: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId: String(this.sessionId),
        msgId: String(++this.msgId),
        target: this.credential.managementUrl,
        source: this.id,
        ...(cred ? { cred } : {}),
      },
      commands,
      final: true,
    } satisfies SyncMLMessage;
  }

  /** Package 1: Alert 1201 and the DevId, with `cred` (default: the right one; null: none). */
  start(cred: Cred | null = this.cred()): SyncMLMessage {
    return this.message(
      [
        { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
        { kind: 'Replace', cmdId: '2', items: [{ source: './DevInfo/DevId', data: this.id }] },
      ],
      cred ?? undefined,
      { newSession: true },
    );
  }

  /** Takes the NextNonce of a reply's SyncHdr Status, if any. */
  take(reply: SyncMLMessage): StatusCommand {
    const hdr = reply.commands[0] as StatusCommand;
    expect(hdr).toMatchObject({ kind: 'Status', cmdRef: '0', cmd: 'SyncHdr' });
    if (hdr.chal?.meta.nextNonce !== undefined) {
      expect(hdr.chal.meta).toMatchObject({ type: 'syncml:auth-md5', format: 'b64' });
      this.nonce = Buffer.from(hdr.chal.meta.nextNonce, 'base64');
    }
    return hdr;
  }
}

async function post(url: string, message: SyncMLMessage): Promise<SyncMLMessage> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': SYNCML_CONTENT_TYPE },
    body: serializeSyncML(message),
  });
  expect(res.status).toBe(200);
  return parseSyncML(await res.text());
}

describe('digest-authenticated management sessions', () => {
  let running: RunningReferenceMdm;
  let clock: VirtualClock;
  let events: MdmServerEvent[];
  let store: SqliteStateStore | null = null;

  async function start(extra: Partial<StartReferenceMdmOptions> = {}): Promise<void> {
    clock ??= new VirtualClock({ start: T0 });
    events = [];
    running = await startReferenceMdm({
      port: 0,
      pfn: 'Contoso.MDM_8wekyb3d8bbwe',
      wns: { tokenUrl: 'http://127.0.0.1:9/accesstoken.srf', sid: 'ms-app://s-1', secret: 'x' },
      clock,
      onEvent: (e) => events.push(e),
      enrollment: { authPolicy: 'OnPremise', users: [USER], caDir: dir },
      ...extra,
    });
  }
  afterEach(async () => {
    await running.close();
    store?.close();
    store = null;
  });

  async function enrolled(id: string): Promise<Device> {
    const url = running.enrollment?.urls.enrollment ?? '';
    return new Device(
      id,
      await enrollDevice(url, usernameToken(USER.user, USER.password), keyPair, id),
    );
  }

  const types = (): string[] => events.map((e) => e.type);

  it('challenges the first message with 407 even with a digest, then accepts the right digest', async () => {
    clock = new VirtualClock({ start: T0 });
    await start();
    const device = await enrolled('DEV-1');
    const url = device.credential.managementUrl;

    const first = await post(url, device.start());
    expect(first.commands).toHaveLength(1);
    expect(device.take(first)).toMatchObject({ data: '407', msgRef: '1' });
    expect(events.at(-1)).toMatchObject({
      type: 'mdm.auth-challenged',
      status: '407',
      reason: 'no-nonce',
    });
    expect(running.mdm.device('DEV-1')).toBeUndefined();

    const accepted = await post(url, device.start());
    const hdr = device.take(accepted);
    expect(hdr.data).toBe('200');
    expect(hdr.chal).toBeUndefined();
    expect(accepted.commands.map((c) => c.kind)).toContain('Add');
    expect(running.mdm.device('DEV-1')).toMatchObject({ sessions: 1 });

    // The rest of the session carries a Cred over the same nonce (Fleet sends no new one).
    const statuses = accepted.commands
      .filter((c) => c.kind !== 'Status')
      .map((c, i) => ({
        kind: 'Status' as const,
        cmdId: String(i + 1),
        msgRef: accepted.header.msgId,
        cmdRef: c.cmdId,
        cmd: c.kind,
        data: '200',
      }));
    const end = await post(url, device.message(statuses, device.cred()));
    expect(device.take(end).data).toBe('200');
    expect(types()).toContain('mdm.session-ended');
  });

  it('answers a wrong digest with 401 and a fresh nonce; no Cred with 407; expiry after 5 minutes', async () => {
    clock = new VirtualClock({ start: T0 });
    await start();
    const device = await enrolled('DEV-2');
    const url = device.credential.managementUrl;
    device.take(await post(url, device.start()));
    const before = device.nonce;

    const wrong = await post(url, device.start(device.cred('not-the-secret')));
    expect(device.take(wrong).data).toBe('401');
    expect(device.nonce.equals(before)).toBe(false);
    expect(events.at(-1)).toMatchObject({ reason: 'wrong-digest', status: '401' });

    const bare = await post(url, device.start(null));
    expect(device.take(bare).data).toBe('407');
    expect(events.at(-1)).toMatchObject({ reason: 'no-credential' });

    expect(device.take(await post(url, device.start())).data).toBe('200');
    clock.advance(5 * MINUTE);
    const expired = await post(url, device.start());
    expect(device.take(expired).data).toBe('407');
    expect(events.at(-1)).toMatchObject({ reason: 'nonce-expired' });
    expect(device.take(await post(url, device.start())).data).toBe('200');
    expect(JSON.stringify(events)).not.toContain(device.credential.secret);
  });

  it('rotates the nonce on every accepted message when asked', async () => {
    clock = new VirtualClock({ start: T0 });
    await start({
      enrollment: {
        authPolicy: 'OnPremise',
        users: [USER],
        caDir: dir,
        nonceRotation: 'every-message',
      },
    });
    const device = await enrolled('DEV-3');
    const url = device.credential.managementUrl;
    device.take(await post(url, device.start()));
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const hdr = device.take(await post(url, device.start()));
      expect(hdr.data).toBe('200');
      expect(hdr.chal?.meta.nextNonce).toBeDefined();
      seen.add(device.nonce.toString('base64'));
    }
    expect(seen.size).toBe(3);
  });

  it('refuses a device that never enrolled (403), and one that unenrolled with Alert 1226', async () => {
    clock = new VirtualClock({ start: T0 });
    await start();
    const stranger = new Device('NOBODY', {
      name: 'NOBODY',
      secret: 's',
      initialNonce: Buffer.from('n'),
      managementUrl: running.enrollment?.urls.management ?? '',
    });
    const refused = await post(stranger.credential.managementUrl, stranger.start());
    expect(refused.commands).toEqual([expect.objectContaining({ cmd: 'SyncHdr', data: '403' })]);
    expect(events.at(-1)).toMatchObject({ type: 'mdm.auth-refused', reason: 'not-enrolled' });

    const device = await enrolled('DEV-4');
    const url = device.credential.managementUrl;
    device.take(await post(url, device.start()));
    const unenroll = device.message(
      [
        {
          kind: 'Alert',
          cmdId: '1',
          data: '1226',
          items: [
            {
              meta: { type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int' },
              data: '1',
            },
          ],
        },
      ],
      device.cred(),
      { newSession: true },
    );
    expect(device.take(await post(url, unenroll)).data).toBe('200');
    expect(types()).toContain('mdm.device-unenrolled');
    expect(running.enrollment?.registry.get('DEV-4')?.unenrolledAt).toBe(T0);
    const after = await post(url, device.start());
    expect(device.take(after).data).toBe('403');
    expect(events.at(-1)).toMatchObject({ reason: 'unenrolled' });
  });

  it('keeps enrollments across a restart with the same state file', async () => {
    clock = new VirtualClock({ start: T0 });
    const file = join(dir, 'state.db');
    store = new SqliteStateStore(StateFile.open(file), { schedule: () => undefined });
    const commit = (): void => store?.commit();
    await start({ store, beforeReply: commit });
    const device = await enrolled('DEV-5');
    device.take(await post(device.credential.managementUrl, device.start()));
    await running.close();
    store.close();

    store = new SqliteStateStore(StateFile.open(file), { schedule: () => undefined });
    const saved = readSavedEnrollments(file, store.read());
    expect(saved.map((r) => r.deviceId)).toEqual(['DEV-5']);
    await start({ store, beforeReply: commit });
    running.enrollment?.registry.load(saved);
    const url = running.enrollment?.urls.management ?? '';
    // The nonce issued before the restart is still the one to hash.
    expect(device.take(await post(url, device.start())).data).toBe('200');
  });
});
