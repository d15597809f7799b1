import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { ClientSession, type SessionStep } from '../../core/dm/client-session.js';
import type { MdmTransport, SessionRequest, SessionResult } from '../../core/ports.js';
import { parseSyncML, serializeSyncML, SyncMLError } from '../../core/syncml/codec.js';
import { SYNCML_CONTENT_TYPE, type SyncMLMessage } from '../../core/syncml/message.js';
import type { Clock } from '../../core/time/clock.js';
import type { SyncMLExchange } from '../../core/check/model.js';
import { SystemClock } from '../clock/system-clock.js';
import { AgentPool, type AgentLease } from './omadm-agents.js';
import { retryAfterMs } from './retry-after.js';

/** Options of {@link OmaDmHttpClient}. */
export interface OmaDmHttpClientOptions {
  /**
   * The management server's URL for devices without a DM account (`ManagementServiceAddress`);
   * a device with an account posts to its account's `serverUrl`. Without it, a session of a
   * device without an account fails.
   */
  readonly url?: string;
  /** Retry-After waits run on it; requests are tracked on it as I/O in flight. */
  readonly clock: Clock;
  /**
   * How long a session may wait on the server in all, in real milliseconds (default 30,000): from
   * each request sent to the last byte of its reply, however slowly the server sends it (a server
   * dripping one byte a second cannot hold a session open). Waits the server asks for (429
   * `Retry-After`, on `clock`) do not count. It is wall time even on a virtual clock: a virtual
   * clock holds still while a request is in flight.
   */
  readonly sessionTimeoutMs?: number;
  /**
   * How long one request may wait for its whole reply, in real milliseconds (default: the
   * session's {@link sessionTimeoutMs}; a request never outlives its session's time).
   */
  readonly timeoutMs?: number;
  /** Alert of package 1 for push-triggered sessions (default `1201`; see docs/model.md). */
  readonly pushAlert?: '1201' | '1200';
  /** 429 answers a session follows (waiting `Retry-After` each time) before it fails (default 3). */
  readonly maxThrottleRetries?: number;
  /** Largest reply read, in bytes (default 1 MiB); a longer one fails the session. */
  readonly maxReplyBytes?: number;
  /** Aborts a request from outside (tests use it to end a request to a server that hangs). */
  readonly signal?: () => AbortSignal | undefined;
  /**
   * Called just before each message that answers the server's commands is sent (durable state
   * commits there: its Statuses tell the server that the device's tree changed).
   */
  readonly beforeSend?: () => void;
  /** Keep-alive agents kept (one per server origin and device TLS identity; default 64). */
  readonly maxAgents?: number;
  /**
   * Sees every message a device sends and the server's answer, parsed (`dmpush check`'s SyncML
   * recorder). Without it the session path does no extra work.
   */
  readonly tap?: (exchange: TappedExchange) => void;
}

/** One message of a session and its answer, as {@link OmaDmHttpClientOptions.tap} sees them. */
export type TappedExchange = Omit<SyncMLExchange, 'seq'>;

/** No answer came (a network error or a timeout). */
const NO_ANSWER: Answered = { status: null, contentType: null };

/** Longest part of an unusable answer a tap keeps. */
const RAW_REPLY_CHARS = 2000;

/** `Retry-After` used when a 429 carries none (seconds). */
const DEFAULT_RETRY_AFTER_SECONDS = 30;
/** Longest `Retry-After` honoured (seconds): beyond it the session fails instead of waiting. */
const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

/** When a request is given up: after `ms` real milliseconds, for `reason`. */
interface Deadline {
  readonly ms: number;
  readonly reason: string;
}

/** What came back: the HTTP status and media type when an answer came (null: none). */
interface Answered {
  readonly status: number | null;
  readonly contentType: string | null;
}

type Reply = Answered &
  (
    | { readonly kind: 'ok'; readonly body: string }
    | { readonly kind: 'throttled'; readonly retryAfterMs: number }
    | { readonly kind: 'error'; readonly reason: string; readonly body?: string }
  );

/** The one `Retry-After` parser (`retry-after.ts`), exported here too for the library API. */
export { retryAfterMs };

