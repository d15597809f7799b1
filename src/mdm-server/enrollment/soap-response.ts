/**
 * Writing the enrollment service's SOAP 1.2 answers (MS-MDE2 §3.1–3.4 and §2.2.10), shaped as
 * the protocol's samples and Microsoft's "On-premises authentication device enrollment" samples
 * (DiscoverResponse, GetPoliciesResponse, RequestSecurityTokenResponseCollection, Fault), with
 * fast-xml-parser's builder (which escapes text and attributes).
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { EnrollmentFault } from './faults.js';
import { FAULT_SUBCODES } from './faults.js';
import {
  ACTION,
  BASE64_BINARY,
  DEVICE_ENROLLMENT_TOKEN,
  ENROLLMENT_VERSION,
  NS,
  PROVISION_DOC_TOKEN,
} from './mde2.js';

const BUILDER = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  // `xsi:nil="true"` must keep its value.
  suppressBooleanAttributes: false,
  format: false,
});

type XmlObject = Record<string, unknown>;

/** An element whose value is absent: `<x xsi:nil="true"/>`. */
const NIL: XmlObject = { '@_xsi:nil': 'true' };
const MUST_UNDERSTAND = '@_s:mustUnderstand';

/** What every answer's header carries. */
interface Addressing {
  /** The request's MessageID (`a:RelatesTo`). */
  readonly relatesTo: string;
  /** A fresh id for the diagnostics `ActivityId` (discovery and faults carry one, as in MS-MDE2). */
  readonly activityId?: string;
}

function envelope(
  action: string,
  { relatesTo, activityId }: Addressing,
  body: XmlObject,
  extraHeader: XmlObject = {},
): string {
  const activity =
    activityId === undefined
      ? {}
      : {
          ActivityId: {
            '@_CorrelationId': activityId,
            '@_xmlns': NS.diagnostics,
            '#text': activityId,
          },
        };
  return BUILDER.build({
    's:Envelope': {
      '@_xmlns:s': NS.soap,
      '@_xmlns:a': NS.addressing,
      '@_xmlns:u': NS.wssUtility,
      's:Header': {
        'a:Action': { [MUST_UNDERSTAND]: '1', '#text': action },
        ...activity,
        'a:RelatesTo': relatesTo,
        ...extraHeader,
      },
      's:Body': { '@_xmlns:xsi': NS.xsi, '@_xmlns:xsd': NS.xsd, ...body },
    },
  });
}

/** The endpoints a DiscoverResponse names. */
export interface DiscoveredEndpoints {
  readonly authPolicy: string;
  readonly policyUrl: string;
  readonly enrollmentUrl: string;
  /** Federated only: where the device signs in for its token. */
  readonly authenticationUrl?: string;
}

/** DiscoverResponse (MS-MDE2 §3.1.4.1.1.2). */
export function discoverResponse(addressing: Addressing, endpoints: DiscoveredEndpoints): string {
  const result: XmlObject = {
    AuthPolicy: endpoints.authPolicy,
    EnrollmentVersion: ENROLLMENT_VERSION,
    EnrollmentPolicyServiceUrl: endpoints.policyUrl,
    EnrollmentServiceUrl: endpoints.enrollmentUrl,
  };
  if (endpoints.authenticationUrl !== undefined)
    result['AuthenticationServiceUrl'] = endpoints.authenticationUrl;
  return envelope(ACTION.discoverResponse, addressing, {
    DiscoverResponse: { '@_xmlns': NS.discovery, DiscoverResult: result },
  });
}

/** What the certificate policy says (MS-XCEP §3.1.4.1.1.2). */
export const POLICY = {
  /** RSA keys of at least 2048 bits (Fleet's `PolicyMinKeyLength`, the MS-MDE2 sample's value). */
  minimalKeyLength: 2048,
  /** 365 days (Fleet's `PolicyCertValidityPeriodInSecs`). */
  validityPeriodSeconds: 31_536_000,
  /** 180 days (Fleet's `PolicyCertRenewalPeriodInSecs`). */
  renewalPeriodSeconds: 15_552_000,
} as const;

/**
 * GetPoliciesResponse: one policy (schema 3) with the key length and validity of {@link POLICY},
 * and SHA-256 as its hash algorithm (OID 2.16.840.1.101.3.4.2.1 in group 1, the hash algorithm
 * group of certenroll's `ObjectIdGroupId`).
 */
