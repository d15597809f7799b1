/**
 * The DM tree of a simulated Windows device: DevInfo, DevDetail ([dmc] §3), the DMClient CSP with
 * its providers ([dmc] §1, `dmclient-nodes.ts`), the DMAcc accounts (`dmacc-nodes.ts`) and the
 * part of the CertificateStore an enrollment fills (`certstore-nodes.ts`). A provisioning document
 * is applied to it by `provisioning-apply.ts`; `account-reader.ts` reads the session's account.
 *
 * Choices, where the reference leaves them open:
 * - `Push/PFN` exists only while a PFN is set (under the provider that owns it, see
 *   `dmclient-nodes.ts`): with none, Get and Replace are 404 and the server must Add it; Add while
 *   one is set is 418. Add/Replace call `setPfn(value)`, Delete calls `setPfn(null)`.
 * - Delete of `Push` removes the node with its children (clearing the PFN through `setPfn(null)`);
 *   until the server Adds `Push` again, `Push/ChannelURI` and `Push/Status` are 404.
 * - The Poll leaves always exist (the CSP gives each a default): Add is 418, Replace stores the
 *   value (ints must be non-negative integers, bools `true`/`false`, else 415), Delete restores the
 *   CSP default. `PollOnLogin` and `AllUsersPollOnFirstLogin` are stored without behaviour. Every
 *   provider's numeric Poll nodes are the device's one poll schedule.
 * - `Provider/{ProviderID}` is dynamic (Add, Delete, Get): Add of a new one creates it with the
 *   nodes below and their defaults, Add of an existing one is 418, Delete removes it with all its
 *   nodes (calling `providerRemoved(id)`, then clearing the PFN if the provider held it). A device
 *   starts with its configured provider, or with none (a device about to enroll).
 * - `EntDMID`, `EntDeviceName`, `ExchangeID`, `UPN` and `Help*` start absent. `AADDeviceID` is
 *   empty (the device is not Entra-joined).
 * - `ManagementServiceAddress` starts empty and is stored without behaviour: the session's server
 *   URL comes from the DM account (or the session's caller).
 * - `MaxSyncApplicationVersion` follows the build of `SwV`; `SyncApplicationVersion` is checked
 *   (`dmclient-nodes.ts`, `sync-version.ts`).
 * - `Unenroll` Exec is 406 (not modelled).
 * - The tree has the nodes of the device's Windows version (read from its `SwV` build): a node
 *   that came with a later version (`DMClient/HWDevID` from 1709, `AADDeviceID` from 1607,
 *   `DNSComputerName` from 2004, Policy `DisallowCloudNotification` from 1803…; see `NODES_SINCE`
 *   in `core/os/os-profiles.ts`) is absent on an older one, so a Get of it is 404.
 */
import type { PollConfig } from '../dmclient/poll-schedule.js';
import { buildOf, hasNode, osProfile } from '../os/os-profiles.js';
import type { PushNodes } from '../ports.js';
import { formatInstant } from '../time/iso.js';
import { defineCertificateStore } from './certstore-nodes.js';
import { G, GR } from './csp-nodes.js';
import { defineDmAcc } from './dmacc-nodes.js';
import {
  DMCLIENT,
  PUSH_PROVIDER,
  providerNodes,
  validProviderId,
  type DmClientBindings,
  type PollPatch,
  type PushOwner,
} from './dmclient-nodes.js';
import { DmTree, type AccessType, type NodeFormat } from './dm-tree.js';
import { definePolicyNodes } from './policy-nodes.js';

export type { PollPatch } from './dmclient-nodes.js';

/** The values DevInfo and DevDetail report ([dmc] §3). */
export interface DeviceIdentity {
  /** `DevInfo/DevId`: a GUID on desktop. */
  readonly devId: string;
  readonly man: string;
  readonly mod: string;
  readonly dmV: string;
  readonly lang: string;
  /** `DevDetail/SwV`: `10.0.<build>.<qfe>`. */
  readonly swV: string;
  readonly oem: string;
  readonly fwV: string;
  readonly hwV: string;
  readonly deviceName: string;
  readonly processorArchitecture: string;
  readonly totalRamMB: number;
  readonly serialNumber: string;
}

