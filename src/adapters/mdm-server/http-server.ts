/**
 * The reference MDM server's HTTP endpoint: an adapter that puts the protocol logic of
 * `src/mdm-server/` ({@link ReferenceMdm}) on the HTTP service base (`src/adapters/http/service.ts`)
 * and sends its pushes with a {@link WnsSender}.
 */
import type { Server } from 'node:http';
import type { BodyPolicy } from '../http/body-policy.js';
import type { Exchange } from '../http/exchange.js';
import { HttpError } from '../http/http-util.js';
import type { AccessPolicy } from '../http/access.js';
import { createHttpService, type ErrorLogger, type RequestSummary } from '../http/service.js';
import {
  parseSyncML,
  serializeSyncML,
  SyncMLError,
  type SyncMLLimits,
} from '../../core/syncml/codec.js';
import { SYNCML_CONTENT_TYPE } from '../../core/syncml/message.js';
import type { PushResult } from '../../mdm-server/push-result.js';
import type { EnrollmentServer } from '../../mdm-server/enrollment/enrollment-server.js';
import { MdmProtocolError, type ReferenceMdm } from '../../mdm-server/reference-mdm.js';
import { enrollmentRoutes } from './enrollment-routes.js';
import type { PushOptions, WnsSender } from './wns-sender.js';

/** Largest SyncML body accepted: 1 MiB (Windows publishes no MaxMsgSize; dmclient-omadm.md §2). */
export const MAX_SYNCML_BYTES = 1024 * 1024;

/** Options of {@link createReferenceMdmServer}. */
export interface ReferenceMdmServerOptions {
  /** The session logic (and the device records). */
  readonly mdm: ReferenceMdm;
  /** Sends pushes; without it {@link ReferenceMdmServer.push} throws. */
  readonly wns?: WnsSender;
  /** Limits passed to `parseSyncML` (its defaults when absent). */
  readonly parseLimits?: SyncMLLimits;
  /**
   * Called with an unexpected exception of a request (the client got a 500). Default: logged
   * through `logger`.
   */
  readonly onError?: (error: unknown, request: RequestSummary) => void;
  /** Where unexpected exceptions are logged when there is no `onError` (default: stderr). */
  readonly logger?: ErrorLogger;
  /** Runs before any answer is written (durable state commits there; a throw answers 503). */
  readonly beforeReply?: () => void;
  /** Host names served besides local ones (`--allow-host`). */
  readonly access?: AccessPolicy;
  /**
   * The MS-MDE2 enrollment service, served on `/EnrollmentServer/…` (see
   * `enrollment-routes.ts`); absent: no enrollment endpoints.
   */
  readonly enrollment?: EnrollmentServer;
  /**
   * Serve HTTPS with this certificate chain and key (PEM), as Windows requires for enrollment and
   * management (e.g. `ensureCertificates` of `src/adapters/tls/certificates.ts`); default HTTP.
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** The reference MDM server over HTTP. */
export interface ReferenceMdmServer {
  readonly mdm: ReferenceMdm;
  readonly server: Server;
  /**
   * Pushes to `deviceId` at the ChannelURI the server holds. Without one: `no-channel`, nothing
   * sent. On `channel-gone` (404, 410) the server forgets the URI until the next session.
   */
  push(deviceId: string, options?: PushOptions): Promise<PushResult>;
  /** Starts listening (port 0: any free port); resolves with the base URL. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
}

const NO_CHANNEL: PushResult = { status: 0, notificationStatus: null, outcome: 'no-channel' };
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A SyncML message: that content type only (WBXML is not modelled), at most 1 MiB. */
const SYNCML_BODY: BodyPolicy = {
  limit: MAX_SYNCML_BYTES,
  accepts: [SYNCML_CONTENT_TYPE],
  requireContentType: true,
};

/** Answers one SyncML message with the server's reply (a 400 names a message it cannot answer). */
function answerSyncML(x: Exchange, mdm: ReferenceMdm, limits: SyncMLLimits | undefined): void {
  let xml: string;
  try {
    xml = utf8.decode(x.bytes);
  } catch {
    throw new HttpError(400, 'the body is not valid UTF-8');
  }
  let reply: string;
  try {
    reply = serializeSyncML(mdm.handle(parseSyncML(xml, limits)));
  } catch (error) {
    if (!(error instanceof SyncMLError || error instanceof MdmProtocolError)) throw error;
    throw new HttpError(400, error.message);
  }
  x.send(200, { 'content-type': SYNCML_CONTENT_TYPE }, reply);
}

/**
 * The reference MDM server on the HTTP service base: `POST` of `application/vnd.syncml.dm+xml`
 * on any path (real servers use e.g. `/ManagementServer/MDM.svc`) is parsed, handed to
 * {@link ReferenceMdm} and answered with its reply, same content type. Errors are `text/plain`:
 * 405 for another method, 415 for another content type (WBXML included), 413 over
 * {@link MAX_SYNCML_BYTES}, 400 for a body that is not UTF-8 or not a SyncML message the server
 * can answer (the body names the problem), 500 for a bug (`internal error`, reported to
 * `onError`). The request URL is not checked against the SyncHdr Target. With `enrollment`, the
 * MS-MDE2 endpoints are served too (`enrollment-routes.ts`).
 *
 * @example
 * ```ts
 * const mdm = new ReferenceMdm({ pfn: APP.pfn, now: () => clock.now() });
 * const wns = new WnsSender({ tokenUrl, sid: APP.sid, secret: APP.secret, now: () => clock.now() });
 * const server = createReferenceMdmServer({ mdm, wns });
 * const { url } = await server.listen(0);
 * ```
 */
export function createReferenceMdmServer(options: ReferenceMdmServerOptions): ReferenceMdmServer {
  const { mdm, wns } = options;
  const service = createHttpService({
    name: 'mdm',
    routes: [
      ...(options.enrollment ? enrollmentRoutes(options.enrollment) : []),
      {
        method: 'POST',
        path: '*',
        body: SYNCML_BODY,
        handle: (x) => answerSyncML(x, mdm, options.parseLimits),
      },
    ],
    errorFormat: 'text',
    exposeErrors: false,
    beforeReply: options.beforeReply,
    onError: options.onError,
    logger: options.logger,
    access: options.access,
    tls: options.tls,
  });
  return {
    mdm,
    server: service.server,
    async push(deviceId, pushOptions = {}) {
      if (!wns) throw new Error('push: this server has no WNS sender (pass options.wns)');
      const channelUri = mdm.device(deviceId)?.channelUri ?? null;
      const result = channelUri === null ? NO_CHANNEL : await wns.send(channelUri, pushOptions);
      mdm.recordPush(deviceId, channelUri, result);
      return result;
    },
    listen: (port, host) => service.listen(port, host),
    close: () => service.close(),
  };
}
