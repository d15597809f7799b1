import { AppRegistry, type WnsApp } from '../core/wns/apps.js';
import {
  TokenService,
  DEFAULT_TOKEN_LIFETIME,
  type IssuedToken,
  type TokenServiceState,
  type TokenSource,
} from '../core/wns/tokens.js';
import { WnsCloud } from '../core/wns/wns-cloud.js';
import { WnsService, type MisusePolicy, type WnsServiceState } from '../core/wns/wns-service.js';
import type { JournalEntry } from '../core/wns/journal.js';
import type { ArmTimer, TimerSnapshot, WnsCloudState, WnsDevicePart } from '../core/snapshot.js';
import type { Timer } from '../core/time/clock.js';
import type { RateLimit } from '../core/wns/throttle.js';
import type { IncomingPush, LinkHandlers } from '../core/ports.js';
import { streamFor } from '../core/random/random.js';
import type { Clock } from '../core/time/clock.js';
import { RENEWAL_TIMING } from '../core/dmclient/renewal-policy.js';
import type { EventSink } from '../core/timeline/events.js';
import { Ring } from '../core/util/ring.js';
import { ValidationError } from '../core/errors.js';
import type { StateStore } from '../core/state/state-store.js';
import {
  DeviceCredentials,
  type DeviceCredentialRecord,
  type SavedDeviceCredential,
} from '../core/wns/device-credentials.js';

/** Deliveries an inbox keeps (the newest; bounded like the journal). */
export const INBOX_CAPACITY = 10_000;

/** Deliveries of an inbox that durable state keeps across a restart (the newest). */
const SAVED_INBOX_ITEMS = 1_000;

/**
 * How long, on the emulator's clock, WNS waits for a device to acknowledge a push it wrote to the
 * device's socket before giving it up (`push.dropped`, reason `unacknowledged`). WNS publishes no
 * such figure: an **assumption** (docs/model.md), set with {@link WnsEmulatorOptions.pushAckDeadlineMs}.
 */
export const DEFAULT_PUSH_ACK_DEADLINE_MS = 30_000;

interface Inbox {
  readonly items: Ring<InboxItem>;
  readonly handlers: LinkHandlers;
  delivered: number;
}

/** A delivery to a channel with no simulated device behind it (`POST /_sim/channels`). */
export interface InboxItem {
  readonly receivedAt: number;
  readonly channelUri: string;
  readonly bodyBase64: string;
}

export interface WnsEmulatorOptions {
  readonly clock: Clock;
  readonly seed: number;
  /** Where the timeline goes (cloud-side events: push.sent, push.cached, …). */
  readonly sink: EventSink;
  /** Base URL of channel URIs (the emulator's notify endpoint), e.g. `http://127.0.0.1:8080/`. */
  readonly baseUrl: string;
  readonly apps?: readonly WnsApp[];
  /** Token values; live servers pass a crypto source, virtual runs default to the seed. */
  readonly tokenSource?: TokenSource;
  readonly tokenLifetimeMs?: number;
  readonly channelLifetimeMs?: number;
  /** How long a cached notification is kept at most (default `DEFAULT_CACHE_MAX_AGE_MS`, 3 days). */
  readonly cacheMaxAgeMs?: number;
  readonly reuseChannelUri?: boolean;
  /** Channel tokens; live servers pass a crypto source, virtual runs default to the seed. */
  readonly channelTokenSource?: () => string;
  readonly throttle?: { readonly channel?: RateLimit; readonly app?: RateLimit };
  readonly misuse?: MisusePolicy | null;
  /**
   * How long WNS waits for a device's `ack` of a push on its socket before giving the push up, ms
   * on the emulator's clock (default {@link DEFAULT_PUSH_ACK_DEADLINE_MS}).
   */
  readonly pushAckDeadlineMs?: number;
  /**
   * Where the emulator keeps its state (default: in memory): per device (channels, cache, inbox)
   * the table `wns`, apps the table `wns-app`, tokens the table `wns-token`, device credentials
   * (hashes) the table `wns-credential`, the journal the log `journal`, the rest (the cloud's blocks and availability, the service's id streams and
   * faults) the document `wns`.
   */
  readonly store?: StateStore;
}