/** The management URL `text` names, or why it cannot be used. */
function managementUrl(text: string): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `management URL is not a URL: ${text}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `management URL must be http(s), got ${text}`;
  return url;
}

/**
 * The device → MDM transport over HTTP: each session is a series of SyncML messages POSTed to the
 * management URL (`application/vnd.syncml.dm+xml`), driven by the device's {@link ClientSession}
 * on its DM tree. HTTP errors, timeouts and malformed replies end the session with a reason; a
 * 429 is followed after its `Retry-After` (on the clock, so virtual time skips the wait).
 *
 * An enrolled device (`request.account`) posts to its account's server URL, authenticates at the
 * SyncML level with the account's credential, and with a TLS identity (`request.identity`) on
 * https presents its client certificate and trusts its roots besides Node's. Authentication
 * failures keep the session's `auth-rejected` / `auth-challenge-loop` reasons; an HTTP 401 or 403
 * fails with `auth-rejected: HTTP 401 from the management server`.
 */
export class OmaDmHttpClient implements MdmTransport {
  private readonly agents: AgentPool;
  /** Real time, for the deadlines (the session's clock may be virtual). */
  private readonly wall = new SystemClock();
  private readonly sessionTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly maxThrottleRetries: number;
  private readonly maxReplyBytes: number;
  /**
   * Session counters per device, 1 to 65535 (wrapping): the session writes its number in decimal
   * under protocol 1.x and as 2 bytes in hexadecimal under 2.0 (`core/dm/sync-version.ts`).
   */
  private readonly sessionIds = new Map<string, number>();

  constructor(private readonly options: OmaDmHttpClientOptions) {
    const url = options.url === undefined ? null : managementUrl(options.url);
    if (typeof url === 'string') throw new Error(url);
    this.agents = new AgentPool(options.maxAgents);
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? this.sessionTimeoutMs;
    for (const [name, ms] of [
      ['sessionTimeoutMs', this.sessionTimeoutMs],
      ['timeoutMs', this.timeoutMs],
    ] as const)
      if (!(ms > 0 && ms < 2 ** 31))
        throw new Error(`${name} must be a number of milliseconds from 1 to 2^31 - 1, got ${ms}`);
    this.maxThrottleRetries = options.maxThrottleRetries ?? 3;
    this.maxReplyBytes = options.maxReplyBytes ?? 1024 * 1024;
  }

  startSession(request: SessionRequest, whenDone: (result: SessionResult) => void): void {
    const counter = ((this.sessionIds.get(request.deviceId) ?? 0) % 0xffff) + 1;
    this.sessionIds.set(request.deviceId, counter);
    const serverUrl = request.account?.serverUrl ?? this.options.url;
    if (serverUrl === undefined) {
      whenDone({
        ok: false,
        reason: 'no management URL: the device has no DM account and the transport no url',
      });
      return;
    }
    const target = managementUrl(serverUrl);
    if (typeof target === 'string') return whenDone({ ok: false, reason: target });
    let session: ClientSession;
    let first: SyncMLMessage;
    let lease: AgentLease;
    try {
      session = new ClientSession({
        sessionId: String(counter),
        serverUrl,
        devId: request.devId,
        tree: request.tree,
        alertCode: request.trigger === 'push' ? (this.options.pushAlert ?? '1201') : '1201',
        account: request.account,
        unenroll: request.trigger === 'unenroll',
      });
      first = session.start();
      lease = this.agents.lease(target, request.identity);
    } catch (error) {
      whenDone({ ok: false, reason: `cannot start the session: ${(error as Error).message}` });
      return;
    }
    const done = (result: SessionResult): void => {
      lease.release();
      whenDone(result);
    };
    let throttled = 0;
    /** Real milliseconds spent waiting on the server so far. */
    let waited = 0;
    const exchange = (message: SyncMLMessage, answers: boolean): void => {
      const deadline = this.deadline(waited);
      if (deadline.ms <= 0) return done({ ok: false, reason: deadline.reason });
      // Only a message that answers the server's commands acknowledges changes; package 1 goes
      // out from inside the device's own step (requestSession), where a commit would catch it
      // half done.
      if (answers) this.options.beforeSend?.();
      const sent = performance.now();
      void this.post(serializeSyncML(message), deadline, target, lease.agent).then((reply) => {
        waited += performance.now() - sent;
        const tap = this.tapFor(request, message, reply);
        if (reply.kind === 'error') {
          tap?.(null, reply.reason);
          return done({ ok: false, reason: reply.reason });
        }
        if (reply.kind === 'throttled') {
          tap?.(null, 'throttled (429)');
          if (++throttled > this.maxThrottleRetries)
            return done({ ok: false, reason: `throttled (429) ${throttled} times` });
          this.options.clock.after(reply.retryAfterMs, () => exchange(message, answers));
          return;
        }
        let step: SessionStep;
        let parsed: SyncMLMessage | null = null;
        try {
          parsed = parseSyncML(reply.body, { maxBytes: this.maxReplyBytes });
          tap?.(parsed);
          step = session.receive(parsed);
        } catch (error) {
          const reason =
            error instanceof SyncMLError
              ? `malformed reply: ${error.message}`
              : `internal error: ${(error as Error).message}`;
          if (parsed === null) tap?.(null, reason);
          return done({ ok: false, reason });
        }
        if (step.kind === 'send') exchange(step.message, true);
        else if (step.kind === 'done') done({ ok: true });
        else done({ ok: false, reason: step.reason });
      });
    };
    exchange(first, false);
  }

  /**
   * What the tap records of `sent` and its `reply`, given the parsed answer or why there is none;
   * null without a tap.
   */
  private tapFor(
    request: SessionRequest,
    sent: SyncMLMessage,
    reply: Reply,
  ): ((parsed: SyncMLMessage | null, problem?: string) => void) | null {
    const tap = this.options.tap;
    if (!tap) return null;
    return (parsed, problem) => {
      const body = 'body' in reply ? reply.body : undefined;
      tap({
        time: this.options.clock.now(),
        deviceId: request.deviceId,
        sessionId: sent.header.sessionId,
        trigger: request.trigger,
        sent,
        reply: parsed,
        httpStatus: reply.status,
        contentType: reply.contentType,
        ...(problem === undefined ? {} : { problem }),
        ...(problem !== undefined && body ? { rawReply: body.slice(0, RAW_REPLY_CHARS) } : {}),
      });
    };
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.agents.close();
  }

  /** The deadline of the next request of a session that has waited `waited` ms on the server. */
  private deadline(waited: number): Deadline {
    const left = this.sessionTimeoutMs - waited;
    return left <= this.timeoutMs
      ? { ms: left, reason: `timeout: the session took longer than ${this.sessionTimeoutMs} ms` }
      : { ms: this.timeoutMs, reason: `timeout: no answer within ${this.timeoutMs} ms` };
  }

  /**
   * POSTs one message and reads its reply, giving up at `deadline` (real time, whatever pace the
   * server keeps); never rejects. Tracked on the clock as I/O in flight.
   */
  private post(body: string, deadline: Deadline, target: URL, agent: Agent): Promise<Reply> {
    const work = new Promise<Reply>((resolve) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      const finish = (reply: Reply): void => {
        if (settled) return;
        settled = true;
        this.wall.cancel(timer);
        resolve(reply);
      };
      const req = send(target, {
        method: 'POST',
        agent,
        signal: this.options.signal?.(),
        headers: {
          'content-type': SYNCML_CONTENT_TYPE,
          accept: SYNCML_CONTENT_TYPE,
          'content-length': Buffer.byteLength(body),
          'user-agent': 'MSFT OMA DM Client/1.2.0.1',
        },
      });
      const timer = this.wall.after(deadline.ms, () => {
        finish({ kind: 'error', reason: deadline.reason, ...NO_ANSWER });
        req.destroy();
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const why = error.name === 'AbortError' ? 'aborted' : (error.code ?? error.message);
        finish({ kind: 'error', reason: `network error: ${why}`, ...NO_ANSWER });
      });
      req.on('response', (res) => this.readReply(res, finish));
      req.end(body);
    });
    return this.options.clock.track(work);
  }

  private readReply(res: IncomingMessage, finish: (reply: Reply) => void): void {
    const status = res.statusCode ?? 0;
    const type = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const answered: Answered = { status, contentType: type };
    if (status === 429) {
      res.resume();
      const wait = retryAfterMs(res.headers['retry-after'], this.options.clock.now());
      const ms = Math.min(
        wait ?? DEFAULT_RETRY_AFTER_SECONDS * 1000,
        MAX_RETRY_AFTER_SECONDS * 1000,
      );
      finish({ kind: 'throttled', retryAfterMs: ms, ...answered });
      return;
    }
    if (status !== 200) {
      res.resume();
      const auth = status === 401 || status === 403 ? 'auth-rejected: ' : '';
      const reason = `${auth}HTTP ${status} from the management server`;
      finish({ kind: 'error', reason, ...answered });
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    res.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > this.maxReplyBytes) {
        finish({ kind: 'error', reason: `reply over ${this.maxReplyBytes} bytes`, ...answered });
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', () =>
      finish({ kind: 'error', reason: 'network error: reply cut', ...answered }),
    );
    res.on('end', () => {
      const body = Buffer.concat(chunks, length).toString('utf8');
      if (type !== SYNCML_CONTENT_TYPE && type !== 'application/xml' && type !== 'text/xml')
        finish({
          kind: 'error',
          reason: `reply is ${type || 'untyped'}, not ${SYNCML_CONTENT_TYPE}`,
          body,
          ...answered,
        });
      else finish({ kind: 'ok', body, ...answered });
    });
  }
}
