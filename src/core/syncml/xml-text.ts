/** Character rules and escaping of XML 1.0 text, shared by the reader and the writer. */

/** The namespace of the root element. */
export const SYNCML_NS = 'SYNCML:SYNCML1.2';
/** The namespace of Meta's children. */
export const METINF_NS = 'syncml:metinf';

/** Characters XML 1.0 allows in a document (its `Char` production). */
export const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** `U+XXXX` for the first code point of `char`, as error messages name characters. */
export function codePointName(char: string): string {
  const codePoint = char.codePointAt(0) ?? 0;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

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
export function escapeXml(text: string, where: 'text' | 'attribute'): string {
  const special = where === 'text' ? /[&<>"'\r]/g : /[&<>"'\r\n\t]/g;
  return text.replace(special, (char) => ESCAPES[char] ?? char);
}
