/**
 * Writing the enrollment client's SOAP messages with fast-xml-parser's `XMLBuilder`: a message is
 * built as a tree of {@link OutElement}s, then written compact. Text and attribute values are
 * escaped by the project's XML escaper (carriage returns, and tabs and newlines in attributes, as
 * character references, so a reader gets them back unchanged); a character XML 1.0 cannot carry
 * is an {@link EnrollMessageError} naming where it is.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { codePointName, escapeXml, NOT_XML_CHAR } from '../syncml/xml-text.js';
import { EnrollMessageError } from './errors.js';

/** An element to write: its qualified name, attributes (in order) and content. */
export interface OutElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly (OutElement | string)[];
}

/**
 * An element. `children` may hold `undefined` (left out), so optional parts read inline.
 *
 * @example
 * ```ts
 * el('a:To', { 's:mustUnderstand': '1' }, 'https://example.com/Discovery.svc');
 * ```
 */
export function el(
  name: string,
  attributes: Readonly<Record<string, string>> = {},
  ...children: readonly (OutElement | string | undefined)[]
): OutElement {
  return {
    name,
    attributes,
    children: children.filter((c): c is OutElement | string => c !== undefined),
  };
}

/**
 * The builder of every document the client writes (SOAP requests, provisioning documents), in
 * fast-xml-parser's ordered form: text and attribute values are escaped by the project's XML
 * escaper (tab, newline and carriage return in attributes as references, XML 1.0 §3.3.3), the
 * builder's own entity pass is off so nothing is escaped twice, and `value="true"` keeps its value.
 */
export const XML_BUILDER = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressBooleanAttributes: false,
  suppressEmptyNode: true,
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown) => escapeXml(String(value), 'text'),
  attributeValueProcessor: (_name: string, value: unknown) => escapeXml(String(value), 'attribute'),
});

function checked(value: string, path: string): string {
  const bad = NOT_XML_CHAR.exec(value);
  if (bad) {
    throw new EnrollMessageError(path, `${codePointName(bad[0])} cannot be written in XML 1.0`);
  }
  return value;
}

type Ordered = Record<string, unknown>;

function toOrdered(element: OutElement, parent: string): Ordered {
  const path = parent === '' ? element.name : `${parent}/${element.name}`;
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(element.attributes)) {
    attributes[`@_${name}`] = checked(value, `${path}/@${name}`);
  }
  const content = element.children.map((child) =>
    typeof child === 'string' ? { '#text': checked(child, path) } : toOrdered(child, path),
  );
  return { [element.name]: content, ':@': attributes };
}

/** Writes `root` as compact XML (no declaration, as Windows' own requests in MS-MDE2 §4). */
export function writeXml(root: OutElement): string {
  return XML_BUILDER.build([toOrdered(root, '')]);
}
