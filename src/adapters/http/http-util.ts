import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DmpushError } from '../../core/errors.js';

/**
 * An error a handler throws to answer `status` with `message` (the service writes it in its error
 * format: `{"error": message}` by default) and `headers`. Code `E_HTTP`; the wire status is
 * `status`.
 */
export class HttpError extends DmpushError {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super('E_HTTP', message);
  }
}

/** The request target split into its path and query, whatever form the client sent. */
export interface RequestTarget {
  /** The path, still percent-encoded, without the query string. */
  readonly path: string;
  /** The query string without its `?` (empty when there is none). */
  readonly search: string;
  /** The query, parsed on first use. */
  readonly query: URLSearchParams;
}

/** A target whose query is parsed only when asked for (most requests never look at it). */
class LazyTarget implements RequestTarget {
  private parsed: URLSearchParams | undefined;
  readonly path: string;

  constructor(
    path: string,
    readonly search: string,
  ) {
    this.path = path === '' ? '/' : path;
  }

  get query(): URLSearchParams {
    return (this.parsed ??= new URLSearchParams(this.search));
  }
}

/**
 * Splits `req.url`. Origin-form targets (`/path?query`) are split by hand: `new URL('//x', base)`
 * would read `//x` as a host. Absolute-form targets (`http://host/path?query`) go through `URL`.
 */
export function requestTarget(rawUrl: string | undefined): RequestTarget {
  const url = rawUrl ?? '/';
  if (url.charCodeAt(0) !== 47 /* / */ && /^https?:\/\//i.test(url)) {
    try {
      const parsed = new URL(url);
      return new LazyTarget(parsed.pathname, parsed.search.slice(1));
    } catch {
      // Fall through to the plain split.
    }
  }
  const q = url.indexOf('?');
  return q < 0 ? new LazyTarget(url, '') : new LazyTarget(url.slice(0, q), url.slice(q + 1));
}

/** True when a query string has a `token` parameter (what marks a channel URI). */
export function hasTokenParameter(search: string): boolean {
  return (
    /(?:^|&)token(?:=|&|$)/.test(search) ||
    (search.includes('%') && new URLSearchParams(search).has('token'))
  );
}

/**
 * Header names lowercased with the first value of each, read from `rawHeaders` (cheaper than
 * `headersDistinct`, which builds an array per header).
 */
export function firstHeaderValues(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (out[name] === undefined) out[name] = raw[i + 1] as string;
  }
  return out;
}

/** Characters Node refuses in a header value, replaced so an echoed value can never throw. */
const INVALID_HEADER_CHARS = /[^\t\x20-\x7e\x80-\xff]/g;
const HAS_INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export function safeHeaderValue(value: string): string {
  return HAS_INVALID_HEADER_CHAR.test(value) ? value.replace(INVALID_HEADER_CHARS, '?') : value;
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
  // A flat [name, value, …] list: the cheapest form `writeHead` takes.
  const out: string[] = [];
  for (const name in headers) out.push(name, safeHeaderValue(headers[name] as string));
  out.push('content-length', String(Buffer.byteLength(body)));
  if (options.close) out.push('connection', 'close');
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

/** Answers an upgrade request with `status` and a JSON `{"error"}` naming why, and closes. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
