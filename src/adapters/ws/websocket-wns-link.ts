import { WebSocket, type RawData } from 'ws';
import type { ChannelGrant, LinkHandlers, RevokeResult, WnsLink } from '../../core/ports.js';
import type { Random } from '../../core/random/random.js';
import type { Clock, Timer } from '../../core/time/clock.js';
import {
  DeviceCredentialRefusedError,
  memoryCredentials,
  type LinkCredentials,
} from './device-credentials.js';
import { DeviceCloseCode } from './device-protocol.js';
import {
  backoffDelay,
  Line,
  pushOf,
  readFrame,
  REVOKE_UNREACHABLE,
  UNREACHABLE,
  validateLinkOptions,
  type BackoffOptions,
  type Incoming,
  type WebSocketWnsLinkOptions,
} from './link-line.js';

export { DEFAULT_BACKOFF, type BackoffOptions, type WebSocketWnsLinkOptions } from './link-line.js';

/** Largest frame accepted from the emulator (a push carries at most 5000 bytes, base64). */
const MAX_SERVER_FRAME = 1024 * 1024;

/** A device's wish to be online, and the socket that serves it. */
interface Presence {
  readonly deviceId: string;
  readonly handlers: LinkHandlers;
  line: Line | null;
  /** Welcomed: the persistent connection is up. */
  open: boolean;
  /** When it was last welcomed (the clock's instant). */
  openedAt: number;
  /** Failed attempts since the last connection that counted (see `onPresenceClosed`). */
  attempt: number;
  retry: Timer | null;
  stopped: boolean;
}

