import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error a handler throws to answer `status` with the JSON body `{"error": message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The request target split into its path and query, whatever form the client sent. */
export interface RequestTarget {
  /** The path, still percent-encoded, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
}

/**
 * Splits `req.url`. Origin-form targets (`/path?query`) are split by hand: `new URL('//x', base)`
 * would read `//x` as a host. Absolute-form targets (`http://host/path?query`) go through `URL`.
 */
export function requestTarget(rawUrl: string | undefined): RequestTarget {
  const url = rawUrl ?? '/';
  if (/^https?:\/\//i.test(url)) {
    try {
      const parsed = new URL(url);
      return { path: parsed.pathname, query: parsed.searchParams };
    } catch {
      // Fall through to the plain split.
    }
  }
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  return { path: path === '' ? '/' : path, query };
}

/** Header names lowercased (Node does that) with the first value of each. */
export function firstHeaderValues(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    const first = values?.[0];
    if (first !== undefined) out[name] = first;
  }
  return out;
}

/** Characters Node refuses in a header value, replaced so an echoed value can never throw. */
const INVALID_HEADER_CHARS = /[^\t\x20-\x7e\x80-\xff]/g;

export function safeHeaderValue(value: string): string {
  return value.replace(INVALID_HEADER_CHARS, '?');
}

/** Writes a complete answer, unless the response is already out or the client left. */
export function send(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  options: { readonly close?: boolean } = {},
): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  const out: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = safeHeaderValue(value);
  out['content-length'] = Buffer.byteLength(body);
  if (options.close) out['connection'] = 'close';
  res.writeHead(status, out);
  res.end(body);
}

/** Writes a JSON answer (`Cache-Control: no-store`: nothing of the emulator is cacheable). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
  options: { readonly close?: boolean } = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  const base: Record<string, string> =
    body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' };
  send(res, status, { ...base, 'cache-control': 'no-store', ...headers }, text, options);
}

/** Writes `{"error": message}` with `status`. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
  options: { readonly close?: boolean } = {},
): void {
  sendJson(res, status, { error: message }, headers, options);
}
