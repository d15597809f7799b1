import { WebSocket, type RawData } from 'ws';
import { ValidationError } from '../../core/errors.js';
import type { ChannelGrant, IncomingPush, LinkHandlers, WnsLink } from '../../core/ports.js';
import type { Random } from '../../core/random/random.js';
import type { Clock, Timer } from '../../core/time/clock.js';
import {
  DeviceCloseCode,
  frameText,
  parseServerMessage,
  type ClientMessage,
  type ServerMessage,
} from './device-protocol.js';

/** Reconnect delays: the n-th retry waits about `min(maxMs, initialMs · 2ⁿ)`, jittered. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Default reconnect backoff: 1 s doubling up to 5 min. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 5 * 60_000 };

/** Options of a {@link WebSocketWnsLink}. */
export interface WebSocketWnsLinkOptions {
  /** The emulator's device endpoint, e.g. `ws://127.0.0.1:8080/_device`. */
  readonly url: string;
  /** Reconnect timers run on it; in-flight I/O is tracked on it. */
  readonly clock: Clock;
  /** Jitter of the reconnect delays. */
  readonly random: Random;
  readonly backoff?: BackoffOptions;
  /** Told of socket errors (refused connections, protocol errors), e.g. to log them. */
  readonly onError?: (error: Error, deviceId: string) => void;
}

const UNREACHABLE: ChannelGrant = { ok: false, reason: 'wns-unreachable' };

/** Largest frame accepted from the emulator (a push carries at most 5000 bytes, base64). */
const MAX_SERVER_FRAME = 1024 * 1024;

/** One socket to the emulator and the channel requests waiting for an answer on it. */
class Line {
  readonly pending = new Map<number, (grant: ChannelGrant) => void>();
  constructor(readonly ws: WebSocket) {}

  send(message: ClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Answers every waiting request `wns-unreachable` (the socket is gone). */
  failAll(): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const reply of waiting) reply(UNREACHABLE);
  }
}

/** A device's wish to be online, and the socket that serves it. */
interface Presence {
  readonly deviceId: string;
  readonly handlers: LinkHandlers;
  line: Line | null;
  /** Welcomed: the persistent connection is up. */
  open: boolean;
  /** Failed attempts since the last welcome. */
  attempt: number;
  retry: Timer | null;
  stopped: boolean;
}

/** A server frame the caller of {@link WebSocketWnsLink.onLineMessage} handles. */
type Incoming = Extract<ServerMessage, { type: 'welcome' | 'push' }>;

/** A channel answer as the device sees it. */
function grantOf(message: Extract<ServerMessage, { type: 'channel' }>): ChannelGrant {
  return message.ok
    ? { ok: true, channelUri: message.channelUri, expiresAt: message.expiresAt }
    : { ok: false, reason: message.reason };
}

/** A push frame as the device sees it. */
function pushOf(message: Extract<ServerMessage, { type: 'push' }>): IncomingPush {
  const { msgId, channelUri, cached, bodyBase64 } = message;
  return { msgId, channelUri, cached, bodyBase64 };
}

