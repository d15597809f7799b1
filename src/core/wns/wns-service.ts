import type { WnsPriority } from '../device/wns-priority.js';
import type { SeededRandom } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { HOUR } from '../time/iso.js';
import type { AppRegistry, WnsApp } from './apps.js';
import {
  Journal,
  type JournalEntry,
  type NotifyRequestFacts,
  type TokenRequestFacts,
} from './journal.js';
import type { AppendLog } from '../state/state-store.js';
import { DEFAULT_THROTTLE, Throttle, type RateLimit } from './throttle.js';
import type { TokenService } from './tokens.js';
import type { ChannelInfo, SendOptions, WnsCloud } from './wns-cloud.js';

/** An HTTP-level answer: the adapter writes it as is. */
export interface WnsResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A request to a channel URI, as the HTTP adapter received it. Header names are lowercase. */
export interface NotifyRequest {
  readonly method: string;
  /** The channel URI or its token (the `token` query parameter). */
  readonly channel: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as base64, or null when it was over the size limit (and not read). */
  readonly bodyBase64: string | null;
  /** The body's length in bytes (as read, or as Content-Length announced when not read). */
  readonly length: number;
}

/** A token request's form body, decoded. */
type TokenForm = Readonly<Record<string, string | undefined>>;

/** A fault injected by the admin API for one operation. */
export interface Fault {
  readonly op: 'token' | 'notify' | 'connect';
  /** Answer with this status (e.g. 500, 503), or drop the connection, or delay the answer. */
  readonly action:
    { readonly status: number } | { readonly drop: true } | { readonly delayMs: number };
  /** Probability in [0, 1] that a request is hit, drawn from the run seed. */
  readonly probability: number;
}

/** Blocks a PFN automatically when its sender misbehaves (a setting; WNS publishes no rule). */
export interface MisusePolicy {
  /** Rejected notifications (404, 410, 406) within one hour that get the PFN blocked. */
  readonly rejectionsPerHour: number;
}

export interface WnsServiceOptions {
  readonly throttle?: { readonly channel?: RateLimit; readonly app?: RateLimit };
  readonly misuse?: MisusePolicy | null;
  /** Draws for generated ids (MS-CV, X-WNS-Msg-ID). */
  readonly random: SeededRandom;
  /** Draws for fault probabilities (a stream of its own, so ids do not shift which requests a fault hits). */
  readonly faultRandom: SeededRandom;
  /** Where the journal is kept beyond this process (a state store's `journal` log). */
  readonly journal?: AppendLog<JournalEntry>;
}

/** The service's durable state (see {@link WnsService.saveState}). */
export interface WnsServiceState {
  readonly random: readonly number[];
  readonly faultRandom: readonly number[];
  readonly faults: readonly Fault[];
  readonly traces: number;
}

export const MAX_RAW_BYTES = 5000;
const RAW_CONTENT_TYPE = 'application/octet-stream';
const WNS_TYPES = ['wns/raw', 'wns/toast', 'wns/tile', 'wns/badge'];
/** Headers that apply to toast or tile notifications only. */
const NOT_FOR_RAW = ['x-wns-tag', 'x-wns-group', 'x-wns-match', 'x-wns-suppresspopup'];

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Two upper-case hex digits per byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).toUpperCase().padStart(2, '0'),
);
/** A 32-bit unsigned integer as 8 upper-case hex digits. */
const hex8 = (n: number): string =>
  HEX_BYTES[n >>> 24]! +
  HEX_BYTES[(n >>> 16) & 255]! +
  HEX_BYTES[(n >>> 8) & 255]! +
  HEX_BYTES[n & 255]!;

const UNAUTHORIZED = {
  missing: 'the Authorization header is missing',
  invalid: 'the access token is not valid',
  expired: 'Token expired',
} as const;