/** The emulator's document: its state apart from devices, apps, tokens and the journal. */
export interface WnsEmulatorDocument {
  readonly cloud: Pick<WnsCloudState, 'baseUrl' | 'available' | 'blocked'>;
  readonly service: WnsServiceState;
  /** The access tokens' signing key (absent in files written before tokens were signed). */
  readonly tokenService?: TokenServiceState;
}

/** The emulator's state apart from its devices and journal, as a restart takes it back. */
export interface WnsEmulatorGlobals extends WnsEmulatorDocument {
  /** Every app, with its secret (the file holds what the emulator needs to check senders). */
  readonly apps: readonly WnsApp[];
  readonly tokens: readonly IssuedToken[];
  /** Devices' first-use credentials (hashes); absent in state saved before they existed. */
  readonly credentials?: readonly SavedDeviceCredential[];
}

/** What the emulator keeps for one device: WNS's part and, for an inbox device, its inbox. */
export interface WnsEmulatorDevice {
  readonly wns: WnsDevicePart;
  readonly inbox: { readonly items: readonly InboxItem[]; readonly delivered: number } | null;
}

/**
 * The WNS emulator's state in one place: apps, tokens, channels and delivery (the cloud), the
 * sender protocol (the service) and inboxes for channels with no simulated device. The HTTP and
 * WebSocket adapters and the admin API all work on one instance.
 */
export class WnsEmulator {
  readonly clock: Clock;
  readonly apps: AppRegistry;
  readonly tokens: TokenService;
  readonly cloud: WnsCloud;
  readonly service: WnsService;
  /** Who may speak for a device on the device endpoint (decision 0011). */
  readonly credentials: DeviceCredentials;
  /** How long WNS waits for a push's `ack`, ms on {@link clock}. */
  readonly pushAckDeadlineMs: number;
  private readonly inboxes = new Map<string, Inbox>();

  constructor(readonly options: WnsEmulatorOptions) {
    this.clock = options.clock;
    const store = options.store;
    const deadline = options.pushAckDeadlineMs ?? DEFAULT_PUSH_ACK_DEADLINE_MS;
    if (!(Number.isFinite(deadline) && deadline > 0))
      throw new ValidationError([
        `pushAckDeadlineMs: expected a positive number of milliseconds, got ${deadline}`,
      ]);
    this.pushAckDeadlineMs = deadline;
    this.credentials = new DeviceCredentials(
      store?.table<DeviceCredentialRecord>('wns-credential', (r) => ({
        hash: r.hash,
        issuedAt: r.issuedAt,
      })),
    );
    this.apps = new AppRegistry(
      options.apps ?? [],
      store?.table<WnsApp>('wns-app', (app) => ({ ...app })),
    );
    const tokenRandom = streamFor(options.seed, 'wns:tokens');
    const source: TokenSource =
      options.tokenSource ??
      (() => {
        let t = 'EgA';
        for (let i = 0; i < 40; i++)
          t += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[
            tokenRandom.int(0, 61)
          ];
        return `${t}=`;
      });
    this.tokens = new TokenService(
      source,
      options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME,
      store?.table<{ pfn: string; expiresAt: number }>('wns-token', (t) => ({
        pfn: t.pfn,
        expiresAt: t.expiresAt,
      })),
    );
    this.cloud = new WnsCloud(options.clock, options.sink, {
      seed: options.seed,
      baseUrl: options.baseUrl,
      channelLifetimeMs: options.channelLifetimeMs ?? RENEWAL_TIMING.channelLifetime,
      cacheMaxAgeMs: options.cacheMaxAgeMs,
      knownPfns: (pfn) => this.apps.has(pfn),
      reuseChannelUri: options.reuseChannelUri,
      channelTokenSource: options.channelTokenSource,
      store: options.store,
      savedDevice: (id, wns) => this.savedDevice(id, wns),
    });
    this.service = new WnsService(options.clock, this.cloud, this.apps, this.tokens, {
      random: streamFor(options.seed, 'wns:service'),
      faultRandom: streamFor(options.seed, 'wns:faults'),
      throttle: options.throttle,
      misuse: options.misuse,
      journal: options.store?.log<JournalEntry>('journal'),
    });
    store?.document(
      'wns',
      () => this.saveDocument(),
      () => this.documentRevision(),
    );
  }

