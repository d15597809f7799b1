/**
 * The WNS side of the proof MDM server (`proof-mdm-server.ts`): a token from the classic endpoint
 * (`POST <tokenUrl>`, `grant_type=client_credentials`, `scope=notify.windows.com`), cached until
 * it expires, and raw pushes (`X-WNS-Type: wns/raw`, `Content-Type: application/octet-stream`,
 * `X-WNS-Cache-Policy: cache`, `X-WNS-TTL`). A 401 drops the token and the push is sent once more
 * with a new one; a 406 holds every push to that channel until its `Retry-After` has passed
 * (the push that got it included). What a 404 or 410 means for the held URI is the server's to
 * decide ({@link SenderOptions.onResult}).
 *
 * Sources: "Push notification service request and response headers",
 * https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers
 * (the access-token request; 401: re-authenticate and resend; 406: retry after `Retry-After`).
 *
 * Each configuration may make one mistake (`ProofMistake`); those of this side are
 * `ignore-retry-after` (a push again at once after a 406, and no hold), `never-refresh-token`
 * (the first token forever, no retry on 401) and `no-cache` (`X-WNS-Cache-Policy: no-cache`).
 */
import type { Clock, Timer } from '../../src/core/time/clock.js';

/** The one mistake a proof server makes (`none`: the good configuration). */
export type ProofMistake =
  | 'none'
  | 'read-channel-once'
  | 'ignore-410'
  | 'ignore-retry-after'
  | 'never-refresh-token'
  | 'no-cache'
  | 'one-minute-poll'
  | 'malformed-syncml';

/** Where and as which app the server gets its token. */
export interface WnsCredentials {
  /**
   * The classic token endpoint, e.g. `<emulator>/accesstoken.srf`; a function is asked at each
   * token request (for an emulator that starts after the server).
   */
  readonly tokenUrl: string | (() => string);
  /** The app's Package SID (`ms-app://S-1-15-2-…`), sent as `client_id`. */
  readonly sid: string;
  readonly secret: string;
}

/** One push the server sent (a retry after 401 is a push of its own). */
export interface ProofPush {
  readonly deviceId: string;
  readonly channelUri: string;
  /** When it was sent, on the server's clock (epoch ms). */
  readonly at: number;
  /** WNS's HTTP status; 0 when no answer came (or no token could be had). */
  readonly status: number;
  readonly cachePolicy: string;
  /** The 406's `Retry-After`, seconds. */
  readonly retryAfter?: number;
}

export interface SenderOptions {
  readonly wns: WnsCredentials;
  readonly clock: Clock;
  readonly mistake: ProofMistake;
  /** The device's ChannelURI now (a held push goes there when its hold ends), or null. */
  current(deviceId: string): string | null;
  /** Called with WNS's answer to every push. */
  onResult(push: ProofPush): void;
}

/** The `X-WNS-TTL` of every push: one day, seconds. */
const TTL_SECONDS = 86_400;
/** The hold after a 406 without a usable `Retry-After`, seconds. */
const DEFAULT_RETRY_AFTER = 60;
/** Waited beyond `Retry-After`, so that a push never lands a hair early. */
const RETRY_MARGIN_MS = 500;
const BODY = new TextEncoder().encode('sync');

/** Sends the proof server's pushes (see the module comment). */
export class ProofWnsSender {
  readonly pushes: ProofPush[] = [];
  /** Token requests made so far. */
  tokenRequests = 0;
  private token: { readonly value: string; readonly expiresAt: number } | null = null;
  private pendingToken: Promise<string> | null = null;
  /** Per channel: no push before this instant (after a 406). */
  private readonly heldUntil = new Map<string, number>();
  /** Per device: the timer of its held push (several triggers make one push). */
  private readonly held = new Map<string, Timer>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: SenderOptions) {}

  /** Pushes to `channelUri` now, or when the channel's `Retry-After` has passed. */
  send(deviceId: string, channelUri: string): void {
    const until = this.heldUntil.get(channelUri) ?? 0;
    if (this.o.clock.now() < until && this.o.mistake !== 'ignore-retry-after') {
      this.hold(deviceId, until);
      return;
    }
    const work = this.attempt(deviceId, channelUri).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Cancels held pushes and waits for the ones in flight. */
  async close(): Promise<void> {
    for (const timer of this.held.values()) this.o.clock.cancel(timer);
    this.held.clear();
    await Promise.all([...this.inFlight]);
  }

  private hold(deviceId: string, until: number): void {
    if (this.held.has(deviceId)) return;
    const timer = this.o.clock.schedule(until + RETRY_MARGIN_MS, () => {
      this.held.delete(deviceId);
      const uri = this.o.current(deviceId);
      if (uri !== null) this.send(deviceId, uri);
    });
    this.held.set(deviceId, timer);
  }

  private async attempt(deviceId: string, channelUri: string): Promise<void> {
    const { mistake } = this.o;
    let push = await this.post(deviceId, channelUri);
    if (push.status === 401 && mistake !== 'never-refresh-token') {
      this.token = null;
      push = await this.post(deviceId, channelUri);
    }
    if (push.status !== 406) return;
    const seconds = push.retryAfter ?? DEFAULT_RETRY_AFTER;
    this.heldUntil.set(channelUri, this.o.clock.now() + seconds * 1000);
    if (mistake === 'ignore-retry-after') await this.post(deviceId, channelUri);
    else this.hold(deviceId, this.heldUntil.get(channelUri) ?? 0);
  }

  private async post(deviceId: string, channelUri: string): Promise<ProofPush> {
    const cachePolicy = this.o.mistake === 'no-cache' ? 'no-cache' : 'cache';
    const at = this.o.clock.now();
    let push: ProofPush;
    try {
      const res = await fetch(channelUri, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.currentToken()}`,
          'x-wns-type': 'wns/raw',
          'content-type': 'application/octet-stream',
          'x-wns-cache-policy': cachePolicy,
          'x-wns-ttl': String(TTL_SECONDS),
        },
        body: BODY,
      });
      await res.arrayBuffer();
      const retryAfter = Number(res.headers.get('retry-after') ?? NaN);
      push = { deviceId, channelUri, at, status: res.status, cachePolicy };
      if (res.status === 406 && retryAfter >= 0) push = { ...push, retryAfter };
    } catch {
      push = { deviceId, channelUri, at, status: 0, cachePolicy };
    }
    this.pushes.push(push);
    this.o.onResult(push);
    return push;
  }

  /** The cached token, or a new one (one request at a time). */
  private currentToken(): Promise<string> {
    const { token } = this;
    const fresh =
      token && (this.o.mistake === 'never-refresh-token' || this.o.clock.now() < token.expiresAt);
    if (token && fresh) return Promise.resolve(token.value);
    this.pendingToken ??= this.fetchToken().finally(() => (this.pendingToken = null));
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, sid, secret } = this.o.wns;
    this.tokenRequests++;
    const res = await fetch(typeof tokenUrl === 'string' ? tokenUrl : tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sid,
        client_secret: secret,
        scope: 'notify.windows.com',
      }),
    });
    const json = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (res.status !== 200 || typeof json.access_token !== 'string')
      throw new Error(`token: ${res.status}`);
    const seconds = Number(json.expires_in ?? 86_400);
    this.token = { value: json.access_token, expiresAt: this.o.clock.now() + seconds * 1000 };
    return json.access_token;
  }
}
