/**
 * The nodes of one `./Vendor/MSFT/DMClient/Provider/{ProviderID}` ([DMC]): the template of the
 * dynamic `{ProviderID}` node (Add, Delete, Get) and the configured provider a device starts with.
 *
 * The device has one WNS channel and one poll schedule, so every provider's Push and numeric Poll
 * nodes are bound to the same device state, with one rule (**assumption**): the PFN belongs to the
 * provider under which `Push/PFN` was last added or replaced (the configured provider at first).
 * Under any other provider `Push/PFN` is absent (Get 404, Add allowed: it moves the PFN there),
 * `Push/ChannelURI` reads empty and `Push/Status` reads 4 (no Channel URI). The owner is kept in a
 * hidden node of the tree ({@link PUSH_PROVIDER}), so it is saved with the tree's state.
 *
 * `MaxSyncApplicationVersion` follows the device's Windows build and `SyncApplicationVersion` is
 * checked against it, against the CSP's pattern and against going back from 2.0
 * (`sync-version.ts`); the value is stored in the tree, so it is part of the tree's saved state.
 */
import { DEFAULT_POLL, type PollConfig, type PollSet } from '../dmclient/poll-schedule.js';
import { PushStatus } from '../dmclient/push-status.js';
import type { DevicePatch } from '../device/conditions.js';
import type { PushNodes } from '../ports.js';
import { ADG, ADGR, AGR, G, GR, NodeList, nonNegative } from './csp-nodes.js';
import type { DynamicNode } from './dm-tree.js';
import { buildOf } from '../os/os-profiles.js';
import {
  DEFAULT_SYNC_VERSION,
  maxSyncApplicationVersion,
  syncVersionRefusal,
  validSyncVersion,
} from './sync-version.js';

/** `./Vendor/MSFT/DMClient`. */
export const DMCLIENT = './Vendor/MSFT/DMClient';

/**
 * The hidden node holding the id of the provider the device's PFN belongs to (`''`: none). Not a
 * CSP node: commands never see it (see `NodeSpec.hidden`).
 */
export const PUSH_PROVIDER = `${DMCLIENT}/#PushProvider`;

/** The poll part of a device patch. */
export type PollPatch = NonNullable<DevicePatch['poll']>;

/** How a provider's nodes read and change the device. */
export interface DmClientBindings {
  /** `Push/PFN`, `Push/ChannelURI` (null → empty data), `Push/Status`. */
  readPush(): PushNodes;
  /** Add/Replace of `Push/PFN` → the value; Delete of `Push/PFN` or an ancestor → null. */
  setPfn(pfn: string | null): void;
  pollConfig(): PollConfig;
  /** Add/Replace/Delete of the six numeric Poll nodes. */
  setPoll(patch: PollPatch): void;
  /**
   * Delete of `Provider/{ProviderID}`: a server-side unenroll when it is the device's enrolled
   * provider (the device decides). Runs before the Delete's other side effects (the PFN's).
   */
  providerRemoved?(providerId: string): void;
}

/** Who holds the PFN: read and written through the tree's hidden {@link PUSH_PROVIDER} node. */
export interface PushOwner {
  get(): string | null;
  set(providerId: string): void;
}

type PollSetName = 'first' | 'second' | 'remaining';

/** The six numeric Poll nodes and the PollConfig field each maps to. */
const POLL_NUMBERS: readonly (readonly [string, PollSetName, keyof PollSet])[] = [
  ['IntervalForFirstSetOfRetries', 'first', 'intervalMinutes'],
  ['NumberOfFirstRetries', 'first', 'count'],
  ['IntervalForSecondSetOfRetries', 'second', 'intervalMinutes'],
  ['NumberOfSecondRetries', 'second', 'count'],
  ['IntervalForRemainingScheduledRetries', 'remaining', 'intervalMinutes'],
  ['NumberOfRemainingScheduledRetries', 'remaining', 'count'],
];

