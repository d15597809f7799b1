import { HttpError } from './http-util.js';

/**
 * What a route accepts as a request body. The service checks the Content-Type before reading
 * (415 naming the header and the expected type) and reads at most `limit` bytes (413 beyond,
 * unless the route handles an oversized body itself).
 */
export interface BodyPolicy {
  /** Most bytes kept. */
  readonly limit: number;
  /**
   * Media types accepted (lowercase, without parameters), the one a 415 names first; an entry
   * starting with `+` is a structured syntax suffix (`+json` accepts `application/problem+json`).
   * `'any'`: no check.
   */
  readonly accepts: readonly string[] | 'any';
  /** A request without a Content-Type is refused (default: accepted, e.g. a POST with no body). */
  readonly requireContentType?: boolean;
  /**
   * `'refuse'` (default): a body over `limit` is answered 413 by the service. `'handler'`: the
   * handler gets it as `{kind: 'too-large'}` (a protocol with its own 413, such as WNS).
   */
  readonly oversize?: 'refuse' | 'handler';
}

/** Largest JSON request body. */
const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * A JSON body: `application/json` (or a `+json` type), which a request must name. A page on
 * another site can send `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data`
 * without asking the server first (the CORS-safelisted types); requiring the JSON type makes the
 * browser ask, and the server never answers yes. `curl -d` needs `-H 'content-type:
 * application/json'`.
 */
export const JSON_BODY: BodyPolicy = {
  limit: JSON_BODY_LIMIT,
  accepts: ['application/json', '+json'],
  requireContentType: true,
};

/**
 * The body of a state-changing route that reads none (`POST /_sim/reset`): it may come without a
 * body and Content-Type (`curl -X POST`), but a body of a type a page on another site could send
 * without asking (`text/plain`, a form) is refused like on a JSON route.
 */
export const NO_BODY: BodyPolicy = {
  limit: JSON_BODY_LIMIT,
  accepts: ['application/json', '+json'],
};

/**
 * The media type of a Content-Type value: lowercase, without parameters; null when absent (or
 * blank); `''` when the value names none (`;charset=utf-8`), which no policy accepts.
 */
function mediaTypeOf(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') return null;
  const semicolon = header.indexOf(';');
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

function accepted(accepts: readonly string[], type: string): boolean {
  if (type === '') return false;
  for (const a of accepts) if (a.startsWith('+') ? type.endsWith(a) : type === a) return true;
  return false;
}

/**
 * Throws a 415 {@link HttpError} when `header` (the request's Content-Type) is not one `policy`
 * accepts: `Content-Type: expected application/json, got text/xml`.
 */
export function checkContentType(policy: BodyPolicy, header: string | undefined): void {
  const accepts = policy.accepts;
  if (accepts === 'any') return;
  const type = mediaTypeOf(header);
  if (type === null ? !policy.requireContentType : accepted(accepts, type)) return;
  const expected = accepts.find((a) => !a.startsWith('+')) ?? `a ${accepts[0]} type`;
  const got = type === null ? 'none' : type === '' ? JSON.stringify(header) : type;
  throw new HttpError(415, `Content-Type: expected ${expected}, got ${got}`);
}
