import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino, type BaseLogger } from 'pino';
import { createWnsHttpServer } from '../../adapters/http/wns-http-server.js';
import { SystemClock } from '../../adapters/clock/system-clock.js';
import { packageRoot } from '../../adapters/package-root.js';
import { ensureCertificates, DEFAULT_TLS_NAMES } from '../../adapters/tls/certificates.js';
import { attachDeviceSockets } from '../../adapters/ws/device-socket-server.js';
import { ValidationError } from '../../core/errors.js';
import type { StateStore } from '../../core/state/state-store.js';
import type { Clock } from '../../core/time/clock.js';
import { parseDuration } from '../../core/time/iso.js';
import type { RateLimit } from '../../core/wns/throttle.js';
import { VirtualClock } from '../../core/time/virtual-clock.js';
import { toJson } from '../../core/timeline/format.js';
import type { WnsApp } from '../../core/wns/apps.js';
import { parseAppsFile } from '../../wns/apps-file.js';
import { WnsEmulator } from '../../wns/emulator.js';
import type { AccessPolicy } from '../../adapters/http/access.js';
import { exposureWarning } from '../exposure.js';
import { UsageError, type CliIo } from '../io.js';
import { runUntilStopped } from '../signals.js';

export interface WnsCommandOptions {
  readonly host: string;
  readonly port: number;
  readonly clock: 'system' | 'virtual';
  readonly apps?: string;
  readonly tls: boolean;
  readonly certDir: string;
  readonly publicHost?: string;
  readonly seed: number;
  readonly logLevel: string;
  /** ISO durations. */
  readonly tokenLifetime?: string;
  readonly channelLifetime?: string;
  /** How long WNS keeps a cached notification at most. */
  readonly cacheMaxAge?: string;
  /** `<per second>/<burst>`. */
  readonly channelRate?: string;
  readonly appRate?: string;
  /** Block a PFN after this many rejected pushes within an hour. */
  readonly blockAfter?: number;
  /** Host names served besides local ones (`--allow-host`). */
  readonly allowHost?: readonly string[];
  /** The admin API requires `Authorization: Bearer <apiToken>` (`--api-token`). */
  readonly apiToken?: string;
}

const rate = (text: string | undefined): RateLimit | undefined => {
  if (!text) return undefined;
  const [perSecond, burst] = text.split('/').map(Number);
  return { perSecond: perSecond as number, burst: burst as number };
};
const millis = (iso: string | undefined): number | undefined =>
  iso ? parseDuration(iso)?.toMillis() : undefined;

/** Who may call the emulator: local callers, `--allow-host` names, the public host. */
const accessOf = (o: WnsCommandOptions): AccessPolicy => ({
  allowHosts: [...(o.allowHost ?? []), ...(o.publicHost ? [o.publicHost] : [])],
  apiToken: o.apiToken,
});

/** A running emulator, as `dmpush wns` starts it. */
export interface RunningWns {
  readonly url: string;
  readonly emulator: WnsEmulator;
  close(): Promise<void>;
}

/** Never logged: credentials and tokens, wherever they appear. */
export const REDACT = [
  'secret',
  'client_secret',
  'access_token',
  'authorization',
  '*.secret',
  '*.authorization',
  'req.headers.authorization',
];

