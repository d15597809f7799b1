/**
 * The element tree as SyncML sees it: elements located by path (for error messages), elements
 * holding named fields, leaf texts, LocURIs, Meta and Data.
 */
import type { Meta } from './message.js';
import { SyncMLError } from './errors.js';
import { escapeXml } from './xml-text.js';
import type { XmlElement, XmlNode } from './xml-reader.js';

/**
 * An element with its path, for error messages. Paths start at the root's children
 * (`SyncBody/Get[2]`), so the root's own path is `''`.
 */
export interface Located {
  readonly element: XmlElement;
  readonly path: string;
}

/** The path to report for errors in `at` itself. */
function pathOf(at: Located): string {
  return at.path === '' ? at.element.local : at.path;
}

/** Element names that repeat and so get a position in paths. */
const COUNTED = new Set([
  'Item',
  'Alert',
  'Get',
  'Add',
  'Replace',
  'Delete',
  'Exec',
  'Atomic',
  'Sequence',
  'Status',
  'Results',
]);

/** The element children of `at`; text other than whitespace is an error. */
export function childElements(at: Located): Located[] {
  const { element, path } = at;
  const seen = new Map<string, number>();
  const children: Located[] = [];
  for (const node of element.children) {
    if (typeof node === 'string') {
      if (node.trim() !== '') {
        throw new SyncMLError(pathOf(at), `expected elements, got text ${quote(node)}`);
      }
      continue;
    }
    // Commands and items get their 1-based position among same-named siblings; fields none.
    const position = (seen.get(node.local) ?? 0) + 1;
    seen.set(node.local, position);
    const name = COUNTED.has(node.local) ? `${node.local}[${position}]` : node.local;
    children.push({ element: node, path: path === '' ? name : `${path}/${name}` });
  }
  return children;
}

/** `text` trimmed, shortened and quoted, for error messages. */
export function quote(text: string): string {
  const trimmed = text.trim();
  return JSON.stringify(trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed);
}

/** The children of an element whose content is a set of named fields. */
export interface Fields {
  readonly at: Located;
  /** Fields that occur at most once, by local name. */
  readonly one: ReadonlyMap<string, Located>;
  /** `Item` children, in order. */
  readonly items: readonly Located[];
}

/**
 * Reads an element holding named fields: `known` may occur once (`Item` any number of times),
 * `ignored` are skipped, anything else is an error.
 */
export function readFields(
  at: Located,
  known: readonly string[],
  ignored: readonly string[],
): Fields {
  const one = new Map<string, Located>();
  const items: Located[] = [];
  for (const child of childElements(at)) {
    const name = child.element.local;
    if (ignored.includes(name)) continue;
    if (!known.includes(name)) {
      throw new SyncMLError(pathOf(at), `unexpected element ${name}`);
    }
    if (name === 'Item') items.push(child);
    else if (one.has(name)) throw new SyncMLError(pathOf(at), `${name} appears more than once`);
    else one.set(name, child);
  }
  return { at, one, items };
}

/** The trimmed text of a leaf element, which must not be empty. */
export function leafText({ element, path }: Located): string {
  const parts: string[] = [];
  for (const node of element.children) {
    if (typeof node !== 'string') {
      throw new SyncMLError(path, `expected text, got element ${node.name}`);
    }
    parts.push(node);
  }
  const text = parts.join('').trim();
  if (text === '') throw new SyncMLError(path, 'expected text, got nothing');
  return text;
}

export function missing(fields: Fields, what: string): SyncMLError {
  return new SyncMLError(pathOf(fields.at), `expected ${what}, got nothing`);
}

export function requiredText(fields: Fields, name: string): string {
  const field = fields.one.get(name);
  if (field === undefined) throw missing(fields, name);
  return leafText(field);
}

export function optionalText(fields: Fields, name: string): string | undefined {
  const field = fields.one.get(name);
  return field === undefined ? undefined : leafText(field);
}

/** `<Target>` or `<Source>`: its LocURI, or undefined when the element is absent. */
export function optionalLocUri(fields: Fields, name: 'Target' | 'Source'): string | undefined {
  const field = fields.one.get(name);
  if (field === undefined) return undefined;
  const location = readFields(field, ['LocURI'], ['LocName']);
  const locUri = location.one.get('LocURI');
  if (locUri === undefined) throw missing(fields, `${name}/LocURI`);
  return leafText(locUri);
}

export function requiredLocUri(fields: Fields, name: 'Target' | 'Source'): string {
  const locUri = optionalLocUri(fields, name);
  if (locUri === undefined) throw missing(fields, `${name}/LocURI`);
  return locUri;
}

/** Meta Information (`syncml:metinf`) elements read over. */
const IGNORED_METINF = [
  'Size',
  'MaxObjSize',
  'Mark',
  'Version',
  'NextNonce',
  'EMI',
  'Anchor',
  'FieldLevel',
  'Mem',
];

/** `<Meta>`: Format, Type and MaxMsgSize as text, and the `also` fields (e.g. `NextNonce`). */
export function readMetaFields(at: Located, also: readonly string[] = []): Fields {
  return readFields(
    at,
    ['Format', 'Type', 'MaxMsgSize', ...also],
    IGNORED_METINF.filter((name) => !also.includes(name)),
  );
}

/** A command's or item's `<Meta>`, if present (its MaxMsgSize, meaningless there, is dropped). */
export function optionalMeta(fields: Fields): Meta | undefined {
  const field = fields.one.get('Meta');
  if (field === undefined) return undefined;
  const meta = readMetaFields(field);
  const format = optionalText(meta, 'Format');
  const type = optionalText(meta, 'Type');
  return {
    ...(format !== undefined && { format }),
    ...(type !== undefined && { type }),
  };
}

/** `<Data>` content: text as is, or the XML of its child elements (see the module comment). */
export function readData({ element }: Located): string {
  const nodes = [...element.children];
  if (nodes.every((node) => typeof node === 'string')) return nodes.join('');
  const blank = (node: XmlNode | undefined): boolean =>
    typeof node === 'string' && node.trim() === '';
  while (blank(nodes[0])) nodes.shift();
  while (blank(nodes[nodes.length - 1])) nodes.pop();
  return nodes.map(nodeToXml).join('');
}

function nodeToXml(node: XmlNode): string {
  if (typeof node === 'string') return escapeXml(node, 'text');
  let attributes = '';
  for (const [name, value] of node.attributes) {
    attributes += ` ${name}="${escapeXml(value, 'attribute')}"`;
  }
  return node.children.length === 0
    ? `<${node.name}${attributes}/>`
    : `<${node.name}${attributes}>${node.children.map(nodeToXml).join('')}</${node.name}>`;
}
