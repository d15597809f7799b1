/**
 * The one HTTP service base every dmpush server is built on (WNS emulator and admin API, control
 * API, reference MDM server). A request goes through the same steps on each:
 *
 * 1. **admission**: the service's {@link AdmissionCheck}s (a missing HTTP/1.1 Host header is a
 *    400), then its access checks (`access.ts`): a Host it does not serve is a 421, a foreign
 *    Origin on a state-changing route its scope names a 403, a missing API token a 401;
 * 2. **routing**: `claim` (routes found by something other than the path, e.g. WNS channel URIs by
 *    their `token` query parameter), then the route table (find-my-way): 404, or 405 with `Allow`;
 * 3. **body**: the route's {@link BodyPolicy}: a Content-Type it does not accept is a 415 naming
 *    the header and the expected type, a body over its limit a 413;
 * 4. **handler**: writes its answer through the {@link Exchange};
 * 5. **one error path**: a thrown (or rejected) `HttpError` answers its status; anything else is
 *    a 500, reported to `onError` (by default logged to stderr through `logger`, never silent);
 * 6. **commit before reply**: `beforeReply` runs before any answer is written; when it throws,
 *    the client gets 503 with its message and `Retry-After: 1`.
 *
 * Malformed HTTP and CONNECT are answered in the service's error format too, and close.
 */
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
import type { Clock } from '../../core/time/clock.js';
import { accessChecks, type AccessPolicy, type AccessScope } from './access.js';
import { DEFAULT_ADMISSION, type AdmissionCheck } from './admission.js';
import { checkContentType } from './body-policy.js';
import { answers, Exchange, type Answers, type ErrorFormat } from './exchange.js';
import { HttpError } from './http-util.js';
import { readBodyThen, type BodyResult } from './read-body.js';
import { RouteTable, type Route } from './route-table.js';

/** What an error report and a request log say of a request: never its query, headers or body. */
export interface RequestSummary {
  readonly method: string;
  /** The path without its query string (tokens travel in the query). */
  readonly path: string;
}

/** One answered request, for logs. */
export interface RequestLogEntry extends RequestSummary {
  /** The status answered, or 0 when the connection closed without an answer. */
  readonly status: number;
  /** Wall time from the request's arrival to the end of the answer, in milliseconds. */
  readonly ms: number;
}

/** Where unexpected errors are logged (pino's `error(fields, message)` fits). */
export interface ErrorLogger {
  error(fields: Record<string, unknown>, message: string): void;
}

/** Writes one JSON line to stderr: the default {@link ErrorLogger}. */
const stderrLogger: ErrorLogger = {
  error(fields, message) {
    process.stderr.write(`${JSON.stringify({ level: 'error', ...fields, msg: message })}\n`);
  },
};

export interface HttpServiceOptions {
  /** Names the service in logs (`wns`, `control`, `mdm`). */
  readonly name: string;
  readonly routes: readonly Route[];
  /** Finds a route before the table does (a route not found by path); undefined: the table's. */
  readonly claim?: (x: Exchange) => Route | undefined;
  /** The 404 message for a path no route has (default `no route {path}`). */
  readonly notFound?: (path: string) => string;
  /** How errors are written (default `json`: `{"error": message}`). */
  readonly errorFormat?: ErrorFormat;
  /** Whether a 500 names the error (default true; false answers `internal error` only). */
  readonly exposeErrors?: boolean;
  /** The admission step's own checks (default {@link DEFAULT_ADMISSION}). */
  readonly admission?: readonly AdmissionCheck[];
  /** Who may call (default: local callers only, no token); its checks follow `admission`. */
  readonly access?: AccessPolicy | undefined;
  /** Which routes the Origin and token checks of `access` apply to (default: none). */
  readonly accessScope?: AccessScope;
  /** Run just before any answer is written (see the module comment). */
  readonly beforeReply?: () => void;
  /** Told of an unexpected exception of a request (its client got a 500). */
  readonly onError?: (error: unknown, request: RequestSummary) => void;
  /** Where the default `onError` logs (default {@link stderrLogger}). */
  readonly logger?: ErrorLogger;
  /** Called once per request when its answer is out (or its connection is gone). */
  readonly onRequest?: (entry: RequestLogEntry) => void;
  /** Requests count as I/O in flight on this clock when it is virtual (it waits for them). */
  readonly clock?: Clock;
  /** Serve HTTPS with this certificate chain and key (PEM) instead of plain HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
}

export interface HttpService {
  readonly server: Server;
  /** Starts listening (port 0: any free port); resolves with the base URL, no trailing `/`. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
}

const noop = (): void => undefined;

/** An error as a 500 names it. */
const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Serves requests: admission, routing, body, handler, and the one error path. */
class Pipeline {
  private readonly table: RouteTable;
  private readonly admission: readonly AdmissionCheck[];
  private readonly reportError: (error: unknown, request: RequestSummary) => void;
  readonly out: Answers;

