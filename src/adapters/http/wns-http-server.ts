import { randomBytes } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock, Timer } from '../../core/time/clock.js';
import { MAX_RAW_BYTES, type Fault, type WnsResponse } from '../../core/wns/wns-service.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import { ADMIN_PREFIX, handleAdmin } from './admin-api.js';
import {
  HttpError,
  firstHeaderValues,
  hasTokenParameter,
  requestTarget,
  replier,
  type RequestTarget,
} from './http-util.js';
import { readBody, readBodyThen, type BodyResult } from './read-body.js';

/** One answered request, for logs. Never carries a query string, header, body or token. */
export interface WnsRequestLogEntry {
  readonly method: string;
  /** The path without its query string (channel tokens travel in the query). */
  readonly path: string;
  /** The status answered, or 0 when the connection closed without an answer. */
  readonly status: number;
  /** Wall time from the request's arrival to the end of the answer, in milliseconds. */
  readonly ms: number;
}

export interface WnsHttpServerOptions {
  /** Called once per request when its answer is out (or its connection is gone). */
  readonly onRequest?: (entry: WnsRequestLogEntry) => void;
  /** Called with an unexpected exception of a request (the client got a 500). */
  readonly onError?: (error: unknown) => void;
  /** Serve HTTPS with this certificate chain and key (PEM) instead of plain HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /**
   * Called just before any answer is written: durable state commits there, so nothing a client
   * was told happened is lost if the process dies right after.
   */
  readonly beforeReply?: () => void;
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
/** `Retry-After` of an injected 503, in seconds. */
export const FAULT_RETRY_AFTER_SECONDS = 5;

const CLASSIC_TOKEN_PATH = '/accesstoken.srf';
const ENTRA_TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;

const noop = (): void => undefined;

/**
 * Marks a request as I/O in flight on the emulator's clock, so a virtual clock that skips time
 * waits for it. Released while a fault delays the answer: the delay is a timer of that clock,
 * which could never come due if the request held time still.
 */
class InFlight {
  private release: (() => void) | null = null;

  constructor(private readonly clock: Clock) {}

  start(): void {
    if (this.release) return;
    void this.clock.track(
      new Promise<void>((resolve) => {
        this.release = resolve;
      }),
    );
  }

  end(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }
}

/** One request being served. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly target: RequestTarget;
  readonly method: string;
  /** Holds a virtual clock still while the request is served (null on the system clock). */
  readonly inFlight: InFlight | null;
}

/** The response is closed: answered, or its client left. */
const closed = (x: Exchange): boolean =>
  x.res.writableEnded || x.res.destroyed || x.req.socket.destroyed;

/** An `application/x-www-form-urlencoded` body; the first value of each name wins. */
function parseForm(text: string): Record<string, string | undefined> {
  const form = Object.create(null) as Record<string, string | undefined>;
  for (const [name, value] of new URLSearchParams(text)) if (!(name in form)) form[name] = value;
  return form;
}

/**
 * The sender's MS-CV, or a fresh one for answers the adapter writes itself (the service makes
 * its own otherwise).
 */
function correlationVectorOf(headers: Readonly<Record<string, string>>): string {
  return headers['ms-cv'] ?? `${randomBytes(16).toString('base64').slice(0, 22)}.0`;
}

