/**
 * The DM session protocol version of the DMClient CSP ([DMC] `Provider/{ProviderID}/
 * SyncApplicationVersion` and `MaxSyncApplicationVersion`) and what it changes in a session
 * ([OMA] "OMA DM protocol support", SessionID). Pure rules; the nodes are in `dmclient-nodes.ts`,
 * the session in `client-session.ts`.
 *
 * - `SyncApplicationVersion` "Used by the management server to set the DM session version that
 *   the server and device should use. Default is 1.0. In Windows 10, the DM session protocol
 *   version of the client is 2.0 … In the next session, check to see if there is a client behavior
 *   change", allowed values `^(\d\.)?(\d)$`, and "Once you set the value to 2.0, it won't go back
 *   to 1.0" [DMC].
 * - `MaxSyncApplicationVersion` "Used by the client to indicate the latest DM session version that
 *   it supports" [DMC]; no source gives it per Windows version (see {@link maxSyncApplicationVersion}).
 * - With 2.0 the SessionID is 2 bytes instead of a decimal integer [OMA] (see {@link wireSessionId}).
 */
import { DmStatus } from './dm-tree-types.js';

/** The CSP's allowed values of `SyncApplicationVersion` [DMC]. */
const SYNC_VERSION_PATTERN = /^(\d\.)?(\d)$/;

/** `SyncApplicationVersion`'s default [DMC]. */
export const DEFAULT_SYNC_VERSION = '1.0';

/** The first build of Windows 10 (1507, 10.0.10240), where the client's version is 2.0 [DMC]. */
const WINDOWS_10_FIRST_BUILD = 10240;

/** Whether `value` matches the CSP's pattern `^(\d\.)?(\d)$`. */
export function validSyncVersion(value: string): boolean {
  return SYNC_VERSION_PATTERN.test(value);
}

/** The numeric value of a valid version (`2` and `2.0` are both 2); NaN for an invalid one. */
export function syncVersionNumber(value: string): number {
  return validSyncVersion(value) ? Number(value) : Number.NaN;
}

/**
 * `MaxSyncApplicationVersion` of a Windows build: `2.0` from Windows 10 (build 10240) on, `1.0`
 * before and for an unknown build. [DMC]: "In Windows 10, the DM session protocol version of the
 * client is 2.0". **Assumption**: no public source gives a higher figure for a later build; the
 * behaviours of later versions (such as `UserAgentOrigin` from 4.0, [MS-MDM] 3.1.7.2) are not
 * modelled, so no simulated device claims them.
 */
export function maxSyncApplicationVersion(build: number): string {
  return Number.isFinite(build) && build >= WINDOWS_10_FIRST_BUILD ? '2.0' : '1.0';
}

/**
 * The status refusing a change of `SyncApplicationVersion` from `current` to `next` (`null` for
 * a Delete, which restores the default 1.0), or null when it is allowed:
 * - 415 when `next` does not match the CSP's pattern ([OMA] 415 "Unsupported type or format");
 * - 406 when it is above `max` ([OMA] 406 "Optional feature not supported": **assumption**, no
 *   source names the code);
 * - 403 when the value is 2.0 or more and the change would lower it ([DMC] "it won't go back to
 *   1.0"; [OMA] 403 "Forbidden. The requested command failed, but the recipient understood the
 *   requested command": **assumption**, no source names the code).
 */
export function syncVersionRefusal(
  next: string | null,
  current: string,
  max: string,
): number | null {
  const target = next ?? DEFAULT_SYNC_VERSION;
  if (!validSyncVersion(target)) return DmStatus.UnsupportedFormat;
  const value = syncVersionNumber(target);
  if (value > syncVersionNumber(max)) return DmStatus.UnsupportedFeature;
  const now = syncVersionNumber(current);
  if (now >= 2 && value < now) return DmStatus.Forbidden;
  return null;
}

/**
 * The SessionID a session writes: under version 1.x the session's number in decimal; from 2.0 on,
 * 2 bytes, written as 4 uppercase hexadecimal digits (`000A`). [OMA] SessionID: "If the server
 * doesn't notify the device that it supports a new version (through SyncApplicationVersion …),
 * the client returns the SessionID in integer in decimal format. If the server supports DM session
 * sync version 2.0, which is used in Windows, the device client returns 2 bytes." The hexadecimal
 * spelling of those 2 bytes is an **assumption** (no published capture shows one).
 *
 * @param counter - The session's number (the transport's per-device counter, from 1); under 2.0
 *   its low 16 bits.
 * @param version - The session's protocol version (a valid `SyncApplicationVersion`).
 */
export function wireSessionId(counter: number, version: string): string {
  if (!Number.isSafeInteger(counter) || counter < 0)
    throw new RangeError(`wireSessionId: ${counter} is not a non-negative integer`);
  if (!(syncVersionNumber(version) >= 2)) return String(counter);
  return (counter % 0x10000).toString(16).toUpperCase().padStart(4, '0');
}
