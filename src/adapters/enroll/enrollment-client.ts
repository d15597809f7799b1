/**
 * The device's MS-MDE2 enrollment client: discovery (an optional GET probe, then Discover),
 * GetPolicies (MS-XCEP), a key pair and PKCS#10 request, RequestSecurityToken (MS-WSTEP), and the
 * provisioning document with the device's certificate. Each request is a real HTTP(S) exchange
 * with a real-time deadline and a bounded reply; server and network problems end the enrollment
 * with a stage, a status and a reason, never an exception.
 */
import { randomUUID } from 'node:crypto';
import type { ClientIdentity } from '../../core/dm/dm-account.js';
import type { AuthPolicy, EnrollmentCredentials } from '../../core/enroll/credentials.js';
import { resolveProfile, type EnrollDeviceProfile } from '../../core/enroll/device-profile.js';
import {
  buildDiscoverRequest,
  parseDiscoverResponse,
  type DiscoverResult,
} from '../../core/enroll/discovery.js';
import { buildRequestSecurityToken } from '../../core/enroll/enrollment-request.js';
import {
  decodeProvisioningDoc,
  parseEnrollmentResponse,
} from '../../core/enroll/enrollment-response.js';
import { ProvisioningDocError } from '../../core/enroll/errors.js';
import {
  buildGetPoliciesRequest,
  parseGetPoliciesResponse,
  type EnrollmentPolicy,
} from '../../core/enroll/policy.js';
import type { ProvisioningDoc } from '../../core/enroll/wap-doc.js';
import { createCertificateRequest, generateDeviceKey } from './device-key.js';
import { deviceIdentity, type ProvisionedIdentity } from './provisioned-identity.js';
import {
  fail,
  serverUrl,
  soapStep,
  type EnrollFailure,
  type Flow,
  type Step,
} from './enroll-step.js';
import { EnrollAgents, exchange } from './soap-http.js';

export type { EnrollFailure, EnrollStage } from './enroll-step.js';

/** Options of {@link enroll}. */
export interface EnrollOptions {
  /** The discovery URL (`https://enterpriseenrollment.<domain>/EnrollmentServer/Discovery.svc`). */
  readonly discoveryUrl: string;
  readonly profile: EnrollDeviceProfile;
  readonly credentials: EnrollmentCredentials;
  /** Trusted CA certificates, PEM; default Node's store (with `NODE_EXTRA_CA_CERTS`). */
  readonly ca?: string | readonly string[];
  /** Real milliseconds each request may wait for its whole reply (default 30,000). */
  readonly timeoutMs?: number;
  /** Largest reply read, in bytes (default 1 MiB). */
  readonly maxReplyBytes?: number;
  /** Send the discovery GET first, as Windows does (default true); its failure is not fatal. */
  readonly probe?: boolean;
  /** `User-Agent` (default `ENROLLClient`, as Windows 10 sends it in public captures). */
  readonly userAgent?: string;
  /** Accept chunked replies (default false: Microsoft's enrollment guides say the replies must not be chunked). */
  readonly allowChunked?: boolean;
  /** A fresh UUID for each `a:MessageID` (default `crypto.randomUUID`). */
  readonly newMessageId?: () => string;
  /** Aborts the enrollment from outside. */
  readonly signal?: AbortSignal;
  /** Called once discovery succeeded, before GetPolicies. */
  readonly onDiscovered?: (discovery: DiscoverResult) => void;
}

/** An enrollment that succeeded. */
export interface EnrollSuccess {
  readonly ok: true;
  readonly authPolicy: AuthPolicy;
  readonly enrollmentVersion?: string;
  readonly urls: {
    readonly discovery: string;
    readonly policy?: string;
    readonly enrollment: string;
    readonly authentication?: string;
  };
  /** HTTP status of the GET probe: 0 when it got no answer, null when not sent. */
  readonly probeStatus: number | null;
  /** What GetPolicies said (absent when discovery named no policy service). */
  readonly policy?: EnrollmentPolicy;
  readonly provisioningXml: string;
  readonly provisioningDoc: ProvisioningDoc;
  /** The device's private key, PKCS#8 PEM. */
  readonly keyPem: string;
  readonly csr: {
    readonly subject: string;
    readonly hash: string;
    readonly keyLength: number;
    readonly pem: string;
  };
  /** The device's certificate from the document. */
  readonly certificate: ProvisionedIdentity;
  /** The TLS client identity management sessions present (certificate, key, roots). */
  readonly identity: ClientIdentity;
}

/** The outcome of {@link enroll}. */
export type EnrollmentOutcome = EnrollSuccess | EnrollFailure;

/** Discovery: the probe, Discover, the server's policy against the device's credentials. */
async function discover(
  flow: Flow,
  options: EnrollOptions,
  url: URL,
): Promise<Step<{ result: DiscoverResult; probeStatus: number | null }>> {
  let probeStatus: number | null = null;
  if (options.probe ?? true) {
    const probe = await exchange(url, 'GET', undefined, flow.agents, flow.http);
    probeStatus = probe.kind === 'reply' ? probe.status : 0;
  }
  const request = buildDiscoverRequest({
    profile: options.profile,
    messageId: flow.newMessageId(),
    discoveryUrl: url.href,
  });
  const step = await soapStep(flow, 'discovery', url, request, parseDiscoverResponse);
  if (!step.ok) return step;
  const policy = step.value.authPolicy;
  if (policy !== options.credentials.policy) {
    return fail(
      'discovery',
      200,
      `the server asks for AuthPolicy ${policy}; the device has ${options.credentials.policy} credentials`,
    );
  }
  return { ok: true, value: { result: step.value, probeStatus } };
}

