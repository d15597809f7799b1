/**
 * Who may call a dmpush server. dmpush runs next to a browser on developers' machines and in CI,
 * so every server answers local, same-origin callers only (decision 0013):
 *
 * - **Host**: a request must name a host the server answers to: a loopback name (`localhost`,
 *   `*.localhost`, `127.0.0.0/8`, `::1`), the address the request arrived on (an IP literal:
 *   rebinding needs a name), or a name configured with `--allow-host` (or the WNS emulator's
 *   public host). Others get 421 naming the host: a page on a rebound DNS name reaches nothing.
 * - **Origin**: a state-changing request (any method but GET, HEAD, OPTIONS) of a control or admin
 *   route carrying an `Origin` that is not the server's own is refused (403): browsers send
 *   `Origin` with every such request, so a page on another site cannot drive the fleet. Clients
 *   that are not browsers send none and are not affected. WebSocket upgrades are checked the same
 *   way whatever their method (browsers do not apply CORS to WebSockets).
 * - **Bearer token** (optional, `--api-token`): the control and admin routes then require
 *   `Authorization: Bearer <token>` (401 otherwise), compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { AdmissionCheck } from './admission.js';
import { HttpError, type RequestTarget } from './http-util.js';

/** Which callers a server answers, besides local ones. */
export interface AccessPolicy {
  /**
   * Host names served besides loopback names and the address a request arrived on
   * (`--allow-host`); `*.example.com` matches every subdomain of `example.com`.
   */
  readonly allowHosts?: readonly string[];
  /** When set, the routes a server protects require `Authorization: Bearer <apiToken>`. */
  readonly apiToken?: string | undefined;
}

/** Which requests of a server a check applies to. */
type RouteFilter = (req: IncomingMessage, target: RequestTarget) => boolean;

/** `host[:port]` or `[v6][:port]`, as RFC 9110 §7.2 allows it (no user info, path or space). */
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([^\s/?#@[\]:]+))(?::(\d{1,5}))?$/i;

/** The host name a Host header names: lowercase, without port, brackets or a final dot. */
export function hostnameOf(host: string): string | null {
  const m = HOST_HEADER.exec(host.trim());
  if (!m) return null;
  const name = (m[1] ?? m[2] ?? '').toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** An IP literal without an IPv4-mapped IPv6 prefix (`::ffff:127.0.0.1` → `127.0.0.1`). */
function plainAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/**
 * True for a name that always means this machine: `localhost` and its subdomains (RFC 6761
 * §6.3), `127.0.0.0/8`, `::1`, and the unspecified addresses `0.0.0.0` and `::` (a client
 * connecting to them reaches this machine).
 */
export function isLocalName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const address = plainAddress(name);
  if (address === '0.0.0.0' || address === '::') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$/.test(address);
}

/** True when `name` is `pattern`, or `pattern` is `*.domain` and `name` is below `domain`. */
function matchesHost(pattern: string, name: string): boolean {
  const p = hostnameOf(pattern) ?? pattern.toLowerCase();
  return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
}

/** True when a server with `policy` answers to `name`, reached on `localAddress`. */
export function servesHost(
  policy: AccessPolicy,
  name: string,
  localAddress: string | undefined,
): boolean {
  if (isLocalName(name)) return true;
  if (isIP(plainAddress(name)) !== 0 && localAddress !== undefined)
    if (plainAddress(name) === plainAddress(localAddress)) return true;
  return (policy.allowHosts ?? []).some((p) => matchesHost(p, name));
}

/** The 421 a request naming a host the server does not answer to gets. */
function misdirected(host: string): HttpError {
  return new HttpError(
    421,
    `Host ${JSON.stringify(host)} is not a name this server answers to (it answers to ` +
      `localhost, loopback addresses and the address it was reached on); to serve it, start ` +
      `with --allow-host ${hostnameOf(host) ?? host}`,
  );
}

/** Throws unless the request's Host is one `policy` serves (no Host: HTTP/1.0, left to others). */
function checkHost(policy: AccessPolicy, req: IncomingMessage): void {
  const host = req.headers.host;
  if (host === undefined) return;
  const name = hostnameOf(host);
  if (name === null) throw new HttpError(400, `Host ${JSON.stringify(host)} is not a host name`);
  if (!servesHost(policy, name, req.socket.localAddress)) throw misdirected(host);
}

/** The `host[:port]` of an Origin header, lowercase; null for `null` or a malformed origin. */
function originHost(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? null : url.host.toLowerCase();
  } catch {
    return null;
  }
}

/** Throws 403 when the request carries an Origin that is not the server's own (Host). */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const host = req.headers.host?.toLowerCase();
  if (host !== undefined && originHost(origin) === host) return;
  throw new HttpError(
    403,
    `Origin ${JSON.stringify(origin)} is not this server's: requests from another site are ` +
      'refused (send them from a page this server serves, or from a client that sends no Origin)',
  );
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** True when `presented` is `expected` (constant time over their SHA-256 digests). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer …` header, or undefined. */
function bearerOf(req: IncomingMessage): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/**
 * Throws 401 (with `WWW-Authenticate`, RFC 6750 §3) unless `presented` is `token`. `presented`
 * defaults to the request's bearer token.
 */
function checkToken(
  token: string,
  req: IncomingMessage,
  presented: string | undefined = bearerOf(req),
): void {
  if (presented !== undefined && sameSecret(presented, token)) return;
  const wrong = presented !== undefined;
  throw new HttpError(
    401,
    wrong
      ? 'the API token is not valid'
      : 'this API requires a token: send Authorization: Bearer <the --api-token value>',
    {
      'www-authenticate': wrong
        ? 'Bearer realm="dmpush", error="invalid_token"'
        : 'Bearer realm="dmpush"',
    },
  );
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Which requests of a server each check applies to. */
export interface AccessScope {
  /** State-changing requests of these routes refuse a foreign Origin (default: none). */
  readonly origin?: RouteFilter;
  /** These routes require the API token, when the policy has one (default: none). */
  readonly token?: RouteFilter;
}

/**
 * The admission checks of a server with `policy`: Host on every request; Origin on the
 * state-changing requests `scope.origin` selects; the API token on the routes `scope.token`
 * selects.
 */
export function accessChecks(policy: AccessPolicy, scope: AccessScope = {}): AdmissionCheck[] {
  const checks: AdmissionCheck[] = [(req) => checkHost(policy, req)];
  const origin = scope.origin;
  if (origin) {
    checks.push((req, target) => {
      if (!SAFE_METHODS.has(req.method ?? 'GET') && origin(req, target)) checkOrigin(req);
    });
  }
  const { apiToken } = policy;
  const token = scope.token;
  if (apiToken !== undefined && token) {
    checks.push((req, target) => {
      if (token(req, target)) checkToken(apiToken, req);
    });
  }
  return checks;
}

/**
 * Checks a WebSocket upgrade: Host, Origin (whatever the method), and the API token when the
 * policy has one, from `Authorization` or, since browsers cannot set headers on a WebSocket, the
 * `access_token` query parameter (RFC 6750 §2.3). Returns the refusal, or null.
 */
export function upgradeRefusal(
  policy: AccessPolicy,
  req: IncomingMessage,
  target: RequestTarget,
  options: { readonly token: boolean },
): HttpError | null {
  try {
    checkHost(policy, req);
    checkOrigin(req);
    if (options.token && policy.apiToken !== undefined)
      checkToken(
        policy.apiToken,
        req,
        bearerOf(req) ?? target.query.get('access_token') ?? undefined,
      );
    return null;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
}
