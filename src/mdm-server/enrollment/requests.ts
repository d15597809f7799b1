/**
 * The bodies of the three enrollment requests, read into plain data and checked as Fleet's server
 * checks them (fleetdm/fleet `server/fleet/microsoft_mdm.go`: `IsValidDiscoveryMsg`,
 * `IsValidRequestSecurityTokenMsg`). Each problem is a fault naming the field.
 */
import type { XmlElement } from '../../core/syncml/xml-reader.js';
import { badMessage, EnrollmentFault, quoted } from './faults.js';
import {
  DEVICE_ENROLLMENT_TOKEN,
  MIN_REQUEST_VERSION,
  PKCS10,
  PKCS7,
  REQUEST_ISSUE,
  WINDOWS_DEVICE_TYPE,
} from './mde2.js';
import { attributeOf, childOf, elementsOf, fieldOf, textOf } from './soap-request.js';

/** A Discover request (MS-MDE2 §3.1.4.1.1.1). */
export interface DiscoverRequest {
  readonly emailAddress: string | null;
  readonly requestVersion: string;
  readonly deviceType: string | null;
  readonly applicationVersion: string | null;
  readonly osEdition: string | null;
  readonly authPolicies: readonly string[];
}

const notSupported = (reason: string): EnrollmentFault =>
  new EnrollmentFault('Authorization', reason, 'DeviceNotSupported');

/**
 * Reads a Discover body. RequestVersion must be a version at or above 4.0 (Fleet since
 * fleetdm/fleet#49329) and DeviceType, when sent, `CIMClient_Windows`: otherwise the fault says
 * `DeviceNotSupported`.
 */
export function readDiscover(body: XmlElement): DiscoverRequest {
  const request = childOf(body, 'request');
  if (!request) throw badMessage('Discover/request: missing');
  const requestVersion = fieldOf(request, 'RequestVersion');
  if (requestVersion === null) throw badMessage('Discover/request/RequestVersion: missing');
  const version = /^\d+(\.\d+)?$/.test(requestVersion) ? Number(requestVersion) : NaN;
  if (Number.isNaN(version))
    throw badMessage(
      `RequestVersion: expected a version such as 4.0, got ${quoted(requestVersion)}`,
    );
  if (version < MIN_REQUEST_VERSION)
    throw notSupported(`RequestVersion ${quoted(requestVersion)} is not supported (4.0 or later)`);
  const deviceType = fieldOf(request, 'DeviceType');
  if (deviceType !== null && deviceType !== WINDOWS_DEVICE_TYPE)
    throw notSupported(
      `DeviceType ${quoted(deviceType)} is not supported (${WINDOWS_DEVICE_TYPE})`,
    );
  const policies = childOf(request, 'AuthPolicies');
  return {
    emailAddress: fieldOf(request, 'EmailAddress'),
    requestVersion,
    deviceType,
    applicationVersion: fieldOf(request, 'ApplicationVersion'),
    osEdition: fieldOf(request, 'OSEdition'),
    authPolicies: policies ? elementsOf(policies).map(textOf) : [],
  };
}

/** The AdditionalContext items Fleet requires of an enrollment request. */
const REQUIRED_CONTEXT = ['DeviceID', 'HWDevID', 'EnrollmentType', 'OSEdition', 'OSVersion'];

/** A RequestSecurityToken (MS-MDE2 §3.4.4.1), checked. */
export interface EnrollRequest {
  /** Base64 DER of the PKCS#10 request. */
  readonly csr: string;
  /** AdditionalContext items by name (the first of repeated names, e.g. MAC). */
  readonly context: ReadonlyMap<string, string>;
  readonly deviceId: string;
  readonly hwDevId: string;
  readonly enrollmentType: 'Full' | 'Device';
}

function readContext(token: XmlElement): Map<string, string> {
  const context = new Map<string, string>();
  for (const item of elementsOf(childOf(token, 'AdditionalContext') ?? token)) {
    if (item.local !== 'ContextItem') continue;
    const name = attributeOf(item, 'Name');
    if (name !== null && !context.has(name)) context.set(name, fieldOf(item, 'Value') ?? '');
  }
  return context;
}

/**
 * Reads and checks a RequestSecurityToken body: TokenType DeviceEnrollmentToken, RequestType
 * Issue, a PKCS#10 BinarySecurityToken, and the AdditionalContext items Fleet requires
 * (DeviceID, HWDevID, EnrollmentType Full or Device, OSEdition, OSVersion). A DeviceType other
 * than `CIMClient_Windows` is `DeviceNotSupported`. Renewals (RequestType Renew, PKCS#7) are not
 * served.
 */
export function readEnrollRequest(body: XmlElement): EnrollRequest {
  const tokenType = fieldOf(body, 'TokenType');
  if (tokenType !== DEVICE_ENROLLMENT_TOKEN)
    throw badMessage(
      `wst:TokenType: expected ${DEVICE_ENROLLMENT_TOKEN}, got ${tokenType === null ? 'none' : quoted(tokenType)}`,
    );
  const requestType = fieldOf(body, 'RequestType');
  if (requestType !== REQUEST_ISSUE)
    throw badMessage(
      `wst:RequestType: expected ${REQUEST_ISSUE} (renewal is not served), got ${requestType === null ? 'none' : quoted(requestType)}`,
    );
  const token = childOf(body, 'BinarySecurityToken');
  const valueType = token ? attributeOf(token, 'ValueType') : null;
  if (valueType !== PKCS10)
    throw badMessage(
      `BinarySecurityToken ValueType: expected ${PKCS10}, got ${valueType === null ? 'none' : quoted(valueType)}` +
        (valueType === PKCS7 ? ' (PKCS#7 renewal is not served)' : ''),
    );
  const csr = textOf(token);
  if (csr === '') throw badMessage('BinarySecurityToken: empty (expected a base64 PKCS#10)');
  const context = readContext(body);
  const missing = REQUIRED_CONTEXT.filter((name) => !context.get(name));
  if (missing.length > 0)
    throw badMessage(
      `AdditionalContext: missing ${missing.map((n) => `ContextItem ${n}`).join(', ')}`,
    );
  const enrollmentType = context.get('EnrollmentType');
  if (enrollmentType !== 'Full' && enrollmentType !== 'Device')
    throw badMessage(
      `ContextItem EnrollmentType: expected Full or Device, got ${quoted(enrollmentType ?? '')}`,
    );
  const deviceType = context.get('DeviceType');
  if (deviceType !== undefined && deviceType !== WINDOWS_DEVICE_TYPE)
    throw notSupported(
      `DeviceType ${quoted(deviceType)} is not supported (${WINDOWS_DEVICE_TYPE})`,
    );
  return {
    csr,
    context,
    deviceId: context.get('DeviceID') as string,
    hwDevId: context.get('HWDevID') as string,
    enrollmentType,
  };
}
