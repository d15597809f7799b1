/**
 * The SyncML DM 1.2 XML codec: {@link parseSyncML} reads an HTTP body into a {@link SyncMLMessage},
 * {@link serializeSyncML} writes one back. XML itself is read by `fast-xml-parser`; this module
 * only configures it, guards it against hostile input and maps its tree onto the message types.
 *
 * Decisions a reader of SyncML needs to know:
 *
 * - **Entities.** The five predefined entities (`&lt;` `&gt;` `&amp;` `&quot;` `&apos;`) and
 *   numeric character references are decoded, in text and attribute values. Nothing else is:
 *   a DOCTYPE with an internal subset is rejected before the XML is even read (so entity bombs
 *   cost nothing), an external DOCTYPE is ignored, and any other `&name;` is an error. The decoding
 *   is done by the small `XML_ENTITIES` decoder plugged into the library, because the
 *   library's own decoder leaves numeric references alone unless HTML entities are switched on.
 * - **Whitespace.** Values of structural elements (VerDTD, MsgID, CmdID, LocURI, Format, the
 *   Status code…) are trimmed. `<Data>` text is kept exactly as sent, surrounding spaces and
 *   newlines included (`<Data> a b </Data>` is `' a b '`): payloads such as `chr` nodes may carry
 *   meaningful whitespace. Whitespace-only text between elements is pretty printing and ignored.
 * - **Data holding elements.** Servers sometimes put XML inside `<Data>` unescaped (Format
 *   `xml`). Such Data is turned back into an XML string: its elements, attributes and text are
 *   re-serialized (comments and processing instructions dropped), and whitespace-only text before
 *   the first and after the last child element is dropped as pretty printing. The message then
 *   serializes it escaped, which any XML reader reads back as the same string.
 * - **CDATA** sections are read as text (not entity-decoded). Windows' client does not support
 *   them, so the serializer never writes any.
 * - **Strictness.** Element order inside a command is not checked, but every required element
 *   must be there, no element may repeat (except Item and commands), and elements the codec does
 *   not know are errors; a few that Windows' client and servers send but the model does not carry
 *   (Cred, NoResp, RespURI, LocName, Chal, Correlator, the Meta of Atomic/Sequence/Results,
 *   TargetRef/SourceRef/Cmd in Results, metinf fields other than Format/Type/MaxMsgSize) are
 *   read over. Namespace prefixes on element names are ignored (`<A:Format xmlns:A="syncml:metinf">`
 *   is a Format).
 */

import {
  XMLParser,
  XMLValidator,
  type EntityDecoderOptions,
  type X2jOptions,
} from 'fast-xml-parser';
import type {
  AlertCommand,
  Command,
  ContainerCommand,
  Item,
  Meta,
  NodeCommand,
  NodeCommandKind,
  ResultsCommand,
  StatusCommand,
  SyncHdr,
  SyncMLMessage,
} from './message.js';

/** Limits applied by {@link parseSyncML} before and while reading a message. */
export interface SyncMLLimits {
  /** Largest accepted document, in UTF-8 bytes. Default 1 MiB (1 048 576). */
  readonly maxBytes?: number;
  /**
   * Deepest accepted element nesting, the root `SyncML` being depth 1. Default 32. Keep it small:
   * it also bounds the reader's recursion.
   */
  readonly maxDepth?: number;
}

/** Longest {@link SyncMLError} message. */
const MAX_MESSAGE_LENGTH = 300;

/** A message that cannot be read (or, from the serializer, written) as SyncML DM 1.2. */
export class SyncMLError extends Error {
  override readonly name = 'SyncMLError';

  /**
   * @param path - Where the problem is, as element names from the root's children with 1-based
   *   positions for commands and items (`SyncBody/Get[2]/Item[1]`), or `''` for the document as a
   *   whole (size, well-formedness).
   * @param message - What is wrong. The error's `message` is the path, `: ` and this, cut to
   *   300 characters (hostile input can make names and texts huge).
   */
  constructor(
    readonly path: string,
    message: string,
  ) {
    const full = path === '' ? message : `${path}: ${message}`;
    super(full.length > MAX_MESSAGE_LENGTH ? `${full.slice(0, MAX_MESSAGE_LENGTH)}…` : full);
  }
}

