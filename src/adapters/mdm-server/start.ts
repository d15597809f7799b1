/**
 * The reference MDM server's composition: its protocol logic ({@link ReferenceMdm}), its WNS
 * sender and its HTTP endpoint, on one clock, listening. Used by `dmpush serve`, the tests and
 * the benchmarks.
 */
import type { AccessPolicy } from '../http/access.js';
import type { StateStore } from '../../core/state/state-store.js';
import type { Clock } from '../../core/time/clock.js';
import { createReferenceMdmServer, type ReferenceMdmServer } from './http-server.js';
import type { PushResult } from '../../mdm-server/push-result.js';
import { ReferenceMdm, type MdmServerEvent } from '../../mdm-server/reference-mdm.js';
import { WnsSender, type PushOptions } from './wns-sender.js';

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
  const mdm = new ReferenceMdm({
    pfn: options.pfn,
    providerId: options.providerId,
    now,
    rereadChannelUri: options.rereadChannelUri,
    wnsOrigins,
    onEvent: (event) => {
      if (event.type === 'mdm.channel-refused') {
        const { deviceId, origin, reason } = event;
        logger.warn({ deviceId, origin, reason }, 'ChannelURI ignored: not a WNS host');
      }
      options.onEvent?.(event);
    },
    store: options.store,
  });
  const wns = new WnsSender({ ...options.wns, now, channelOrigins: wnsOrigins });
  const server = createReferenceMdmServer({
    mdm,
    wns,
    beforeReply: options.beforeReply,
    access: options.access,
  });
  const { url } = await server.listen(options.port, options.host ?? '127.0.0.1');
  return {
    url,
    mdm,
    server,
    push: (devId, pushOptions) => clock.track(server.push(devId, pushOptions)),
    close: () => server.close(),
  };
}
