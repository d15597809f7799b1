/**
 * The reference MDM server's WNS client: the classic access-token flow (Package SID and secret)
 * and raw pushes to a ChannelURI, with the reactions WNS documents for each answer
 * (docs/reference wns-protocol.md §1–3; Fleet `server/mdm/microsoft/wns/wns.go`).
 *
 * It writes no logs, and its results never carry the secret or a token.
 */

import { checkChannelHost } from '../../mdm-server/channel-host.js';
import type { WnsSendResult } from '../../mdm-server/push-result.js';
import { retryAfterMs } from '../http/retry-after.js';

/** Options of {@link WnsSender}. */
export interface WnsSenderOptions {
  /** The token endpoint, e.g. `https://login.live.com/accesstoken.srf` or the emulator's. */
  readonly tokenUrl: string;
  /** The app's Package SID (`ms-app://S-1-15-2-…`), sent as `client_id`. */
  readonly sid: string;
  readonly secret: string;
  /** The clock (epoch ms): token expiry and throttling backoff are reckoned on it. */
  readonly now: () => number;
  /** `X-WNS-TTL` of pushes, seconds (default {@link DEFAULT_PUSH_TTL_SECONDS}). */
  readonly ttlSeconds?: number;
  /** Per-request timeout, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** The fetch implementation (default: Node's global `fetch`). */
  readonly fetch?: typeof fetch;
  /**
   * Origins of the WNS emulators it may send to besides `https://*.notify.windows.com` (default:
   * the origin of `tokenUrl`, the emulator it gets its tokens from). A ChannelURI elsewhere gets
   * nothing, its token least of all ({@link checkChannelHost}).
   */
  readonly channelOrigins?: readonly string[];
}

/** Default `X-WNS-TTL`: one hour. A push older than that would start a needless session. */
export const DEFAULT_PUSH_TTL_SECONDS = 3600;

/** How one push is sent. */
export interface PushOptions {
  /** `X-WNS-TTL` (default: the sender's, else {@link DEFAULT_PUSH_TTL_SECONDS}). */
  readonly ttlSeconds?: number;
  /**
   * `X-WNS-Cache-Policy` (default `cache`, as Microsoft recommends; `no-cache` shows what an
   * offline device misses).
   */
  readonly cachePolicy?: 'cache' | 'no-cache';
  /** `X-WNS-PRIORITY` (1 High … 4 Very Low); absent: not sent (WNS then uses 3, Low, for raw). */
  readonly priority?: 1 | 2 | 3 | 4;
}
/** Backoff after a 406 that names no wait (WNS publishes no figure). */
export const DEFAULT_THROTTLE_BACKOFF_SECONDS = 60;
/** The push body. Windows ignores raw payloads for MDM pushes; WNS requires a non-empty one. */
const PUSH_BODY = 'dmpush';
/** Channels kept in the backoff table before expired entries are swept. */
const BACKOFF_SWEEP_SIZE = 1024;

interface CachedToken {
  readonly value: string;
  /** When to fetch a new one (shortly before expiry); Infinity when WNS gave no lifetime. */
  readonly refreshAt: number;
}

/** A token request that did not give a token. */
class TokenFailure {
  constructor(
    readonly outcome: 'unauthorized' | 'failed',
    readonly status: number,
    readonly description: string,
  ) {}
}

/**
 * Sends raw WNS pushes the way Microsoft's MDM guidance describes: `X-WNS-Type: wns/raw`,
 * `X-WNS-Cache-Policy: cache`, a TTL, authorised with a cached access token.
 *
 * - The token is cached until shortly before `expires_in` runs out (5 minutes, or a tenth of
 *   the lifetime if shorter); concurrent sends share one token request.
 * - 401: a new token and one retry. 404/410: `channel-gone`. 406: `throttled`, and the URI is
 *   not sent to again before `Retry-After` (or `X-WNS-Continue-After`) on the `now` clock.
 * - It sends only to a ChannelURI on a WNS host: `https://*.notify.windows.com`, or the origin
 *   of the emulator it was configured with (`channelOrigins`); to any other it sends nothing (no
 *   token request either) and answers `failed`, as Microsoft asks of senders (see
 *   `src/mdm-server/channel-host.ts`).
 */
export class WnsSender {
  private token: CachedToken | null = null;
  private tokenRequest: Promise<CachedToken | TokenFailure> | null = null;
  private readonly backoff = new Map<string, number>();
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly channelOrigins: readonly string[];

  constructor(private readonly options: WnsSenderOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.channelOrigins = options.channelOrigins ?? [options.tokenUrl];
  }

  /** Sends one raw push to `channelUri`. Never rejects: every failure is a result. */
  async send(channelUri: string, options: PushOptions = {}): Promise<WnsSendResult> {
    const host = checkChannelHost(channelUri, this.channelOrigins);
    if (!host.ok)
      return {
        status: 0,
        notificationStatus: null,
        outcome: 'failed',
        description: `not sent: ${host.reason}`,
      };
    const now = this.options.now();
    const until = this.backoff.get(channelUri);
    if (until !== undefined && until > now) {
      return {
        status: 0,
        notificationStatus: null,
        outcome: 'throttled',
        retryAfterSeconds: Math.ceil((until - now) / 1000),
        description: 'not sent: backing off after a 406 from WNS',
      };
    }
    this.backoff.delete(channelUri);
    const push = {
      ttlSeconds: options.ttlSeconds ?? this.options.ttlSeconds ?? DEFAULT_PUSH_TTL_SECONDS,
      cachePolicy: options.cachePolicy ?? 'cache',
      priority: options.priority,
    };
    let result = await this.attempt(channelUri, push);
    if (result.status === 401) {
      this.token = null;
      result = await this.attempt(channelUri, push);
    }
    return result;
  }

