/**
 * The HTTP side of the enrollment client: POSTing a SOAP message and reading the reply within a
 * real-time deadline and a size bound, and the discovery GET probe. Never rejects: network
 * problems come back as an error with a reason (no secret in it: the reason names error codes and
 * statuses, never the request).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SOAP_CONTENT_TYPE } from '../../core/enroll/mde2-uris.js';
import { SystemClock } from '../clock/system-clock.js';

/** How the client talks HTTP. */
export interface SoapHttpOptions {
  /** Real milliseconds a request may wait for its whole reply. */
  readonly timeoutMs: number;
  /** Largest reply read, in bytes. */
  readonly maxReplyBytes: number;
  /** `User-Agent` header. */
  readonly userAgent: string;
  /**
   * Accept replies sent with `Transfer-Encoding: chunked` (default false: "On-premises
   * authentication device enrollment" says the enrollment server's reply "must not be chunked;
   * it must be sent as one message").
   */
  readonly allowChunked: boolean;
  readonly signal?: AbortSignal;
}

/** A reply read, or why there is none. */
export type HttpReply =
  | {
      readonly kind: 'reply';
      readonly status: number;
      /** The media type, lower case, without parameters (`''` when absent). */
      readonly mediaType: string;
      readonly body: string;
    }
  | { readonly kind: 'error'; readonly reason: string };

/** The agents of one enrollment: keep-alive, trusting `ca` when given (else Node's store). */
export class EnrollAgents {
  readonly http = new HttpAgent({ keepAlive: true });
  readonly https: HttpsAgent;

  constructor(ca?: string | readonly string[]) {
    this.https = new HttpsAgent({ keepAlive: true, ...(ca !== undefined && { ca: [ca].flat() }) });
  }

  /** Closes idle connections. */
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

const wall = new SystemClock();

/** Sends one request and reads its reply within the options' bounds. */
export function exchange(
  url: URL,
  method: 'GET' | 'POST',
  body: string | undefined,
  agents: EnrollAgents,
  options: SoapHttpOptions,
): Promise<HttpReply> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (reply: HttpReply): void => {
      if (settled) return;
      settled = true;
      wall.cancel(timer);
      resolve(reply);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = {
      'user-agent': options.userAgent,
      'cache-control': 'no-cache',
      pragma: 'no-cache',
    };
    if (body !== undefined) {
      headers['content-type'] = SOAP_CONTENT_TYPE;
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = send(url, {
      method,
      headers,
      agent: url.protocol === 'https:' ? agents.https : agents.http,
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    const timer = wall.after(options.timeoutMs, () => {
      finish({
        kind: 'error',
        reason: `timeout: no complete answer within ${options.timeoutMs} ms`,
      });
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.name === 'AbortError' ? 'aborted' : (error.code ?? error.message);
      finish({ kind: 'error', reason: `network error: ${why}` });
    });
    req.on('response', (res) => readBody(res, options, finish));
    req.end(body);
  });
}

function readBody(
  res: IncomingMessage,
  options: SoapHttpOptions,
  finish: (reply: HttpReply) => void,
): void {
  const status = res.statusCode ?? 0;
  const mediaType = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const chunked = /\bchunked\b/i.test(res.headers['transfer-encoding'] ?? '');
  if (chunked && !options.allowChunked && status === 200) {
    res.resume();
    finish({
      kind: 'error',
      reason:
        'the reply is chunked (Transfer-Encoding: chunked); enrollment replies must be sent as one message',
    });
    return;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  res.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > options.maxReplyBytes) {
      finish({ kind: 'error', reason: `the reply is over ${options.maxReplyBytes} bytes` });
      res.destroy();
      return;
    }
    chunks.push(chunk);
  });
  res.on('error', () => finish({ kind: 'error', reason: 'network error: reply cut' }));
  res.on('end', () =>
    finish({
      kind: 'reply',
      status,
      mediaType,
      body: Buffer.concat(chunks, length).toString('utf8'),
    }),
  );
}