  /**
   * Issues a channel for a device with no simulation behind it; its deliveries land in an inbox.
   * Returns null with the reason when WNS refuses (unknown or blocked PFN).
   */
  createInboxChannel(
    pfn: string,
    deviceId: string,
    connected: boolean,
  ): { channelUri: string; expiresAt: number } | { error: string } {
    let grant: { channelUri: string; expiresAt: number } | { error: string } = {
      error: 'no answer',
    };
    this.cloud.requestChannel(deviceId, pfn, (g) => {
      grant = g.ok ? { channelUri: g.channelUri, expiresAt: g.expiresAt } : { error: g.reason };
    });
    if ('error' in grant) return grant;
    if (!this.inboxes.has(deviceId)) this.inboxes.set(deviceId, this.newInbox([], 0));
    this.setInboxConnection(deviceId, connected);
    return grant;
  }

  private newInbox(saved: readonly InboxItem[], delivered: number): Inbox {
    const items = new Ring<InboxItem>(INBOX_CAPACITY);
    for (const item of saved) items.push(item);
    const inbox: Inbox = {
      items,
      delivered,
      handlers: {
        onOpen: () => undefined,
        onPush: (push: IncomingPush) => {
          inbox.delivered++;
          items.push({
            receivedAt: this.clock.now(),
            channelUri: push.channelUri,
            bodyBase64: push.bodyBase64 ?? '',
          });
        },
        onClosed: () => undefined,
      },
    };
    return inbox;
  }

  /** True when `deviceId` is an inbox device (created through the admin API). */
  hasInbox(deviceId: string): boolean {
    return this.inboxes.has(deviceId);
  }

  setInboxConnection(deviceId: string, connected: boolean): boolean {
    const inbox = this.inboxes.get(deviceId);
    if (!inbox) return false;
    if (connected) this.cloud.connect(deviceId, inbox.handlers);
    else this.cloud.disconnect(deviceId);
    return true;
  }

  /** An inbox's deliveries, oldest first (the newest {@link INBOX_CAPACITY} of them). */
  inbox(deviceId: string): readonly InboxItem[] | undefined {
    return this.inboxes.get(deviceId)?.items.toArray();
  }

  /** Pushes an inbox has received in all (it keeps only the newest {@link INBOX_CAPACITY}). */
  inboxDeliveries(deviceId: string): number {
    return this.inboxes.get(deviceId)?.delivered ?? 0;
  }

  /**
   * Gives up a push written to a device's socket that the device did not acknowledge: WNS
   * answered the sender `received`, but the device never confirmed it, within
   * {@link pushAckDeadlineMs} or before its connection ended. Recorded as `push.dropped` (reason
   * `unacknowledged`) and journalled (`notify`, `X-WNS-Status` `dropped`); nothing is retried.
   */
  giveUpPush(deviceId: string, push: IncomingPush, why: string): void {
    const time = this.clock.now();
    const { msgId, channelUri } = push;
    const reason = 'unacknowledged';
    this.options.sink.emit({
      time,
      device: deviceId,
      type: 'push.dropped',
      msgId,
      channelUri,
      reason,
    });
    this.service.journal.add({
      time,
      op: 'notify',
      status: 200,
      channelUri,
      pfn: this.cloud.findChannel(channelUri)?.pfn,
      deviceId,
      notificationStatus: 'dropped',
      msgId,
      description: `not delivered: ${why}`,
    });
  }

  /** Journals a device hello refused for want of the device's credential (`connect`, 403). */
  recordRefusedHello(deviceId: string, description: string): void {
    this.service.journal.add({
      time: this.clock.now(),
      op: 'connect',
      status: 403,
      deviceId,
      description,
    });
  }