export function getPoliciesResponse(addressing: Addressing, commonName: string): string {
  const attributes = {
    commonName,
    policySchema: 3,
    certificateValidity: {
      validityPeriodSeconds: POLICY.validityPeriodSeconds,
      renewalPeriodSeconds: POLICY.renewalPeriodSeconds,
    },
    permission: { enroll: 'true', autoEnroll: 'false' },
    privateKeyAttributes: {
      minimalKeyLength: POLICY.minimalKeyLength,
      keySpec: NIL,
      keyUsageProperty: NIL,
      permissions: NIL,
      algorithmOIDReference: NIL,
      cryptoProviders: NIL,
    },
    revision: { majorRevision: 101, minorRevision: 0 },
    supersededPolicies: NIL,
    privateKeyFlags: NIL,
    subjectNameFlags: NIL,
    enrollmentFlags: NIL,
    generalFlags: NIL,
    hashAlgorithmOIDReference: 0,
    rARequirements: NIL,
    keyArchivalAttributes: NIL,
    extensions: NIL,
  };
  return envelope(ACTION.getPoliciesResponse, addressing, {
    GetPoliciesResponse: {
      '@_xmlns': NS.policy,
      response: {
        policyID: '',
        policyFriendlyName: NIL,
        nextUpdateHours: NIL,
        policiesNotChanged: NIL,
        policies: { policy: { policyOIDReference: 0, cAs: NIL, attributes } },
      },
      cAs: NIL,
      oIDs: {
        oID: {
          value: '2.16.840.1.101.3.4.2.1',
          group: 1,
          oIDReferenceID: 0,
          defaultName: 'szOID_NIST_sha256',
        },
      },
    },
  });
}

/**
 * RequestSecurityTokenResponseCollection carrying the base64 provisioning document, with the
 * WS-Security Timestamp of the sample (created now, expires 5 minutes later).
 */
export function enrollResponse(
  addressing: Addressing,
  provisioningDoc: string,
  now: number,
): string {
  const security = {
    'o:Security': {
      [MUST_UNDERSTAND]: '1',
      '@_xmlns:o': NS.wssSecext,
      'u:Timestamp': {
        '@_u:Id': '_0',
        'u:Created': new Date(now).toISOString(),
        'u:Expires': new Date(now + 5 * 60_000).toISOString(),
      },
    },
  };
  return envelope(
    ACTION.enrollResponse,
    addressing,
    {
      RequestSecurityTokenResponseCollection: {
        '@_xmlns': NS.wsTrust,
        RequestSecurityTokenResponse: {
          TokenType: DEVICE_ENROLLMENT_TOKEN,
          DispositionMessage: { '@_xmlns': NS.enrollment },
          RequestedSecurityToken: {
            BinarySecurityToken: {
              '@_ValueType': PROVISION_DOC_TOKEN,
              '@_EncodingType': BASE64_BINARY,
              '@_xmlns': NS.wssSecext,
              '#text': provisioningDoc,
            },
          },
          RequestID: { '@_xmlns': NS.enrollment, '#text': '0' },
        },
      },
    },
    security,
  );
}

/**
 * A SOAP fault (MS-MDE2 §2.2.10): Code `s:Receiver`, the fault's Subcode and Reason, and a
 * `DeviceEnrollmentServiceError` detail when the fault names an error type. `action` is the
 * Action of the answer the request would have had.
 */
export function faultResponse(
  action: string,
  addressing: Required<Addressing>,
  fault: EnrollmentFault,
): string {
  const detail =
    fault.errorType === undefined
      ? {}
      : {
          's:Detail': {
            DeviceEnrollmentServiceError: {
              '@_xmlns': NS.enrollment,
              ErrorType: fault.errorType,
              Message: fault.message,
              TraceId: addressing.activityId,
            },
          },
        };
  return envelope(action, addressing, {
    's:Fault': {
      's:Code': {
        's:Value': 's:Receiver',
        's:Subcode': { 's:Value': FAULT_SUBCODES[fault.subcode] },
      },
      's:Reason': { 's:Text': { '@_xml:lang': 'en-US', '#text': fault.message } },
      ...detail,
    },
  });
}