function validate(options: WebSocketWnsLinkOptions): BackoffOptions {
  const problems: string[] = [];
  let url: URL | null = null;
  try {
    url = new URL(options.url);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:'))
    problems.push(`url: expected a ws:// or wss:// URL, got ${JSON.stringify(options.url)}`);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  if (!(Number.isFinite(backoff.initialMs) && backoff.initialMs > 0))
    problems.push(`backoff.initialMs: expected a positive number, got ${backoff.initialMs}`);
  if (!(Number.isFinite(backoff.maxMs) && backoff.maxMs >= backoff.initialMs))
    problems.push(`backoff.maxMs: expected a number >= initialMs, got ${backoff.maxMs}`);
  if (problems.length) throw new ValidationError(problems);
  return backoff;
}

/**
 * The device ↔ WNS link over a real WebSocket to the emulator (protocol: see
 * `device-protocol.ts`). One instance serves any number of devices.
 *
 * - `connect` opens the device's persistent socket and says `hello`; `handlers.onOpen` runs on
 *   `welcome`. Pushes go to `handlers.onPush` and are acknowledged.
 * - If the socket drops while the device still wants it, `handlers.onClosed('cloud')` runs (when it
 *   was up) and the link reconnects with jittered exponential backoff on the clock: the n-th retry
 *   waits `d/2 + u·d/2` with `d = min(maxMs, initialMs · 2ⁿ)` and `u` uniform from `random`. A
 *   welcome resets the count. WNS then delivers what it cached meanwhile.
 * - `disconnect` says `bye`, closes (1000) and stops reconnecting.
 * - `requestChannel` asks on the persistent socket when it is up, otherwise on a short-lived socket
 *   (`hello` with `presence: false`); when the emulator cannot be reached, or the socket drops
 *   before the answer, the answer is `wns-unreachable`.
 *
 * Every exchange the device waits for (hello → welcome, channel request → answer, bye → close) is
 * tracked on the clock, so `VirtualClock.runUntilIdleAware` lets real replies land before time
 * moves. Under a virtual clock the timeline of a single device is reproducible; the order of
 * events of different devices at one instant follows the network, so byte-identical fleet
 * timelines need the in-memory link.
 *
 * @example
 * ```ts
 * const link = new WebSocketWnsLink({
 *   url: 'ws://127.0.0.1:8080/_device',
 *   clock,
 *   random: streamFor(seed, 'ws-link'),
 * });
 * const sim = new Simulation(spec, sink, { clock, wns: link });
 * ```
 */
export class WebSocketWnsLink implements WnsLink {
  private readonly url: string;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly backoff: BackoffOptions;
  private readonly onError: (error: Error, deviceId: string) => void;
  private readonly presences = new Map<string, Presence>();
  /** Every socket not yet closed, for {@link close}. */
  private readonly sockets = new Set<WebSocket>();
  /** Sockets the link itself abandoned before they opened: their abort is not an error. */
  private readonly aborted = new WeakSet<WebSocket>();
  private nextRequestId = 1;
  private closed = false;

  constructor(options: WebSocketWnsLinkOptions) {
    this.backoff = validate(options);
    this.url = options.url;
    this.clock = options.clock;
    this.random = options.random;
    this.onError = options.onError ?? (() => undefined);
  }

  requestChannel(deviceId: string, pfn: string, reply: (grant: ChannelGrant) => void): void {
    let answered = false;
    let settle!: () => void;
    void this.clock.track(new Promise<void>((resolve) => (settle = resolve)));
    const once = (grant: ChannelGrant): void => {
      if (answered) return;
      answered = true;
      settle();
      reply(grant);
    };
    if (this.closed) {
      once(UNREACHABLE);
      return;
    }
    const presence = this.presences.get(deviceId);
    const line = presence?.open ? presence.line : null;
    if (line && line.ws.readyState === WebSocket.OPEN) {
      this.ask(line, pfn, once);
      return;
    }
    // A short-lived socket: the device asks for a channel while offline.
    const ws = this.socket(deviceId);
    const temp = new Line(ws);
    ws.on('open', () => {
      temp.send({ type: 'hello', deviceId, presence: false });
      this.ask(temp, pfn, (grant) => {
        ws.close(DeviceCloseCode.normal, 'done');
        once(grant);
      });
    });
    ws.on('message', (data, isBinary) => this.onLineMessage(deviceId, temp, data, isBinary));
    ws.on('close', () => {
      temp.failAll();
      once(UNREACHABLE);
    });
  }

  connect(deviceId: string, handlers: LinkHandlers): void {
    const existing = this.presences.get(deviceId);
    if (existing) this.stop(existing);
    const presence: Presence = {
      deviceId,
      handlers,
      line: null,
      open: false,
      attempt: 0,
      retry: null,
      stopped: false,
    };
    this.presences.set(deviceId, presence);
    if (this.closed) return;
    this.open(presence);
  }

  disconnect(deviceId: string): void {
    const presence = this.presences.get(deviceId);
    if (!presence) return;
    this.presences.delete(deviceId);
    this.stop(presence);
  }

  /** Whether the device's persistent connection is up (welcomed). */
  isConnected(deviceId: string): boolean {
    return this.presences.get(deviceId)?.open ?? false;
  }

  /** Disconnects every device, stops reconnecting and waits until every socket is closed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const presence of [...this.presences.values()]) this.disconnect(presence.deviceId);
    await Promise.all(
      [...this.sockets].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            if (ws.readyState === WebSocket.OPEN) ws.close(DeviceCloseCode.normal, 'link closing');
            else if (ws.readyState === WebSocket.CONNECTING) this.abort(ws);
          }),
      ),
    );
  }

  // ---- internals ---------------------------------------------------------------------------

  /** A new socket to the emulator, kept in {@link sockets} until it closes. */
  private socket(deviceId: string): WebSocket {
    const ws = new WebSocket(this.url, { maxPayload: MAX_SERVER_FRAME, perMessageDeflate: false });
    this.sockets.add(ws);
    ws.on('error', (error) => {
      if (!this.aborted.has(ws)) this.onError(error, deviceId);
    });
    ws.on('close', () => this.sockets.delete(ws));
    return ws;
  }

  /** Sends a channel request on `line`; `reply` gets the answer or, if the socket drops, a failure. */
  private ask(line: Line, pfn: string, reply: (grant: ChannelGrant) => void): void {
    const id = this.nextRequestId++;
    line.pending.set(id, reply);
    line.send({ type: 'channel', id, pfn });
  }

  /**
   * Handles what any socket may receive (channel answers, errors, malformed frames); returns the
   * rest (welcome, push) for the caller, or null when handled.
   */
  private onLineMessage(
    deviceId: string,
    line: Line,
    data: RawData,
    isBinary: boolean,
  ): Incoming | null {
    const message = isBinary ? 'a binary frame' : parseServerMessage(frameText(data));
    if (typeof message === 'string') {
      this.onError(new Error(`WNS emulator sent ${message}`), deviceId);
      return null;
    }
    if (message.type === 'channel' || (message.type === 'error' && message.id !== undefined)) {
      const id = message.id as number;
      const reply = line.pending.get(id);
      line.pending.delete(id);
      if (message.type === 'error')
        this.onError(new Error(`WNS emulator: ${message.error}`), deviceId);
      reply?.(message.type === 'channel' ? grantOf(message) : UNREACHABLE);
      return null;
    }
    if (message.type === 'error') {
      this.onError(new Error(`WNS emulator: ${message.error}`), deviceId);
      return null;
    }
    return message;
  }

  /** Opens the persistent socket of `presence` and says hello. */
  private open(presence: Presence): void {
    const deviceId = presence.deviceId;
    const ws = this.socket(deviceId);
    const line = new Line(ws);
    presence.line = line;
    // Tracked until welcomed or closed: the cloud learns of the connection before time moves.
    let settle!: () => void;
    void this.clock.track(new Promise<void>((resolve) => (settle = resolve)));
    ws.on('open', () => line.send({ type: 'hello', deviceId }));
    ws.on('message', (data, isBinary) => {
      const message = this.onLineMessage(deviceId, line, data, isBinary);
      if (message === null) return;
      if (message.type === 'push') {
        // Acknowledged first: WNS's delivery is done whatever the device makes of it.
        line.send({ type: 'ack', msgId: message.msgId });
        if (presence.line === line && presence.open) presence.handlers.onPush(pushOf(message));
        return;
      }
      if (message.type === 'welcome') {
        settle();
        if (presence.line !== line || presence.open) return;
        presence.open = true;
        presence.attempt = 0;
        presence.handlers.onOpen();
      }
    });
    ws.on('close', (code) => {
      settle();
      line.failAll();
      this.onPresenceClosed(presence, line, code);
    });
  }

  private onPresenceClosed(presence: Presence, line: Line, code: number): void {
    if (presence.line !== line) return;
    presence.line = null;
    const wasOpen = presence.open;
    presence.open = false;
    if (presence.stopped) return;
    // Another connection for this device took over: retrying would only fight it.
    if (code === DeviceCloseCode.replaced) presence.stopped = true;
    if (wasOpen) presence.handlers.onClosed('cloud');
    if (presence.stopped || this.closed || this.presences.get(presence.deviceId) !== presence)
      return;
    this.scheduleReconnect(presence);
  }

  private scheduleReconnect(presence: Presence): void {
    const { initialMs, maxMs } = this.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(presence.attempt, 40));
    const delay = Math.round(base / 2 + (this.random.float() * base) / 2);
    presence.attempt++;
    presence.retry = this.clock.schedule(this.clock.now() + delay, () => {
      presence.retry = null;
      if (!presence.stopped && !this.closed) this.open(presence);
    });
  }

  /** Ends a presence: no more reconnects; its socket says bye and closes. */
  private stop(presence: Presence): void {
    presence.stopped = true;
    presence.open = false;
    this.clock.cancel(presence.retry);
    presence.retry = null;
    const line = presence.line;
    presence.line = null;
    if (!line) return;
    const ws = line.ws;
    if (ws.readyState === WebSocket.CLOSED) return;
    // Tracked until closed: the server takes the device offline before time moves.
    void this.clock.track(new Promise<void>((resolve) => ws.once('close', () => resolve())));
    if (ws.readyState === WebSocket.OPEN) {
      line.send({ type: 'bye' });
      ws.close(DeviceCloseCode.normal, 'bye');
    } else if (ws.readyState === WebSocket.CONNECTING) {
      this.abort(ws);
    }
  }

  /** Gives up a socket that has not opened yet. */
  private abort(ws: WebSocket): void {
    this.aborted.add(ws);
    ws.terminate();
  }
}
