/**
 * SOAP faults of the enrollment service (MS-MDE2 §2.2.10 "Faults"; Microsoft's "Mobile device
 * enrollment", "Enrollment error messages"): Code `s:Receiver`, a Subcode from the protocol's
 * table, a Reason, and for the newer errors a `DeviceEnrollmentServiceError` detail naming the
 * error type.
 */
import { DmpushError } from '../../core/errors.js';

/** Subcodes of MS-MDE2's fault table, with the HRESULT the client reports for each. */
export const FAULT_SUBCODES = {
  /** 0x80180001: the message format is bad. */
  MessageFormat: 's:MessageFormat',
  /** 0x80180002: user not recognized. */
  Authentication: 's:Authentication',
  /** 0x80180003: user not allowed to enroll. */
  Authorization: 's:Authorization',
  /** 0x80180004: failed to get a certificate. */
  CertificateRequest: 's:CertificateRequest',
  /** 0x80180005: generic failure of the management server. */
  EnrollmentServer: 's:EnrollmentServer',
  /** 0x80180006: the server hit an unexpected issue. */
  InternalServiceFault: 'a:InternalServiceFault',
  /** 0x80180007: the security header cannot be parsed. */
  InvalidSecurity: 'a:InvalidSecurity',
} as const;

export type FaultSubcode = keyof typeof FAULT_SUBCODES;

/**
 * `ErrorType`s of the `DeviceEnrollmentServiceError` detail (MS-MDE2 §2.2.10): e.g.
 * `DeviceNotSupported` (0x80180014), "specific platform or version is not supported".
 */
export type EnrollmentErrorType =
  | 'DeviceCapReached'
  | 'DeviceNotSupported'
  | 'NotSupported'
  | 'NotEligibleToRenew'
  | 'InMaintenance'
  | 'UserLicense'
  | 'InvalidEnrollmentData';

/** A request the enrollment service declines: answered as a SOAP fault (HTTP 200, as Fleet). */
export class EnrollmentFault extends DmpushError {
  constructor(
    readonly subcode: FaultSubcode,
    /** The fault's Reason: names what was wrong, never a password or token. */
    reason: string,
    /** The detail's error type, when the fault carries one. */
    readonly errorType?: EnrollmentErrorType,
  ) {
    super('E_ENROLLMENT_FAULT', reason);
  }
}

/** `s:MessageFormat`: a field of the request is missing or not what the protocol says. */
export const badMessage = (reason: string): EnrollmentFault =>
  new EnrollmentFault('MessageFormat', reason);

/** Longest part of a request a fault's Reason quotes. */
const QUOTE_LIMIT = 80;

/** `value` quoted for a fault's Reason, cut at {@link QUOTE_LIMIT} characters (requests are untrusted). */
export const quoted = (value: string): string =>
  JSON.stringify(value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value);
