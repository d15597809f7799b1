/**
 * The SOAP 1.2 envelope of the client's requests (WS-Addressing header: `Action`, `MessageID`,
 * `ReplyTo`, `To`; MS-MDE2 §3.1.4.1.1.1 and the samples of §4) and the reading of the server's
 * replies: a SOAP fault or the Body's payload.
 */
import { EnrollMessageError } from './errors.js';
import { ADDRESS_ANONYMOUS, NS_ADDRESSING, NS_SOAP } from './mde2-uris.js';
import { readFault, type SoapFault } from './soap-fault.js';
import {
  children,
  child,
  readEnvelope,
  textOf,
  type Located,
  type SoapLimits,
} from './soap-reader.js';
import { el, writeXml, type OutElement } from './xml-out.js';

/** The WS-Addressing part of a request's header. */
export interface Addressing {
  /** `a:Action`. */
  readonly action: string;
  /** A UUID; written `urn:uuid:<uuid>` (kept as is when it already starts with `urn:`). */
  readonly messageId: string;
  /** `a:To`: the URL the request is POSTed to. */
  readonly to: string;
}

/** `urn:uuid:<id>` for a message id (as Windows writes MessageID, MS-MDE2 §4). */
function messageIdUrn(id: string): string {
  return id.startsWith('urn:') ? id : `urn:uuid:${id}`;
}

/**
 * Writes a request envelope: the WS-Addressing header, then `security` (a `wsse:Security`
 * element) when given, then the Body's payload. `namespaces` are declared on the Envelope after
 * `s` and `a` (the WS-Security ones for GetPolicies and RequestSecurityToken).
 */
export function writeRequest(
  addressing: Addressing,
  body: OutElement,
  options: {
    readonly security?: OutElement;
    readonly namespaces?: Readonly<Record<string, string>>;
    readonly bodyAttributes?: Readonly<Record<string, string>>;
  } = {},
): string {
  const header = el(
    's:Header',
    {},
    el('a:Action', { 's:mustUnderstand': '1' }, addressing.action),
    el('a:MessageID', {}, messageIdUrn(addressing.messageId)),
    el('a:ReplyTo', {}, el('a:Address', {}, ADDRESS_ANONYMOUS)),
    el('a:To', { 's:mustUnderstand': '1' }, addressing.to),
    options.security,
  );
  const envelope = el(
    's:Envelope',
    { 'xmlns:s': NS_SOAP, 'xmlns:a': NS_ADDRESSING, ...options.namespaces },
    header,
    el('s:Body', options.bodyAttributes ?? {}, body),
  );
  return writeXml(envelope);
}

/** What a server's reply holds: a fault, or the Body's payload element. */
export type SoapReply<T> =
  | { readonly kind: 'fault'; readonly fault: SoapFault; readonly relatesTo?: string }
  | { readonly kind: 'ok'; readonly value: T; readonly relatesTo?: string };

/**
 * Reads a reply envelope and hands its payload (the Body's element named `payload`) to `read`.
 * A fault in the Body wins over anything else.
 *
 * @throws {@link EnrollMessageError} when the reply is not a SOAP envelope or has no `payload`.
 */
export function readReply<T>(
  xml: string,
  payload: string,
  read: (at: Located) => T,
  limits?: SoapLimits,
): SoapReply<T> {
  const { header, body } = readEnvelope(xml, limits);
  const relatesToElement = header && child(header, 'RelatesTo', true);
  const relatesTo = relatesToElement && textOf(relatesToElement);
  const extra = relatesTo ? { relatesTo } : {};
  const fault = readFault(body);
  if (fault !== undefined) return { kind: 'fault', fault, ...extra };
  const found = child(body, payload);
  if (found === undefined) {
    const got = children(body)[0]?.element.name ?? 'nothing';
    throw new EnrollMessageError(body.path, `expected ${payload}, got ${got}`);
  }
  return { kind: 'ok', value: read(found), ...extra };
}

/**
 * The fault in a reply, or undefined when the reply is a SOAP envelope without one. For replies
 * with an HTTP error status (SOAP 1.2's HTTP binding sends faults with 400 or 500).
 *
 * @throws {@link EnrollMessageError} when the reply is not a SOAP envelope.
 */
export function parseFault(xml: string, limits?: SoapLimits): SoapFault | undefined {
  return readFault(readEnvelope(xml, limits).body);
}
