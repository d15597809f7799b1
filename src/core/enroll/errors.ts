/** Errors of the enrollment codecs: provisioning documents and the enrollment SOAP messages. */
import { DmpushError } from '../errors.js';

/** Longest message of an enrollment error (hostile input can make names and texts huge). */
const MAX_MESSAGE_LENGTH = 300;

function located(path: string, message: string): string {
  const full = path === '' ? message : `${path}: ${message}`;
  return full.length > MAX_MESSAGE_LENGTH ? `${full.slice(0, MAX_MESSAGE_LENGTH)}…` : full;
}

/**
 * A `wap-provisioningdoc` that cannot be read (or written). Code `E_PROVISIONING_DOC`.
 *
 * @example
 * ```ts
 * new ProvisioningDocError('wap-provisioningdoc/characteristic[2]/parm[1]', 'missing name').message;
 * // 'wap-provisioningdoc/characteristic[2]/parm[1]: missing name'
 * ```
 */
export class ProvisioningDocError extends DmpushError {
  /**
   * @param path - Where the problem is: element names from the root with 1-based positions among
   *   same-named siblings, or `''` for the document as a whole (size, well-formedness).
   * @param message - What is wrong.
   */
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('E_PROVISIONING_DOC', located(path, message));
  }
}

/**
 * An enrollment SOAP message (MS-MDE2 Discover, MS-XCEP GetPolicies, MS-WSTEP
 * RequestSecurityToken, or their answers) that cannot be read or built. Code `E_ENROLL_MESSAGE`.
 */
export class EnrollMessageError extends DmpushError {
  /**
   * @param path - Where the problem is (`Envelope/Body/DiscoverResponse/DiscoverResult`), or `''`.
   * @param message - What is wrong.
   */
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('E_ENROLL_MESSAGE', located(path, message));
  }
}
