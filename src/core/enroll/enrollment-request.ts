/**
 * MS-WSTEP RequestSecurityToken as MS-MDE2 §3.4 uses it: the PKCS#10 request in a
 * BinarySecurityToken and the device's `AdditionalContext`.
 */
import { securityHeader, type EnrollmentCredentials } from './credentials.js';
import { resolveProfile, type EnrollDeviceProfile } from './device-profile.js';
import {
  ACTION_RST,
  BASE64_BINARY,
  DEVICE_TYPE_WINDOWS,
  ENROLLMENT_TOKEN_TYPE,
  NS_AC,
  PKCS10_VALUE_TYPE,
  REQUEST_TYPE_ISSUE,
} from './mde2-uris.js';
import { WS_NAMESPACES } from './policy.js';
import { writeRequest } from './soap.js';
import { el } from './xml-out.js';

/** One `ac:ContextItem`: its Name and Value. */
export type ContextItem = readonly [name: string, value: string];

/**
 * The `AdditionalContext` items, in the order a Windows 10 device sends them (a build 19043
 * capture in the README of a Windows MDM server demo forked from oscartbeaumont/windows_mdm;
 * fleetdm/fleet's test client `pkg/mdm/mdmtest/windows.go` has the same order
 * and adds `RequestVersion`): UXInitiated, HWDevID, Locale, TargetedUserLoggedIn, OSEdition,
 * DeviceName, MAC (one per adapter), DeviceID, EnrollmentType, DeviceType, OSVersion,
 * ApplicationVersion, NotInOobe (and RequestVersion on Windows 11). Fleet requires DeviceID,
 * HWDevID, EnrollmentType (Full or Device), OSEdition and OSVersion
 * (`server/fleet/microsoft_mdm.go`, IsValidRequestSecurityTokenMsg).
 */
export function contextItems(profile: EnrollDeviceProfile): ContextItem[] {
  const resolved = resolveProfile(profile);
  const items: ContextItem[] = [
    ['UXInitiated', String(profile.uxInitiated ?? false)],
    ['HWDevID', profile.hwDevId],
    ['Locale', profile.locale ?? 'en-US'],
    ['TargetedUserLoggedIn', String(profile.targetedUserLoggedIn ?? true)],
    ['OSEdition', resolved.osEdition],
    ['DeviceName', profile.deviceName],
    ...(profile.macs ?? []).map((mac): ContextItem => ['MAC', mac]),
    ['DeviceID', profile.devId],
    ['EnrollmentType', resolved.enrollmentType],
    ['DeviceType', DEVICE_TYPE_WINDOWS],
    ['OSVersion', resolved.osVersion],
    ['ApplicationVersion', resolved.osVersion],
    ['NotInOobe', String(profile.notInOobe ?? false)],
  ];
  if (resolved.requestVersionInContext) items.push(['RequestVersion', resolved.requestVersion]);
  return items;
}

/** Input of {@link buildRequestSecurityToken}. */
export interface RequestSecurityTokenInput {
  readonly profile: EnrollDeviceProfile;
  /** A UUID for `a:MessageID`. */
  readonly messageId: string;
  /** `EnrollmentServiceUrl` from discovery. */
  readonly enrollUrl: string;
  readonly credentials: EnrollmentCredentials;
  /** The DER PKCS#10 certificate request, base64. */
  readonly csrBase64: string;
}

/** Writes the RequestSecurityToken (TokenType DeviceEnrollmentToken, RequestType Issue). */
export function buildRequestSecurityToken(input: RequestSecurityTokenInput): string {
  const context = el(
    'ac:AdditionalContext',
    { xmlns: NS_AC },
    ...contextItems(input.profile).map(([name, value]) =>
      el('ac:ContextItem', { Name: name }, el('ac:Value', {}, value)),
    ),
  );
  const body = el(
    'wst:RequestSecurityToken',
    {},
    el('wst:TokenType', {}, ENROLLMENT_TOKEN_TYPE),
    el('wst:RequestType', {}, REQUEST_TYPE_ISSUE),
    el(
      'wsse:BinarySecurityToken',
      { ValueType: PKCS10_VALUE_TYPE, EncodingType: BASE64_BINARY },
      input.csrBase64,
    ),
    context,
  );
  return writeRequest(
    { action: ACTION_RST, messageId: input.messageId, to: input.enrollUrl },
    body,
    { security: securityHeader(input.credentials), namespaces: WS_NAMESPACES },
  );
}