const DEFAULT_MAX_BYTES = 1_048_576;
const DEFAULT_MAX_DEPTH = 32;
const SYNCML_NS = 'SYNCML:SYNCML1.2';
const METINF_NS = 'syncml:metinf';
const INTERNAL_SUBSET_REJECTED = 'DOCTYPE with an internal subset is not accepted';

/** Characters XML 1.0 allows in a document (its `Char` production). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * A DOCTYPE from its start up to the `[` that opens an internal subset, quoted literals skipped.
 * Sticky: it is tried at one position only, so it stays linear whatever the input.
 */
const DOCTYPE_WITH_SUBSET = /<!DOCTYPE(?:[^>["']|"[^"]*"|'[^']*')*\[/y;

// ---------------------------------------------------------------------------------------------
// Reading XML with fast-xml-parser
// ---------------------------------------------------------------------------------------------

const PREDEFINED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['quot', '"'],
  ['apos', "'"],
]);

const ENTITY_REFERENCE = /&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z_:][\w.:-]*))?(;?)/g;

/** Decodes one `&…;` reference; anything but a predefined entity or a valid character is an error. */
function decodeReference(
  reference: string,
  hex: string | undefined,
  decimal: string | undefined,
  name: string | undefined,
  semicolon: string,
): string {
  if (semicolon === '') {
    throw new SyncMLError('', `malformed XML: "&" must start an entity reference ending with ";"`);
  }
  if (name !== undefined) {
    const replacement = PREDEFINED_ENTITIES.get(name);
    if (replacement === undefined) {
      throw new SyncMLError('', `malformed XML: undefined entity ${reference}`);
    }
    return replacement;
  }
  const codePoint = hex !== undefined ? parseInt(hex, 16) : parseInt(decimal ?? '', 10);
  const char = codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '';
  if (char === '' || NOT_XML_CHAR.test(char)) {
    throw new SyncMLError('', `malformed XML: ${reference} is not a character XML 1.0 allows`);
  }
  return char;
}

/**
 * The entity decoder handed to fast-xml-parser: predefined entities and character references
 * only. DOCTYPE entities never get here (documents declaring them are refused up front); should a
 * DOCTYPE slip past that check (say, after one hidden in a comment), registering its entities
 * fails.
 */
const XML_ENTITIES: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: (entities) => {
    if (Object.keys(entities).length > 0) throw new SyncMLError('', INTERNAL_SUBSET_REJECTED);
  },
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode: (text) => text.replace(ENTITY_REFERENCE, decodeReference),
};

const ATTRIBUTES_KEY = ':@';
const ATTRIBUTE_PREFIX = '@_';
const TEXT_KEY = '#text';

/** Parser options; `maxNestedTags` is set per call from {@link SyncMLLimits.maxDepth}. */
const PARSER_OPTIONS: X2jOptions = {
  // Element order matters (commands, mixed content in Data), so keep the ordered form.
  preserveOrder: true,
  // Attributes are needed for the root namespace and for XML embedded in Data.
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  // Every value stays a string: `<MsgID>1</MsgID>` is '1', `<Data>007</Data>` is '007'.
  parseTagValue: false,
  parseAttributeValue: false,
  // Data keeps its whitespace; structural values are trimmed by this module.
  trimValues: false,
  // Enabled so that the decoder below runs; it expands nothing but predefined entities.
  processEntities: true,
  entityDecoder: XML_ENTITIES,
  // The XML declaration and processing instructions carry nothing SyncML uses.
  ignoreDeclaration: true,
  ignorePiTags: true,
};

/** A node of fast-xml-parser's `preserveOrder` output: `{ tag: [children], ':@': {attrs} }` or `{ '#text': text }`. */
type OrderedNode = Readonly<Record<string, unknown>>;

/** An element read from the document. */
interface XmlElement {
  /** The name as written, prefix included. */
  readonly name: string;
  /** The name without its namespace prefix. */
  readonly local: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlNode[];
}

/** An element or a run of text (entities decoded). */
type XmlNode = XmlElement | string;

function depthError(maxDepth: number): SyncMLError {
  return new SyncMLError('', `elements nest deeper than the maxDepth limit of ${maxDepth}`);
}

