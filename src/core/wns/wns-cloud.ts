import type { WnsPriority } from '../device/wns-priority.js';
import { RENEWAL_TIMING } from '../dmclient/renewal-policy.js';
import type { ChannelGrant, LinkHandlers, RevokeResult, WnsLink } from '../ports.js';
import { SeededRandom, streamFor } from '../random/random.js';
import {
  timerSnapshots,
  type ArmTimer,
  type TimerSnapshot,
  type WnsCloudState,
  type WnsDevicePart,
} from '../snapshot.js';
import { MemoryStateStore, type RecordTable, type StateStore } from '../state/state-store.js';
import { isOrdered, type Clock, type Timer } from '../time/clock.js';
import { LAST_INSTANT } from '../time/iso.js';
import type { CachePolicy, EventSink } from '../timeline/events.js';
import { cacheExpiry, checkCacheMaxAge, DEFAULT_CACHE_MAX_AGE_MS } from './cache-age.js';

/** Options of the in-process WNS cloud. */
export interface WnsCloudOptions {
  /** Run seed; channel tokens come from a stream per device, so they are reproducible. */
  readonly seed: number;
  /** Host of issued channel URIs (`https://<host>/?token=…`); ignored when `baseUrl` is set. */
  readonly host?: string;
  /** Base of issued channel URIs, e.g. `http://127.0.0.1:8080/`; the token goes in `?token=`. */
  readonly baseUrl?: string;
  readonly channelLifetimeMs?: number;
  /**
   * How long a cached notification is kept at most, TTL or not (default
   * {@link DEFAULT_CACHE_MAX_AGE_MS}, an assumption: WNS drops cached items "after a reasonable
   * period of time").
   */
  readonly cacheMaxAgeMs?: number;
  /**
   * PFNs WNS knows: `'any'` (default) knows every PFN except `unknownPfns`; a list, or a test
   * (the emulator's app registry, which can grow).
   */
  readonly knownPfns?: 'any' | Iterable<string> | ((pfn: string) => boolean);
  readonly unknownPfns?: Iterable<string>;
  readonly blockedPfns?: Iterable<string>;
  /** A re-request while the device holds a valid channel returns the same URI (WNS may do either). */
  readonly reuseChannelUri?: boolean;
  /**
   * Where channel tokens come from. By default a stream of the run seed (reproducible timelines);
   * a live emulator passes a cryptographic source, so channel URIs cannot be guessed.
   */
  readonly channelTokenSource?: () => string;
  /**
   * Where WNS keeps what it holds per device (its entry, channels, cached notifications): the
   * table `wns` of this store (default: a memory store of its own).
   */
  readonly store?: StateStore;
  /** A device's saved form around WNS's part (the emulator adds its inbox); default the part. */
  readonly savedDevice?: (id: string, part: WnsDevicePart) => unknown;
}

/** A push as the sender asks for it (the headers that matter for raw MDM pushes). */
export interface SendOptions {
  readonly cachePolicy: CachePolicy;
  /** `X-WNS-TTL`, seconds from receipt; null or absent for no expiry. */
  readonly ttlSeconds?: number | null;
  /** The payload, base64. */
  readonly bodyBase64?: string;
  /**
   * The push's id (`X-WNS-Msg-ID` when the sender protocol minted one): the same in the timeline,
   * the journal and the answer. Default `<device>#<n>`, the in-process cloud's own.
   */
  readonly msgId?: string;
  /** `X-WNS-PRIORITY` (1 High … 4 Very Low); absent: the raw default (3, Low). */
  readonly priority?: WnsPriority;
}

/** What the protocol layer needs to know of a channel. */
export interface ChannelInfo {
  readonly uri: string;
  readonly deviceId: string;
  readonly pfn: string;
  readonly expiresAt: number;
  /** Revoked by its device (the DMClient's PFN was deleted or replaced). */
  readonly revoked?: boolean;
}