/** Why a push is refused: its status, `X-WNS-Error-Description` and extra headers. */
interface NotifyRefusal {
  readonly status: number;
  readonly description: string;
  /** `X-WNS-Status` (default `dropped`). */
  readonly notificationStatus?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const json = (status: number, body: unknown, extra: Record<string, string> = {}): WnsResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra },
  body: JSON.stringify(body),
});

/**
 * The sender-facing WNS protocol: access tokens (classic Package SID flow and the Entra flow)
 * and `POST <ChannelURI>` with every documented header and status code. Pure and clock-driven;
 * the HTTP adapter only parses requests and writes the answers.
 */
export class WnsService {
  readonly journal: Journal;
  private readonly channelThrottle: Throttle;
  private readonly appThrottle: Throttle;
  private faults: Fault[] = [];
  private readonly rejections = new Map<string, number[]>();
  private traces = 0;

  constructor(
    private readonly clock: Clock,
    readonly cloud: WnsCloud,
    readonly apps: AppRegistry,
    readonly tokens: TokenService,
    private readonly options: WnsServiceOptions,
  ) {
    this.journal = new Journal(undefined, options.journal ?? null);
    this.channelThrottle = new Throttle(options.throttle?.channel ?? DEFAULT_THROTTLE.channel);
    this.appThrottle = new Throttle(options.throttle?.app ?? DEFAULT_THROTTLE.app);
  }

  // ---- tokens ---------------------------------------------------------------------------------

  /** `POST /accesstoken.srf` with a form body (already decoded). */
  classicToken(form: TokenForm): WnsResponse {
    const missing = ['grant_type', 'client_id', 'client_secret', 'scope'].find((k) => !form[k]);
    if (missing)
      return this.tokenError(
        form,
        400,
        'invalid_request',
        `The request is missing the parameter ${missing}`,
      );
    if (form['grant_type'] !== 'client_credentials') {
      return this.tokenError(
        form,
        400,
        'unsupported_grant_type',
        'grant_type must be client_credentials',
      );
    }
    if (form['scope'] !== 'notify.windows.com' && form['scope'] !== 's.notify.live.net') {
      return this.tokenError(form, 400, 'invalid_scope', 'scope must be notify.windows.com');
    }
    const app = this.apps.byPackageSid(form['client_id'] as string);
    if (!app)
      return this.tokenError(form, 400, 'invalid_client', 'Invalid client id', {
        'x-wlid-error': '0x80045A78',
      });
    if (app.secret !== form['client_secret'])
      return this.tokenError(form, 400, 'invalid_client', 'Invalid client secret', {}, app);
    const { token, expiresIn } = this.tokens.issue(app, this.clock.now());
    this.journalToken(form, 'classic', 200, app);
    return json(200, { access_token: token, token_type: 'bearer', expires_in: expiresIn });
  }

