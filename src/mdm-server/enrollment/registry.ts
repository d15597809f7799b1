/**
 * What the reference server keeps of each enrolled device, through the state port (table
 * `mdm-enrollment` of the server's store), so enrollments survive a restart with a durable
 * store: the credential hash and the nonce its management sessions authenticate with, the
 * certificate it was issued, and when it enrolled and unenrolled. Fleet keeps the same per
 * device (`mdm_windows_enrollments`; the nonce in a key-value store) — fleetdm/fleet
 * `server/service/microsoft_mdm.go`.
 */
import {
  MemoryStateStore,
  type RecordTable,
  type StateStore,
} from '../../core/state/state-store.js';

/** The table of the server's store holding {@link EnrollmentRecord}s. */
export const ENROLLMENT_TABLE = 'mdm-enrollment';

/** The MS-MDE2 authentication policies the server can run. */
export type EnrollmentAuthPolicy = 'OnPremise' | 'Federated';

/** What the server knows of an enrolled device. `credentialHash` and `nonce` are secrets. */
export interface EnrollmentRecord {
  /** AdditionalContext `DeviceID`: the SyncHdr Source (DevId) of its management messages. */
  readonly deviceId: string;
  /** AdditionalContext `HWDevID`: the device certificate's common name. */
  readonly hwDevId: string;
  /** AdditionalContext `EnrollmentType`: `Full` (user) or `Device`. */
  readonly enrollmentType: string;
  readonly deviceName: string | null;
  readonly osVersion: string;
  readonly osEdition: string;
  readonly applicationVersion: string | null;
  readonly authPolicy: EnrollmentAuthPolicy;
  /** The UsernameToken user it enrolled with (OnPremise); null with a token (Federated). */
  readonly user: string | null;
  /** APPSRV `AAUTHNAME`. */
  readonly authName: string;
  /** `B64(MD5(AAUTHNAME ":" AAUTHSECRET))` (see `digest.ts`). */
  readonly credentialHash: string;
  /** Base64 of the nonce the server issued last; null before the first challenge. */
  readonly nonce: string | null;
  /** When {@link nonce} was issued, epoch ms. */
  readonly nonceIssuedAt: number | null;
  /** SHA-1 of the device certificate's DER, uppercase hex. */
  readonly certificateThumbprint: string;
  readonly enrolledAt: number;
  /** When the device asked to be unenrolled (Alert 1226); null while enrolled. */
  readonly unenrolledAt: number | null;
}

/** What may be shown of a record (logs, events, an API): no credential hash, no nonce. */
export type EnrollmentView = Omit<EnrollmentRecord, 'credentialHash' | 'nonce'>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const view = ({ credentialHash: _h, nonce: _n, ...rest }: EnrollmentRecord): EnrollmentView => ({
  ...rest,
});

/** The enrolled devices, by DeviceID; every change goes through the store's table. */
export class EnrollmentRegistry {
  private readonly table: RecordTable<Mutable<EnrollmentRecord>>;

  constructor(store: StateStore = new MemoryStateStore()) {
    this.table = store.table<Mutable<EnrollmentRecord>>(ENROLLMENT_TABLE, (r) => ({ ...r }));
  }

  /** A copy of the record of `deviceId`. */
  get(deviceId: string): EnrollmentRecord | undefined {
    const record = this.table.get(deviceId);
    return record && { ...record };
  }

  /** Adds `record`, replacing an earlier enrollment of the same DeviceID (Fleet does the same). */
  enroll(record: EnrollmentRecord): void {
    this.table.set(record.deviceId, { ...record });
  }

  /** Keeps `nonce` (base64) as the one the device must hash next. */
  setNonce(deviceId: string, nonce: string, issuedAt: number): void {
    this.table.update(deviceId, (r) => {
      r.nonce = nonce;
      r.nonceIssuedAt = issuedAt;
    });
  }

  /** Marks `deviceId` unenrolled at `at`; false when it was not enrolled. */
  unenroll(deviceId: string, at: number): boolean {
    const record = this.table.get(deviceId);
    if (!record || record.unenrolledAt !== null) return false;
    this.table.update(deviceId, (r) => {
      r.unenrolledAt = at;
      r.nonce = null;
      r.nonceIssuedAt = null;
    });
    return true;
  }

  /** Every record, secrets included: what a durable store saves and {@link load} takes back. */
  records(): EnrollmentRecord[] {
    return [...this.table.values()].map((r) => ({ ...r }));
  }

  /** What may be shown of every record. */
  views(): EnrollmentView[] {
    return [...this.table.values()].map(view);
  }

  /** Takes back records {@link records} returned (after a restart), replacing the current ones. */
  load(records: readonly EnrollmentRecord[]): void {
    this.table.clear();
    for (const r of records) this.table.set(r.deviceId, { ...r });
  }
}