/** How the tree reads and changes the device it belongs to. */
export interface WindowsTreeBindings extends DmClientBindings {
  /** The device's current instant, epoch ms (`DevDetail/Ext/Microsoft/LocalTime`, given in UTC). */
  now(): number;
  /** `Push/PFN`, `Push/ChannelURI` (null → empty data), `Push/Status`. */
  readPush(): PushNodes;
  /** Add/Replace of `Push/PFN` → the value; Delete of `Push/PFN` or an ancestor → null. */
  setPfn(pfn: string | null): void;
  pollConfig(): PollConfig;
  /** Add/Replace/Delete of the six numeric Poll nodes. */
  setPoll(patch: PollPatch): void;
  /**
   * Delete of a DMAcc account `./SyncML/DMAcc/{AccountUID}`: a server-side unenroll when it is
   * the account of the device's enrolled provider (the device decides).
   */
  accountRemoved?(accountUid: string): void;
  /** Runs each change of the tree's stored nodes (as an update of the device's record). */
  update?(change: () => void): void;
  /** A server changed Policy `Notifications/DisallowCloudNotification` (1803+): its new meaning. */
  cloudNotificationChanged?(disallowed: boolean): void;
}

/**
 * Builds the device's tree. `providerId` names the provider the device starts with
 * (`./Vendor/MSFT/DMClient/Provider/{providerId}`, holding the device's PFN), or is null for a
 * device with none yet (a device about to enroll: the provisioning document creates it). Reads and
 * writes of the Push and Poll nodes go through `bindings`, so the tree always shows the device's
 * current state.
 */
export function windowsTree(
  identity: DeviceIdentity,
  providerId: string | null,
  bindings: WindowsTreeBindings,
): DmTree {
  if (providerId !== null && !validProviderId(providerId))
    throw new Error(`windowsTree: '${providerId}' is not a valid provider id (one URI segment)`);
  const tree = new DmTree(bindings.update && ((change) => bindings.update?.(change)));
  const build = buildOf(identity.swV);
  const node = (uri: string, access: readonly AccessType[] = G): void => {
    tree.define(uri, { format: 'node', access });
  };
  const leaf = (
    uri: string,
    format: NodeFormat,
    value: string | undefined,
    access: readonly AccessType[] = G,
  ): void => {
    if (!hasNode(build, uri)) return;
    tree.define(uri, value === undefined ? { format, access } : { format, access, value });
  };

  node('./DevInfo');
  leaf('./DevInfo/DevId', 'chr', identity.devId);
  leaf('./DevInfo/Man', 'chr', identity.man);
  leaf('./DevInfo/Mod', 'chr', identity.mod);
  leaf('./DevInfo/DmV', 'chr', identity.dmV);
  leaf('./DevInfo/Lang', 'chr', identity.lang);

  node('./DevDetail');
  leaf('./DevDetail/DevTyp', 'chr', identity.mod);
  leaf('./DevDetail/OEM', 'chr', identity.oem);
  leaf('./DevDetail/FwV', 'chr', identity.fwV);
  leaf('./DevDetail/SwV', 'chr', identity.swV);
  leaf('./DevDetail/HwV', 'chr', identity.hwV);
  leaf('./DevDetail/LrgObj', 'bool', 'true');
  node('./DevDetail/URI');
  // 0 = unlimited ([dmc] §3); the simulator enforces no limit.
  leaf('./DevDetail/URI/MaxDepth', 'int', '0');
  leaf('./DevDetail/URI/MaxTotLen', 'int', '0');
  leaf('./DevDetail/URI/MaxSegLen', 'int', '0');
  node('./DevDetail/Ext');
  node('./DevDetail/Ext/Microsoft');
  const ext = './DevDetail/Ext/Microsoft';
  leaf(`${ext}/ProcessorArchitecture`, 'chr', identity.processorArchitecture);
  leaf(`${ext}/OSPlatform`, 'chr', osPlatform(identity.swV));
  tree.define(`${ext}/LocalTime`, {
    format: 'chr',
    access: G,
    read: () => formatInstant(bindings.now()),
  });
  leaf(`${ext}/DeviceName`, 'chr', identity.deviceName, GR);
  leaf(`${ext}/DNSComputerName`, 'chr', identity.deviceName, GR);
  leaf(`${ext}/TotalRAM`, 'int', String(identity.totalRamMB));
  leaf(`${ext}/SMBIOSSerialNumber`, 'chr', identity.serialNumber);

  const hwDevId = hardwareDeviceId(identity.devId);
  node('./Vendor');
  node('./Vendor/MSFT');
  node(DMCLIENT);
  leaf(`${DMCLIENT}/HWDevID`, 'chr', hwDevId);
  // The provider's nodes, less those the version does not have yet.
  const provider = (id: string) =>
    providerNodes(id, bindings, owner, hwDevId, identity.swV).filter(({ path }) =>
      hasNode(build, `${DMCLIENT}/Provider/{ProviderID}/${path}`),
    );
  tree.define(PUSH_PROVIDER, { format: 'chr', access: [], value: providerId ?? '', hidden: true });
  const owner: PushOwner = {
    get: () => tree.peek(PUSH_PROVIDER) || null,
    set: (id) => tree.poke(PUSH_PROVIDER, id),
  };
  tree.define(`${DMCLIENT}/Provider`, {
    format: 'node',
    access: G,
    children: {
      nodes: (id) => (validProviderId(id) ? provider(id) : null),
    },
  });
  if (providerId !== null) {
    const base = `${DMCLIENT}/Provider/${providerId}`;
    for (const { path, spec } of provider(providerId))
      tree.define(path === '' ? base : `${base}/${path}`, spec);
  }
  definePolicyNodes(tree, build, (disallowed) => bindings.cloudNotificationChanged?.(disallowed));
  defineCertificateStore(tree);
  defineDmAcc(tree, bindings.accountRemoved && ((uid) => bindings.accountRemoved?.(uid)));
  return tree;
}

