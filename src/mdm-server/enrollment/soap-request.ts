/**
 * Reading the enrollment service's SOAP 1.2 requests (MS-MDE2 §3.1–3.4: Discover, GetPolicies,
 * RequestSecurityToken) into plain data. XML is read by the hardened reader the SyncML codec uses
 * (fast-xml-parser; no DOCTYPE internal subset, bounded size and depth); namespace prefixes are
 * ignored, elements are found by local name. Anything unreadable is an `s:MessageFormat` fault
 * naming what was wrong.
 */
import { SyncMLError } from '../../core/syncml/errors.js';
import { readDocument, type XmlElement } from '../../core/syncml/xml-reader.js';
import { badMessage, quoted } from './faults.js';
import { NS } from './mde2.js';

/** Largest request read: 256 KiB (an enrollment request with its CSR is a few KiB). */
export const MAX_SOAP_BYTES = 256 * 1024;
const MAX_DEPTH = 32;

/** The WS-Security token of a request. */
type SecurityToken =
  | {
      readonly kind: 'username';
      readonly user: string;
      readonly password: string;
      readonly passwordType: string | null;
    }
  | { readonly kind: 'binary'; readonly valueType: string; readonly token: string };

/** The SOAP header fields the service reads (WS-Addressing, WS-Security). */
export interface SoapHeader {
  readonly action: string | null;
  readonly messageId: string | null;
  readonly replyTo: string | null;
  readonly to: string | null;
  /** Null when the header has no `wsse:Security`; `'unreadable'` when it has no token it knows. */
  readonly security: SecurityToken | 'unreadable' | null;
}

/** A request: its header and the first element of its Body. */
export interface SoapRequest {
  readonly header: SoapHeader;
  readonly body: XmlElement;
}

/** An element's element children. */
export const elementsOf = (element: XmlElement): XmlElement[] =>
  element.children.filter((c): c is XmlElement => typeof c !== 'string');

/** The first child element named `local` (any prefix). */
export const childOf = (element: XmlElement | undefined, local: string): XmlElement | undefined =>
  element && elementsOf(element).find((e) => e.local === local);

/** The element's text, trimmed ('' when it has none). */
export const textOf = (element: XmlElement | undefined): string =>
  element
    ? element.children
        .filter((c): c is string => typeof c === 'string')
        .join('')
        .trim()
    : '';

/** The text of child `local`, or null when it is absent or empty. */
export const fieldOf = (element: XmlElement | undefined, local: string): string | null =>
  textOf(childOf(element, local)) || null;

/** The value of attribute `local` (any prefix), or null. */
export function attributeOf(element: XmlElement, local: string): string | null {
  for (const [name, value] of element.attributes)
    if (name === local || name.endsWith(`:${local}`)) return value;
  return null;
}

/** The namespace URI the element's prefix (or the default namespace) is bound to on `element`. */
function namespaceOf(element: XmlElement): string | null {
  const colon = element.name.indexOf(':');
  const declaration = colon < 0 ? 'xmlns' : `xmlns:${element.name.slice(0, colon)}`;
  return element.attributes.get(declaration) ?? null;
}

function readSecurity(security: XmlElement | undefined): SoapHeader['security'] {
  if (!security) return null;
  const username = childOf(security, 'UsernameToken');
  if (username) {
    const password = childOf(username, 'Password');
    return {
      kind: 'username',
      user: textOf(childOf(username, 'Username')),
      password: textOf(password),
      passwordType: password ? attributeOf(password, 'Type') : null,
    };
  }
  const binary = childOf(security, 'BinarySecurityToken');
  if (binary)
    return {
      kind: 'binary',
      valueType: attributeOf(binary, 'ValueType') ?? '',
      token: textOf(binary),
    };
  return 'unreadable';
}

/**
 * Reads a SOAP 1.2 envelope. Throws an `s:MessageFormat` {@link EnrollmentFault} for a body that
 * is not XML, not a SOAP 1.2 envelope, or has an empty Body.
 */
export function readSoapRequest(xml: string): SoapRequest {
  let root: XmlElement;
  try {
    root = readDocument(xml, MAX_SOAP_BYTES, MAX_DEPTH);
  } catch (error) {
    if (error instanceof SyncMLError) throw badMessage(`the body is not XML: ${error.message}`);
    throw error;
  }
  if (root.local !== 'Envelope' || namespaceOf(root) !== NS.soap)
    throw badMessage(
      `expected a SOAP 1.2 Envelope (${NS.soap}), got the element ${quoted(root.name)}`,
    );
  const header = childOf(root, 'Header');
  const body = elementsOf(childOf(root, 'Body') ?? root).find((e) => e !== header);
  if (!childOf(root, 'Body') || !body) throw badMessage('s:Body: expected one request element');
  return {
    header: {
      action: fieldOf(header, 'Action'),
      messageId: fieldOf(header, 'MessageID'),
      replyTo: fieldOf(childOf(header, 'ReplyTo'), 'Address'),
      to: fieldOf(header, 'To'),
      security: readSecurity(childOf(header, 'Security')),
    },
    body,
  };
}

/**
 * Checks the WS-Addressing fields Fleet requires (`isValidHeader`): MessageID, ReplyTo/Address
 * and To; throws an `s:MessageFormat` fault naming the first missing one.
 */
export function requireAddressing(header: SoapHeader): void {
  const missing = (
    [
      ['a:MessageID', header.messageId],
      ['a:ReplyTo/a:Address', header.replyTo],
      ['a:To', header.to],
    ] as const
  ).find(([, value]) => value === null);
  if (missing) throw badMessage(`SOAP header ${missing[0]}: missing`);
}

/** Checks that the Body holds `local`; returns it. */
export function requireBody(request: SoapRequest, local: string): XmlElement {
  if (request.body.local !== local)
    throw badMessage(`s:Body: expected ${local}, got ${quoted(request.body.name)}`);
  return request.body;
}
