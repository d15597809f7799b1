/**
 * The answer to RequestSecurityToken (MS-WSTEP; MS-MDE2 §3.4.4.2): a
 * `RequestSecurityTokenResponseCollection` whose `RequestedSecurityToken` holds the provisioning
 * document, base64, in a BinarySecurityToken (ValueType `…DeviceEnrollmentProvisionDoc`; the
 * ValueType is not checked: Microsoft's own samples spell it two ways).
 */
import { base64ToBytes } from './base64.js';
import { ProvisioningDocError } from './errors.js';
import { parseProvisioningDoc, type ProvisioningDocLimits } from './provisioning-doc.js';
import type { ProvisioningDoc } from './wap-doc.js';
import { readReply, type SoapReply } from './soap.js';
import {
  attribute,
  optionalText,
  required,
  textOf,
  type Located,
  type SoapLimits,
} from './soap-reader.js';
import { EnrollMessageError } from './errors.js';

/** What the enrollment response carries. */
export interface EnrollmentToken {
  /** The BinarySecurityToken's text: the provisioning document, base64. */
  readonly provisioningBase64: string;
  /** Its `ValueType`, if given. */
  readonly valueType?: string;
  /** `RequestID`, if given. */
  readonly requestId?: string;
}

function readToken(collection: Located): EnrollmentToken {
  const response = required(collection, 'RequestSecurityTokenResponse');
  const requested = required(response, 'RequestedSecurityToken');
  const token = required(requested, 'BinarySecurityToken');
  const text = textOf(token);
  if (text === '')
    throw new EnrollMessageError(token.path, 'expected the provisioning document, got nothing');
  const valueType = attribute(token, 'ValueType');
  const requestId = optionalText(response, 'RequestID');
  return {
    provisioningBase64: text,
    ...(valueType !== undefined && { valueType }),
    ...(requestId !== undefined && { requestId }),
  };
}

/**
 * Reads a RequestSecurityTokenResponseCollection (or a fault).
 *
 * @throws {@link EnrollMessageError} naming the element path when the reply is not one.
 */
export function parseEnrollmentResponse(
  xml: string,
  limits?: SoapLimits,
): SoapReply<EnrollmentToken> {
  return readReply(xml, 'RequestSecurityTokenResponseCollection', readToken, limits);
}

/** A provisioning document decoded: its XML text and the document read. */
export interface DecodedProvisioning {
  readonly xml: string;
  readonly doc: ProvisioningDoc;
}

/**
 * Decodes the token's base64 to UTF-8 XML (a byte-order mark dropped) and reads it.
 *
 * @throws {@link ProvisioningDocError} when it is not base64, not UTF-8, or not a document.
 */
export function decodeProvisioningDoc(
  base64: string,
  limits?: ProvisioningDocLimits,
): DecodedProvisioning {
  const bytes = base64ToBytes(base64);
  if (bytes === null) throw new ProvisioningDocError('', 'the security token is not base64');
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ProvisioningDocError('', 'the security token is not UTF-8 text');
  }
  if (xml.startsWith('\uFEFF')) xml = xml.slice(1);
  return { xml, doc: parseProvisioningDoc(xml, limits) };
}