/**
 * The hardware device ID of a device (`DMClient/HWDevID`, and the `HWDevID` its enrollment sends):
 * 64 uppercase hex digits hashed from its DevId.
 */
export function hardwareDeviceId(devId: string): string {
  return hexDigest(`hwdevid:${devId}`, 8).toUpperCase();
}

/** `Windows 11 Enterprise` from build 22000 on, `Windows 10 Enterprise` before. */
function osPlatform(swV: string): string {
  const build = Number(swV.split('.')[2]);
  return build >= 22000 ? 'Windows 11 Enterprise' : 'Windows 10 Enterprise';
}

/** FNV-1a, 32 bits. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** `words` × 8 hex digits, each word the FNV-1a hash of `text` salted with its index. */
function hexDigest(text: string, words: number): string {
  let out = '';
  for (let i = 0; i < words; i++) out += fnv1a(`${i}:${text}`).toString(16).padStart(8, '0');
  return out;
}

/**
 * A deterministic, realistic identity for a device id (the same id always gives the same values,
 * and nothing is random): a GUID-looking DevId hashed from the id, a fictional Contoso machine, a
 * `DESKTOP-XXXXXXX` name, and `SwV` `10.0.<build>.<qfe>` with the build of `os` (`1511` → 10586 …
 * `22H2` → 19045, `11-21H2` → 22000 … `11-25H2` → 26200; the older spellings `win11-22H2`… are
 * accepted). The QFE is derived from the id, not a real patch level.
 *
 * @throws {ValidationError} for an `os` that names no version (the message lists them).
 */
export function defaultIdentity(deviceId: string, os: string): DeviceIdentity {
  const hex = hexDigest(`devid:${deviceId}`, 4).toUpperCase();
  const devId = [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ].join('-');
  const h = fnv1a(`identity:${deviceId}`);
  const swV = `10.0.${osProfile(os).build}.${(h % 1999) + 1}`;
  const name = (
    fnv1a(`name:${deviceId}`).toString(36) + fnv1a(`name2:${deviceId}`).toString(36)
  ).toUpperCase();
  const serial = String(fnv1a(`serial:${deviceId}`) % 1_000_000_000).padStart(9, '0');
  return {
    devId,
    man: 'Contoso Ltd.',
    mod: 'Contoso Book 14',
    dmV: '1.3',
    lang: 'en-US',
    swV,
    oem: 'Contoso Ltd.',
    fwV: '1.12.0',
    hwV: '1.12.0',
    deviceName: `DESKTOP-${name.slice(0, 7).padEnd(7, '0')}`,
    processorArchitecture: 'x64',
    totalRamMB: 8192 * 2 ** (h % 3),
    serialNumber: `CTS${serial}`,
  };
}