function readApps(io: CliIo, file: string): { apps: WnsApp[]; demo: boolean } {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    throw new UsageError(
      `cannot read apps file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return { apps: parseAppsFile(text, file), demo: false };
  } catch (e) {
    if (e instanceof ValidationError)
      throw new UsageError(
        `${file} is not a valid apps file:\n${e.issues.map((i) => `  ${i}`).join('\n')}`,
      );
    throw e;
  }
}

/** What `serve` gives an emulator it starts (durable state). */
export interface WnsStartHooks {
  /** Where the emulator keeps its state (default: in memory). */
  readonly store?: StateStore;
  /** Runs before any HTTP answer is written (the store's commit). */
  readonly beforeReply?: () => void;
}

/**
 * Starts the WNS emulator: HTTP(S) endpoints, the admin API and the devices' WebSocket endpoint,
 * on one port. Prints where it listens and, for the built-in demo app only, its credentials.
 */
export async function startWns(
  io: CliIo,
  o: WnsCommandOptions,
  logger?: BaseLogger,
  sharedClock?: Clock,
  hooks: WnsStartHooks = {},
): Promise<RunningWns> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
    throw new UsageError(`--port: expected a port from 0 to 65535, got ${o.port}`);
  const { apps, demo } = o.apps
    ? readApps(io, o.apps)
    : { ...readApps(io, join(packageRoot(), 'fixtures', 'apps', 'demo.yaml')), demo: true };
  const log =
    logger ??
    pino(
      { level: o.logLevel, redact: { paths: REDACT, censor: '[redacted]' } },
      pino.destination(2),
    );
  const systemClock = new SystemClock();
  const clock: Clock =
    sharedClock ??
    (o.clock === 'virtual' ? new VirtualClock({ start: systemClock.now() }) : systemClock);
  const emulator = new WnsEmulator({
    clock,
    seed: o.seed,
    baseUrl: 'http://127.0.0.1/',
    apps,
    // Live tokens must be unguessable.
    tokenSource: () => randomBytes(48).toString('base64'),
    channelTokenSource: () => randomBytes(32).toString('base64url'),
    tokenLifetimeMs: millis(o.tokenLifetime),
    channelLifetimeMs: millis(o.channelLifetime),
    cacheMaxAgeMs: millis(o.cacheMaxAge),
    throttle: { channel: rate(o.channelRate), app: rate(o.appRate) },
    misuse: o.blockAfter ? { rejectionsPerHour: o.blockAfter } : null,
    sink: { emit: (event) => log.debug({ event: toJson(event) }, event.type) },
    store: hooks.store,
  });
  const tls = o.tls
    ? await ensureCertificates(o.certDir, [
        ...new Set([...DEFAULT_TLS_NAMES, ...(o.publicHost ? [o.publicHost] : [])]),
      ])
    : null;
  const http = createWnsHttpServer(emulator, {
    access: accessOf(o),
    tls: tls ? { cert: tls.certPem, key: tls.keyPem } : undefined,
    onRequest: (entry) => log.info(entry, 'request'),
    beforeReply: hooks.beforeReply,
    logger: log,
  });
  const sockets = attachDeviceSockets(http.server, emulator, { access: accessOf(o) });
  let listening: { url: string; port: number };
  try {
    listening = await http.listen(o.port, o.host);
  } catch (e) {
    await sockets.close();
    throw new UsageError(
      `cannot listen on ${o.host}:${o.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const scheme = tls ? 'https' : 'http';
  const publicBase = o.publicHost
    ? `${scheme}://${o.publicHost}${listening.port === 443 && tls ? '' : `:${listening.port}`}/`
    : `${listening.url}/`;
  emulator.setBaseUrl(publicBase);
  const ws = listening.url.replace(/^http/, 'ws');
  const lines = [
    `dmpush wns listening on ${listening.url} (${o.clock} clock)`,
    `  token:    POST ${listening.url}/accesstoken.srf  (Entra: POST ${listening.url}/{tenant}/oauth2/v2.0/token)`,
    `  notify:   POST ${publicBase}?token=…  (channel URIs)`,
    `  devices:  ${ws}/_device`,
    `  admin:    ${listening.url}/_sim/health`,
  ];
  if (tls)
    lines.push(
      `  TLS:      trust ${tls.caPath} (NODE_EXTRA_CA_CERTS=${tls.caPath}); names ${tls.names.join(', ')}`,
    );
  if (demo) {
    const app = apps[0] as WnsApp;
    lines.push(
      'built-in demo app (test credentials):',
      `  PFN:      ${app.pfn}`,
      `  SID:      ${app.sid}`,
      `  secret:   ${app.secret}`,
    );
  } else {
    lines.push(`apps: ${apps.map((a) => a.pfn).join(', ')}`);
  }
  io.stdout(lines.join('\n') + '\n');
  log.info(
    { url: listening.url, clock: o.clock, tls: Boolean(tls), apps: apps.length },
    'wns emulator started',
  );
  return {
    url: listening.url,
    emulator,
    close: async () => {
      await sockets.close();
      await http.close();
      log.info('wns emulator stopped');
    },
  };
}

/** `dmpush wns`: runs until SIGINT or SIGTERM. */
export async function wnsCommand(io: CliIo, o: WnsCommandOptions): Promise<void> {
  const warning = exposureWarning(o.host, o.apiToken, 'the admin API (/_sim/)');
  if (warning) io.stderr(warning);
  await runUntilStopped(() => startWns(io, o));
}
