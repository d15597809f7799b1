/**
 * Device credentials on the WNS link (decision 0011): how the emulator checks that a hello speaks
 * for its device, and where a device finds the credential it presents. Secrets are random (from
 * `crypto`, also under a virtual clock), stored only as SHA-256 hashes, compared in constant time
 * and never logged.
 *
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DmpushError } from '../../core/errors.js';
import type { DeviceCredentials } from '../../core/wns/device-credentials.js';

/** What a hello's proof of identity comes to. */
export type Verdict =
  | {
      readonly ok: true;
      /** First use: the hash to record once the device is welcomed (null: nothing to record). */
      readonly record: string | null;
      /** A credential issued now, for the welcome frame (null: the device has its own). */
      readonly issued: string | null;
    }
  | { readonly ok: false; readonly error: string };

/** A device's credential was refused: it is not the device it says it is (close 4003). */
export class DeviceCredentialRefusedError extends DmpushError {
  constructor(
    readonly deviceId: string,
    detail: string,
  ) {
    super(
      'E_CREDENTIAL_REFUSED',
      `WNS emulator refused the credential of device ${JSON.stringify(deviceId)} (close 4003): ` +
        `${detail}; the link stops connecting it`,
    );
  }
}

/** SHA-256 of a secret, as 32 bytes. */
const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** The hash the emulator keeps of a secret: SHA-256, lowercase hex. */
export function hashSecret(secret: string): string {
  return digest(secret).toString('hex');
}

/** True when `presented` hashes to `hashHex`, compared in constant time. */
function secretMatches(presented: string, hashHex: string): boolean {
  const expected = Buffer.from(hashHex, 'hex');
  const actual = digest(presented);
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

/** A new device credential: 32 random bytes, base64url (43 characters). */
function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A new fleet key (32 random bytes) for the devices of one `dmpush serve` process. */
export function newFleetKey(): Buffer {
  return randomBytes(32);
}

/** The credential a fleet's device presents: HMAC-SHA256 of its id under the fleet key. */
function fleetCredential(key: Uint8Array, deviceId: string): string {
  return createHmac('sha256', key).update(`dmpush device\n${deviceId}`).digest('base64url');
}

const refused = (error: string): Verdict => ({ ok: false, error });

/**
 * Checks the credential a hello for `deviceId` presents (or its absence) against what the
 * emulator knows of the device. A fleet's device must prove the fleet key; a device with a
 * first-use record must present that credential; any other device is trusted on first use (it
 * gets a credential, or the one it presents is recorded).
 */
export function authenticate(
  credentials: DeviceCredentials,
  deviceId: string,
  presented: string | undefined,
): Verdict {
  const name = JSON.stringify(deviceId);
  const key = credentials.fleetKeyOf(deviceId);
  if (key) {
    if (presented === undefined)
      return refused(
        `hello: device ${name} belongs to this emulator's fleet: present its credential`,
      );
    return secretMatches(presented, hashSecret(fleetCredential(key, deviceId)))
      ? { ok: true, record: null, issued: null }
      : refused(`hello: the credential presented for device ${name} is not its own`);
  }
  const record = credentials.recordOf(deviceId);
  if (record) {
    if (presented === undefined)
      return refused(
        `hello: device ${name} has a credential (issued on its first hello): present it in "credential"`,
      );
    return secretMatches(presented, record.hash)
      ? { ok: true, record: null, issued: null }
      : refused(`hello: the credential presented for device ${name} is not its own`);
  }
  if (presented !== undefined) return { ok: true, record: hashSecret(presented), issued: null };
  const issued = newDeviceSecret();
  return { ok: true, record: hashSecret(issued), issued };
}

/** Where a link keeps the credentials of its devices. */
export interface LinkCredentials {
  /** The credential to present for `deviceId`, if the device has one. */
  get(deviceId: string): string | undefined;
  /** Keeps a credential the emulator issued to `deviceId` (on its first hello). */
  set(deviceId: string, credential: string): void;
}

/** Credentials kept in memory (the link's default): they last as long as the link's process. */
export function memoryCredentials(): LinkCredentials {
  const map = new Map<string, string>();
  return { get: (id) => map.get(id), set: (id, credential) => void map.set(id, credential) };
}

/** Credentials derived from a fleet key (`dmpush serve`'s devices): nothing to keep. */
export function fleetCredentials(key: Uint8Array): LinkCredentials {
  const copy = Uint8Array.from(key);
  return { get: (id) => fleetCredential(copy, id), set: () => undefined };
}
