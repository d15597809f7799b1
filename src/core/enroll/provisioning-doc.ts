/**
 * Reading and writing a `wap-provisioningdoc` (OMA Client Provisioning as Windows uses it: the
 * document an MS-MDE2 enrollment returns in its `RequestedSecurityToken`, MS-MDE2 §3.4.4.2 and
 * §4.3; "w7 APPLICATION CSP", "CertificateStore CSP").
 *
 * Reading is safe on hostile input: a DOCTYPE with an internal subset is refused (no entity
 * expansion), the size and nesting are bounded, and errors name the element path
 * (`wap-provisioningdoc/characteristic[2]/parm[1]: missing name`). Only `characteristic` and
 * `parm` elements are read; any other element (`characteristic-query`, `nocharacteristic`…) is
 * an error, as the enrollment document uses none. Attributes other than `type` (characteristic)
 * and `name`, `value`, `datatype` (parm) are read over (an assumption: nothing public says what
 * Windows does with them).
 */
import { SyncMLError } from '../syncml/errors.js';
import { readDocument, type XmlElement } from '../syncml/xml-reader.js';
import { codePointName, NOT_XML_CHAR } from '../syncml/xml-text.js';
import { ProvisioningDocError } from './errors.js';
import type { ProvisioningDoc, WapCharacteristic, WapParm } from './wap-doc.js';
import { XML_BUILDER } from './xml-out.js';

export type { ProvisioningDoc, WapCharacteristic, WapParm } from './wap-doc.js';
export { ProvisioningDocError } from './errors.js';

/** Limits applied by {@link parseProvisioningDoc}. */
export interface ProvisioningDocLimits {
  /** Largest accepted document, in UTF-8 bytes. Default 256 KiB. */
  readonly maxBytes?: number;
  /** Deepest accepted nesting, the root being depth 1. Default 16. */
  readonly maxDepth?: number;
}

/** {@link ProvisioningDocLimits.maxBytes} when not given: 256 KiB (a document with a few certificates is a few KiB). */
const PROVISIONING_DOC_MAX_BYTES = 256 * 1024;
/** {@link ProvisioningDocLimits.maxDepth} when not given. */
const PROVISIONING_DOC_MAX_DEPTH = 16;

const ROOT = 'wap-provisioningdoc';

/** An element with its path, for error messages. */
interface Located {
  readonly element: XmlElement;
  readonly path: string;
}

/** The element children of `at`, each with its path (`…/characteristic[2]`); text is an error. */
function childrenOf(at: Located): Located[] {
  const seen = new Map<string, number>();
  const children: Located[] = [];
  for (const node of at.element.children) {
    if (typeof node === 'string') {
      if (node.trim() !== '') throw new ProvisioningDocError(at.path, 'unexpected text');
      continue;
    }
    const position = (seen.get(node.name) ?? 0) + 1;
    seen.set(node.name, position);
    children.push({ element: node, path: `${at.path}/${node.name}[${position}]` });
  }
  return children;
}

function attribute(at: Located, name: string, required: true): string;
function attribute(at: Located, name: string, required: false): string | undefined;
function attribute(at: Located, name: string, required: boolean): string | undefined {
  const value = at.element.attributes.get(name);
  if (value === undefined && required) throw new ProvisioningDocError(at.path, `missing ${name}`);
  return value;
}

function readParm(at: Located): WapParm {
  if (at.element.children.some((node) => typeof node !== 'string' || node.trim() !== '')) {
    throw new ProvisioningDocError(at.path, 'a parm has no content');
  }
  const name = attribute(at, 'name', true);
  const value = attribute(at, 'value', false);
  const datatype = attribute(at, 'datatype', false);
  return {
    name,
    ...(value !== undefined && { value }),
    ...(datatype !== undefined && { datatype }),
  };
}

