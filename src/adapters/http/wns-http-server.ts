import type { Server } from 'node:http';
import { MAX_RAW_BYTES, type WnsResponse, type WnsService } from '../../core/wns/wns-service.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import type { AccessPolicy, AccessScope } from './access.js';
import { ADMIN_PREFIX, adminRoutes, isAdminPath } from './admin-api.js';
import type { BodyPolicy } from './body-policy.js';
import type { Exchange, ReadBody } from './exchange.js';
import { firstHeaderValues, hasTokenParameter } from './http-util.js';
import type { Route } from './route-table.js';
import {
  createHttpService,
  type ErrorLogger,
  type RequestLogEntry,
  type RequestSummary,
} from './service.js';
import { WnsFaults } from './wns-faults.js';

export { FAULT_RETRY_AFTER_SECONDS } from './wns-faults.js';

/** One answered request, for logs. Never carries a query string, header, body or token. */
export type WnsRequestLogEntry = RequestLogEntry;

export interface WnsHttpServerOptions {
  /** Called once per request when its answer is out (or its connection is gone). */
  readonly onRequest?: (entry: WnsRequestLogEntry) => void;
  /**
   * Called with an unexpected exception of a request (the client got a 500). Default: logged
   * through `logger`.
   */
  readonly onError?: (error: unknown, request: RequestSummary) => void;
  /** Where unexpected exceptions are logged when there is no `onError` (default: stderr). */
  readonly logger?: ErrorLogger;
  /** Serve HTTPS with this certificate chain and key (PEM) instead of plain HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /**
   * Called just before any answer is written: durable state commits there, so nothing a client
   * was told happened is lost if the process dies right after.
   */
  readonly beforeReply?: () => void;
  /**
   * Host names served besides local ones (`--allow-host`; the public host of channel URIs), and
   * the API token that protects the admin API (`--api-token`).
   */
  readonly access?: AccessPolicy;
}

export interface WnsHttpServer {
  readonly server: Server;
  /**
   * Starts listening (port 0: any free port). Resolves with the base URL (`http://` or, with
   * `tls`, `https://`), without a trailing `/`.
   */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening, ends every connection and cancels delayed answers. */
  close(): Promise<void>;
}

/** Largest token request body (a form of four short fields). */
const TOKEN_BODY_LIMIT = 64 * 1024;
const CLASSIC_TOKEN_PATH = '/accesstoken.srf';
const ENTRA_TOKEN_PATH = '/:tenant/oauth2/v2.0/token';

/** A token request: a form whatever its Content-Type; WNS answers a wrong method or size itself. */
const TOKEN_BODY: BodyPolicy = { limit: TOKEN_BODY_LIMIT, accepts: 'any', oversize: 'handler' };
/** A push: WNS checks its Content-Type and size itself, with its own headers. */
const NOTIFY_BODY: BodyPolicy = { limit: MAX_RAW_BYTES, accepts: 'any', oversize: 'handler' };

type TokenForm = Readonly<Record<string, string | undefined>>;

/** An `application/x-www-form-urlencoded` body; the first value of each name wins. */
function parseForm(text: string): Record<string, string | undefined> {
  const form = Object.create(null) as Record<string, string | undefined>;
  for (const [name, value] of new URLSearchParams(text)) if (!(name in form)) form[name] = value;
  return form;
}

/** The token and notify endpoints of one emulator (the admin API is in `admin-api.ts`). */
class WnsEndpoints {
  private readonly service: WnsService;

  constructor(
    private readonly emulator: WnsEmulator,
    readonly faults: WnsFaults,
  ) {
    this.service = emulator.service;
  }

  /** The sender's MS-CV, or a fresh one from the service's seeded stream. */
  private correlationVector(headers: Readonly<Record<string, string>>): string {
    return headers['ms-cv'] ?? this.service.newCorrelationVector();
  }

  // ---- tokens -------------------------------------------------------------------------------

  /** `POST /accesstoken.srf` or `/{tenant}/oauth2/v2.0/token`: faults, method, size, then the form. */
  async token(x: Exchange, issue: (form: TokenForm) => WnsResponse): Promise<void> {
    const body = x.body as ReadBody;
    const close = body.kind === 'too-large' && body.unread;
    const oauthError = (
      status: number,
      description: string,
      headers: Record<string, string> = {},
    ): void => {
      const error = status >= 500 ? 'server_error' : 'invalid_request';
      x.sendJson(status, { error, error_description: description }, headers, { close });
    };
    const go = await this.faults.apply(x, 'token', (status, headers) =>
      oauthError(status, 'injected fault', headers),
    );
    if (!go) return;
    if (x.method !== 'POST') {
      const description = `method ${x.method} is not allowed: request tokens with POST`;
      this.service.recordAdapterAnswer('token', 405, description);
      oauthError(405, description, { allow: 'POST' });
      return;
    }
    if (body.kind === 'too-large') {
      const description = `the request body is over ${TOKEN_BODY_LIMIT} bytes`;
      this.service.recordAdapterAnswer('token', 413, description);
      oauthError(413, description);
      return;
    }
    const answer = issue(parseForm(body.body.toString('utf8')));
    x.send(answer.status, answer.headers, answer.body);
  }

  // ---- notify -------------------------------------------------------------------------------