  /** The base of channel URIs issued from now on (known once the server listens). */
  setBaseUrl(baseUrl: string): void {
    this.cloud.setBaseUrl(baseUrl);
  }

  // ---- durable state ---------------------------------------------------------------------------

  /** Everything but the devices and the journal (see {@link WnsEmulatorGlobals}). */
  saveGlobals(): WnsEmulatorGlobals {
    return {
      ...this.saveDocument(),
      apps: this.apps.all(),
      tokens: this.tokens.save(),
      credentials: this.credentials.save(),
    };
  }

  /** The document `wns` of a state store (apps and tokens are tables of their own). */
  private saveDocument(): WnsEmulatorDocument {
    return {
      cloud: this.cloud.saveGlobals(),
      service: this.service.saveState(),
      tokenService: this.tokens.saveState(),
    };
  }

  /**
   * A cheap value that changes whenever {@link saveDocument} may: every request that draws an id
   * from the service's streams is journalled, so the journal's newest seq moves with them; the
   * cloud's own globals and the faults are counted besides.
   */
  private documentRevision(): string {
    const { service } = this;
    return `${service.journal.lastSeq}:${this.cloud.globalsRevision()}:${service.listFaults().length}`;
  }

  /** Devices with state: those WNS has seen, and inboxes. */
  deviceIds(): string[] {
    return this.cloud.deviceIds();
  }

  /** One device's state, or null when the emulator keeps none for it. */
  saveDevice(
    id: string,
    timer: (t: Timer | null) => TimerSnapshot | null,
  ): WnsEmulatorDevice | null {
    const wns = this.cloud.saveDevice(id, timer);
    return wns && this.savedDevice(id, wns);
  }

  /** A device's saved form: WNS's part and, for an inbox device, its newest deliveries. */
  private savedDevice(id: string, wns: WnsDevicePart): WnsEmulatorDevice {
    const inbox = this.inboxes.get(id);
    return {
      wns,
      inbox: inbox
        ? { items: inbox.items.toArray().slice(-SAVED_INBOX_ITEMS), delivered: inbox.delivered }
        : null,
    };
  }

  /**
   * Takes back saved state on a fresh emulator (after a restart). The persistent connections of
   * the stopped process are gone: every device is offline until it connects again (inbox devices
   * that were connected are reconnected). Apps already registered (from the apps file) are kept;
   * saved ones with other PFNs are added. TTL timers go to `arm`.
   */
  loadState(
    globals: WnsEmulatorGlobals,
    devices: readonly WnsEmulatorDevice[],
    journal: readonly JournalEntry[],
    arm: ArmTimer,
  ): void {
    for (const app of globals.apps) {
      if (this.apps.has(app.pfn)) continue;
      try {
        this.apps.add(app);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        throw new ValidationError(
          e.issues.map((i) => `saved app ${app.pfn}: ${i} (by the apps file)`),
        );
      }
    }
    this.tokens.load(globals.tokens, globals.tokenService);
    this.credentials.load(globals.credentials ?? []);
    this.service.loadState(globals.service);
    this.service.journal.load(journal);
    this.cloud.loadState(
      {
        ...globals.cloud,
        // New channels use this run's address (restarts keep the port: see `dmpush serve`).
        baseUrl: this.cloud.saveGlobals().baseUrl,
        channels: devices.flatMap((d) => d.wns.channels),
        devices: devices.map((d) => d.wns.device),
      },
      null,
      arm,
    );
    for (const d of devices) {
      if (!d.inbox) continue;
      const id = d.wns.device.id;
      this.inboxes.set(id, this.newInbox(d.inbox.items, d.inbox.delivered));
      if (d.wns.device.connected) this.setInboxConnection(id, true);
    }
  }

  /**
   * Forgets everything but the apps and a trusted fleet (for `POST /_sim/reset`): devices'
   * first-use credentials go too (a device presenting its old one has it recorded again).
   */
  reset(): void {
    for (const id of this.inboxes.keys()) this.cloud.disconnect(id);
    this.inboxes.clear();
    this.tokens.clear();
    this.credentials.clear();
    this.cloud.reset();
    this.service.reset();
  }
}