function readCharacteristic(at: Located): WapCharacteristic {
  const type = attribute(at, 'type', true);
  const parms: WapParm[] = [];
  const children: WapCharacteristic[] = [];
  for (const child of childrenOf(at)) {
    const name = child.element.name;
    if (name === 'parm') parms.push(readParm(child));
    else if (name === 'characteristic') children.push(readCharacteristic(child));
    else
      throw new ProvisioningDocError(
        child.path,
        `unexpected element (expected parm or characteristic)`,
      );
  }
  return { type, parms, children };
}

/**
 * Reads a `wap-provisioningdoc`.
 *
 * @throws {@link ProvisioningDocError} naming the element path when the text is not XML, breaks
 *   a limit, declares a DOCTYPE internal subset, or is not a provisioning document.
 * @example
 * ```ts
 * parseProvisioningDoc('<wap-provisioningdoc version="1.1"><characteristic type="APPLICATION">' +
 *   '<parm name="APPID" value="w7"/></characteristic></wap-provisioningdoc>');
 * // { version: '1.1', characteristics: [{ type: 'APPLICATION', parms: [{ name: 'APPID', value: 'w7' }], children: [] }] }
 * ```
 */
export function parseProvisioningDoc(
  xml: string,
  limits: ProvisioningDocLimits = {},
): ProvisioningDoc {
  let root: XmlElement;
  try {
    root = readDocument(
      xml,
      limits.maxBytes ?? PROVISIONING_DOC_MAX_BYTES,
      limits.maxDepth ?? PROVISIONING_DOC_MAX_DEPTH,
    );
  } catch (error) {
    if (error instanceof SyncMLError) throw new ProvisioningDocError('', error.message);
    throw error;
  }
  if (root.name !== ROOT) {
    throw new ProvisioningDocError('', `expected a ${ROOT} root element, got ${root.name}`);
  }
  const at: Located = { element: root, path: ROOT };
  const version = attribute(at, 'version', true);
  const characteristics = childrenOf(at).map((child) => {
    if (child.element.name !== 'characteristic') {
      throw new ProvisioningDocError(child.path, 'unexpected element (expected characteristic)');
    }
    return readCharacteristic(child);
  });
  return { version, characteristics };
}

/** fast-xml-parser's ordered form: `{ tag: children, ':@': { '@_name': value } }`. */
type Ordered = Record<string, unknown>;

function checked(value: string, path: string, what: string): string {
  const bad = NOT_XML_CHAR.exec(value);
  if (bad) {
    throw new ProvisioningDocError(
      path,
      `${what}: ${codePointName(bad[0])} cannot be written in XML 1.0`,
    );
  }
  return value;
}

function parmNode(parm: WapParm, path: string): Ordered {
  const attributes: Record<string, string> = { '@_name': checked(parm.name, path, 'name') };
  if (parm.value !== undefined) attributes['@_value'] = checked(parm.value, path, 'value');
  if (parm.datatype !== undefined)
    attributes['@_datatype'] = checked(parm.datatype, path, 'datatype');
  return { parm: [], ':@': attributes };
}

function characteristicNode(characteristic: WapCharacteristic, path: string): Ordered {
  const content = [
    ...characteristic.parms.map((parm, i) => parmNode(parm, `${path}/parm[${i + 1}]`)),
    ...characteristic.children.map((child, i) =>
      characteristicNode(child, `${path}/characteristic[${i + 1}]`),
    ),
  ];
  return {
    characteristic: content,
    ':@': { '@_type': checked(characteristic.type, path, 'type') },
  };
}

/**
 * Writes a `wap-provisioningdoc` (no XML declaration, as in MS-MDE2's sample). Within a
 * characteristic, its parms come before its nested characteristics.
 *
 * @throws {@link ProvisioningDocError} when a name or value holds a character XML 1.0 cannot carry.
 */
export function serializeProvisioningDoc(doc: ProvisioningDoc): string {
  const root: Ordered = {
    [ROOT]: doc.characteristics.map((c, i) =>
      characteristicNode(c, `${ROOT}/characteristic[${i + 1}]`),
    ),
    ':@': { '@_version': checked(doc.version, ROOT, 'version') },
  };
  return XML_BUILDER.build([root]);
}
