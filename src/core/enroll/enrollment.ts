/**
 * A device's enrollment as the device keeps it, and the port through which it enrolls (MS-MDE2
 * discovery → policy → enrollment, run by an adapter over HTTPS). The device applies the
 * provisioning document the port returns to its DM tree and keeps the record: the provider that
 * manages it, where, and the TLS client identity its sessions present.
 */
import type { ClientIdentity } from '../dm/dm-account.js';
import type { EnrollmentAuthPolicy, EnrollmentStage } from '../timeline/events.js';
import type { ProvisioningDoc } from './wap-doc.js';

/** What an API, the dashboard or a log may show of an enrollment: no key, no secret. */
export interface EnrollmentView {
  /** w7 `PROVIDER-ID`: the DMClient `{ProviderID}` and DMAcc `ServerID`. */
  readonly providerId: string;
  /** w7 `ADDR`: the management URL sessions post to. */
  readonly managementUrl: string;
  /** SHA-1 of the device certificate's DER, uppercase hex (as `CertificateStore` names it). */
  readonly certificateThumbprint: string;
  /** The device certificate's subject (`CN=…`). */
  readonly certificateSubject: string;
  /** The device certificate's `notAfter`, epoch ms. */
  readonly certificateNotAfter: number;
  /** When the provisioning document was applied, epoch ms (the device's clock). */
  readonly enrolledAt: number;
  /** The auth policy the device enrolled with. */
  readonly authType: EnrollmentAuthPolicy;
}

/** The whole record: the view plus the TLS client identity (its private key included). */
export interface EnrollmentRecord extends EnrollmentView {
  readonly identity: ClientIdentity;
}

/** The device certificate the enrollment service issued, as the adapter read it. */
export interface IssuedCertificate {
  readonly thumbprint: string;
  readonly subject: string;
  readonly notAfter: number;
}

/** What the device tells the enrollment service about itself (MS-MDE2 AdditionalContext). */
export interface EnrollRequest {
  readonly deviceId: string;
  /** `./DevInfo/DevId`. */
  readonly devId: string;
  /** `./Vendor/MSFT/DMClient/HWDevID`. */
  readonly hwDevId: string;
  /** `./DevDetail/Ext/Microsoft/DeviceName`. */
  readonly deviceName: string;
  /** `./DevDetail/SwV`: `10.0.<build>.<qfe>`. */
  readonly osVersion: string;
}

/** The end of one enrollment attempt. */
export type EnrollOutcome =
  | {
      readonly ok: true;
      readonly authPolicy: EnrollmentAuthPolicy;
      /** The `wap-provisioningdoc` of the enrollment response, parsed. */
      readonly doc: ProvisioningDoc;
      readonly identity: ClientIdentity;
      readonly certificate: IssuedCertificate;
    }
  | {
      readonly ok: false;
      readonly stage: EnrollmentStage;
      /** HTTP status of the failing answer; 0 when none came. */
      readonly status: number;
      /** The SOAP fault's code and text, or the network error (never a secret). */
      readonly reason: string;
    };

/** How the enrollment service answered discovery (reported as soon as it is known). */
export interface Discovered {
  readonly authPolicy: EnrollmentAuthPolicy;
  readonly policyUrl: string;
  readonly enrollmentUrl: string;
}

/** Device → enrollment service: one MS-MDE2 enrollment. */
export interface EnrollmentService {
  /** The discovery URL the device starts at (for the timeline). */
  readonly discoveryUrl: string;
  /**
   * How long after a failed enrollment a device tries again, ms (default 30 minutes,
   * `ENROLL_RETRY_MS`: an **assumption**, see docs/model.md).
   */
  readonly retryMs?: number;
  /** Runs one enrollment; `discovered` at most once, then `done` exactly once. */
  enroll(
    request: EnrollRequest,
    handlers: {
      readonly discovered: (info: Discovered) => void;
      readonly done: (outcome: EnrollOutcome) => void;
    },
  ): void;
}
