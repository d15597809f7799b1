/**
 * MS-XCEP GetPolicies as MS-MDE2 §3.3 uses it: the request (with the credentials' WS-Security
 * header) and what the client reads of the answer. Windows reads the minimal key length and the
 * hash algorithm ("On-premises authentication device enrollment": "We will first support the
 * minimalKeyLength, the hashAlgorithmOIDReference policies, and the CryptoProviders"); this
 * client reads those, the validity periods and the crypto providers, and ignores the rest.
 */
import type { CsrHash } from './device-profile.js';
import { securityHeader, type EnrollmentCredentials } from './credentials.js';
import { EnrollMessageError } from './errors.js';
import {
  ACTION_GET_POLICIES,
  NS_AC,
  NS_POLICY,
  NS_WSSE,
  NS_WST,
  NS_WSU,
  NS_XSD,
  NS_XSI,
} from './mde2-uris.js';
import { readReply, writeRequest, type SoapReply } from './soap.js';
import {
  child,
  childrenNamed,
  isNil,
  optionalText,
  textOf,
  type Located,
  type SoapLimits,
} from './soap-reader.js';
import { el } from './xml-out.js';

/** The namespaces Windows declares on the Envelope of GetPolicies and RequestSecurityToken. */
export const WS_NAMESPACES: Readonly<Record<string, string>> = {
  'xmlns:u': NS_WSU,
  'xmlns:wsse': NS_WSSE,
  'xmlns:wst': NS_WST,
  'xmlns:ac': NS_AC,
};

/** Input of {@link buildGetPoliciesRequest}. */
export interface GetPoliciesInput {
  /** A UUID for `a:MessageID`. */
  readonly messageId: string;
  /** `EnrollmentPolicyServiceUrl` from discovery. */
  readonly policyUrl: string;
  readonly credentials: EnrollmentCredentials;
}

/** Writes GetPolicies: `client` with nil `lastUpdate` and `preferredLanguage`, nil `requestFilter`. */
export function buildGetPoliciesRequest(input: GetPoliciesInput): string {
  const nil = { 'xsi:nil': 'true' };
  const body = el(
    'GetPolicies',
    { xmlns: NS_POLICY },
    el('client', {}, el('lastUpdate', nil), el('preferredLanguage', nil)),
    el('requestFilter', nil),
  );
  return writeRequest(
    { action: ACTION_GET_POLICIES, messageId: input.messageId, to: input.policyUrl },
    body,
    {
      security: securityHeader(input.credentials),
      namespaces: WS_NAMESPACES,
      bodyAttributes: { 'xmlns:xsi': NS_XSI, 'xmlns:xsd': NS_XSD },
    },
  );
}

/** The hash algorithm a policy names: its OID and, when known, the WebCrypto name. */
export interface PolicyHash {
  readonly oid: string;
  readonly name?: CsrHash;
}

/** What the client read of a GetPoliciesResponse (of its first policy). */
export interface EnrollmentPolicy {
  /** True when the response holds at least one `policy`. */
  readonly policiesPresent: boolean;
  readonly commonName?: string;
  readonly minimalKeyLength?: number;
  readonly hashAlgorithm?: PolicyHash;
  readonly validityPeriodSeconds?: number;
  readonly renewalPeriodSeconds?: number;
  /** `cryptoProviders/provider` (or `provider` directly under `privateKeyAttributes`, as Fleet). */
  readonly cryptoProviders: readonly string[];
}

/** Hash and hash-with-RSA OIDs by the hash they use. */
const HASH_OIDS: ReadonlyMap<string, CsrHash> = new Map([
  ['1.3.14.3.2.26', 'SHA-1'],
  ['1.3.14.3.2.29', 'SHA-1'],
  ['1.2.840.113549.1.1.5', 'SHA-1'],
  ['2.16.840.1.101.3.4.2.1', 'SHA-256'],
  ['1.2.840.113549.1.1.11', 'SHA-256'],
  ['2.16.840.1.101.3.4.2.2', 'SHA-384'],
  ['1.2.840.113549.1.1.12', 'SHA-384'],
  ['2.16.840.1.101.3.4.2.3', 'SHA-512'],
  ['1.2.840.113549.1.1.13', 'SHA-512'],
]);

function wholeNumber(at: Located, local: string): number | undefined {
  const text = optionalText(at, local);
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(text)) {
    throw new EnrollMessageError(
      `${at.path}/${local}`,
      `expected a whole number, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return Number(text);
}

function readHash(attributes: Located, response: Located): PolicyHash | undefined {
  const reference = optionalText(attributes, 'hashAlgorithmOIDReference');
  if (reference === undefined) return undefined;
  const oids = child(response, 'oIDs');
  const match = oids
    ? childrenNamed(oids, 'oID').find((oid) => optionalText(oid, 'oIDReferenceID') === reference)
    : undefined;
  const value = match && optionalText(match, 'value');
  if (value === undefined) {
    throw new EnrollMessageError(
      `${attributes.path}/hashAlgorithmOIDReference`,
      `references oID ${JSON.stringify(reference.slice(0, 20))}, which oIDs does not define`,
    );
  }
  const name = HASH_OIDS.get(value);
  return { oid: value, ...(name !== undefined && { name }) };
}

function providers(keyAttributes: Located | undefined): string[] {
  if (keyAttributes === undefined) return [];
  const wrapper = child(keyAttributes, 'cryptoProviders');
  const holder = wrapper && !isNil(wrapper) ? wrapper : keyAttributes;
  return childrenNamed(holder, 'provider').map(textOf);
}

function readPolicies(response: Located): EnrollmentPolicy {
  const inner = child(response, 'response');
  const policies = inner && child(inner, 'policies');
  const policy = policies && !isNil(policies) ? child(policies, 'policy') : undefined;
  const attributes = policy && child(policy, 'attributes');
  if (attributes === undefined)
    return { policiesPresent: policy !== undefined, cryptoProviders: [] };
  const keyAttributes = child(attributes, 'privateKeyAttributes');
  const validity = child(attributes, 'certificateValidity');
  const commonName = optionalText(attributes, 'commonName');
  const minimalKeyLength = keyAttributes && wholeNumber(keyAttributes, 'minimalKeyLength');
  const hashAlgorithm = readHash(attributes, response);
  const validityPeriodSeconds = validity && wholeNumber(validity, 'validityPeriodSeconds');
  const renewalPeriodSeconds = validity && wholeNumber(validity, 'renewalPeriodSeconds');
  return {
    policiesPresent: true,
    ...(commonName !== undefined && { commonName }),
    ...(minimalKeyLength !== undefined && { minimalKeyLength }),
    ...(hashAlgorithm !== undefined && { hashAlgorithm }),
    ...(validityPeriodSeconds !== undefined && { validityPeriodSeconds }),
    ...(renewalPeriodSeconds !== undefined && { renewalPeriodSeconds }),
    cryptoProviders: providers(keyAttributes),
  };
}

/**
 * Reads a GetPoliciesResponse (or a fault).
 *
 * @throws {@link EnrollMessageError} naming the element path when the reply is not one.
 */
export function parseGetPoliciesResponse(
  xml: string,
  limits?: SoapLimits,
): SoapReply<EnrollmentPolicy> {
  return readReply(xml, 'GetPoliciesResponse', readPolicies, limits);
}
