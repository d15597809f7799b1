/**
 * The reference server's enrollment service (MS-MDE2): discovery, the certificate policy
 * (MS-XCEP) and enrollment (MS-WSTEP), as protocol logic on request and answer texts (no HTTP;
 * `src/adapters/mdm-server/enrollment-routes.ts` serves it). It follows Fleet's server
 * (fleetdm/fleet `server/service/microsoft_mdm.go`) where Fleet has a behaviour, MS-MDE2
 * otherwise:
 *
 * - every answer is HTTP 200 with a SOAP envelope; a declined request is a SOAP fault
 *   (`s:MessageFormat` for a malformed one, `a:InvalidSecurity` for a missing or unusable
 *   security header, `s:Authentication` for credentials not accepted, `s:CertificateRequest`
 *   for a CSR the CA does not sign, `DeviceNotSupported` for another device type or an old
 *   protocol version);
 * - GetPolicies and RequestSecurityToken authenticate with the configured policy: OnPremise, a
 *   WS-Security UsernameToken (password as text) matching a configured user; Federated, a
 *   BinarySecurityToken that is one of the configured tokens;
 * - an enrollment issues a device certificate (CN = HWDevID, OU = provider id, as Fleet), a fresh
 *   random secret for the device's DM account (name = DeviceID, as Fleet), records the device
 *   (its credential hash, never the secret) and answers with the provisioning document.
 */
import { serializeProvisioningDoc } from '../../core/enroll/provisioning-doc.js';
import type { DistributiveOmit, EnrollmentStep, MdmServerEvent } from '../mdm-events.js';
import { REFERENCE_POLL, type PollSchedule } from '../server-defaults.js';
import { utf8ToBase64 } from './base64.js';
import { CsrRejectedError, type EnrollmentCa } from './ca.js';
import { credentialHash } from './digest.js';
import { EnrollmentFault, quoted } from './faults.js';
import { ACTION } from './mde2.js';
import { provisioningDoc } from './provisioning.js';
import type { EnrollmentAuthPolicy, EnrollmentRecord, EnrollmentRegistry } from './registry.js';
import { readDiscover, readEnrollRequest } from './requests.js';
import { authenticate, checkEnrollmentSettings, type EnrollmentSettings } from './ws-security.js';
import {
  discoverResponse,
  enrollResponse,
  faultResponse,
  getPoliciesResponse,
} from './soap-response.js';
import {
  readSoapRequest,
  requireAddressing,
  requireBody,
  type SoapRequest,
} from './soap-request.js';

export type { EnrollmentSettings } from './ws-security.js';

/** The absolute URLs the service names (on the server's public origin). */
export interface EnrollmentUrls {
  readonly policy: string;
  readonly enrollment: string;
  /** w7 `ADDR`: where management sessions post. */
  readonly management: string;
  /** Federated: the AuthenticationServiceUrl of the DiscoverResponse. */
  readonly authentication: string;
}

/** Options of {@link EnrollmentServer}. */
export interface EnrollmentServerOptions {
  readonly settings: EnrollmentSettings;
  /** w7 `PROVIDER-ID`, the DMClient provider node and the certificates' OU. */
  readonly providerId: string;
  /** w7 `NAME` (default: the provider id). */
  readonly providerName?: string;
  /** The poll schedule the document writes (default {@link REFERENCE_POLL}). */
  readonly poll?: PollSchedule;
  /** The URLs, read when answering (the public origin may be known only once listening). */
  readonly urls: () => EnrollmentUrls;
  readonly ca: EnrollmentCa;
  readonly registry: EnrollmentRegistry;
  /** A fresh random UUID (secrets, nonces, activity ids). */
  readonly uuid: () => string;
  /** The clock, epoch ms. */
  readonly now: () => number;
  readonly onEvent?: (event: MdmServerEvent) => void;
}

/** The fault Action of a step: the Action its answer would have had. */
const STEP_ACTION: Record<EnrollmentStep, string> = {
  discovery: ACTION.discoverResponse,
  policy: ACTION.getPoliciesResponse,
  enrollment: ACTION.enrollResponse,
};

/** The MS-MDE2 enrollment service of the reference server. */
export class EnrollmentServer {
  private readonly settings: EnrollmentSettings;

  constructor(private readonly options: EnrollmentServerOptions) {
    checkEnrollmentSettings(options.settings);
    this.settings = options.settings;
  }

  /** The auth policy devices are told to use. */
  get authPolicy(): EnrollmentAuthPolicy {
    return this.settings.authPolicy;
  }

  /** Answers a Discover request (MS-MDE2 §3.1). */
  discover(xml: string): Promise<string> {
    return this.run('discovery', xml, (request) => {
      requireAddressing(request.header);
      const discover = readDiscover(requireBody(request, 'Discover'));
      const { authPolicy } = this.settings;
      if (!discover.authPolicies.includes(authPolicy))
        throw new EnrollmentFault(
          'Authorization',
          `AuthPolicies: this server uses ${authPolicy}, the request offers ${discover.authPolicies.slice(0, 4).map(quoted).join(', ') || 'none'}`,
        );
      const urls = this.options.urls();
      return discoverResponse(this.addressing(request, true), {
        authPolicy,
        policyUrl: urls.policy,
        enrollmentUrl: urls.enrollment,
        ...(authPolicy === 'Federated' ? { authenticationUrl: urls.authentication } : {}),
      });
    });
  }

