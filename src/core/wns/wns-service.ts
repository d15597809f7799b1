import type { Random } from '../random/random.js';
import type { Clock } from '../time/clock.js';
import { HOUR } from '../time/iso.js';
import type { AppRegistry, WnsApp } from './apps.js';
import { Journal } from './journal.js';
import { DEFAULT_THROTTLE, Throttle, type RateLimit } from './throttle.js';
import type { TokenService } from './tokens.js';
import type { WnsCloud } from './wns-cloud.js';

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
  readonly random: Random;
  /** Draws for fault probabilities (a stream of its own, so ids do not shift which requests a fault hits). */
  readonly faultRandom: Random;
}

export const MAX_RAW_BYTES = 5000;
const RAW_CONTENT_TYPE = 'application/octet-stream';
const WNS_TYPES = ['wns/raw', 'wns/toast', 'wns/tile', 'wns/badge'];
/** Headers that apply to toast or tile notifications only. */
const NOT_FOR_RAW = ['x-wns-tag', 'x-wns-group', 'x-wns-match', 'x-wns-suppresspopup'];

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
  readonly journal = new Journal();
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
    this.channelThrottle = new Throttle(options.throttle?.channel ?? DEFAULT_THROTTLE.channel);
    this.appThrottle = new Throttle(options.throttle?.app ?? DEFAULT_THROTTLE.app);
  }

  // ---- tokens ---------------------------------------------------------------------------------

  /** `POST /accesstoken.srf` with a form body (already decoded). */
  classicToken(form: Readonly<Record<string, string | undefined>>): WnsResponse {
    const missing = ['grant_type', 'client_id', 'client_secret', 'scope'].find((k) => !form[k]);
    if (missing)
      return this.tokenError(
        400,
        'invalid_request',
        `The request is missing the parameter ${missing}`,
      );
    if (form['grant_type'] !== 'client_credentials') {
      return this.tokenError(
        400,
        'unsupported_grant_type',
        'grant_type must be client_credentials',
      );
    }
    if (form['scope'] !== 'notify.windows.com' && form['scope'] !== 's.notify.live.net') {
      return this.tokenError(400, 'invalid_scope', 'scope must be notify.windows.com');
    }
    const app = this.apps.byPackageSid(form['client_id'] as string);
    if (!app)
      return this.tokenError(400, 'invalid_client', 'Invalid client id', {
        'x-wlid-error': '0x80045A78',
      });
    if (app.secret !== form['client_secret'])
      return this.tokenError(400, 'invalid_client', 'Invalid client secret', {}, app);
    const { token, expiresIn } = this.tokens.issue(app, this.clock.now());
    this.journalToken(200, app);
    return json(200, { access_token: token, token_type: 'bearer', expires_in: expiresIn });
  }

  /** `POST /{tenant}/oauth2/v2.0/token` (Entra client credentials, scope `https://wns.windows.com/.default`). */
  entraToken(tenant: string, form: Readonly<Record<string, string | undefined>>): WnsResponse {
    const missing = ['grant_type', 'client_id', 'client_secret', 'scope'].find((k) => !form[k]);
    if (missing)
      return this.entraError(
        400,
        'invalid_request',
        900144,
        `The request body must contain the parameter '${missing}'.`,
      );
    if (form['grant_type'] !== 'client_credentials') {
      return this.entraError(
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
      );
    }
    if (!/^https:\/\/wns\.windows\.com\/\.default\/?$/.test(form['scope'] as string)) {
      return this.entraError(
        400,
        'invalid_scope',
        70011,
        'The provided scope is not valid: expected https://wns.windows.com/.default.',
      );
    }
    const app = this.apps.byEntraAppId(form['client_id'] as string);
    if (!app || (app.tenant !== undefined && app.tenant !== tenant)) {
      return this.entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form['client_id']}' was not found in the directory '${tenant}'.`,
      );
    }
    if (app.secret !== form['client_secret']) {
      return this.entraError(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided.',
        app,
      );
    }
    const { token, expiresIn } = this.tokens.issue(app, this.clock.now());
    this.journalToken(200, app);
    return json(200, {
      token_type: 'Bearer',
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
    });
  }

  private tokenError(
    status: number,
    error: string,
    description: string,
    headers: Record<string, string> = {},
    app?: WnsApp,
  ): WnsResponse {
    this.journalToken(status, app, `${error}: ${description}`);
    return json(status, { error, error_description: description }, headers);
  }

  private entraError(
    status: number,
    error: string,
    code: number,
    text: string,
    app?: WnsApp,
  ): WnsResponse {
    this.journalToken(status, app, `${error}: AADSTS${code}`);
    return json(status, {
      error,
      error_description: `AADSTS${code}: ${text}`,
      error_codes: [code],
    });
  }

  private journalToken(status: number, app: WnsApp | undefined, description?: string): void {
    this.journal.add({ time: this.clock.now(), op: 'token', status, pfn: app?.pfn, description });
  }

  // ---- notify ---------------------------------------------------------------------------------

  /** `POST <ChannelURI>`: validates, authorizes, throttles and hands the push to the cloud. */
  notify(req: NotifyRequest): WnsResponse {
    const now = this.clock.now();
    const h = req.headers;
    const cv = h['ms-cv'] ?? this.correlationVector();
    const base = { 'ms-cv': cv, 'x-wns-debug-trace': `DMPUSH${++this.traces}` };
    const channel = this.cloud.findChannel(req.channel);
    const fail = (
      status: number,
      description: string,
      extra: Record<string, string> = {},
    ): WnsResponse => {
      this.journal.add({
        time: now,
        op: 'notify',
        status,
        channelUri: channel?.uri,
        pfn: channel?.pfn,
        deviceId: channel?.deviceId,
        description,
      });
      if (channel && (status === 404 || status === 410 || status === 406))
        this.noteRejection(channel.pfn, now);
      return {
        status,
        headers: {
          ...base,
          'x-wns-status': 'dropped',
          'x-wns-notificationstatus': 'dropped',
          'x-wns-error-description': description,
          ...extra,
        },
        body: '',
      };
    };

    if (req.method !== 'POST')
      return fail(405, `method ${req.method} is not allowed: send notifications with POST`, {
        allow: 'POST',
      });
    const auth = this.tokens.check(h['authorization'], now);
    if (!auth.ok) {
      const why = {
        missing: 'the Authorization header is missing',
        invalid: 'the access token is not valid',
        expired: 'Token expired',
      }[auth.reason];
      return fail(401, why, {
        'www-authenticate': `Bearer error="invalid_token", error_description="${why}"`,
      });
    }
    const type = h['x-wns-type'];
    if (!type) return fail(400, 'the X-WNS-Type header is missing');
    if (!WNS_TYPES.includes(type))
      return fail(400, `X-WNS-Type ${type} is not one of ${WNS_TYPES.join(', ')}`);
    if (type !== 'wns/raw')
      return fail(
        400,
        `not modelled: dmpush emulates raw notifications (wns/raw) only, got ${type}`,
      );
    const contentType = h['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== undefined && contentType !== RAW_CONTENT_TYPE) {
      return fail(
        400,
        `Content-Type ${contentType} conflicts with X-WNS-Type wns/raw (expected ${RAW_CONTENT_TYPE})`,
      );
    }
    const policy = h['x-wns-cache-policy']?.toLowerCase();
    if (policy !== undefined && policy !== 'cache' && policy !== 'no-cache') {
      return fail(
        400,
        `X-WNS-Cache-Policy must be cache or no-cache, got ${h['x-wns-cache-policy']}`,
      );
    }
    const ttlText = h['x-wns-ttl'];
    if (ttlText !== undefined && !/^\d{1,10}$/.test(ttlText.trim()))
      return fail(400, `X-WNS-TTL must be a whole number of seconds, got ${ttlText}`);
    const forStatus = h['x-wns-requestforstatus']?.toLowerCase();
    if (forStatus !== undefined && forStatus !== 'true' && forStatus !== 'false') {
      return fail(
        400,
        `X-WNS-RequestForStatus must be true or false, got ${h['x-wns-requestforstatus']}`,
      );
    }
    const priority = h['x-wns-priority'];
    if (priority !== undefined && !/^[1-4]$/.test(priority.trim()))
      return fail(400, `X-WNS-PRIORITY must be 1, 2, 3 or 4, got ${priority}`);
    const misplaced = NOT_FOR_RAW.find((name) => h[name] !== undefined);
    if (misplaced) return fail(400, `${misplaced} does not apply to raw notifications`);
    if (req.length > MAX_RAW_BYTES || req.bodyBase64 === null)
      return fail(
        413,
        `the payload is ${req.length} bytes; raw notifications take at most ${MAX_RAW_BYTES}`,
      );
    if (req.length === 0) return fail(400, 'a raw notification needs a non-empty body');

    if (!channel) return fail(404, 'the channel URI is not valid or unknown');
    if (channel.pfn !== auth.pfn) return fail(403, 'Channel URL incompatible with caller app');
    if (this.cloud.isBlocked(channel.pfn))
      return fail(410, 'Domain Blocked: the PFN is blocked for improper use of notifications');
    if (channel.expiresAt <= now) return fail(410, 'the channel expired');
    const wait = Math.max(
      this.channelThrottle.take(channel.uri, now),
      this.appThrottle.take(channel.pfn, now),
    );
    if (wait > 0) {
      const r = fail(406, 'throttle limit exceeded', {
        'retry-after': String(wait),
        'x-wns-continue-after': String(wait),
      });
      const headers = {
        ...r.headers,
        'x-wns-status': 'channelthrottled',
        'x-wns-notificationstatus': 'channelthrottled',
      };
      return { ...r, headers };
    }

    const outcome = this.cloud.send(channel.uri, {
      cachePolicy: policy === 'cache' ? 'cache' : 'no-cache',
      ttlSeconds: ttlText === undefined ? null : Number(ttlText.trim()),
      bodyBase64: req.bodyBase64,
    });
    const status = outcome.notificationStatus ?? 'dropped';
    const msgId = this.messageId();
    this.journal.add({
      time: now,
      op: 'notify',
      status: 200,
      channelUri: channel.uri,
      pfn: channel.pfn,
      deviceId: channel.deviceId,
      notificationStatus: status,
      msgId,
    });
    const headers: Record<string, string> = {
      ...base,
      'x-wns-status': status,
      'x-wns-notificationstatus': status,
      'x-wns-msg-id': msgId,
    };
    if (forStatus === 'true' && outcome.deviceConnectionStatus)
      headers['x-wns-deviceconnectionstatus'] = outcome.deviceConnectionStatus;
    return { status: 200, headers, body: '' };
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

  /** Forgets throttles, faults and the journal (for `/_sim/reset`). */
  reset(): void {
    this.channelThrottle.clear();
    this.appThrottle.clear();
    this.faults = [];
    this.rejections.clear();
    this.journal.clear();
  }

  private messageId(): string {
    const r = this.options.random;
    return (
      r.int(0, 0xffffffff).toString(16).padStart(8, '0') +
      r.int(0, 0xffffffff).toString(16).padStart(8, '0')
    ).toUpperCase();
  }

  private correlationVector(): string {
    const r = this.options.random;
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let base = '';
    for (let i = 0; i < 22; i++) base += chars[r.int(0, 63)];
    return `${base}.0`;
  }
}
