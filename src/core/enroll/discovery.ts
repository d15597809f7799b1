/**
 * MS-MDE2 discovery (§3.1): the client's `Discover` request and the server's `DiscoverResponse`.
 */
import { resolveProfile, type EnrollDeviceProfile } from './device-profile.js';
import { AUTH_POLICIES, type AuthPolicy } from './credentials.js';
import { EnrollMessageError } from './errors.js';
import { ACTION_DISCOVER, DEVICE_TYPE_WINDOWS, NS_ENROLLMENT, NS_XSI } from './mde2-uris.js';
import { readReply, writeRequest, type SoapReply } from './soap.js';
import {
  optionalText,
  required,
  requiredText,
  type Located,
  type SoapLimits,
} from './soap-reader.js';
import { el } from './xml-out.js';

/** Input of {@link buildDiscoverRequest}. */
export interface DiscoverRequestInput {
  readonly profile: EnrollDeviceProfile;
  /** A UUID for `a:MessageID` (the caller draws it: the core draws no randomness). */
  readonly messageId: string;
  /** The discovery URL the request is POSTed to (`a:To`). */
  readonly discoveryUrl: string;
  /**
   * `AuthPolicies` offered. Default: OnPremise and Federated, as Windows sends them (captures in
   * MS-MDE2 §4 and Fleet's test client); Fleet refuses a Discover that does not offer OnPremise.
   */
  readonly authPolicies?: readonly AuthPolicy[];
}

/**
 * Writes the Discover request: `EmailAddress`, `RequestVersion`, `DeviceType`,
 * `ApplicationVersion`, `OSEdition` and `AuthPolicies`, in the order Windows writes them.
 */
export function buildDiscoverRequest(input: DiscoverRequestInput): string {
  const resolved = resolveProfile(input.profile);
  const policies = input.authPolicies ?? ['OnPremise', 'Federated'];
  const request = el(
    'request',
    { 'xmlns:i': NS_XSI },
    el('EmailAddress', {}, input.profile.email),
    el('RequestVersion', {}, resolved.requestVersion),
    el('DeviceType', {}, DEVICE_TYPE_WINDOWS),
    el('ApplicationVersion', {}, resolved.osVersion),
    el('OSEdition', {}, resolved.osEdition),
    el('AuthPolicies', {}, ...policies.map((policy) => el('AuthPolicy', {}, policy))),
  );
  return writeRequest(
    { action: ACTION_DISCOVER, messageId: input.messageId, to: input.discoveryUrl },
    el('Discover', { xmlns: NS_ENROLLMENT }, request),
  );
}

/** The `DiscoverResult` of a DiscoverResponse (MS-MDE2 §3.1.4.1.3.2). */
export interface DiscoverResult {
  readonly authPolicy: AuthPolicy;
  /** `EnrollmentVersion`, if given. */
  readonly enrollmentVersion?: string;
  /** The MS-XCEP service; absent (or nil): the client skips GetPolicies. */
  readonly enrollmentPolicyServiceUrl?: string;
  /** The MS-WSTEP service. */
  readonly enrollmentServiceUrl: string;
  /** The web authentication broker's start page (Federated). */
  readonly authenticationServiceUrl?: string;
}

function readDiscoverResult(response: Located): DiscoverResult {
  const result = required(response, 'DiscoverResult');
  const authPolicy = requiredText(result, 'AuthPolicy');
  if (!(AUTH_POLICIES as readonly string[]).includes(authPolicy)) {
    throw new EnrollMessageError(
      `${result.path}/AuthPolicy`,
      `expected ${AUTH_POLICIES.join(', ')}, got ${JSON.stringify(authPolicy.slice(0, 40))}`,
    );
  }
  const enrollmentVersion = optionalText(result, 'EnrollmentVersion');
  const policyUrl = optionalText(result, 'EnrollmentPolicyServiceUrl');
  const authUrl = optionalText(result, 'AuthenticationServiceUrl');
  return {
    authPolicy: authPolicy as AuthPolicy,
    ...(enrollmentVersion !== undefined && { enrollmentVersion }),
    ...(policyUrl !== undefined && { enrollmentPolicyServiceUrl: policyUrl }),
    enrollmentServiceUrl: requiredText(result, 'EnrollmentServiceUrl'),
    ...(authUrl !== undefined && { authenticationServiceUrl: authUrl }),
  };
}

/**
 * Reads a DiscoverResponse (or a fault).
 *
 * @throws {@link EnrollMessageError} naming the element path when the reply is not one.
 */
export function parseDiscoverResponse(xml: string, limits?: SoapLimits): SoapReply<DiscoverResult> {
  return readReply(xml, 'DiscoverResponse', readDiscoverResult, limits);
}