/** What WNS answers the sender. */
export interface SendOutcome {
  /** HTTP status: 200, 404 (unknown channel), 410 (expired channel or blocked PFN). */
  readonly status: number;
  /** `X-WNS-Status`. */
  readonly notificationStatus: 'received' | 'dropped' | null;
  /** `X-WNS-DeviceConnectionStatus`. */
  readonly deviceConnectionStatus: 'connected' | 'disconnected' | null;
  readonly msgId: string | null;
}

interface Cached {
  readonly msgId: string;
  /** When it leaves the cache (null only in state saved before the cache was bounded). */
  readonly expiresAt: number | null;
  /** Why it is dropped at `expiresAt`. */
  readonly expiry: 'ttl-expired' | 'cache-expired';
  readonly bodyBase64: string | undefined;
  readonly priority?: WnsPriority;
  timer: Timer | null;
}

interface Channel extends ChannelInfo {
  readonly token: string;
  cached: Cached | null;
  revoked: boolean;
}

interface DeviceEntry {
  readonly random: SeededRandom;
  readonly channels: Channel[];
  handlers: LinkHandlers | null;
  /** Asked to connect while the cloud was unavailable. */
  waiting: LinkHandlers | null;
  messages: number;
}

/** The `token` query parameter of a channel URI, or the argument itself when it has none. */
export function channelToken(uriOrToken: string): string {
  const q = uriOrToken.indexOf('?');
  if (q < 0) return uriOrToken;
  // The common case, `…/?token=<url-safe token>` and nothing else, without URLSearchParams.
  if (uriOrToken.startsWith('token=', q + 1) && !/[&%+#]/.test(uriOrToken.slice(q + 7))) {
    return uriOrToken.slice(q + 7);
  }
  const params = new URLSearchParams(uriOrToken.slice(q + 1));
  return params.get('token') ?? '';
}

/** 43 URL-safe characters from a seeded stream (built flat: `+=` would keep 43 fragments). */
function seededToken(random: SeededRandom): string {
  const chars = new Array<string>(43);
  for (let i = 0; i < 43; i++) chars[i] = TOKEN_ALPHABET[random.int(0, 63)] as string;
  return chars.join('');
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The WNS cloud as one in-process object: channels per (device, PFN) with a 30-day expiry, raw
 * delivery to connected devices, one cached notification per channel for offline ones (with TTL),
 * and PFN blocking. It is both the device side ({@link WnsLink}) and the sender side ({@link send}).
 */
export class WnsCloud implements WnsLink {
  private readonly channels = new Map<string, Channel>();
  /** Every change of a device's entry, its channels or their cache goes through this table. */
  private readonly devices: RecordTable<DeviceEntry>;
  private baseUrl: string;
  private readonly lifetime: number;
  private readonly cacheMaxAge: number;
  private readonly isKnown: (pfn: string) => boolean;
  private readonly unknown: Set<string>;
  private readonly blocked: Set<string>;
  private readonly reuse: boolean;
  private available = true;

  constructor(
    private readonly clock: Clock,
    private readonly sink: EventSink,
    private readonly options: WnsCloudOptions,
  ) {
    this.baseUrl = options.baseUrl ?? `https://${options.host ?? 'sim.notify.windows.com'}/`;
    this.lifetime = options.channelLifetimeMs ?? RENEWAL_TIMING.channelLifetime;
    this.cacheMaxAge = options.cacheMaxAgeMs ?? DEFAULT_CACHE_MAX_AGE_MS;
    const bad = checkCacheMaxAge(this.cacheMaxAge, 'cacheMaxAgeMs');
    if (bad) throw new RangeError(bad);
    const known = options.knownPfns;
    this.isKnown =
      known === undefined || known === 'any'
        ? () => true
        : typeof known === 'function'
          ? known
          : (
              (set: Set<string>) => (pfn: string) =>
                set.has(pfn)
            )(new Set(known));
    this.unknown = new Set(options.unknownPfns ?? []);
    this.blocked = new Set(options.blockedPfns ?? []);
    this.reuse = options.reuseChannelUri ?? false;
    this.devices = (options.store ?? new MemoryStateStore()).table<DeviceEntry>('wns', (_, id) => {
      if (!isOrdered(clock)) throw new Error('durable state needs a clock that ranks its timers');
      const part = this.saveDevice(id, timerSnapshots(clock)) as WnsDevicePart;
      return options.savedDevice ? options.savedDevice(id, part) : part;
    });
  }

  // ---- device side -------------------------------------------------------------------------

  requestChannel(deviceId: string, pfn: string, reply: (grant: ChannelGrant) => void): void {
    reply(this.issue(deviceId, pfn));
  }

  connect(deviceId: string, handlers: LinkHandlers): void {
    this.change(deviceId, (entry) => {
      if (!this.available) {
        entry.waiting = handlers;
        return;
      }
      entry.handlers = handlers;
      handlers.onOpen();
      this.flushCache(entry);
    });
  }

  revokeChannels(deviceId: string, pfn: string, reply: (result: RevokeResult) => void): void {
    if (!this.available) {
      reply({ ok: false, reason: 'wns-unreachable' });
      return;
    }
    if (this.devices.has(deviceId))
      this.devices.update(deviceId, (entry) => {
        for (const channel of entry.channels)
          if (channel.pfn === pfn && !channel.revoked) this.revoke(channel);
      });
    reply({ ok: true });
  }

  /** Revokes one channel: it answers 410 from now on; a notification it cached is dropped. */
  private revoke(channel: Channel): void {
    channel.revoked = true;
    const cached = channel.cached;
    if (!cached) return;
    channel.cached = null;
    this.clock.cancel(cached.timer);
    this.sink.emit({
      time: this.clock.now(),
      device: channel.deviceId,
      type: 'push.dropped',
      msgId: cached.msgId,
      channelUri: channel.uri,
      reason: 'channel-revoked',
    });
  }

  disconnect(deviceId: string): void {
    if (!this.devices.has(deviceId)) return;
    this.devices.update(deviceId, (entry) => {
      entry.handlers = null;
      entry.waiting = null;
    });
  }

  // ---- sender side -------------------------------------------------------------------------

  /** Sends a raw push to `channelUri`, as `POST <ChannelURI>` with the given headers would. */
  send(channelUri: string, options: SendOptions): SendOutcome {
    const now = this.clock.now();
    const channel = this.channels.get(channelToken(channelUri));
    if (!channel) return this.reject(null, channelUri, 404, 'unknown channel');
    const device = channel.deviceId;
    if (this.blocked.has(channel.pfn)) return this.reject(device, channelUri, 410, 'pfn-blocked');
    if (channel.revoked) return this.reject(device, channelUri, 410, 'channel-revoked');
    if (channel.expiresAt <= now) return this.reject(device, channelUri, 410, 'channel-expired');
    return this.change(device, (entry) => this.deliver(entry, channel, channelUri, options));
  }

  /** Delivers, caches or drops a push the cloud accepted. */
  private deliver(
    entry: DeviceEntry,
    channel: Channel,
    channelUri: string,
    options: SendOptions,
  ): SendOutcome {
    const now = this.clock.now();
    const device = channel.deviceId;
    entry.messages++;
    const msgId = options.msgId ?? `${device}#${entry.messages}`;
    const ttl = options.ttlSeconds ?? null;
    const cachePolicy = options.cachePolicy;
    this.sink.emit({
      time: now,
      device,
      type: 'push.sent',
      msgId,
      channelUri,
      status: 200,
      cachePolicy,
      ttlSeconds: ttl,
    });
    const connection = entry.handlers ? ('connected' as const) : ('disconnected' as const);
    if (entry.handlers) {
      entry.handlers.onPush({
        msgId,
        channelUri: channel.uri,
        cached: false,
        bodyBase64: options.bodyBase64,
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        expiresAt: cacheExpiry(now, ttl, this.cacheMaxAge).at,
      });
      return {
        status: 200,
        notificationStatus: 'received',
        deviceConnectionStatus: connection,
        msgId,
      };
    }
    if (cachePolicy !== 'cache') {
      this.sink.emit({
        time: now,
        device,
        type: 'push.dropped',
        msgId,
        channelUri,
        reason: 'offline',
      });
      return {
        status: 200,
        notificationStatus: 'dropped',
        deviceConnectionStatus: connection,
        msgId,
      };
    }
    this.cache(
      channel,
      msgId,
      cacheExpiry(now, ttl, this.cacheMaxAge),
      options.bodyBase64,
      options.priority,
    );
    return {
      status: 200,
      notificationStatus: 'received',
      deviceConnectionStatus: connection,
      msgId,
    };
  }

  /**
   * The channel a URI (or a bare token) names. Only the `token` query parameter counts, so the
   * same channel answers on any host the emulator is reached by.
   */
  findChannel(uriOrToken: string): ChannelInfo | undefined {
    return this.channels.get(channelToken(uriOrToken));
  }

  /** Every channel WNS has issued (expired ones included). */
  listChannels(): ChannelInfo[] {
    return [...this.channels.values()].map(({ uri, deviceId, pfn, expiresAt, revoked }) => ({
      uri,
      deviceId,
      pfn,
      expiresAt,
      revoked,
    }));
  }

  /** Records and answers a push WNS refuses. */
  private reject(
    device: string | null,
    channelUri: string,
    status: 404 | 410,
    reason: string,
  ): SendOutcome {
    this.sink.emit({
      time: this.clock.now(),
      device,
      type: 'push.rejected',
      channelUri,
      status,
      reason,
    });
    return {
      status,
      notificationStatus: status === 410 ? 'dropped' : null,
      deviceConnectionStatus: null,
      msgId: null,
    };
  }

  /** Blocks or unblocks a PFN (WNS "reserves the right to block push notifications to your PFN"). */
  setBlocked(pfn: string, blocked: boolean): void {
    if (blocked === this.blocked.has(pfn)) return;
    if (blocked) this.blocked.add(pfn);
    else this.blocked.delete(pfn);
    const type = blocked ? 'wns.pfn-blocked' : 'wns.pfn-unblocked';
    this.sink.emit({ time: this.clock.now(), device: null, type, pfn });
  }

  isBlocked(pfn: string): boolean {
    return this.blocked.has(pfn);
  }

  /** A WNS outage: every connection is closed (reason `cloud`) and none opens until it ends. */
  setAvailable(available: boolean): void {
    if (available === this.available) return;
    this.available = available;
    for (const [id, entry] of [...this.devices.entries()]) {
      if (!available && entry.handlers) {
        const h = entry.handlers;
        this.devices.update(id, (e) => {
          e.handlers = null;
          e.waiting = h;
        });
        h.onClosed('cloud');
      } else if (available && entry.waiting) {
        const h = entry.waiting;
        this.devices.update(id, (e) => void (e.waiting = null));
        this.connect(id, h);
      }
    }
  }

  get isAvailable(): boolean {
    return this.available;
  }

  /** Sets the base of channel URIs issued from now on (a server learns its port after listening). */
  setBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  }

  /** Forgets every channel, cached notification, connection and block. */
  reset(): void {
    for (const channel of this.channels.values()) this.clock.cancel(channel.cached?.timer);
    // Connected devices hear that WNS ended their connection (they reconnect, with no channels).
    const open = [...this.devices.values()].map((e) => e.handlers).filter((h) => h !== null);
    this.devices.clear();
    for (const handlers of open) handlers.onClosed('cloud');
    this.channels.clear();
    this.blocked.clear();
    this.available = true;
  }

  /** Whether the device's persistent connection is up, as WNS sees it. */
  isConnected(deviceId: string): boolean {
    return this.devices.get(deviceId)?.handlers != null;
  }

  // ---- durable state -----------------------------------------------------------------------

  /**
   * The cloud's state as plain data (see `src/core/snapshot.ts`): channels, cached notifications
   * with their TTL timers (`timer` gives a pending timer's instant and rank), per-device streams
   * and connections, blocks and availability. Options (hosts, known PFNs) come from the spec.
   */
  saveState(timer: (t: Timer | null) => TimerSnapshot | null): WnsCloudState {
    const parts = this.deviceIds().map((id) => this.saveDevice(id, timer) as WnsDevicePart);
    return {
      ...this.saveGlobals(),
      channels: parts.flatMap((p) => p.channels),
      devices: parts.map((p) => p.device),
    };
  }

  /** The devices WNS keeps state for (each has a {@link saveDevice} part). */
  deviceIds(): string[] {
    return [...this.devices.ids()];
  }

  /** What WNS keeps for one device: its entry and its channels; null for a device it never saw. */
  saveDevice(id: string, timer: (t: Timer | null) => TimerSnapshot | null): WnsDevicePart | null {
    const e = this.devices.get(id);
    if (!e) return null;
    return {
      device: {
        id,
        random: [...e.random.state()],
        channels: e.channels.map((c) => c.token),
        connected: e.handlers !== null,
        waiting: e.waiting !== null,
        messages: e.messages,
      },
      channels: e.channels.map((c) => {
        const cached = c.cached;
        return {
          token: c.token,
          uri: c.uri,
          deviceId: c.deviceId,
          pfn: c.pfn,
          expiresAt: c.expiresAt,
          ...(c.revoked ? { revoked: true as const } : {}),
          cached: cached && {
            msgId: cached.msgId,
            expiresAt: cached.expiresAt,
            ...(cached.expiry === 'cache-expired' ? { expiry: cached.expiry } : {}),
            bodyBase64: cached.bodyBase64 ?? null,
            ...(cached.priority === undefined ? {} : { priority: cached.priority }),
            timer: timer(cached.timer),
          },
        };
      }),
    };
  }

  /** The state that belongs to no device: the URI base, availability and blocked PFNs. */
  /** A cheap value that changes whenever {@link saveGlobals} does. */
  globalsRevision(): string {
    return `${this.baseUrl}|${this.available}|${this.blocked.size}`;
  }

  saveGlobals(): Pick<WnsCloudState, 'baseUrl' | 'available' | 'blocked'> {
    return { baseUrl: this.baseUrl, available: this.available, blocked: [...this.blocked] };
  }

  /**
   * Takes back a state {@link saveState} returned, on a fresh cloud with the same options.
   * `handlersOf` gives a device's link handlers (to reattach open connections), or null when the
   * connections did not survive (a restarted process: devices connect again); TTL timers go to
   * `arm`, which re-arms them in the original clock order.
   */
  loadState(
    state: WnsCloudState,
    handlersOf: ((deviceId: string) => LinkHandlers) | null,
    arm: ArmTimer,
  ): void {
    this.channels.clear();
    this.devices.clear();
    this.baseUrl = state.baseUrl;
    this.available = state.available;
    this.blocked.clear();
    for (const pfn of state.blocked) this.blocked.add(pfn);
    for (const c of state.channels) {
      const channel: Channel = {
        uri: c.uri,
        token: c.token,
        deviceId: c.deviceId,
        pfn: c.pfn,
        expiresAt: c.expiresAt,
        cached: null,
        revoked: c.revoked ?? false,
      };
      const saved = c.cached;
      if (saved) {
        const cached: Cached = {
          msgId: saved.msgId,
          expiresAt: saved.expiresAt,
          expiry: saved.expiry ?? 'ttl-expired',
          bodyBase64: saved.bodyBase64 ?? undefined,
          ...(saved.priority === undefined ? {} : { priority: saved.priority }),
          timer: null,
        };
        channel.cached = cached;
        const ttl = saved.timer;
        if (ttl) arm(ttl, () => void (cached.timer = this.armTtl(channel, cached, ttl.at)));
      }
      this.channels.set(c.token, channel);
    }
    for (const d of state.devices) {
      const handlers = handlersOf?.(d.id) ?? null;
      this.devices.set(d.id, {
        random: new SeededRandom(d.random),
        channels: d.channels.map((token) => this.channels.get(token) as Channel),
        handlers: d.connected ? handlers : null,
        waiting: d.waiting ? handlers : null,
        messages: d.messages,
      });
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private issue(deviceId: string, pfn: string): ChannelGrant {
    if (!this.available) return { ok: false, reason: 'wns-unreachable' };
    if (this.blocked.has(pfn)) return { ok: false, reason: 'pfn-blocked' };
    if (this.unknown.has(pfn) || !this.isKnown(pfn)) return { ok: false, reason: 'invalid-pfn' };
    return this.change(deviceId, (entry) => this.newChannel(entry, deviceId, pfn));
  }

  private newChannel(entry: DeviceEntry, deviceId: string, pfn: string): ChannelGrant {
    const now = this.clock.now();
    if (this.reuse) {
      const current = entry.channels.findLast(
        (c) => c.pfn === pfn && c.expiresAt > now && !c.revoked,
      );
      if (current) return { ok: true, channelUri: current.uri, expiresAt: current.expiresAt };
    }
    const token = `AwYAAAB${this.options.channelTokenSource?.() ?? seededToken(entry.random)}`;
    const channel: Channel = {
      uri: `${this.baseUrl}?token=${token}`,
      token,
      deviceId,
      pfn,
      // At the end of time a channel expires with it (an instant past it could not be formatted).
      expiresAt: Math.min(now + this.lifetime, LAST_INSTANT),
      cached: null,
      revoked: false,
    };
    // Expired channels are kept: a push to one is answered 410, not 404.
    this.channels.set(token, channel);
    entry.channels.push(channel);
    return { ok: true, channelUri: channel.uri, expiresAt: channel.expiresAt };
  }

  private cache(
    channel: Channel,
    msgId: string,
    { at: expiresAt, reason: expiry }: { at: number; reason: Cached['expiry'] },
    bodyBase64: string | undefined,
    priority: WnsPriority | undefined,
  ): void {
    const now = this.clock.now();
    const previous = channel.cached;
    if (previous) {
      this.clock.cancel(previous.timer);
      this.sink.emit({
        time: now,
        device: channel.deviceId,
        type: 'push.dropped',
        msgId: previous.msgId,
        channelUri: channel.uri,
        reason: 'replaced',
      });
    }
    const cached: Cached = {
      msgId,
      expiresAt,
      expiry,
      bodyBase64,
      ...(priority === undefined ? {} : { priority }),
      timer: null,
    };
    channel.cached = cached;
    this.sink.emit({
      time: now,
      device: channel.deviceId,
      type: 'push.cached',
      msgId,
      channelUri: channel.uri,
      expiresAt,
    });
    cached.timer = this.armTtl(channel, cached, expiresAt);
  }

  private armTtl(channel: Channel, cached: Cached, expiresAt: number): Timer {
    return this.clock.schedule(expiresAt, () => {
      if (channel.cached !== cached) return;
      this.devices.update(channel.deviceId, () => void (channel.cached = null));
      this.sink.emit({
        time: this.clock.now(),
        device: channel.deviceId,
        type: 'push.dropped',
        msgId: cached.msgId,
        channelUri: channel.uri,
        reason: cached.expiry,
      });
    });
  }

  private flushCache(entry: DeviceEntry): void {
    const now = this.clock.now();
    for (const channel of entry.channels) {
      const cached = channel.cached;
      if (!cached) continue;
      channel.cached = null;
      this.clock.cancel(cached.timer);
      // A TTL that ran out at this very instant (or a late timer on the system clock), or a
      // channel that expired while the device was away: the notification is not delivered.
      const ttlOver = cached.expiresAt !== null && cached.expiresAt <= now;
      if (ttlOver || channel.expiresAt <= now) {
        this.sink.emit({
          time: now,
          device: channel.deviceId,
          type: 'push.dropped',
          msgId: cached.msgId,
          channelUri: channel.uri,
          reason: ttlOver ? cached.expiry : 'channel-expired',
        });
        continue;
      }
      entry.handlers?.onPush({
        msgId: cached.msgId,
        channelUri: channel.uri,
        cached: true,
        bodyBase64: cached.bodyBase64,
        ...(cached.priority === undefined ? {} : { priority: cached.priority }),
        expiresAt: cached.expiresAt,
      });
    }
  }

  /** Changes a device's entry (created on first use). */
  private change<R>(deviceId: string, fn: (entry: DeviceEntry) => R): R {
    if (!this.devices.has(deviceId))
      this.devices.set(deviceId, {
        random: streamFor(this.options.seed, `wns:${deviceId}`),
        channels: [],
        handlers: null,
        waiting: null,
        messages: 0,
      });
    return this.devices.update(deviceId, fn);
  }
}
