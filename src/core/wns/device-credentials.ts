import { MapTable, type RecordTable } from '../state/state-store.js';

/**
 * What the emulator keeps of a device's credential: the SHA-256 of the secret (lowercase hex),
 * never the secret itself, and when it was issued or first presented.
 */
export interface DeviceCredentialRecord {
  readonly hash: string;
  /** Epoch ms. */
  readonly issuedAt: number;
}

/** A credential record as durable state keeps it. */
export interface SavedDeviceCredential extends DeviceCredentialRecord {
  readonly deviceId: string;
}

/** Devices whose identity is proven with a key their process holds (`dmpush serve`'s fleet). */
export interface FleetTrust {
  /** The fleet's key (secret; never saved, never logged). */
  readonly key: Uint8Array;
  readonly deviceIds: ReadonlySet<string>;
}

/**
 * Who may speak for a device on the emulator's device endpoint (decision 0011). Two kinds of
 * proof:
 *
 * - **Trust on first use**: the first device to say hello under an id gets a credential (or has
 *   the one it presents recorded); from then on only that credential speaks for the id. Records
 *   hold hashes and live in the table `wns-credential`, so they survive a restart.
 * - **A fleet key**: devices of one `dmpush serve` process prove their id with a key derived from
 *   a key the process holds; those ids accept no other proof. Kept in memory only: the fleet and
 *   its emulator start and stop together.
 *
 * Pure bookkeeping: hashing and the constant-time comparison are the WebSocket adapter's
 * (`src/adapters/ws/device-credentials.ts`).
 */
export class DeviceCredentials {
  private fleet: FleetTrust | null = null;

  constructor(
    /** Where the records are kept (a state store's `wns-credential` table). */
    private readonly records: RecordTable<DeviceCredentialRecord> = new MapTable('wns-credential'),
  ) {}

  /** The record of a device that has a first-use credential, if any. */
  recordOf(deviceId: string): DeviceCredentialRecord | undefined {
    return this.records.get(deviceId);
  }

  /** Records a device's credential by its hash (first use). */
  record(deviceId: string, hash: string, now: number): void {
    this.records.set(deviceId, { hash, issuedAt: now });
  }

  /**
   * Trusts devices proving `key` for `deviceIds` (a fleet's devices); replaces an earlier fleet.
   * Those ids no longer accept first-use credentials.
   */
  trustFleet(key: Uint8Array, deviceIds: Iterable<string>): void {
    this.fleet = { key: Uint8Array.from(key), deviceIds: new Set(deviceIds) };
  }

  /** The fleet key that proves `deviceId`, or null when the device is not a fleet's. */
  fleetKeyOf(deviceId: string): Uint8Array | null {
    return this.fleet?.deviceIds.has(deviceId) ? this.fleet.key : null;
  }

  /** First-use records kept. */
  get size(): number {
    return this.records.size;
  }

  /** Forgets every first-use record (an emulator reset); a trusted fleet stays. */
  clear(): void {
    this.records.clear();
  }

  /** Every first-use record, for durable state. */
  save(): SavedDeviceCredential[] {
    return [...this.records.entries()].map(([deviceId, r]) => ({ deviceId, ...r }));
  }

  /** Takes back what {@link save} returned. */
  load(saved: readonly SavedDeviceCredential[]): void {
    this.records.clear();
    for (const { deviceId, hash, issuedAt } of saved)
      this.records.set(deviceId, { hash, issuedAt });
  }
}