  /** `POST <ChannelURI>`: answered synchronously once the body is in, unless a fault is set. */
  notify(x: Exchange): void | Promise<void> {
    const headers = firstHeaderValues(x.req);
    const body = x.body as ReadBody;
    if (!this.faults.any) return this.answerNotify(x, headers, body);
    return this.notifyWithFaults(x, headers, body);
  }

  private async notifyWithFaults(
    x: Exchange,
    headers: Record<string, string>,
    body: ReadBody,
  ): Promise<void> {
    const close = body.kind === 'too-large' && body.unread;
    const go = await this.faults.apply(x, 'notify', (status, extra) =>
      x.send(status, { 'ms-cv': this.correlationVector(headers), ...extra }, '', { close }),
    );
    if (go) this.answerNotify(x, headers, body);
  }

  private answerNotify(x: Exchange, headers: Record<string, string>, body: ReadBody): void {
    const close = body.kind === 'too-large' && body.unread;
    if (headers['transfer-encoding'] !== undefined && headers['content-length'] === undefined) {
      const description =
        'chunked transfer encoding is not supported: send the body with a Content-Length header';
      this.service.recordAdapterAnswer('notify', 400, description, x.req.url ?? '');
      const answer = {
        'ms-cv': this.correlationVector(headers),
        'x-wns-status': 'dropped',
        'x-wns-notificationstatus': 'dropped',
        'x-wns-error-description': description,
      };
      x.send(400, answer, '', { close });
      return;
    }
    const answer = this.service.notify({
      method: x.method,
      channel: x.req.url ?? '/',
      headers,
      bodyBase64: body.kind === 'ok' ? body.body.toString('base64') : null,
      length: body.kind === 'ok' ? body.body.length : body.length,
    });
    x.send(answer.status, answer.headers, answer.body, { close });
  }

  // ---- routes -------------------------------------------------------------------------------

  readonly notifyRoute: Route = {
    method: '*',
    path: '/',
    body: NOTIFY_BODY,
    handle: (x) => this.notify(x),
  };

  routes(): Route[] {
    const service = this.service;
    return [
      {
        method: '*',
        path: CLASSIC_TOKEN_PATH,
        body: TOKEN_BODY,
        handle: (x) => this.token(x, (form) => service.classicToken(form)),
      },
      {
        method: '*',
        path: ENTRA_TOKEN_PATH,
        body: TOKEN_BODY,
        handle: (x) => this.token(x, (form) => service.entraToken(x.params['tenant'] ?? '', form)),
      },
      ...adminRoutes(this.emulator),
    ];
  }

  /** Channel URIs are found by their `token` query parameter on any path (admin paths excepted). */
  readonly claim = (x: Exchange): Route | undefined => {
    const path = x.target.path;
    if (path === '/' || (hasTokenParameter(x.target.search) && !isAdminPath(path)))
      return this.notifyRoute;
    return undefined;
  };
}

/**
 * The admin API refuses a foreign Origin on state-changing requests and needs the API token when
 * there is one (but for its health check); the sender endpoints (token, notify) take what real
 * senders send, and the devices' WebSocket checks its own callers.
 */
const WNS_SCOPE: AccessScope = {
  origin: (_req, target) => isAdminPath(target.path),
  token: (_req, target) => isAdminPath(target.path) && target.path !== '/_sim/health',
};

/** The 404 message: where each kind of request goes. */
function notFound(path: string): string {
  if (isAdminPath(path))
    return `no admin route ${path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path}`;
  return (
    `no route ${path}: send notifications to a channel URI (?token=…), tokens to ` +
    `${CLASSIC_TOKEN_PATH} or /{tenant}/oauth2/v2.0/token, admin requests to ${ADMIN_PREFIX}`
  );
}

/**
 * The WNS emulator over HTTP: the token endpoints (classic `POST /accesstoken.srf` and Entra
 * `POST /{tenant}/oauth2/v2.0/token`), `POST <ChannelURI>` (any path with a `token` query
 * parameter), and the admin API under `/_sim/`. Built on the HTTP service base (`service.ts`);
 * every request is handled in isolation, so a bad one is answered with the protocol's error and
 * never stops the server.
 *
 * Channel URIs carry the emulator's base URL: once the port is known, set it with
 * `emulator.setBaseUrl(url + '/')` (unless a public host is configured).
 *
 * @example
 * ```ts
 * const wns = createWnsHttpServer(emulator, { onRequest: (e) => logger.info(e) });
 * const { url } = await wns.listen(0);
 * emulator.setBaseUrl(`${url}/`);
 * ```
 */
export function createWnsHttpServer(
  emulator: WnsEmulator,
  options: WnsHttpServerOptions = {},
): WnsHttpServer {
  const faults = new WnsFaults(emulator.service, emulator.clock);
  const endpoints = new WnsEndpoints(emulator, faults);
  const service = createHttpService({
    name: 'wns',
    routes: endpoints.routes(),
    claim: endpoints.claim,
    notFound,
    clock: emulator.clock,
    tls: options.tls,
    beforeReply: options.beforeReply,
    onRequest: options.onRequest,
    onError: options.onError,
    logger: options.logger,
    access: options.access,
    accessScope: WNS_SCOPE,
  });
  return {
    server: service.server,
    listen: (port, host) => service.listen(port, host),
    close() {
      faults.cancelDelays();
      return service.close();
    },
  };
}