  /** Answers a GetPolicies request (MS-XCEP; MS-MDE2 §3.3). */
  policies(xml: string): Promise<string> {
    return this.run('policy', xml, (request) => {
      requireAddressing(request.header);
      authenticate(this.settings, request.header);
      requireBody(request, 'GetPolicies');
      return getPoliciesResponse(this.addressing(request, false), this.options.providerId);
    });
  }

  /** Answers a RequestSecurityToken (MS-WSTEP; MS-MDE2 §3.4): enrolls the device. */
  enroll(xml: string): Promise<string> {
    return this.run('enrollment', xml, async (request, known) => {
      requireAddressing(request.header);
      const user = authenticate(this.settings, request.header);
      const rst = readEnrollRequest(requireBody(request, 'RequestSecurityToken'));
      known.deviceId = rst.deviceId;
      return this.issue(request, rst, user);
    });
  }

  /** Signs the CSR, records the device and writes the answer. */
  private async issue(
    request: SoapRequest,
    rst: ReturnType<typeof readEnrollRequest>,
    user: string | null,
  ): Promise<string> {
    const { providerId, ca, registry, uuid } = this.options;
    const subject = { commonName: rst.hwDevId, organizationalUnit: providerId };
    let device;
    try {
      device = await ca.issue(rst.csr, subject);
    } catch (error) {
      if (!(error instanceof CsrRejectedError)) throw error;
      throw new EnrollmentFault('CertificateRequest', `the certificate request: ${error.message}`);
    }
    const now = this.options.now();
    const authSecret = uuid();
    const record: EnrollmentRecord = {
      deviceId: rst.deviceId,
      hwDevId: rst.hwDevId,
      enrollmentType: rst.enrollmentType,
      deviceName: rst.context.get('DeviceName') ?? null,
      osVersion: rst.context.get('OSVersion') as string,
      osEdition: rst.context.get('OSEdition') as string,
      applicationVersion: rst.context.get('ApplicationVersion') ?? null,
      authPolicy: this.settings.authPolicy,
      user,
      authName: rst.deviceId,
      credentialHash: credentialHash(rst.deviceId, authSecret),
      nonce: null,
      nonceIssuedAt: null,
      certificateThumbprint: device.thumbprint,
      enrolledAt: now,
      unenrolledAt: null,
    };
    const doc = provisioningDoc({
      providerId,
      providerName: this.options.providerName ?? providerId,
      managementUrl: this.options.urls().management,
      ca: ca.root,
      device,
      enrollmentType: rst.enrollmentType,
      certificateSubject: `CN=${subject.commonName},OU=${subject.organizationalUnit}`,
      authName: record.authName,
      authSecret,
      serverSecret: uuid(),
      initialNonce: utf8ToBase64(uuid()),
      entDmId: rst.deviceId,
      poll: this.options.poll ?? REFERENCE_POLL,
    });
    const answer = enrollResponse(
      this.addressing(request, false),
      utf8ToBase64(serializeProvisioningDoc(doc)),
      now,
    );
    registry.enroll(record);
    this.emit({
      type: 'mdm.enrolled',
      deviceId: record.deviceId,
      hwDevId: record.hwDevId,
      enrollmentType: record.enrollmentType,
      authPolicy: record.authPolicy,
      certificateThumbprint: record.certificateThumbprint,
    });
    return answer;
  }

  private addressing(
    request: SoapRequest,
    activity: boolean,
  ): { relatesTo: string; activityId?: string } {
    const relatesTo = request.header.messageId ?? '';
    return activity ? { relatesTo, activityId: this.options.uuid() } : { relatesTo };
  }

  /** Runs one step; a fault it throws is answered (and reported) as a SOAP fault. */
  private async run(
    step: EnrollmentStep,
    xml: string,
    handle: (request: SoapRequest, known: { deviceId: string | null }) => string | Promise<string>,
  ): Promise<string> {
    const known: { deviceId: string | null } = { deviceId: null };
    let request: SoapRequest | null = null;
    try {
      request = readSoapRequest(xml);
      return await handle(request, known);
    } catch (error) {
      if (!(error instanceof EnrollmentFault)) throw error;
      this.options.onEvent?.({
        type: 'mdm.enrollment-fault',
        time: this.options.now(),
        deviceId: known.deviceId,
        step,
        subcode: error.subcode,
        reason: error.message,
      });
      const relatesTo = request?.header.messageId ?? 'invalid_message_id';
      return faultResponse(
        STEP_ACTION[step],
        { relatesTo, activityId: this.options.uuid() },
        error,
      );
    }
  }

  private emit(
    event: DistributiveOmit<Extract<MdmServerEvent, { deviceId: string }>, 'time'>,
  ): void {
    this.options.onEvent?.({ ...event, time: this.options.now() });
  }
}
