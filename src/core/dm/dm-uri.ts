/**
 * The LocURIs of a DM tree: normalized absolute URIs (`./A/B`, `.` for the root) and their
 * segments.
 *
 * Choices, where the reference leaves them open:
 * - A malformed LocURI (starting with `/`, containing `//`, a `.` or `..` segment) is 400, "bad
 *   request (bad element)"; [KI] "A LocURI cannot start with '/'".
 */

/**
 * Normalizes a LocURI to the tree's absolute form: `./A/B`, or `.` for the root. A trailing `/`
 * is dropped, a relative URI (`A/B`) is taken from the root, and `./Device/Vendor/…` is the same
 * node as `./Vendor/…` (Windows' device-scope alias; `./User/…` is not modelled). Returns `null`
 * for a malformed URI: empty, starting with `/`, or with an empty, `.` or `..` segment.
 */
export function normalizeUri(uri: string): string | null {
  let rest = uri.length > 1 && uri.endsWith('/') ? uri.slice(0, -1) : uri;
  if (rest === '.') return '.';
  if (rest.startsWith('./')) rest = rest.slice(2);
  const segments = rest.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  if (segments[0] === 'Device' && segments[1] === 'Vendor') segments.shift();
  return `./${segments.join('/')}`;
}

/** The parent of a normalized URI; `null` for the root. */
export function parentOf(uri: string): string | null {
  if (uri === '.') return null;
  return uri.slice(0, uri.lastIndexOf('/'));
}

/** The node name a normalized URI ends with. */
export function lastSegment(uri: string): string {
  return uri.slice(uri.lastIndexOf('/') + 1);
}
