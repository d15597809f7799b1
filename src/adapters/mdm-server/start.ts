/**
 * The reference MDM server's composition: its protocol logic ({@link ReferenceMdm}), its WNS
 * sender and its HTTP endpoint, on one clock, listening. Used by `dmpush serve`, the tests and
 * the benchmarks.
 */
import { randomUUID } from 'node:crypto';
import type { AccessPolicy } from '../http/access.js';
import { ValidationError } from '../../core/errors.js';
import type { StateStore } from '../../core/state/state-store.js';
import type { Clock } from '../../core/time/clock.js';
import {
  EnrollmentServer,
  type EnrollmentSettings,
} from '../../mdm-server/enrollment/enrollment-server.js';
import { EnrollmentRegistry } from '../../mdm-server/enrollment/registry.js';
import { checkEnrollmentSettings } from '../../mdm-server/enrollment/ws-security.js';
import { createReferenceMdmServer, type ReferenceMdmServer } from './http-server.js';
import type { PushResult } from '../../mdm-server/push-result.js';
import { ReferenceMdm, type MdmServerEvent } from '../../mdm-server/reference-mdm.js';
import { DEFAULT_PROVIDER_ID } from '../../mdm-server/server-defaults.js';
import { SessionAuth, type NonceRotation } from '../../mdm-server/session-auth.js';
import { LocalEnrollmentCa } from './enrollment-ca.js';
import { enrollmentUrls } from './enrollment-routes.js';
import { WnsSender, type PushOptions } from './wns-sender.js';

/**
 * Enrollment mode (MS-MDE2 endpoints, digest-authenticated sessions): how devices authenticate
 * to enroll, and where the server's CA and public origin are.
 */
export interface ReferenceEnrollmentOptions extends EnrollmentSettings {
  /** Where the enrollment CA is kept (generated there once); default: a new CA in memory. */
  readonly caDir?: string;
  /**
   * The server's public origin (`https://mdm.example.com`, optionally with a path prefix): the
   * DiscoverResponse URLs and the w7 `ADDR` are absolute URLs on it, and its host name is served
   * (added to `access.allowHosts`). Default: the URL it listens on.
   */
  readonly publicUrl?: string;
  /** How long an issued nonce is accepted (default 5 minutes, Fleet's). */
  readonly nonceLifetimeMs?: number;
  /** `on-challenge` (default, Fleet) or `every-message` (a fresh NextNonce on every Status 200). */
  readonly nonceRotation?: NonceRotation;
  /** w7 `NAME` (default: the provider id). */
  readonly providerName?: string;
}

/** The enrollment side of a running server. */
export interface RunningEnrollment {
  readonly server: EnrollmentServer;
  /** The enrolled devices (kept in the server's store, table `mdm-enrollment`). */
  readonly registry: EnrollmentRegistry;
  readonly ca: LocalEnrollmentCa;
  /** The absolute URLs devices are given (discovery first). */
  readonly urls: ReturnType<typeof enrollmentUrls>;
}