/**
 * The WNS emulator over HTTP: the token endpoints (classic `POST /accesstoken.srf` and Entra
 * `POST /{tenant}/oauth2/v2.0/token`), `POST <ChannelURI>` (any path with a `token` query
 * parameter), and the admin API under `/_sim/`. Built on `node:http`; every request is handled in
 * isolation, so a bad one is answered with the protocol's error and never stops the server.
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
  const clock = emulator.clock;
  const service = emulator.service;
  const delays = new Set<Timer>();
  // A missing Host header is answered below, with a JSON body like every other error.
  const serverOptions = { requireHostHeader: false };
  const server: Server = options.tls
    ? createTlsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
    : createServer(serverOptions);
  const scheme = options.tls ? 'https' : 'http';
  // Every answer goes through these, so `beforeReply` runs before any of them is written.
  const { send, sendJson, sendError } = replier(options.beforeReply);

  const log = (entry: WnsRequestLogEntry): void => {
    try {
      options.onRequest?.(entry);
    } catch {
      // A failing logger must not take a request down with it.
    }
  };

  server.on('request', serve);
  /** Answers on a raw socket (requests Node does not hand to the request handler) and closes it. */
  const rawAnswer = (socket: Duplex, status: number, error: string): void => {
    const body = JSON.stringify({ error });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    rawAnswer(socket, status, `malformed HTTP request (${err.code ?? 'parse error'})`);
  });
  // CONNECT (a proxy tunnel) is not WNS: without this, Node would close the socket silently.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', noop);
    rawAnswer(socket, 405, 'CONNECT is not supported');
  });

  function serve(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', noop);
    res.on('error', noop);
    const x: Exchange = {
      req,
      res,
      target: requestTarget(req.url),
      method: req.method ?? 'GET',
      // Only a virtual clock waits for I/O; on the system clock tracking would be pure cost.
      inFlight: clock.mode === 'virtual' ? new InFlight(clock) : null,
    };
    x.inFlight?.start();
    if (x.inFlight || options.onRequest) {
      const started = options.onRequest ? performance.now() : 0;
      res.once('close', () => {
        x.inFlight?.end();
        if (options.onRequest)
          log({
            method: x.method,
            path: x.target.path,
            status: res.headersSent ? res.statusCode : 0,
            ms: performance.now() - started,
          });
      });
    }
    guard(x, () => {
      if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined)
        throw new HttpError(400, 'the Host header is missing (required by HTTP/1.1)');
      return route(x);
    });
  }

  /**
   * Runs a step of a request: an {@link HttpError} (thrown, or rejected by a returned promise) is
   * answered as such; anything else is a 500 and goes to `onError`.
   */
  function guard(x: Exchange, step: () => void | Promise<void>): void {
    try {
      const done = step();
      if (done) done.catch((error: unknown) => failed(x, error));
    } catch (error) {
      failed(x, error);
    }
  }

  function failed(x: Exchange, error: unknown): void {
    const res = x.res;
    if (error instanceof HttpError) {
      sendError(res, error.status, error.message, error.headers, { close: error.status === 413 });
      return;
    }
    try {
      options.onError?.(error);
    } catch {
      // Ignore: the answer below matters more.
    }
    if (res.headersSent) res.destroy();
    else {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      sendError(res, 500, `internal error: ${what}`, {}, { close: true });
    }
  }

  /** Dispatches a request; returns a promise when its answer is not written synchronously. */
  function route(x: Exchange): void | Promise<void> {
    const path = x.target.path;
    if (path === ADMIN_PREFIX.slice(0, -1) || path.startsWith(ADMIN_PREFIX)) {
      return handleAdmin(emulator, x.req, x.target).then((answer) =>
        sendJson(x.res, answer.status, answer.body),
      );
    }
    if (path === '/' || hasTokenParameter(x.target.search)) return notify(x);
    if (path === CLASSIC_TOKEN_PATH) return token(x, (form) => service.classicToken(form));
    const entra = ENTRA_TOKEN_PATH.exec(path);
    if (entra) {
      let tenant: string;
      try {
        tenant = decodeURIComponent(entra[1] as string);
      } catch {
        tenant = entra[1] as string;
      }
      return token(x, (form) => service.entraToken(tenant, form));
    }
    throw new HttpError(
      404,
      `no route ${path}: send notifications to a channel URI (?token=…), tokens to ` +
        `${CLASSIC_TOKEN_PATH} or /{tenant}/oauth2/v2.0/token, admin requests to ${ADMIN_PREFIX}`,
    );
  }

  // ---- faults -------------------------------------------------------------------------------

  /**
   * Applies an injected fault of `op`, if one hits. Returns false when the request was answered
   * (or dropped) by the fault, true to go on handling it (after a delay, if that was the fault).
   */
  async function applyFault(
    x: Exchange,
    op: Fault['op'],
    answer: (status: number, headers: Record<string, string>) => void,
  ): Promise<boolean> {
    const fault = service.faultFor(op);
    if (!fault) return true;
    const channel = op === 'notify' ? emulator.cloud.findChannel(x.req.url ?? '') : undefined;
    const journal = (status: number, description: string): void => {
      service.journal.add({
        time: clock.now(),
        op,
        status,
        channelUri: channel?.uri,
        pfn: channel?.pfn,
        deviceId: channel?.deviceId,
        description,
      });
    };
    const action = fault.action;
    if ('drop' in action) {
      journal(0, 'injected fault: connection dropped');
      x.req.socket.destroy();
      return false;
    }
    if ('status' in action) {
      journal(action.status, 'injected fault');
      const headers: Record<string, string> = { 'x-wns-error-description': 'injected fault' };
      if (action.status === 503) headers['retry-after'] = String(FAULT_RETRY_AFTER_SECONDS);
      answer(action.status, headers);
      return false;
    }
    await delay(x, action.delayMs);
    return !closed(x);
  }

  /** Waits `ms` on the emulator's clock without holding a virtual clock still meanwhile. */
  function delay(x: Exchange, ms: number): Promise<void> {
    x.inFlight?.end();
    return new Promise<void>((resolve) => {
      const timer = clock.schedule(clock.now() + ms, () => {
        delays.delete(timer);
        // In flight again before anything else runs: the answer is real I/O.
        if (!closed(x)) x.inFlight?.start();
        resolve();
      });
      delays.add(timer);
    });
  }

  // ---- tokens -------------------------------------------------------------------------------

  async function token(
    x: Exchange,
    issue: (form: Readonly<Record<string, string | undefined>>) => WnsResponse,
  ): Promise<void> {
    const body = await readBody(x.req, { limit: TOKEN_BODY_LIMIT });
    if (body.kind === 'aborted') return;
    const close = body.kind === 'too-large' && body.unread;
    const oauthError = (
      status: number,
      description: string,
      headers: Record<string, string> = {},
    ): void => {
      const error = status >= 500 ? 'server_error' : 'invalid_request';
      sendJson(x.res, status, { error, error_description: description }, headers, { close });
    };
    const go = await applyFault(x, 'token', (status, headers) =>
      oauthError(status, 'injected fault', headers),
    );
    if (!go) return;
    if (x.method !== 'POST') {
      const description = `method ${x.method} is not allowed: request tokens with POST`;
      service.journal.add({ time: clock.now(), op: 'token', status: 405, description });
      oauthError(405, description, { allow: 'POST' });
      return;
    }
    if (body.kind === 'too-large') {
      const description = `the request body is over ${TOKEN_BODY_LIMIT} bytes`;
      service.journal.add({ time: clock.now(), op: 'token', status: 413, description });
      oauthError(413, description);
      return;
    }
    const answer = issue(parseForm(body.body.toString('utf8')));
    send(x.res, answer.status, answer.headers, answer.body);
  }

  // ---- notify -------------------------------------------------------------------------------

  /** `POST <ChannelURI>`: answered synchronously once the body is in, unless a fault is set. */
  function notify(x: Exchange): void {
    const headers = firstHeaderValues(x.req);
    readBodyThen(x.req, { limit: MAX_RAW_BYTES }, (body) => {
      if (body.kind === 'aborted') return;
      if (service.listFaults().length === 0) guard(x, () => answerNotify(x, headers, body));
      else
        guard(x, async () => {
          const close = body.kind === 'too-large' && body.unread;
          const go = await applyFault(x, 'notify', (status, extra) =>
            send(x.res, status, { 'ms-cv': correlationVectorOf(headers), ...extra }, '', { close }),
          );
          if (go) answerNotify(x, headers, body);
        });
    });
  }

  function answerNotify(
    x: Exchange,
    headers: Record<string, string>,
    body: Exclude<BodyResult, { kind: 'aborted' }>,
  ): void {
    const close = body.kind === 'too-large' && body.unread;
    if (headers['transfer-encoding'] !== undefined && headers['content-length'] === undefined) {
      const description =
        'chunked transfer encoding is not supported: send the body with a Content-Length header';
      const channel = emulator.cloud.findChannel(x.req.url ?? '');
      service.journal.add({
        time: clock.now(),
        op: 'notify',
        status: 400,
        channelUri: channel?.uri,
        pfn: channel?.pfn,
        deviceId: channel?.deviceId,
        description,
      });
      send(
        x.res,
        400,
        {
          'ms-cv': correlationVectorOf(headers),
          'x-wns-status': 'dropped',
          'x-wns-notificationstatus': 'dropped',
          'x-wns-error-description': description,
        },
        '',
        { close },
      );
      return;
    }
    const answer = service.notify({
      method: x.method,
      channel: x.req.url ?? '/',
      headers,
      bodyBase64: body.kind === 'ok' ? body.body.toString('base64') : null,
      length: body.kind === 'ok' ? body.body.length : body.length,
    });
    send(x.res, answer.status, answer.headers, answer.body, { close });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  return {
    server,
    listen(port: number, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const shownHost = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `${scheme}://${shownHost}:${address.port}`, port: address.port });
        });
      });
    },
    close() {
      for (const timer of delays) clock.cancel(timer);
      delays.clear();
      return new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