  /** `POST /{tenant}/oauth2/v2.0/token` (Entra client credentials, scope `https://wns.windows.com/.default`). */
  entraToken(tenant: string, form: TokenForm): WnsResponse {
    const missing = ['grant_type', 'client_id', 'client_secret', 'scope'].find((k) => !form[k]);
    if (missing)
      return this.entraError(
        form,
        400,
        'invalid_request',
        900144,
        `The request body must contain the parameter '${missing}'.`,
      );
    if (form['grant_type'] !== 'client_credentials') {
      return this.entraError(
        form,
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
      );
    }
    if (!/^https:\/\/wns\.windows\.com\/\.default\/?$/.test(form['scope'] as string)) {
      return this.entraError(
        form,
        400,
        'invalid_scope',
        70011,
        'The provided scope is not valid: expected https://wns.windows.com/.default.',
      );
    }
    const app = this.apps.byEntraAppId(form['client_id'] as string);
    if (!app || (app.tenant !== undefined && app.tenant !== tenant)) {
      return this.entraError(
        form,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form['client_id']}' was not found in the directory '${tenant}'.`,
      );
    }
    if (app.secret !== form['client_secret']) {
      return this.entraError(
        form,
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided.',
        app,
      );
    }
    const { token, expiresIn } = this.tokens.issue(app, this.clock.now());
    this.journalToken(form, 'entra', 200, app);
    return json(200, {
      token_type: 'Bearer',
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
    });
  }

  private tokenError(
    form: TokenForm,
    status: number,
    error: string,
    description: string,
    headers: Record<string, string> = {},
    app?: WnsApp,
  ): WnsResponse {
    this.journalToken(form, 'classic', status, app, `${error}: ${description}`);
    return json(status, { error, error_description: description }, headers);
  }

  private entraError(
    form: TokenForm,
    status: number,
    error: string,
    code: number,
    text: string,
    app?: WnsApp,
  ): WnsResponse {
    this.journalToken(form, 'entra', status, app, `${error}: AADSTS${code}`);
    return json(status, {
      error,
      error_description: `AADSTS${code}: ${text}`,
      error_codes: [code],
    });
  }

  /** Journals a token request: its outcome and what it asked for (never the client secret). */
  private journalToken(
    form: TokenForm,
    endpoint: TokenRequestFacts['endpoint'],
    status: number,
    app: WnsApp | undefined,
    description?: string,
  ): void {
    const request: { -readonly [K in keyof TokenRequestFacts]: TokenRequestFacts[K] } = {
      endpoint,
    };
    if (form['grant_type'] !== undefined) request.grantType = form['grant_type'];
    if (form['scope'] !== undefined) request.scope = form['scope'];
    const time = this.clock.now();
    this.journal.add({ time, op: 'token', status, pfn: app?.pfn, description, request });
  }

  // ---- notify ---------------------------------------------------------------------------------

  /** `POST <ChannelURI>`: validates, authorizes, throttles and hands the push to the cloud. */
  notify(req: NotifyRequest): WnsResponse {
    const now = this.clock.now();
    const cv = req.headers['ms-cv'] ?? this.correlationVector();
    const trace = `DMPUSH${++this.traces}`;
    const channel = this.cloud.findChannel(req.channel);
    const checked = this.checkNotify(req, channel, now);
    const request = notifyFacts(req);
    if ('description' in checked) return this.refuse(checked, channel, request, cv, trace);

    // One id per push: X-WNS-Msg-ID is the id the timeline and the device know it by.
    const msgId = this.messageId();
    const outcome = this.cloud.send(checked.channel.uri, { ...checked.send, msgId });
    const status = outcome.notificationStatus ?? 'dropped';
    this.journal.add({
      time: now,
      op: 'notify',
      status: 200,
      channelUri: checked.channel.uri,
      pfn: checked.channel.pfn,
      deviceId: checked.channel.deviceId,
      notificationStatus: status,
      msgId,
      request,
    });
    const headers: Record<string, string> = {
      'ms-cv': cv,
      'x-wns-debug-trace': trace,
      'x-wns-status': status,
      'x-wns-notificationstatus': status,
      'x-wns-msg-id': msgId,
    };
    if (checked.forStatus && outcome.deviceConnectionStatus)
      headers['x-wns-deviceconnectionstatus'] = outcome.deviceConnectionStatus;
    return { status: 200, headers, body: '' };
  }

  /**
   * Everything WNS checks before it takes a push, in the order it reports them: the push to send,
   * or why it is refused.
   */
  private checkNotify(
    req: NotifyRequest,
    channel: ChannelInfo | undefined,
    now: number,
  ):
    | NotifyRefusal
    | { readonly channel: ChannelInfo; readonly send: SendOptions; readonly forStatus: boolean } {
    const h = req.headers;
    if (req.method !== 'POST') {
      const description = `method ${req.method} is not allowed: send notifications with POST`;
      return { status: 405, description, headers: { allow: 'POST' } };
    }
    const auth = this.tokens.check(h['authorization'], now);
    if (!auth.ok) {
      const description = UNAUTHORIZED[auth.reason];
      const challenge = `Bearer error="invalid_token", error_description="${description}"`;
      return { status: 401, description, headers: { 'www-authenticate': challenge } };
    }
    const type = h['x-wns-type'];
    if (!type) return { status: 400, description: 'the X-WNS-Type header is missing' };
    if (!WNS_TYPES.includes(type))
      return {
        status: 400,
        description: `X-WNS-Type ${type} is not one of ${WNS_TYPES.join(', ')}`,
      };
    if (type !== 'wns/raw') {
      const description = `not modelled: dmpush emulates raw notifications (wns/raw) only, got ${type}`;
      return { status: 400, description };
    }
    const contentType = h['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== undefined && contentType !== RAW_CONTENT_TYPE) {
      const description = `Content-Type ${contentType} conflicts with X-WNS-Type wns/raw (expected ${RAW_CONTENT_TYPE})`;
      return { status: 400, description };
    }
    const policy = h['x-wns-cache-policy']?.toLowerCase();
    if (policy !== undefined && policy !== 'cache' && policy !== 'no-cache') {
      const description = `X-WNS-Cache-Policy must be cache or no-cache, got ${h['x-wns-cache-policy']}`;
      return { status: 400, description };
    }
    const ttlText = h['x-wns-ttl'];
    if (ttlText !== undefined && !/^\d{1,10}$/.test(ttlText.trim()))
      return {
        status: 400,
        description: `X-WNS-TTL must be a whole number of seconds, got ${ttlText}`,
      };
    const forStatus = h['x-wns-requestforstatus']?.toLowerCase();
    if (forStatus !== undefined && forStatus !== 'true' && forStatus !== 'false') {
      const description = `X-WNS-RequestForStatus must be true or false, got ${h['x-wns-requestforstatus']}`;
      return { status: 400, description };
    }
    const priority = h['x-wns-priority'];
    if (priority !== undefined && !/^[1-4]$/.test(priority.trim()))
      return { status: 400, description: `X-WNS-PRIORITY must be 1, 2, 3 or 4, got ${priority}` };
    const misplaced = NOT_FOR_RAW.find((name) => h[name] !== undefined);
    if (misplaced)
      return { status: 400, description: `${misplaced} does not apply to raw notifications` };
    if (req.length > MAX_RAW_BYTES || req.bodyBase64 === null) {
      const description = `the payload is ${req.length} bytes; raw notifications take at most ${MAX_RAW_BYTES}`;
      return { status: 413, description };
    }
    if (req.length === 0)
      return { status: 400, description: 'a raw notification needs a non-empty body' };

    if (!channel) return { status: 404, description: 'the channel URI is not valid or unknown' };
    if (channel.pfn !== auth.pfn)
      return { status: 403, description: 'Channel URL incompatible with caller app' };
    if (this.cloud.isBlocked(channel.pfn)) {
      const description = 'Domain Blocked: the PFN is blocked for improper use of notifications';
      return { status: 410, description };
    }
    // microsoft/WindowsAppSDK#4446: a revoked channel answers 410 "Revoked channel URL".
    if (channel.revoked) return { status: 410, description: 'Revoked channel URL' };
    if (channel.expiresAt <= now) return { status: 410, description: 'the channel expired' };
    const throttled = this.throttled(channel, now);
    if (throttled) return throttled;
    const send: SendOptions = {
      cachePolicy: policy === 'cache' ? 'cache' : 'no-cache',
      ttlSeconds: ttlText === undefined ? null : Number(ttlText.trim()),
      bodyBase64: req.bodyBase64,
      ...(priority === undefined ? {} : { priority: Number(priority.trim()) as WnsPriority }),
    };
    return { channel, send, forStatus: forStatus === 'true' };
  }

  /**
   * The 406 of a throttled push, or null. [PRRH]: 406 means "the cloud service exceeded its
   * throttle limit" (the sender's, per app: `Retry-After`, `X-WNS-Status: dropped`);
   * `X-WNS-Status: channelthrottled` means it "exceeded the rate limit for this specific channel",
   * and `X-WNS-CONTINUE-AFTER` comes "when a WNS channel is being throttled". The app's limit is
   * reported when both are exceeded.
   */
  private throttled(channel: ChannelInfo, now: number): NotifyRefusal | null {
    const channelWait = this.channelThrottle.take(channel.uri, now);
    const appWait = this.appThrottle.take(channel.pfn, now);
    if (appWait > 0)
      return {
        status: 406,
        description: 'the cloud service exceeded its throttle limit',
        headers: { 'retry-after': String(appWait) },
      };
    if (channelWait > 0)
      return {
        status: 406,
        description: 'the rate limit for this channel was exceeded',
        notificationStatus: 'channelthrottled',
        headers: {
          'retry-after': String(channelWait),
          'x-wns-continue-after': String(channelWait),
        },
      };
    return null;
  }

  /** Journals a refused push and answers it. */
  private refuse(
    refusal: NotifyRefusal,
    channel: ChannelInfo | undefined,
    request: NotifyRequestFacts,
    cv: string,
    trace: string,
  ): WnsResponse {
    const now = this.clock.now();
    const { status, description } = refusal;
    const retryAfter = Number(refusal.headers?.['retry-after']);
    this.journal.add({
      time: now,
      op: 'notify',
      status,
      channelUri: channel?.uri,
      pfn: channel?.pfn,
      deviceId: channel?.deviceId,
      description,
      request,
      ...(status === 406 && retryAfter > 0 ? { retryAfter } : {}),
    });
    if (channel && (status === 404 || status === 410 || status === 406))
      this.noteRejection(channel.pfn, now);
    const notificationStatus = refusal.notificationStatus ?? 'dropped';
    return {
      status,
      headers: {
        'ms-cv': cv,
        'x-wns-debug-trace': trace,
        'x-wns-status': notificationStatus,
        'x-wns-notificationstatus': notificationStatus,
        'x-wns-error-description': description,
        ...refusal.headers,
      },
      body: '',
    };
  }

  // ---- faults and misuse --------------------------------------------------------------------

  /** The fault that hits this request of `op`, if any (drawn from the seeded stream). */
  faultFor(op: Fault['op']): Fault | null {
    for (const f of this.faults)
      if (f.op === op && this.options.faultRandom.float() < f.probability) return f;
    return null;
  }

  addFault(fault: Fault): void {
    this.faults.push(fault);
  }

  listFaults(): readonly Fault[] {
    return this.faults;
  }

  clearFaults(): void {
    this.faults = [];
  }

  private noteRejection(pfn: string, now: number): void {
    const policy = this.options.misuse;
    if (!policy) return;
    const recent = (this.rejections.get(pfn) ?? []).filter((t) => t > now - HOUR);
    recent.push(now);
    this.rejections.set(pfn, recent);
    if (recent.length >= policy.rejectionsPerHour) this.cloud.setBlocked(pfn, true);
  }

  /** What durable state keeps of the service: id and fault streams, faults, the trace count. */
  saveState(): WnsServiceState {
    return {
      random: [...this.options.random.state()],
      faultRandom: [...this.options.faultRandom.state()],
      faults: this.faults.map((f) => ({ ...f })),
      traces: this.traces,
    };
  }

  /**
   * Takes back what {@link saveState} returned. Throttle windows and the misuse count start over
   * (they span seconds to an hour; a block they caused is kept by the cloud).
   */
  loadState(state: WnsServiceState): void {
    this.options.random.setState(state.random);
    this.options.faultRandom.setState(state.faultRandom);
    this.faults = state.faults.map((f) => ({ ...f }));
    this.traces = state.traces;
  }

  // ---- journal entries of the adapters ------------------------------------------------------

  /**
   * Journals a request the HTTP adapter answered itself: an injected fault, a refused method or
   * body. For a notify, `channel` (the request target) names the channel, when it is one.
   */
  recordAdapterAnswer(
    op: 'token' | 'notify',
    status: number,
    description: string,
    channel?: string,
  ): void {
    const found = channel === undefined ? undefined : this.cloud.findChannel(channel);
    this.journal.add({
      time: this.clock.now(),
      op,
      status,
      ...(channel === undefined
        ? {}
        : { channelUri: found?.uri, pfn: found?.pfn, deviceId: found?.deviceId }),
      description,
    });
  }

  /** Journals an action of the admin API (`op: admin`). */
  recordAdmin(status: number, description: string, pfn?: string): void {
    const about = pfn === undefined ? {} : { pfn };
    this.journal.add({ time: this.clock.now(), op: 'admin', status, ...about, description });
  }

  /** Journals a channel requested through the admin API: granted (201) or refused. */
  recordInboxChannel(
    status: number,
    pfn: string,
    deviceId: string,
    outcome: { readonly channelUri: string } | { readonly description: string },
  ): void {
    this.journal.add({ time: this.clock.now(), op: 'channel', status, pfn, deviceId, ...outcome });
  }

  /** Journals an inbox device's connection switched through the admin API. */
  recordConnection(deviceId: string, connected: boolean): void {
    const op = connected ? 'connect' : 'disconnect';
    this.journal.add({ time: this.clock.now(), op, status: 200, deviceId });
  }

  /** The journal's entries that match `filter`, oldest first. */
  journalEntries(filter?: Parameters<Journal['list']>[0]): ReturnType<Journal['list']> {
    return this.journal.list(filter);
  }

  /** A fresh MS-CV from the seeded id stream, for answers the HTTP adapter writes itself. */
  newCorrelationVector(): string {
    return this.correlationVector();
  }

  /** Forgets throttles, faults and the journal (for `/_sim/reset`). */
  reset(): void {
    this.channelThrottle.clear();
    this.appThrottle.clear();
    this.faults = [];
    this.rejections.clear();
    this.journal.clear();
  }

  /** 16 upper-case hex digits (64 random bits), like WNS's `X-WNS-Msg-ID`. */
  private messageId(): string {
    const r = this.options.random;
    return hex8(r.uint32()) + hex8(r.uint32());
  }

  /** A fresh MS-CV: 22 base64 characters (132 random bits) and `.0`. */
  private correlationVector(): string {
    const r = this.options.random;
    let base = '';
    // Five characters (30 bits) per 32-bit draw: four draws, then two characters from a fifth.
    for (let i = 0; i < 4; i++) {
      const bits = r.uint32();
      base +=
        BASE64[bits & 63]! +
        BASE64[(bits >>> 6) & 63]! +
        BASE64[(bits >>> 12) & 63]! +
        BASE64[(bits >>> 18) & 63]! +
        BASE64[(bits >>> 24) & 63]!;
    }
    const last = r.uint32();
    return `${base}${BASE64[last & 63]!}${BASE64[(last >>> 6) & 63]!}.0`;
  }
}

/** The facts of a push request the journal keeps: the headers that matter, never the token. */
function notifyFacts(req: NotifyRequest): NotifyRequestFacts {
  const h = req.headers;
  const facts: { -readonly [K in keyof NotifyRequestFacts]: NotifyRequestFacts[K] } = {
    bytes: req.length,
  };
  if (h['x-wns-type'] !== undefined) facts.type = h['x-wns-type'];
  if (h['content-type'] !== undefined) facts.contentType = h['content-type'];
  if (h['x-wns-cache-policy'] !== undefined) facts.cachePolicy = h['x-wns-cache-policy'];
  if (h['x-wns-ttl'] !== undefined) facts.ttl = h['x-wns-ttl'];
  if (h['x-wns-priority'] !== undefined) facts.priority = h['x-wns-priority'];
  if (h['x-wns-requestforstatus'] !== undefined)
    facts.requestForStatus = h['x-wns-requestforstatus'];
  return facts;
}
