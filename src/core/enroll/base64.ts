/**
 * Standard base64 (RFC 4648 §4, with padding) with the platform's `btoa`/`atob`, web APIs in Node
 * and browsers alike, so the core stays pure. Go's `base64.StdEncoding`, which fleetdm/fleet uses
 * for the provisioning document, writes the same.
 */

/** The base64 text of `bytes`. */
function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The base64 of `text`'s UTF-8 bytes. */
export function utf8ToBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}

/** Standard base64 with its padding: groups of four, `=` only at the end. */
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of base64 `text` (XML whitespace dropped first), or null when it is not base64. */
export function base64ToBytes(text: string): Uint8Array | null {
  const compact = text.replace(/[\t\n\r ]+/g, '');
  if (!BASE64_TEXT.test(compact)) return null;
  return Uint8Array.from(atob(compact), (char) => char.charCodeAt(0));
}