/**
 * The device ↔ WNS link over a real WebSocket to the emulator (protocol: see
 * `device-protocol.ts`). One instance serves any number of devices.
 *
 * - `connect` opens the device's persistent socket and says `hello`, presenting the device's
 *   credential (decision 0011); `handlers.onOpen` runs on `welcome`. A device's first welcome
 *   brings its credential, which the link keeps in `credentials`. Pushes go to `handlers.onPush`
 *   and are acknowledged.
 * - If the socket drops or the server closes it (an outage, a restart, a newer connection of the
 *   device) while the device still wants it, `handlers.onClosed('cloud')` runs (when it was up)
 *   and the link reconnects with jittered exponential backoff on the clock: the n-th retry waits
 *   `d/2 + u·d/2` with `d = min(maxMs, initialMs · 2ⁿ)` and `u` uniform from `random`. A
 *   connection that was up resets the count when it ends, unless it was replaced before `maxMs`
 *   (two holders of one credential then take turns ever more slowly). WNS then delivers what it
 *   cached meanwhile.
 * - If the emulator refuses the device's credential (close 4003), the link stops connecting the
 *   device and reports a {@link DeviceCredentialRefusedError} to `onError`: another device holds
 *   the id, and retrying cannot help.
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
  /** Told of errors (read by {@link readFrame} too). */
  readonly onError: (error: Error, deviceId: string) => void;
  /** The devices' credentials (read by {@link readFrame} too). */
  readonly credentials: LinkCredentials;
  private readonly presences = new Map<string, Presence>();
  /** Every socket not yet closed, for {@link close}. */
  private readonly sockets = new Set<WebSocket>();
  /** Sockets the link itself abandoned before they opened: their abort is not an error. */
  private readonly aborted = new WeakSet<WebSocket>();
  private nextRequestId = 1;
  private closed = false;

  constructor(options: WebSocketWnsLinkOptions) {
    this.backoff = validateLinkOptions(options);
    this.url = options.url;
    this.clock = options.clock;
    this.random = options.random;
    this.onError = options.onError ?? (() => undefined);
    this.credentials = options.credentials ?? memoryCredentials();
  }

  requestChannel(deviceId: string, pfn: string, reply: (grant: ChannelGrant) => void): void {
    this.exchange(deviceId, UNREACHABLE, reply, (line, answer) => this.ask(line, pfn, answer));
  }

  revokeChannels(deviceId: string, pfn: string, reply: (result: RevokeResult) => void): void {
    this.exchange(deviceId, REVOKE_UNREACHABLE, reply, (line, answer) => {
      const id = this.nextRequestId++;
      line.revokes.set(id, answer);
      line.send({ type: 'revoke', id, pfn });
    });
  }

  /**
   * One request and its answer: on the persistent socket when it is up, otherwise on a
   * short-lived one (the device asks while offline); `failure` when the emulator cannot be
   * reached or the socket drops first. Tracked on the clock until answered.
   */
  private exchange<A>(
    deviceId: string,
    failure: A,
    reply: (answer: A) => void,
    ask: (line: Line, answer: (a: A) => void) => void,
  ): void {
    let answered = false;
    let settle!: () => void;
    void this.clock.track(new Promise<void>((resolve) => (settle = resolve)));
    const once = (answer: A): void => {
      if (answered) return;
      answered = true;
      settle();
      reply(answer);
    };
    if (this.closed) {
      once(failure);
      return;
    }
    const presence = this.presences.get(deviceId);
    const line = presence?.open ? presence.line : null;
    if (line && line.ws.readyState === WebSocket.OPEN) {
      ask(line, once);
      return;
    }
    const ws = this.socket(deviceId);
    const temp = new Line(ws);
    ws.on('open', () => {
      temp.hello(deviceId, false, this.credentials.get(deviceId));
      ask(temp, (answer) => {
        ws.close(DeviceCloseCode.normal, 'done');
        once(answer);
      });
    });
    ws.on('message', (data, isBinary) => this.onLineMessage(deviceId, temp, data, isBinary));
    ws.on('close', (code) => {
      this.reportClose(deviceId, temp, this.refusedOn(deviceId, temp, code));
      temp.failAll();
      once(failure);
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
      openedAt: 0,
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

  /** Reads a frame of `line` (see {@link readFrame}). */
  private onLineMessage(
    deviceId: string,
    line: Line,
    data: RawData,
    isBinary: boolean,
  ): Incoming | null {
    return readFrame(line, deviceId, data, isBinary, this);
  }

  /** Sends a channel request on `line`; `reply` gets the answer or, if the socket drops, a failure. */
  private ask(line: Line, pfn: string, reply: (grant: ChannelGrant) => void): void {
    const id = this.nextRequestId++;
    line.pending.set(id, reply);
    line.send({ type: 'channel', id, pfn });
  }

  /**
   * True when a close means the device's credential was refused: code 4003 for the credential it
   * has now (not an older one, replaced by one it got on another socket meanwhile).
   */
  private refusedOn(deviceId: string, line: Line, code: number): boolean {
    return (
      code === DeviceCloseCode.credentialRefused &&
      this.credentials.get(deviceId) === line.presented
    );
  }

  /** Reports how a socket ended: a refused credential, or an error frame that came before it. */
  private reportClose(deviceId: string, line: Line, refused: boolean): void {
    if (refused)
      this.onError(
        new DeviceCredentialRefusedError(deviceId, line.refusal ?? 'no reason given'),
        deviceId,
      );
    else if (line.refusal !== null)
      this.onError(new Error(`WNS emulator: ${line.refusal}`), deviceId);
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
    ws.on('open', () => line.hello(deviceId, true, this.credentials.get(deviceId)));
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
        presence.openedAt = this.clock.now();
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
    const refused = this.refusedOn(presence.deviceId, line, code);
    this.reportClose(presence.deviceId, line, refused);
    // Another device holds the id: retrying cannot help.
    if (refused) presence.stopped = true;
    // A connection that counted starts the count over; one replaced early does not, so two
    // holders of one credential back off instead of taking turns at full speed.
    const lasted = this.clock.now() - presence.openedAt >= this.backoff.maxMs;
    if (wasOpen && (code !== DeviceCloseCode.replaced || lasted)) presence.attempt = 0;
    if (wasOpen) presence.handlers.onClosed('cloud');
    if (presence.stopped || this.closed || this.presences.get(presence.deviceId) !== presence)
      return;
    this.scheduleReconnect(presence);
  }

  private scheduleReconnect(presence: Presence): void {
    const delay = backoffDelay(this.backoff, presence.attempt, this.random);
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
