import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from '../adapters/http/http-util.js';
import { readBody } from '../adapters/http/read-body.js';
import {
  parseSyncML,
  serializeSyncML,
  SyncMLError,
  type SyncMLLimits,
} from '../core/syncml/codec.js';
import { SYNCML_CONTENT_TYPE } from '../core/syncml/message.js';
import { MdmProtocolError, type PushResult, type ReferenceMdm } from './reference-mdm.js';
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
  /** Called with an unexpected exception of a request (the client got a 500). */
  readonly onError?: (error: unknown) => void;
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

/**
 * The reference MDM server on `node:http`: `POST` of `application/vnd.syncml.dm+xml` on any path
 * (real servers use e.g. `/ManagementServer/MDM.svc`) is parsed, handed to {@link ReferenceMdm}
 * and answered with its reply, same content type. Errors are `text/plain`: 405 for another
 * method, 415 for another content type (WBXML included), 413 over {@link MAX_SYNCML_BYTES},
 * 400 for a body that is not UTF-8 or not a SyncML message the server can answer (the body
 * names the problem), 500 for a bug. The request URL is not checked against the SyncHdr Target.
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
  const server = createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    serve(req, res).catch((error: unknown) => fail(res, error));
  });

  const text = (res: ServerResponse, status: number, body: string, close = false): void =>
    send(res, status, { 'content-type': 'text/plain; charset=utf-8' }, body, { close });

  function fail(res: ServerResponse, error: unknown): void {
    try {
      options.onError?.(error);
    } catch {
      // A failing logger must not take the answer down with it.
    }
    text(res, 500, 'internal error', true);
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      send(res, 405, { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' }, 'use POST');
      return;
    }
    const mediaType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== SYNCML_CONTENT_TYPE) {
      text(res, 415, `expected Content-Type ${SYNCML_CONTENT_TYPE}, got ${mediaType ?? 'none'}`);
      return;
    }
    const body = await readBody(req, { limit: MAX_SYNCML_BYTES });
    if (body.kind === 'aborted') return;
    if (body.kind === 'too-large') {
      text(res, 413, `the body is over ${MAX_SYNCML_BYTES} bytes`, body.unread);
      return;
    }
    let xml: string;
    try {
      xml = utf8.decode(body.body);
    } catch {
      text(res, 400, 'the body is not valid UTF-8');
      return;
    }
    let reply: string;
    try {
      reply = serializeSyncML(mdm.handle(parseSyncML(xml, options.parseLimits)));
    } catch (error) {
      if (!(error instanceof SyncMLError || error instanceof MdmProtocolError)) throw error;
      text(res, 400, error.message);
      return;
    }
    send(res, 200, { 'content-type': SYNCML_CONTENT_TYPE }, reply);
  }

  return {
    mdm,
    server,
    async push(deviceId, pushOptions = {}) {
      if (!wns) throw new Error('push: this server has no WNS sender (pass options.wns)');
      const channelUri = mdm.device(deviceId)?.channelUri ?? null;
      const result = channelUri === null ? NO_CHANNEL : await wns.send(channelUri, pushOptions);
      mdm.recordPush(deviceId, channelUri, result);
      return result;
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const { port: bound } = server.address() as AddressInfo;
          const shownHost = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `http://${shownHost}:${bound}`, port: bound });
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