/** `publicUrl` without a trailing `/`; throws a ValidationError for anything but an http(s) URL. */
function publicOrigin(publicUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new ValidationError([
      `enrollment.publicUrl: expected an http(s) URL, got "${publicUrl}"`,
    ]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError([
      `enrollment.publicUrl: expected an http(s) URL, got "${publicUrl}"`,
    ]);
  if (url.search !== '' || url.hash !== '')
    throw new ValidationError(['enrollment.publicUrl: expected no query or fragment']);
  return url.href.replace(/\/+$/, '');
}

/** How `dmpush serve` (and tests) start the reference MDM server. */
export interface StartReferenceMdmOptions {
  readonly host?: string;
  /** 0: any free port. */
  readonly port: number;
  /** The PFN it writes to `Push/PFN`: the WNS app it sends as. */
  readonly pfn: string;
  /** The devices' DMClient `{ProviderID}` (default `DMPUSH`). */
  readonly providerId?: string | undefined;
  /**
   * The WNS token endpoint and the app's credentials. ChannelURIs are taken, and pushes sent,
   * only on a WNS host: `https://*.notify.windows.com`, or the origin of `tokenUrl` (the
   * emulator) and of `channelOrigins`.
   */
  readonly wns: {
    readonly tokenUrl: string;
    readonly sid: string;
    readonly secret: string;
    readonly channelOrigins?: readonly string[];
  };
  /** Time of its records and token expiry; its pushes count as I/O in flight on it. */
  readonly clock: Clock;
  /** False: the stale-channel mistake (Push/ChannelURI read only while it holds none). */
  readonly rereadChannelUri?: boolean;
  readonly onEvent?: (event: MdmServerEvent) => void;
  /** Where its records are kept (default: in memory). */
  readonly store?: StateStore;
  /** Runs before any answer is written (the store's commit; a throw answers 503). */
  readonly beforeReply?: () => void;
  /** Host names served besides local ones (`--allow-host`). */
  readonly access?: AccessPolicy;
  /**
   * Where a ChannelURI refused for its host is logged (pino's `warn(fields, message)` fits;
   * default: a JSON line on stderr). The line names the device, the URI's origin and why.
   */
  readonly logger?: { warn(fields: Record<string, unknown>, message: string): void };
  /**
   * Enrollment mode: the MS-MDE2 endpoints are served and every management message must
   * authenticate (`syncml:auth-md5`) as an enrolled device. Absent: no enrollment, sessions
   * unauthenticated (the behaviour before enrollment existed).
   */
  readonly enrollment?: ReferenceEnrollmentOptions;
  /** Serve HTTPS with this certificate chain and key (PEM); default HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** Writes one JSON line to stderr: the default logger. */
const stderrWarn: NonNullable<StartReferenceMdmOptions['logger']> = {
  warn(fields, message) {
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', service: 'mdm', ...fields, msg: message })}\n`,
    );
  },
};

/** A listening reference MDM server. */
export interface RunningReferenceMdm {
  readonly url: string;
  readonly mdm: ReferenceMdm;
  readonly server: ReferenceMdmServer;
  /** The enrollment service and its records; null without enrollment. */
  readonly enrollment: RunningEnrollment | null;
  /** Pushes to a device (by its DevId) at the ChannelURI the server holds. */
  push(devId: string, options?: PushOptions): Promise<PushResult>;
  close(): Promise<void>;
}

/** Starts the reference MDM server with its WNS sender, listening on `host:port`. */
export async function startReferenceMdm(
  options: StartReferenceMdmOptions,
): Promise<RunningReferenceMdm> {
  const { clock } = options;
  const now = (): number => clock.now();
  const wnsOrigins = [options.wns.tokenUrl, ...(options.wns.channelOrigins ?? [])];
  const logger = options.logger ?? stderrWarn;
  const onEvent = (event: MdmServerEvent): void => {
    if (event.type === 'mdm.channel-refused') {
      const { deviceId, origin, reason } = event;
      logger.warn({ deviceId, origin, reason }, 'ChannelURI ignored: not a WNS host');
    }
    options.onEvent?.(event);
  };
  const origin = { value: options.enrollment?.publicUrl };
  if (origin.value !== undefined) origin.value = publicOrigin(origin.value);
  const enrollment = options.enrollment
    ? await startEnrollment(options, () => enrollmentUrls(origin.value ?? ''), onEvent)
    : null;
  const mdm = new ReferenceMdm({
    pfn: options.pfn,
    providerId: options.providerId,
    now,
    rereadChannelUri: options.rereadChannelUri,
    wnsOrigins,
    onEvent,
    store: options.store,
    ...(enrollment ? { auth: enrollment.auth } : {}),
  });
  const wns = new WnsSender({ ...options.wns, now, channelOrigins: wnsOrigins });
  const server = createReferenceMdmServer({
    mdm,
    wns,
    beforeReply: options.beforeReply,
    access: withPublicHost(options.access, origin.value),
    ...(enrollment ? { enrollment: enrollment.server } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const { url } = await server.listen(options.port, options.host ?? '127.0.0.1');
  origin.value ??= url;
  return {
    url,
    mdm,
    server,
    enrollment: enrollment && {
      server: enrollment.server,
      registry: enrollment.registry,
      ca: enrollment.ca,
      urls: enrollmentUrls(origin.value),
    },
    push: (devId, pushOptions) => clock.track(server.push(devId, pushOptions)),
    close: () => server.close(),
  };
}

/**
 * `access` serving the host of the public origin too: devices reach the server by that name
 * (the service base answers other Host names 421).
 */
function withPublicHost(
  access: AccessPolicy | undefined,
  publicUrl: string | undefined,
): AccessPolicy | undefined {
  if (publicUrl === undefined) return access;
  const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
  return { ...access, allowHosts: [...(access?.allowHosts ?? []), host] };
}

/** The enrollment service, its registry (in the server's store), CA and session authentication. */
async function startEnrollment(
  options: StartReferenceMdmOptions,
  urls: () => ReturnType<typeof enrollmentUrls>,
  onEvent: (event: MdmServerEvent) => void,
): Promise<Omit<RunningEnrollment, 'urls'> & { readonly auth: SessionAuth }> {
  const settings = options.enrollment as ReferenceEnrollmentOptions;
  // Before the CA is made (and perhaps written to caDir).
  checkEnrollmentSettings(settings);
  const now = (): number => options.clock.now();
  const registry = new EnrollmentRegistry(options.store);
  const ca = await LocalEnrollmentCa.open(settings.caDir, now);
  const server = new EnrollmentServer({
    settings,
    providerId: options.providerId ?? DEFAULT_PROVIDER_ID,
    ...(settings.providerName === undefined ? {} : { providerName: settings.providerName }),
    urls,
    ca,
    registry,
    uuid: randomUUID,
    now,
    onEvent,
  });
  const auth = new SessionAuth({
    registry,
    now,
    uuid: randomUUID,
    ...(settings.nonceLifetimeMs === undefined
      ? {}
      : { nonceLifetimeMs: settings.nonceLifetimeMs }),
    ...(settings.nonceRotation === undefined ? {} : { rotation: settings.nonceRotation }),
  });
  return { server, registry, ca, auth };
}