  /** One push with the cached (or a new) token. */
  private async attempt(
    channelUri: string,
    push: Required<Omit<PushOptions, 'priority'>> & Pick<PushOptions, 'priority'>,
  ): Promise<WnsSendResult> {
    const token = await this.accessToken();
    if (token instanceof TokenFailure) {
      const { outcome, description } = token;
      return { status: 0, notificationStatus: null, outcome, description };
    }
    let res: Response;
    try {
      res = await this.fetch(channelUri, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token.value}`,
          'x-wns-type': 'wns/raw',
          'content-type': 'application/octet-stream',
          'x-wns-cache-policy': push.cachePolicy,
          'x-wns-ttl': String(push.ttlSeconds),
          ...(push.priority === undefined ? {} : { 'x-wns-priority': String(push.priority) }),
        },
        body: PUSH_BODY,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer();
    } catch (error) {
      return {
        status: 0,
        notificationStatus: null,
        outcome: 'failed',
        description: describe(error),
      };
    }
    return this.interpret(channelUri, res);
  }

  /** Maps a push answer to a result; a 406 starts the backoff. */
  private interpret(channelUri: string, res: Response): WnsSendResult {
    const h = res.headers;
    const notificationStatus = h.get('x-wns-status') ?? h.get('x-wns-notificationstatus');
    const description = h.get('x-wns-error-description') ?? undefined;
    const retryAfterSeconds =
      seconds(h.get('retry-after'), this.options.now()) ??
      seconds(h.get('x-wns-continue-after'), this.options.now());
    const base = { status: res.status, notificationStatus, description };
    const withRetry = retryAfterSeconds === undefined ? base : { ...base, retryAfterSeconds };
    switch (res.status) {
      case 200:
        return { status: 200, notificationStatus, outcome: 'sent' };
      case 404:
      case 410:
        return { ...base, outcome: 'channel-gone' };
      case 401:
      case 403:
        return { ...base, outcome: 'unauthorized' };
      case 406: {
        const wait = retryAfterSeconds ?? DEFAULT_THROTTLE_BACKOFF_SECONDS;
        this.startBackoff(channelUri, wait);
        return { ...base, outcome: 'throttled', retryAfterSeconds: wait };
      }
      default:
        return { ...withRetry, outcome: 'failed' };
    }
  }

  private startBackoff(channelUri: string, wait: number): void {
    const now = this.options.now();
    if (this.backoff.size >= BACKOFF_SWEEP_SIZE)
      for (const [uri, until] of this.backoff) if (until <= now) this.backoff.delete(uri);
    this.backoff.set(channelUri, now + wait * 1000);
  }

  /** The cached token, or a new one (one request at a time). */
  private async accessToken(): Promise<CachedToken | TokenFailure> {
    if (this.token && this.token.refreshAt > this.options.now()) return this.token;
    this.tokenRequest ??= this.requestToken().finally(() => (this.tokenRequest = null));
    const token = await this.tokenRequest;
    if (!(token instanceof TokenFailure)) this.token = token;
    return token;
  }

  /** `POST {tokenUrl}` with the classic client-credentials form. */
  private async requestToken(): Promise<CachedToken | TokenFailure> {
    const { tokenUrl, sid, secret, now } = this.options;
    let res: Response;
    let body: unknown;
    try {
      res = await this.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: sid,
          client_secret: secret,
          scope: 'notify.windows.com',
        }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      body = parseJson(text);
    } catch (error) {
      return new TokenFailure('failed', 0, `token request: ${describe(error)}`);
    }
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    const value = fields['access_token'];
    if (res.status !== 200 || typeof value !== 'string' || value === '') {
      const error = typeof fields['error'] === 'string' ? fields['error'] : 'no access_token';
      const text =
        typeof fields['error_description'] === 'string' ? `: ${fields['error_description']}` : '';
      const outcome = res.status >= 400 && res.status < 500 ? 'unauthorized' : 'failed';
      return new TokenFailure(outcome, res.status, `token request: ${res.status} ${error}${text}`);
    }
    // `expires_in` is a number (classic flow) or a numeric string (Entra); absent in old answers.
    const lifetime = Number(fields['expires_in']) * 1000;
    const refreshAt =
      Number.isFinite(lifetime) && lifetime > 0
        ? now() + lifetime - Math.min(5 * 60_000, lifetime / 10)
        : Infinity;
    return { value, refreshAt };
  }
}

/** `Retry-After`-style value (delta seconds or an HTTP date) as whole seconds from `now`. */
function seconds(value: string | null, now: number): number | undefined {
  const ms = retryAfterMs(value, now);
  return ms === null ? undefined : Math.ceil(ms / 1000);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A network error's message, with its cause (fetch wraps the socket error). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
