/**
 * The Windows versions a simulated device may run, and what each one changes: its build number
 * (`DevDetail/SwV` `10.0.<build>.<qfe>`), which CSP nodes it has, which DMClient retry logic it
 * applies, and the `RequestVersion` its enrollment client sends. Sources and assumptions are in
 * docs/model.md §14.
 *
 * @module
 */
import { ValidationError } from '../errors.js';

/** Every version a device may name, oldest first: Windows 10 by its name, Windows 11 as `11-…`. */
export const OS_NAMES = [
  '1511',
  '1607',
  '1703',
  '1709',
  '1803',
  '1809',
  '1903',
  '1909',
  '2004',
  '20H2',
  '21H1',
  '21H2',
  '22H2',
  '11-21H2',
  '11-22H2',
  '11-23H2',
  '11-24H2',
  '11-25H2',
] as const;

/** A Windows version by name (`'1607'`, `'22H2'`, `'11-24H2'`…). */
export type OsName = (typeof OS_NAMES)[number];

/**
 * Earlier spellings, still accepted and read as the version they name (the device tree's build
 * table used `win11-…` before Windows 11 profiles existed).
 */
export const OS_ALIASES: Readonly<Record<string, OsName>> = {
  'win11-22H2': '11-22H2',
  'win11-23H2': '11-23H2',
  'win11-24H2': '11-24H2',
};

/** Which DMClient retry logic a version applies ([PUSH]): 1511's, or 1607's network check first. */
export type RetryLogic = '1511' | '1607';

/** What one Windows version is, for the simulator. */
export interface OsProfile {
  readonly name: OsName;
  readonly family: 'windows10' | 'windows11';
  /** `Windows 10, version 1607`, `Windows 11, version 24H2`. */
  readonly displayName: string;
  /** The OS build: `SwV` is `10.0.<build>.<qfe>`. */
  readonly build: number;
  readonly retryLogic: RetryLogic;
  /** `RequestVersion` of the MS-MDE2 Discover request its enrollment client sends. */
  readonly requestVersion: string;
}

/** Build and enrollment RequestVersion of each version (see docs/model.md §14 for the sources). */
const TABLE: Readonly<Record<OsName, readonly [build: number, requestVersion: string]>> = {
  '1511': [10586, '4.0'],
  '1607': [14393, '4.0'],
  '1703': [15063, '4.0'],
  '1709': [16299, '4.0'],
  '1803': [17134, '4.0'],
  '1809': [17763, '4.0'],
  '1903': [18362, '4.0'],
  '1909': [18363, '4.0'],
  '2004': [19041, '4.0'],
  '20H2': [19042, '4.0'],
  '21H1': [19043, '4.0'],
  '21H2': [19044, '4.0'],
  '22H2': [19045, '4.0'],
  '11-21H2': [22000, '5.0'],
  '11-22H2': [22621, '5.0'],
  '11-23H2': [22631, '6.0'],
  '11-24H2': [26100, '7.0'],
  '11-25H2': [26200, '9.0'],
};

function makeProfile(name: OsName): OsProfile {
  const [build, requestVersion] = TABLE[name];
  const eleven = name.startsWith('11-');
  return {
    name,
    family: eleven ? 'windows11' : 'windows10',
    displayName: eleven ? `Windows 11, version ${name.slice(3)}` : `Windows 10, version ${name}`,
    build,
    retryLogic: name === '1511' ? '1511' : '1607',
    requestVersion,
  };
}

const PROFILES: ReadonlyMap<OsName, OsProfile> = new Map(OS_NAMES.map((n) => [n, makeProfile(n)]));

/** Whether `name` is a version name (not an alias). */
export function isOsName(name: string): name is OsName {
  return PROFILES.has(name as OsName);
}

/** The version `name` stands for (an alias gives its version), or null for an unknown name. */
export function osNameOf(name: string): OsName | null {
  if (isOsName(name)) return name;
  return OS_ALIASES[name] ?? null;
}

/** `expected one of 1511, 1607, …` for error messages. */
export const OS_NAMES_TEXT = `one of ${OS_NAMES.join(', ')}`;

/**
 * The profile of the version `name` (or of its alias).
 *
 * @throws {ValidationError} for an unknown name, listing the valid ones.
 * @example
 * ```ts
 * osProfile('11-24H2').build; // 26100
 * osProfile('1511').retryLogic; // '1511'
 * ```
 */
export function osProfile(name: string): OsProfile {
  const known = osNameOf(name);
  if (known === null)
    throw new ValidationError([`os: expected ${OS_NAMES_TEXT}, got ${JSON.stringify(name)}`]);
  return PROFILES.get(known) as OsProfile;
}

/**
 * A short label: `Windows 10 1607`, `Windows 11 24H2` (an unknown name: `Windows <name>`).
 *
 * @example
 * ```ts
 * osLabel('11-24H2'); // 'Windows 11 24H2'
 * ```
 */
export function osLabel(name: string): string {
  const known = osNameOf(name);
  if (known === null) return `Windows ${name}`;
  return known.startsWith('11-') ? `Windows 11 ${known.slice(3)}` : `Windows 10 ${known}`;
}

/** Every profile, oldest first. */
export function allOsProfiles(): readonly OsProfile[] {
  return [...PROFILES.values()];
}

/** The profile whose build is `build`, or null (builds are unique per version). */
export function osProfileForBuild(build: number): OsProfile | null {
  return allOsProfiles().find((p) => p.build === build) ?? null;
}

/** The build of a `SwV` value `10.0.<build>.<qfe>`, or NaN when it has none. */
export function buildOf(swV: string): number {
  const build = swV.split('.')[2];
  return build !== undefined && /^\d+$/.test(build) ? Number(build) : Number.NaN;
}

/**
 * CSP nodes that a version has only from a build on (the "Applicable OS" of each node's entry in
 * its CSP reference); every other modelled node exists on every version. Paths are as the device
 * tree defines them, `{ProviderID}` standing for any provider.
 */
export const NODES_SINCE: Readonly<Record<string, number>> = {
  // DevDetail CSP
  './DevDetail/Ext/Microsoft/SMBIOSSerialNumber': 17763,
  './DevDetail/Ext/Microsoft/DNSComputerName': 19041,
  // DMClient CSP
  './Vendor/MSFT/DMClient/HWDevID': 16299,
  './Vendor/MSFT/DMClient/Provider/{ProviderID}/AADDeviceID': 14393,
  './Vendor/MSFT/DMClient/Provider/{ProviderID}/EnrollmentType': 14393,
  './Vendor/MSFT/DMClient/Provider/{ProviderID}/HWDevID': 14393,
  // Policy CSP - Notifications
  './Vendor/MSFT/Policy/Config/Notifications': 17134,
  './Vendor/MSFT/Policy/Config/Notifications/DisallowCloudNotification': 17134,
};

/** Whether a device of build `build` has the node `path` (as written in {@link NODES_SINCE}). */
export function hasNode(build: number, path: string): boolean {
  const since = NODES_SINCE[path];
  return since === undefined || build >= since;
}
