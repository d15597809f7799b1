/**
 * Reading XML with fast-xml-parser: the limits and well-formedness checks, the entity decoder
 * (predefined entities and character references only) and the conversion of the library's ordered
 * output into {@link XmlNode}s. See `codec.ts` for the decisions.
 */
import {
  XMLParser,
  XMLValidator,
  type EntityDecoderOptions,
  type X2jOptions,
} from 'fast-xml-parser';
import { SyncMLError } from './errors.js';
import { codePointName, NOT_XML_CHAR } from './xml-text.js';

const INTERNAL_SUBSET_REJECTED = 'DOCTYPE with an internal subset is not accepted';

/**
 * A DOCTYPE from its start up to the `[` that opens an internal subset, quoted literals skipped.
 * Sticky: it is tried at one position only, so it stays linear whatever the input.
 */
const DOCTYPE_WITH_SUBSET = /<!DOCTYPE(?:[^>["']|"[^"]*"|'[^']*')*\[/y;

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
export interface XmlElement {
  /** The name as written, prefix included. */
  readonly name: string;
  /** The name without its namespace prefix. */
  readonly local: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlNode[];
}

/** An element or a run of text (entities decoded). */
export type XmlNode = XmlElement | string;

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
export function readDocument(xml: string, maxBytes: number, maxDepth: number): XmlElement {
  // A UTF-16 code unit never encodes to fewer than one byte, so a long string fails fast.
  if (xml.length > maxBytes || utf8Length(xml) > maxBytes) {
    throw new SyncMLError(
      '',
      `document is larger than the maxBytes limit of ${maxBytes} bytes (UTF-8)`,
    );
  }
  const badChar = NOT_XML_CHAR.exec(xml);
  if (badChar) {
    throw new SyncMLError(
      '',
      `malformed XML: ${codePointName(badChar[0])} at offset ${badChar.index} is not a character XML 1.0 allows`,
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
