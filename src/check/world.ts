/**
 * What a `dmpush check` run stands on: one virtual clock, the WNS emulator (the server's token
 * endpoint and the devices' channels), the devices' WebSocket link and OMA-DM client with the
 * SyncML tap, and the reference MDM server when the run checks it (no `--mdm-url`). Situations
 * (`situation-run.ts`) add devices of their own to it, one after another.
 *
 * @module
 */
import type { BaseLogger } from 'pino';
import { OmaDmHttpClient, type TappedExchange } from '../adapters/http/omadm-client.js';
import { startReferenceMdm, type RunningReferenceMdm } from '../adapters/mdm-server/start.js';
import { fleetCredentials, newFleetKey } from '../adapters/ws/device-credentials.js';
import { WebSocketWnsLink } from '../adapters/ws/websocket-wns-link.js';
import { planEnrollment, type EnrollmentPlan } from '../cli/serve/enrollment.js';
import { CHECK_BLOCK_AFTER, type SyncMLExchange } from '../core/check/model.js';
import type { EnrollmentService } from '../core/enroll/enrollment.js';
import { streamFor } from '../core/random/random.js';
import { VirtualClock } from '../core/time/virtual-clock.js';
import type { WnsApp } from '../core/wns/apps.js';
import { startWns, type RunningWns } from '../cli/commands/wns.js';
import { UsageError, type CliIo } from '../cli/io.js';
import type { CheckRunOptions } from './options.js';

/**
 * The check's emulator throttles each channel hard, so that a few pushes in a row meet a 406 with
 * `Retry-After` (the throttle situation): two at once, then one every 2 s. Misuse:
 * {@link CHECK_BLOCK_AFTER} rejected pushes within an hour block the PFN (no-push-storm). Both
 * are settings of this run only.
 */
const CHECK_CHANNEL_RATE = '0.5/2';

/** The parts of a check run, started and stopped together. */
export class CheckWorld {
  private readonly tapped: SyncMLExchange[] = [];
  private closed = false;

  private constructor(
    readonly clock: VirtualClock,
    readonly wns: RunningWns,
    readonly link: WebSocketWnsLink,
    readonly client: OmaDmHttpClient,
    /** The devices' enrollment service, or null: they are managed without enrolling. */
    readonly enroller: EnrollmentService | null,
    /** The in-process reference server, when the run checks it. */
    readonly reference: RunningReferenceMdm | null,
    /** The management server's URL; null when each device's comes from its enrollment. */
    readonly mdmUrl: string | null,
    /** The app the server sends as: its PFN is what it must set on the devices. */
    readonly app: Omit<WnsApp, 'secret'>,
  ) {}

  /** Starts the emulator, the devices' adapters and, without `mdmUrl`, the reference server. */
  static async start(
    io: CliIo,
    o: CheckRunOptions,
    logger: BaseLogger,
    /** The simulator ids of every device the run may use (the emulator trusts them). */
    deviceIds: readonly string[],
  ): Promise<CheckWorld> {
    const clock = new VirtualClock({ start: o.start });
    const wns = await startWns(
      { ...io, stdout: () => undefined },
      {
        host: '127.0.0.1',
        port: o.wnsPort,
        clock: 'virtual',
        apps: o.apps,
        tls: false,
        certDir: '',
        seed: o.seed,
        logLevel: 'silent',
        channelRate: CHECK_CHANNEL_RATE,
        blockAfter: CHECK_BLOCK_AFTER,
      },
      logger,
      clock,
    );
    const apps = wns.emulator.apps.list();
    const app = o.pfn === undefined ? apps[0] : apps.find((a) => a.pfn === o.pfn);
    if (!app) {
      await wns.close();
      throw new UsageError(
        `--pfn ${o.pfn ?? ''}: the emulator knows no such app (add it with --apps)`,
      );
    }
    const fleetKey = newFleetKey();
    wns.emulator.credentials.trustFleet(fleetKey, deviceIds);
    const link = new WebSocketWnsLink({
      url: `${wns.url.replace(/^http/, 'ws')}/_device`,
      clock,
      random: streamFor(o.seed, 'check:link'),
      credentials: fleetCredentials(fleetKey),
      onError: (error, deviceId) => logger.warn({ deviceId, error: error.message }, 'wns link'),
    });
    // Who enrolls the devices: the user's server (--enroll-url), the reference server (when it is
    // the one checked), or nobody (--mdm-url alone: a server that assumes enrolled devices).
    const plan = planEnrollment(
      { mdmUrl: o.mdmUrl, enroll: o.enroll, enrollRetry: o.enrollRetry },
      null,
    );
    const checksReference = o.mdmUrl === undefined && !o.enroll;
    const reference = checksReference
      ? await startReference(wns, app.pfn, clock, o, plan).catch(async (e: unknown) => {
          await link.close();
          await wns.close();
          throw e;
        })
      : null;
    const enroller = plan.service(reference, clock);
    const mdmUrl = o.mdmUrl ?? reference?.url ?? null;
    let world: CheckWorld | null = null;
    const client = new OmaDmHttpClient({
      ...(mdmUrl === null ? {} : { url: mdmUrl }),
      clock,
      sessionTimeoutMs: o.timeoutMs,
      tap: (x) => world?.record(x),
    });
    world = new CheckWorld(clock, wns, link, client, enroller, reference, mdmUrl, app);
    return world;
  }

  /** The SyncML exchanges of `deviceId` tapped so far. */
  exchangesOf(deviceId: string): SyncMLExchange[] {
    return this.tapped.filter((x) => x.deviceId === deviceId);
  }

  private record(x: TappedExchange): void {
    this.tapped.push({ seq: this.tapped.length + 1, ...x });
  }

  /** Stops everything the run started. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.close();
    this.client.close();
    await this.reference?.close();
    await this.wns.close();
  }
}

/**
 * The reference MDM server, in process on the run's clock, sending as `pfn`; it enrolls the
 * devices (digest-authenticated sessions), as `dmpush serve` runs it by default.
 */
async function startReference(
  wns: RunningWns,
  pfn: string,
  clock: VirtualClock,
  o: CheckRunOptions,
  plan: EnrollmentPlan,
): Promise<RunningReferenceMdm> {
  const app = wns.emulator.apps.byPackageFamilyName(pfn) as WnsApp;
  return startReferenceMdm({
    host: '127.0.0.1',
    port: 0,
    pfn,
    providerId: o.providerId,
    wns: { tokenUrl: `${wns.url}/accesstoken.srf`, sid: app.sid, secret: app.secret },
    clock,
    ...(plan.reference ? { enrollment: plan.reference } : {}),
  });
}