function pollPatch(set: PollSetName, field: keyof PollSet, value: number): PollPatch {
  const change: Partial<PollSet> =
    field === 'count' ? { count: value } : { intervalMinutes: value };
  switch (set) {
    case 'first':
      return { first: change };
    case 'second':
      return { second: change };
    case 'remaining':
      return { remaining: change };
  }
}

/** A provider id is one URI segment: not empty, no `/`, not `.` or `..`. */
export function validProviderId(id: string): boolean {
  return id !== '' && !id.includes('/') && id !== '.' && id !== '..';
}

/**
 * The nodes of `Provider/{id}`, the provider itself first (path `''`), with the CSP's defaults.
 * `hwDevId` is `DMClient/HWDevID` (the provider's `HWDevID` reads the same); `swV` is
 * `DevDetail/SwV`, whose build gives `MaxSyncApplicationVersion`.
 */
export function providerNodes(
  id: string,
  bindings: DmClientBindings,
  owner: PushOwner,
  hwDevId: string,
  swV: string,
): readonly DynamicNode[] {
  const maxVersion = maxSyncApplicationVersion(buildOf(swV));
  const owns = (): boolean => owner.get() === id;
  const list = new NodeList()
    .node('', ADG, { remove: () => bindings.providerRemoved?.(id) })
    .node('Push', ADG)
    .add('Push/PFN', {
      format: 'chr',
      access: ADGR,
      read: () => (owns() ? bindings.readPush().pfn : null),
      write: (value) => {
        bindings.setPfn(value);
        owner.set(id);
      },
      remove: () => bindings.setPfn(null),
    })
    .add('Push/ChannelURI', {
      format: 'chr',
      access: G,
      read: () => (owns() ? (bindings.readPush().channelUri ?? '') : ''),
    })
    .add('Push/Status', {
      format: 'int',
      access: G,
      read: () => String(owns() ? bindings.readPush().status : PushStatus.NoChannelUri),
    })
    .node('Poll', G);
  for (const [name, set, field] of POLL_NUMBERS)
    list.add(`Poll/${name}`, {
      format: 'int',
      access: ADGR,
      accepts: nonNegative,
      read: () => String(bindings.pollConfig()[set][field]),
      write: (value) => bindings.setPoll(pollPatch(set, field, Number(value))),
      // Only a Delete of the node itself restores the default: deleting the provider leaves the
      // device's one poll schedule to the device (providerRemoved).
      remove: (direct) => {
        if (direct) bindings.setPoll(pollPatch(set, field, DEFAULT_POLL[set][field]));
      },
    });
  for (const name of ['PollOnLogin', 'AllUsersPollOnFirstLogin'])
    list.leaf(`Poll/${name}`, 'bool', 'false', ADGR, { resetOnDelete: true });
  return (
    list
      .leaf('EntDMID', 'chr', undefined, ADGR)
      .leaf('EntDeviceName', 'chr', undefined, ADGR)
      .leaf('ExchangeID', 'chr', undefined, ADGR)
      .leaf('AADDeviceID', 'chr', '', G)
      .leaf('HWDevID', 'chr', hwDevId, G)
      .leaf('EnrollmentType', 'chr', 'Full', G)
      .leaf('MaxSyncApplicationVersion', 'chr', maxVersion, G)
      .leaf('ManagementServiceAddress', 'chr', '', GR)
      .leaf('SyncApplicationVersion', 'chr', DEFAULT_SYNC_VERSION, ADGR, {
        accepts: validSyncVersion,
        refuse: (next, current) => syncVersionRefusal(next, current, maxVersion),
        resetOnDelete: true,
      })
      .leaf('RequireMessageSigning', 'bool', 'false', ADGR)
      .leaf('UPN', 'chr', undefined, AGR)
      .leaf('HelpEmailAddress', 'chr', undefined, ADGR)
      .leaf('HelpPhoneNumber', 'chr', undefined, ADGR)
      .leaf('HelpWebsite', 'chr', undefined, ADGR)
      // No exec handler: Exec is 406, unenrollment by Exec is not modelled.
      .leaf('Unenroll', 'null', '', ['Exec', 'Get']).nodes
  );
}