/** Converts fast-xml-parser's ordered output into {@link XmlNode}s, enforcing the depth limit. */
function toNodes(ordered: readonly OrderedNode[], depth: number, maxDepth: number): XmlNode[] {
  const nodes: XmlNode[] = [];
  for (const node of ordered) {
    for (const [key, value] of Object.entries(node)) {
      if (key === ATTRIBUTES_KEY) continue;
      if (key === TEXT_KEY) {
        nodes.push(value as string);
        continue;
      }
      if (depth > maxDepth) throw depthError(maxDepth);
      const attributes = new Map<string, string>();
      const raw = (node[ATTRIBUTES_KEY] ?? {}) as Readonly<Record<string, string>>;
      for (const [attribute, text] of Object.entries(raw)) {
        attributes.set(attribute.slice(ATTRIBUTE_PREFIX.length), text);
      }
      nodes.push({
        name: key,
        local: key.slice(key.indexOf(':') + 1),
        attributes,
        children: toNodes(value as readonly OrderedNode[], depth + 1, maxDepth),
      });
    }
  }
  return nodes;
}

/** Number of UTF-8 bytes `text` encodes to (lone surrogates count as U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Parsers by nesting limit, built once: an `XMLParser` is reusable and costly to build. */
const parsers = new Map<number, XMLParser>();

function parserFor(maxDepth: number): XMLParser {
  let parser = parsers.get(maxDepth);
  if (!parser) {
    parser = new XMLParser({ ...PARSER_OPTIONS, maxNestedTags: maxDepth });
    // Few distinct limits are ever used; keep the map from growing on odd ones.
    if (parsers.size < 8) parsers.set(maxDepth, parser);
  }
  return parser;
}