/**
 * Enrolls one device. Resolves to the outcome; rejects only on a programming error (an invalid
 * `discoveryUrl` throws a RangeError).
 */
export async function enroll(options: EnrollOptions): Promise<EnrollmentOutcome> {
  let discoveryUrl: URL;
  try {
    discoveryUrl = new URL(options.discoveryUrl);
  } catch {
    throw new RangeError(
      `discoveryUrl: expected an absolute URL, got ${JSON.stringify(options.discoveryUrl)}`,
    );
  }
  const flow: Flow = {
    agents: new EnrollAgents(options.ca),
    http: {
      timeoutMs: options.timeoutMs ?? 30_000,
      maxReplyBytes: options.maxReplyBytes ?? 1024 * 1024,
      userAgent: options.userAgent ?? 'ENROLLClient',
      allowChunked: options.allowChunked ?? false,
      ...(options.signal !== undefined && { signal: options.signal }),
    },
    newMessageId: options.newMessageId ?? randomUUID,
  };
  try {
    return await run(flow, options, discoveryUrl);
  } finally {
    flow.agents.destroy();
  }
}

async function run(
  flow: Flow,
  options: EnrollOptions,
  discoveryUrl: URL,
): Promise<EnrollmentOutcome> {
  const discovered = await discover(flow, options, discoveryUrl);
  if (!discovered.ok) return discovered;
  const { result, probeStatus } = discovered.value;
  const enrollUrl = serverUrl('discovery', 'EnrollmentServiceUrl', result.enrollmentServiceUrl);
  if (!enrollUrl.ok) return enrollUrl;
  let policyUrl: URL | undefined;
  if (result.enrollmentPolicyServiceUrl !== undefined) {
    const checked = serverUrl(
      'discovery',
      'EnrollmentPolicyServiceUrl',
      result.enrollmentPolicyServiceUrl,
    );
    if (!checked.ok) return checked;
    policyUrl = checked.value;
  }
  options.onDiscovered?.(result);

  let policy: EnrollmentPolicy | undefined;
  if (policyUrl !== undefined) {
    const request = buildGetPoliciesRequest({
      messageId: flow.newMessageId(),
      policyUrl: policyUrl.href,
      credentials: options.credentials,
    });
    const step = await soapStep(flow, 'policy', policyUrl, request, parseGetPoliciesResponse);
    if (!step.ok) return step;
    policy = step.value;
  }

  const keyed = await makeKey(options.profile, policy);
  if (!keyed.ok) return keyed;
  const { key, csr } = keyed.value;

  const rst = buildRequestSecurityToken({
    profile: options.profile,
    messageId: flow.newMessageId(),
    enrollUrl: enrollUrl.value.href,
    credentials: options.credentials,
    csrBase64: csr.base64,
  });
  const issued = await soapStep(flow, 'enroll', enrollUrl.value, rst, parseEnrollmentResponse);
  if (!issued.ok) return issued;

  let provisioning;
  let certificate: ProvisionedIdentity;
  try {
    provisioning = decodeProvisioningDoc(issued.value.provisioningBase64);
    certificate = await deviceIdentity(provisioning.doc, key.keys.publicKey);
  } catch (error) {
    if (!(error instanceof ProvisioningDocError)) throw error;
    return fail('provisioning', 200, error.message);
  }
  return {
    ok: true,
    authPolicy: result.authPolicy,
    ...(result.enrollmentVersion !== undefined && { enrollmentVersion: result.enrollmentVersion }),
    urls: {
      discovery: discoveryUrl.href,
      ...(policyUrl !== undefined && { policy: policyUrl.href }),
      enrollment: enrollUrl.value.href,
      ...(result.authenticationServiceUrl !== undefined && {
        authentication: result.authenticationServiceUrl,
      }),
    },
    probeStatus,
    ...(policy !== undefined && { policy }),
    provisioningXml: provisioning.xml,
    provisioningDoc: provisioning.doc,
    keyPem: key.keyPem,
    csr: { subject: csr.subject, hash: csr.hash, keyLength: key.keyLength, pem: csr.pem },
    certificate,
    identity: {
      certificatePem: certificate.certificatePem,
      keyPem: key.keyPem,
      trustedCaPems: certificate.rootsPem,
    },
  };
}

/** The key pair and request the policy asks for (key length, hash), or a `policy` failure. */
async function makeKey(profile: EnrollDeviceProfile, policy: EnrollmentPolicy | undefined) {
  const hash = policy?.hashAlgorithm?.name ?? resolveProfile(profile).defaultHash;
  try {
    const key = await generateDeviceKey({
      ...(policy?.minimalKeyLength !== undefined && { keyLength: policy.minimalKeyLength }),
      hash,
    });
    const csr = await createCertificateRequest(key, profile.devId);
    return { ok: true as const, value: { key, csr } };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return fail('policy', 200, `cannot meet the enrollment policy: ${error.message}`);
  }
}