  constructor(private readonly options: HttpServiceOptions) {
    this.table = new RouteTable(options.routes, options.notFound);
    this.admission = [
      ...(options.admission ?? DEFAULT_ADMISSION),
      ...accessChecks(options.access ?? {}, options.accessScope),
    ];
    this.out = answers(options.errorFormat ?? 'json', options.beforeReply);
    const logger = options.logger ?? stderrLogger;
    this.reportError =
      options.onError ??
      ((error, request) =>
        logger.error(
          {
            service: options.name,
            ...request,
            error: describe(error),
            stack: error instanceof Error ? error.stack : undefined,
          },
          'unexpected error (answered 500)',
        ));
  }

  readonly serve = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', noop);
    res.on('error', noop);
    const x = new Exchange(req, res, this.out, this.options.clock ?? null);
    x.inFlight?.start();
    if (x.inFlight || this.options.onRequest) this.observe(x);
    this.guard(x, () => this.dispatch(x));
  };

  /** Ends the request's time in flight and logs it once its connection is done with it. */
  private observe(x: Exchange): void {
    const onRequest = this.options.onRequest;
    const started = onRequest ? performance.now() : 0;
    x.res.once('close', () => {
      x.inFlight?.end();
      if (!onRequest) return;
      try {
        onRequest({
          method: x.method,
          path: x.target.path,
          status: x.res.headersSent ? x.res.statusCode : 0,
          ms: performance.now() - started,
        });
      } catch {
        // A failing logger must not take a request down with it.
      }
    });
  }

  private dispatch(x: Exchange): void | Promise<void> {
    for (const check of this.admission) check(x.req, x.target);
    let route = this.options.claim?.(x);
    if (!route) {
      const match = this.table.match(x.method, x.target.path);
      route = match.route;
      x.params = match.params;
    }
    const policy = route.body;
    if (!policy) return route.handle(x);
    checkContentType(policy, x.req.headers['content-type']);
    const handle = route.handle;
    // A callback, not a promise: the WNS notify path answers in the same turn as the body ends.
    readBodyThen(x.req, { limit: policy.limit }, (body: BodyResult) => {
      if (body.kind === 'aborted') return;
      if (body.kind === 'too-large' && policy.oversize !== 'handler') {
        x.sendError(413, `the request body is over ${policy.limit} bytes`, {}, { close: true });
        return;
      }
      x.body = body;
      this.guard(x, () => handle(x));
    });
  }

  /** Runs a step; what it throws or rejects goes to {@link fail}. */
  private guard(x: Exchange, step: () => void | Promise<void>): void {
    try {
      const done = step();
      if (done) done.catch((error: unknown) => this.fail(x, error));
    } catch (error) {
      this.fail(x, error);
    }
  }

  /** The one error path: an HttpError answers its status; anything else is a reported 500. */
  private fail(x: Exchange, error: unknown): void {
    if (error instanceof HttpError) {
      x.sendError(error.status, error.message, error.headers, { close: error.status === 413 });
      return;
    }
    try {
      this.reportError(error, { method: x.method, path: x.target.path });
    } catch {
      // Ignore: the answer below matters more.
    }
    if (x.res.headersSent) x.res.destroy();
    else {
      const message =
        this.options.exposeErrors === false
          ? 'internal error'
          : `internal error: ${describe(error)}`;
      x.sendError(500, message, {}, { close: true });
    }
  }

  /** Answers on a raw socket (requests Node does not hand to the request handler) and closes it. */
  rawAnswer(socket: Duplex, status: number, message: string): void {
    const json = this.options.errorFormat !== 'text';
    const body = json ? JSON.stringify({ error: message }) : message;
    const type = json ? 'application/json' : 'text/plain; charset=utf-8';
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${type}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
}

/** The status of an HTTP parse error. */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/**
 * Creates a server for `options.routes` (see the module comment for what every request goes
 * through). It does not listen until {@link HttpService.listen}.
 *
 * @example
 * ```ts
 * const service = createHttpService({
 *   name: 'example',
 *   routes: [{ method: 'GET', path: '/health', handle: (x) => x.sendJson(200, { ok: true }) }],
 * });
 * const { url } = await service.listen(0); // http://127.0.0.1:…
 * await service.close();
 * ```
 */
export function createHttpService(options: HttpServiceOptions): HttpService {
  const pipeline = new Pipeline(options);
  // A missing Host header is answered by the admission step, in the service's error format.
  const serverOptions = { requireHostHeader: false };
  const server: Server = options.tls
    ? createTlsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
    : createServer(serverOptions);
  const scheme = options.tls ? 'https' : 'http';
  server.on('request', pipeline.serve);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = clientErrorStatus(err.code);
    pipeline.rawAnswer(socket, status, `malformed HTTP request (${err.code ?? 'parse error'})`);
  });
  // CONNECT (a proxy tunnel) is served by none: without this, Node would close the socket silently.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', noop);
    pipeline.rawAnswer(socket, 405, 'CONNECT is not supported');
  });

  return {
    server,
    listen(port, host = '127.0.0.1') {
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