/** Checks the limits and well-formedness, then reads the document's root element. */
function readDocument(xml: string, maxBytes: number, maxDepth: number): XmlElement {
  // A UTF-16 code unit never encodes to fewer than one byte, so a long string fails fast.
  if (xml.length > maxBytes || utf8Length(xml) > maxBytes) {
    throw new SyncMLError(
      '',
      `document is larger than the maxBytes limit of ${maxBytes} bytes (UTF-8)`,
    );
  }
  const badChar = NOT_XML_CHAR.exec(xml);
  if (badChar) {
    const codePoint = badChar[0].codePointAt(0) ?? 0;
    throw new SyncMLError(
      '',
      `malformed XML: U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} at offset ${badChar.index} is not a character XML 1.0 allows`,
    );
  }
  const doctype = xml.indexOf('<!DOCTYPE');
  if (doctype !== -1) {
    DOCTYPE_WITH_SUBSET.lastIndex = doctype;
    if (DOCTYPE_WITH_SUBSET.test(xml)) throw new SyncMLError('', INTERNAL_SUBSET_REJECTED);
  }
  // fast-xml-parser's parser is lenient (it does not match closing tags), so validate first.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    // The validator reports no column for some document-level errors.
    const where = col === undefined ? `line ${line}` : `line ${line}, column ${col}`;
    throw new SyncMLError('', `malformed XML at ${where}: ${msg}`);
  }
  let ordered: readonly OrderedNode[];
  try {
    ordered = parserFor(maxDepth).parse(xml) as readonly OrderedNode[];
  } catch (error) {
    if (error instanceof SyncMLError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (message === 'Maximum nested tags exceeded') throw depthError(maxDepth);
    throw new SyncMLError('', `malformed XML: ${message}`);
  }
  const roots = toNodes(ordered, 1, maxDepth).filter(
    (node): node is XmlElement => typeof node !== 'string',
  );
  const [root] = roots;
  if (root === undefined || roots.length > 1) {
    throw new SyncMLError('', `malformed XML: expected one root element, got ${roots.length}`);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Mapping the element tree onto the message
// ---------------------------------------------------------------------------------------------

/**
 * An element with its path, for error messages. Paths start at the root's children
 * (`SyncBody/Get[2]`), so the root's own path is `''`.
 */
interface Located {
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
function childElements(at: Located): Located[] {
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
function quote(text: string): string {
  const trimmed = text.trim();
  return JSON.stringify(trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed);
}

/** The children of an element whose content is a set of named fields. */
interface Fields {
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
function readFields(at: Located, known: readonly string[], ignored: readonly string[]): Fields {
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
function leafText({ element, path }: Located): string {
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

function missing(fields: Fields, what: string): SyncMLError {
  return new SyncMLError(pathOf(fields.at), `expected ${what}, got nothing`);
}

function requiredText(fields: Fields, name: string): string {
  const field = fields.one.get(name);
  if (field === undefined) throw missing(fields, name);
  return leafText(field);
}

function optionalText(fields: Fields, name: string): string | undefined {
  const field = fields.one.get(name);
  return field === undefined ? undefined : leafText(field);
}

/** `<Target>` or `<Source>`: its LocURI, or undefined when the element is absent. */
function optionalLocUri(fields: Fields, name: 'Target' | 'Source'): string | undefined {
  const field = fields.one.get(name);
  if (field === undefined) return undefined;
  const location = readFields(field, ['LocURI'], ['LocName']);
  const locUri = location.one.get('LocURI');
  if (locUri === undefined) throw missing(fields, `${name}/LocURI`);
  return leafText(locUri);
}

function requiredLocUri(fields: Fields, name: 'Target' | 'Source'): string {
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

/** `<Meta>`: Format, Type and MaxMsgSize as text. */
function readMetaFields(at: Located): Fields {
  return readFields(at, ['Format', 'Type', 'MaxMsgSize'], IGNORED_METINF);
}

/** A command's or item's `<Meta>`, if present (its MaxMsgSize, meaningless there, is dropped). */
function optionalMeta(fields: Fields): Meta | undefined {
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
function readData({ element }: Located): string {
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

function readItem(at: Located): Item {
  const fields = readFields(at, ['Target', 'Source', 'Meta', 'Data'], []);
  const target = optionalLocUri(fields, 'Target');
  const source = optionalLocUri(fields, 'Source');
  const meta = optionalMeta(fields);
  const data = fields.one.get('Data');
  return {
    ...(target !== undefined && { target }),
    ...(source !== undefined && { source }),
    ...(meta !== undefined && { meta }),
    ...(data !== undefined && { data: readData(data) }),
  };
}

function readItems(fields: Fields, atLeastOne: boolean): Item[] {
  if (atLeastOne && fields.items.length === 0) throw missing(fields, 'Item');
  return fields.items.map(readItem);
}

function readHeader(at: Located): SyncHdr {
  const fields = readFields(
    at,
    ['VerDTD', 'VerProto', 'SessionID', 'MsgID', 'Target', 'Source', 'Meta'],
    ['Cred', 'RespURI', 'NoResp'],
  );
  const verDTD = requiredText(fields, 'VerDTD');
  if (verDTD !== '1.2') {
    throw new SyncMLError(`${at.path}/VerDTD`, `expected 1.2, got ${quote(verDTD)}`);
  }
  const verProto = requiredText(fields, 'VerProto');
  if (verProto !== 'DM/1.2') {
    throw new SyncMLError(`${at.path}/VerProto`, `expected DM/1.2, got ${quote(verProto)}`);
  }
  const header: SyncHdr = {
    verDTD,
    verProto,
    sessionId: requiredText(fields, 'SessionID'),
    msgId: requiredText(fields, 'MsgID'),
    target: requiredLocUri(fields, 'Target'),
    source: requiredLocUri(fields, 'Source'),
  };
  const meta = fields.one.get('Meta');
  const maxMsgSize = meta && readMetaFields(meta).one.get('MaxMsgSize');
  if (maxMsgSize === undefined) return header;
  const size = leafText(maxMsgSize);
  if (!/^[0-9]+$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new SyncMLError(maxMsgSize.path, `expected a whole number of bytes, got ${quote(size)}`);
  }
  return { ...header, maxMsgSize: Number(size) };
}

/** Reads a command list (SyncBody, Atomic, Sequence); returns whether `<Final/>` ended it. */
function readCommands(
  children: readonly Located[],
  container: string | undefined,
): { commands: Command[]; final: boolean } {
  const commands: Command[] = [];
  for (const [index, child] of children.entries()) {
    const kind = child.element.local;
    if (kind === 'Final' && container === undefined) {
      if (index !== children.length - 1) {
        throw new SyncMLError(child.path, 'Final must be the last element of SyncBody');
      }
      if (child.element.children.some((node) => typeof node !== 'string' || node.trim() !== '')) {
        throw new SyncMLError(child.path, 'expected an empty element');
      }
      return { commands, final: true };
    }
    if (container !== undefined && (kind === 'Status' || kind === 'Results' || kind === 'Final')) {
      throw new SyncMLError(child.path, `${kind} is not allowed inside ${container}`);
    }
    commands.push(readCommand(child));
  }
  return { commands, final: false };
}

function readCommand(at: Located): Command {
  const kind = at.element.local;
  switch (kind) {
    case 'Get':
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Exec':
      return readNodeCommand(at, kind);
    case 'Alert':
      return readAlert(at);
    case 'Atomic':
    case 'Sequence':
      return readContainer(at, kind);
    case 'Status':
      return readStatus(at);
    case 'Results':
      return readResults(at);
    default:
      throw new SyncMLError(at.path, `${kind} is not supported`);
  }
}

function readAlert(at: Located): AlertCommand {
  const fields = readFields(at, ['CmdID', 'Data', 'Item'], ['Cred', 'NoResp', 'Correlator']);
  return {
    kind: 'Alert',
    cmdId: requiredText(fields, 'CmdID'),
    data: requiredText(fields, 'Data'),
    items: readItems(fields, false),
  };
}

function readNodeCommand(at: Located, kind: NodeCommandKind): NodeCommand {
  const fields = readFields(at, ['CmdID', 'Meta', 'Item'], ['Cred', 'NoResp']);
  const cmdId = requiredText(fields, 'CmdID');
  const meta = optionalMeta(fields);
  return {
    kind,
    cmdId,
    ...(meta !== undefined && { meta }),
    items: readItems(fields, true),
  };
}

/** Atomic or Sequence: CmdID, then the commands (Meta and NoResp are read over). */
function readContainer(at: Located, kind: 'Atomic' | 'Sequence'): ContainerCommand {
  let cmdId: Located | undefined;
  const commands: Located[] = [];
  for (const child of childElements(at)) {
    const name = child.element.local;
    if (name === 'CmdID') {
      if (cmdId !== undefined) throw new SyncMLError(at.path, 'CmdID appears more than once');
      cmdId = child;
    } else if (name !== 'Meta' && name !== 'NoResp') {
      commands.push(child);
    }
  }
  if (cmdId === undefined) throw new SyncMLError(at.path, 'expected CmdID, got nothing');
  return { kind, cmdId: leafText(cmdId), commands: readCommands(commands, kind).commands };
}

function readStatus(at: Located): StatusCommand {
  const fields = readFields(
    at,
    ['CmdID', 'MsgRef', 'CmdRef', 'Cmd', 'TargetRef', 'SourceRef', 'Data', 'Item'],
    ['Cred', 'Chal'],
  );
  const cmdId = requiredText(fields, 'CmdID');
  const msgRef = requiredText(fields, 'MsgRef');
  const cmdRef = requiredText(fields, 'CmdRef');
  const cmd = requiredText(fields, 'Cmd');
  const targetRef = optionalText(fields, 'TargetRef');
  const sourceRef = optionalText(fields, 'SourceRef');
  const data = requiredText(fields, 'Data');
  const items = readItems(fields, false);
  return {
    kind: 'Status',
    cmdId,
    msgRef,
    cmdRef,
    cmd,
    ...(targetRef !== undefined && { targetRef }),
    ...(sourceRef !== undefined && { sourceRef }),
    data,
    ...(items.length > 0 && { items }),
  };
}

function readResults(at: Located): ResultsCommand {
  const fields = readFields(
    at,
    ['CmdID', 'MsgRef', 'CmdRef', 'Item'],
    ['Meta', 'TargetRef', 'SourceRef', 'Cmd'],
  );
  return {
    kind: 'Results',
    cmdId: requiredText(fields, 'CmdID'),
    msgRef: requiredText(fields, 'MsgRef'),
    cmdRef: requiredText(fields, 'CmdRef'),
    items: readItems(fields, true),
  };
}

function readMessage(root: XmlElement): SyncMLMessage {
  if (root.local !== 'SyncML') {
    throw new SyncMLError('', `expected root element SyncML, got ${root.name}`);
  }
  const prefix = root.name.slice(0, Math.max(0, root.name.indexOf(':')));
  const namespace = root.attributes.get(prefix === '' ? 'xmlns' : `xmlns:${prefix}`);
  if (namespace !== undefined && namespace.toUpperCase() !== SYNCML_NS) {
    throw new SyncMLError('SyncML', `expected namespace ${SYNCML_NS}, got ${quote(namespace)}`);
  }
  const fields = readFields({ element: root, path: '' }, ['SyncHdr', 'SyncBody'], []);
  const hdr = fields.one.get('SyncHdr');
  const body = fields.one.get('SyncBody');
  if (hdr === undefined) throw missing(fields, 'SyncHdr');
  if (body === undefined) throw missing(fields, 'SyncBody');
  const header = readHeader(hdr);
  const { commands, final } = readCommands(childElements(body), undefined);
  return { header, commands, final };
}

/**
 * Reads one SyncML DM 1.2 message (XML encoding).
 *
 * @param xml - The HTTP body, decoded to a string.
 * @param limits - Size and depth limits ({@link SyncMLLimits}); defaults 1 MiB and 32.
 * @returns The message; optional fields absent from the XML are absent from the result.
 * @throws {@link SyncMLError} for anything that is not a well-formed, supported message (and
 *   nothing else, whatever the input); the error's `path` names the offending element.
 */
export function parseSyncML(xml: string, limits: SyncMLLimits = {}): SyncMLMessage {
  if (typeof xml !== 'string') throw new SyncMLError('', 'expected the message as a string');
  const root = readDocument(
    xml,
    limits.maxBytes ?? DEFAULT_MAX_BYTES,
    limits.maxDepth ?? DEFAULT_MAX_DEPTH,
  );
  return readMessage(root);
}

// ---------------------------------------------------------------------------------------------
// Serializing
// ---------------------------------------------------------------------------------------------

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};

/**
 * Escapes text for element content or an attribute value. Carriage returns are written as
 * references (readers would turn a raw one into a newline), and so are tabs and newlines in
 * attributes (readers would turn them into spaces).
 */
function escapeXml(text: string, where: 'text' | 'attribute'): string {
  const special = where === 'text' ? /[&<>"'\r]/g : /[&<>"'\r\n\t]/g;
  return text.replace(special, (char) => ESCAPES[char] ?? char);
}

/** Writes the elements of one message, with paths for error messages. */
class Writer {
  private xml = '';

  /** `<name>text</name>`; the text must be representable in XML 1.0. */
  text(name: string, value: string, path: string, attributes = ''): void {
    const bad = NOT_XML_CHAR.exec(value);
    if (bad) {
      const codePoint = bad[0].codePointAt(0) ?? 0;
      throw new SyncMLError(
        `${path}/${name}`,
        `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} cannot be written in XML 1.0`,
      );
    }
    this.xml +=
      value === ''
        ? `<${name}${attributes}/>`
        : `<${name}${attributes}>${escapeXml(value, 'text')}</${name}>`;
  }

  /** `<name>…</name>` around what `content` writes. */
  element(name: string, content: () => void): void {
    this.xml += `<${name}>`;
    content();
    this.xml += `</${name}>`;
  }

  raw(xml: string): void {
    this.xml += xml;
  }

  toString(): string {
    return this.xml;
  }
}

const METINF = ` xmlns="${METINF_NS}"`;

function writeLocation(w: Writer, name: 'Target' | 'Source', locUri: string, path: string): void {
  w.element(name, () => w.text('LocURI', locUri, `${path}/${name}`));
}

function writeMeta(w: Writer, meta: Meta, path: string): void {
  w.element('Meta', () => {
    if (meta.format !== undefined) w.text('Format', meta.format, `${path}/Meta`, METINF);
    if (meta.type !== undefined) w.text('Type', meta.type, `${path}/Meta`, METINF);
  });
}

function writeItems(w: Writer, items: readonly Item[], path: string): void {
  items.forEach((item, index) => {
    const itemPath = `${path}/Item[${index + 1}]`;
    w.element('Item', () => {
      if (item.target !== undefined) writeLocation(w, 'Target', item.target, itemPath);
      if (item.source !== undefined) writeLocation(w, 'Source', item.source, itemPath);
      if (item.meta !== undefined) writeMeta(w, item.meta, itemPath);
      if (item.data !== undefined) w.text('Data', item.data, itemPath);
    });
  });
}

function writeCommands(w: Writer, commands: readonly Command[], parent: string): void {
  const seen = new Map<string, number>();
  for (const command of commands) {
    const position = (seen.get(command.kind) ?? 0) + 1;
    seen.set(command.kind, position);
    const path = `${parent}/${command.kind}[${position}]`;
    w.element(command.kind, () => {
      w.text('CmdID', command.cmdId, path);
      switch (command.kind) {
        case 'Alert':
          w.text('Data', command.data, path);
          writeItems(w, command.items, path);
          break;
        case 'Atomic':
        case 'Sequence':
          writeCommands(w, command.commands, path);
          break;
        case 'Status':
          w.text('MsgRef', command.msgRef, path);
          w.text('CmdRef', command.cmdRef, path);
          w.text('Cmd', command.cmd, path);
          if (command.targetRef !== undefined) w.text('TargetRef', command.targetRef, path);
          if (command.sourceRef !== undefined) w.text('SourceRef', command.sourceRef, path);
          w.text('Data', command.data, path);
          writeItems(w, command.items ?? [], path);
          break;
        case 'Results':
          w.text('MsgRef', command.msgRef, path);
          w.text('CmdRef', command.cmdRef, path);
          writeItems(w, command.items, path);
          break;
        default:
          if (command.meta !== undefined) writeMeta(w, command.meta, path);
          writeItems(w, command.items, path);
      }
    });
  }
}

/**
 * Writes a message as compact SyncML DM 1.2 XML (no XML declaration, no indentation), with the
 * `SYNCML:SYNCML1.2` namespace on the root and `syncml:metinf` on Meta's children.
 *
 * `parseSyncML(serializeSyncML(m))` equals `m` when the header says VerDTD `1.2` and VerProto
 * `DM/1.2`, m's structural values (ids, references, LocURIs, Format, Type, codes) are non-empty
 * and carry no surrounding whitespace (the reader trims them), a Status has no `items: []` (written as no items, read back as absent) and
 * Get/Add/Replace/Delete/Exec/Results have at least one item (the reader requires one).
 *
 * @throws {@link SyncMLError} when a value holds a character XML 1.0 cannot carry (control
 *   characters other than tab, newline and carriage return; lone surrogates; U+FFFE, U+FFFF), or
 *   when `maxMsgSize` is not a non-negative safe integer.
 */
export function serializeSyncML(message: SyncMLMessage): string {
  const w = new Writer();
  const { header } = message;
  w.raw(`<SyncML xmlns="${SYNCML_NS}">`);
  w.element('SyncHdr', () => {
    w.text('VerDTD', header.verDTD, 'SyncHdr');
    w.text('VerProto', header.verProto, 'SyncHdr');
    w.text('SessionID', header.sessionId, 'SyncHdr');
    w.text('MsgID', header.msgId, 'SyncHdr');
    writeLocation(w, 'Target', header.target, 'SyncHdr');
    writeLocation(w, 'Source', header.source, 'SyncHdr');
    const { maxMsgSize } = header;
    if (maxMsgSize !== undefined) {
      if (!Number.isSafeInteger(maxMsgSize) || maxMsgSize < 0) {
        throw new SyncMLError(
          'SyncHdr/Meta/MaxMsgSize',
          `expected a whole number, got ${maxMsgSize}`,
        );
      }
      w.element('Meta', () => w.text('MaxMsgSize', String(maxMsgSize), 'SyncHdr/Meta', METINF));
    }
  });
  w.element('SyncBody', () => {
    writeCommands(w, message.commands, 'SyncBody');
    if (message.final) w.raw('<Final/>');
  });
  w.raw('</SyncML>');
  return w.toString();
}
