/**
 * Reading the enrollment server's SOAP answers: the project's safe XML reader (no DOCTYPE entity
 * expansion, bounded size and depth), then elements found by local name. Prefixes and namespaces
 * are not checked: Windows' enrollment servers differ in both (MS-MDE2's samples use SOAP 1.2 and,
 * for the enrollment response, SOAP 1.1's envelope namespace; Fleet writes `s:fault`, lower case;
 * and MS-MDE2 §2.2.10's fault sample is all lower case, `s:envelope` included), so the reader is
 * lenient where servers are known to differ (namespaces; the case of the SOAP elements) and strict
 * on what it needs.
 */
import { SyncMLError } from '../syncml/errors.js';
import { readDocument, type XmlElement } from '../syncml/xml-reader.js';
import { EnrollMessageError } from './errors.js';

/** An element with its path from the root (`Envelope/Body/DiscoverResponse`), for errors. */
export interface Located {
  readonly element: XmlElement;
  readonly path: string;
}

/** Limits applied to a server's answer. */
export interface SoapLimits {
  /** Largest accepted answer, in UTF-8 bytes. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Deepest accepted nesting, the Envelope being depth 1. Default 32. */
  readonly maxDepth?: number;
}

/** {@link SoapLimits.maxBytes} when not given. */
const SOAP_MAX_BYTES = 1024 * 1024;
/** {@link SoapLimits.maxDepth} when not given. */
const SOAP_MAX_DEPTH = 32;

/** A SOAP envelope read: its Header (if any) and Body. */
export interface Envelope {
  readonly header: Located | undefined;
  readonly body: Located;
}

/** Reads `xml` as a SOAP envelope. */
export function readEnvelope(xml: string, limits: SoapLimits = {}): Envelope {
  let root: XmlElement;
  try {
    root = readDocument(xml, limits.maxBytes ?? SOAP_MAX_BYTES, limits.maxDepth ?? SOAP_MAX_DEPTH);
  } catch (error) {
    if (error instanceof SyncMLError) throw new EnrollMessageError('', error.message);
    throw error;
  }
  if (root.local.toLowerCase() !== 'envelope') {
    throw new EnrollMessageError('', `expected a SOAP Envelope, got ${root.name}`);
  }
  const at: Located = { element: root, path: 'Envelope' };
  return { header: child(at, 'Header', true), body: required(at, 'Body', true) };
}

/** The element children of `at`, with their paths. */
export function children(at: Located): Located[] {
  const seen = new Map<string, number>();
  const out: Located[] = [];
  for (const node of at.element.children) {
    if (typeof node === 'string') continue;
    const position = (seen.get(node.local) ?? 0) + 1;
    seen.set(node.local, position);
    const name = position === 1 ? node.local : `${node.local}[${position}]`;
    out.push({ element: node, path: `${at.path}/${name}` });
  }
  return out;
}

/** The children of `at` named `local` (compared case-insensitively when `anyCase`). */
export function childrenNamed(at: Located, local: string, anyCase = false): Located[] {
  const wanted = anyCase ? local.toLowerCase() : local;
  return children(at).filter(
    (c) => (anyCase ? c.element.local.toLowerCase() : c.element.local) === wanted,
  );
}

/** The first child of `at` named `local`, or undefined. */
export function child(at: Located, local: string, anyCase = false): Located | undefined {
  return childrenNamed(at, local, anyCase)[0];
}

/** The first child of `at` named `local`; its absence is an error naming the path. */
export function required(at: Located, local: string, anyCase = false): Located {
  const found = child(at, local, anyCase);
  if (found === undefined) throw new EnrollMessageError(at.path, `missing ${local}`);
  return found;
}

/** True when the element is `xsi:nil="true"` (any prefix). */
export function isNil(at: Located): boolean {
  for (const [name, value] of at.element.attributes) {
    if ((name === 'nil' || name.endsWith(':nil')) && value.trim() === 'true') return true;
  }
  return false;
}

/** The element's text, trimmed; an element child is an error. */
export function textOf(at: Located): string {
  let text = '';
  for (const node of at.element.children) {
    if (typeof node !== 'string') {
      throw new EnrollMessageError(at.path, `expected text, got element ${node.name}`);
    }
    text += node;
  }
  return text.trim();
}

/** The trimmed text of the child `local`, or undefined when it is absent, nil or empty. */
export function optionalText(at: Located, local: string): string | undefined {
  const found = child(at, local);
  if (found === undefined || isNil(found)) return undefined;
  const text = textOf(found);
  return text === '' ? undefined : text;
}

/** The trimmed, non-empty text of the child `local`. */
export function requiredText(at: Located, local: string): string {
  const found = required(at, local);
  const text = textOf(found);
  if (text === '') throw new EnrollMessageError(found.path, 'expected text, got nothing');
  return text;
}

/** The value of the attribute `local` (any prefix), or undefined. */
export function attribute(at: Located, local: string): string | undefined {
  for (const [name, value] of at.element.attributes) {
    if (name === local || name.endsWith(`:${local}`)) return value;
  }
  return undefined;
}
