import { WebSocket, type RawData } from 'ws';
import type { LinkHandlers } from '../../core/ports.js';
import type { Clock, Timer } from '../../core/time/clock.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import {
  DeviceCloseCode,
  frameText,
  parseClientMessage,
  type ClientMessage,
  type ServerMessage,
} from './device-protocol.js';

/** What the server knows of one socket. */
interface Conn {
  readonly ws: WebSocket;
  deviceId: string | null;
  /** The device's current presence connection, registered with the cloud. */
  attached: boolean;
  /** Answered the last ping (or no ping sent yet). */
  alive: boolean;
  /** Pushes awaiting their ack: msgId → release of the tracked delivery. */
  acks: Map<string, () => void> | null;
}

function send(conn: Conn, message: ServerMessage): void {
  if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(message));
}

function sendError(conn: Conn, error: string, id?: number): void {
  send(conn, id === undefined ? { type: 'error', error } : { type: 'error', error, id });
}

/** Releases the pushes still awaiting an ack (they are lost with the socket). */
function releaseAcks(conn: Conn): void {
  const acks = conn.acks;
  conn.acks = null;
  if (acks) for (const release of acks.values()) release();
}

/**
 * The device sockets of one endpoint and their devices' presence in the emulator's cloud: the
 * protocol's conversation (hello, channel requests, pushes and their acks, bye), replaced
 * connections, and keep-alive (a ping every `keepAliveMs` on the clock; a peer that missed the
 * previous one is terminated and goes offline).
 */
export class DeviceConnections {
  private readonly conns = new Set<Conn>();
  private readonly byDevice = new Map<string, Conn>();
  private readonly clock: Clock;
  private keepAliveTimer: Timer | null = null;
  private stopped = false;

  constructor(
    private readonly emulator: WnsEmulator,
    private readonly keepAliveMs: number,
    private readonly onError: (error: Error, deviceId: string | null) => void,
  ) {
    this.clock = emulator.clock;
  }

  /** Devices whose persistent connection is up over these sockets. */
  get connectedCount(): number {
    return this.byDevice.size;
  }

  /** Takes a new socket: it must say hello first. */
  accept(ws: WebSocket): void {
    const conn: Conn = { ws, deviceId: null, attached: false, alive: true, acks: null };
    this.conns.add(conn);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', (error) => this.onError(error, conn.deviceId));
    ws.on('close', () => {
      this.conns.delete(conn);
      // Closed without bye (unclean), or after it (then this does nothing).
      this.goOffline(conn);
      releaseAcks(conn);
      if (this.conns.size === 0) this.stopKeepAlive();
    });
    this.armKeepAlive();
  }

  /** Ends every device's presence as WNS would (offline, socket closed 4000). */
  disconnectAll(): void {
    for (const conn of [...this.byDevice.values()]) {
      this.goOffline(conn);
      conn.ws.close(DeviceCloseCode.wnsClosed, 'WNS closed the connection');
    }
  }

  /** Stops keep-alive, takes every device offline and closes its socket (1001); resolves once closed. */
  async closeAll(): Promise<void> {
    this.stopped = true;
    this.stopKeepAlive();
    const closed = [...this.conns].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.ws.readyState === WebSocket.CLOSED) return resolve();
          conn.ws.once('close', () => resolve());
          this.goOffline(conn);
          if (conn.ws.readyState === WebSocket.OPEN)
            conn.ws.close(DeviceCloseCode.goingAway, 'server closing');
        }),
    );
    await Promise.all(closed);
  }

  // ---- presence -----------------------------------------------------------------------------

  /** Stops being the device's presence connection; the caller tells the cloud if needed. */
  private detach(conn: Conn): void {
    if (!conn.attached) return;
    conn.attached = false;
    if (conn.deviceId !== null && this.byDevice.get(conn.deviceId) === conn)
      this.byDevice.delete(conn.deviceId);
    releaseAcks(conn);
  }

  /** Takes the device offline in the cloud, if this socket is its presence connection. */
  private goOffline(conn: Conn): void {
    if (!conn.attached || conn.deviceId === null) return;
    this.detach(conn);
    this.emulator.cloud.disconnect(conn.deviceId);
  }

  private handlersFor(conn: Conn, deviceId: string): LinkHandlers {
    return {
      onOpen: () => {
        if (conn.attached) send(conn, { type: 'welcome', presence: true });
      },
      onPush: (push) => {
        if (!conn.attached || conn.ws.readyState !== WebSocket.OPEN) return;
        const acks = (conn.acks ??= new Map<string, () => void>());
        acks.get(push.msgId)?.();
        void this.clock.track(new Promise<void>((resolve) => acks.set(push.msgId, resolve)));
        send(conn, { type: 'push', ...push });
      },
      onClosed: () => {
        if (!conn.attached) return;
        this.detach(conn);
        // The cloud keeps closed connections as waiting to reopen them after an outage; this
        // socket is going away, so the device reconnects by itself (and the cloud forgets it).
        this.emulator.cloud.disconnect(deviceId);
        conn.ws.close(DeviceCloseCode.wnsClosed, 'WNS closed the connection');
      },
    };
  }

  private onHello(conn: Conn, deviceId: string, presence: boolean): void {
    if (conn.deviceId !== null) {
      sendError(conn, `hello: this socket already identified as ${JSON.stringify(conn.deviceId)}`);
      return;
    }
    conn.deviceId = deviceId;
    if (!presence) {
      send(conn, { type: 'welcome', presence: false });
      return;
    }
    if (!this.emulator.cloud.isAvailable) {
      conn.ws.close(DeviceCloseCode.tryAgainLater, 'WNS unavailable');
      return;
    }
    // Admin-injected faults on device connections (`POST /_sim/faults {"op":"connect", …}`).
    const fault = this.emulator.service.faultFor('connect');
    if (fault) {
      const action = fault.action;
      if ('drop' in action) conn.ws.terminate();
      else if ('status' in action)
        conn.ws.close(DeviceCloseCode.tryAgainLater, `injected fault ${action.status}`);
      else this.clock.schedule(this.clock.now() + action.delayMs, () => this.admit(conn, deviceId));
      return;
    }
    this.admit(conn, deviceId);
  }

  /** Makes `conn` the device's presence connection in the cloud. */
  private admit(conn: Conn, deviceId: string): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    const previous = this.byDevice.get(deviceId);
    if (previous) {
      // The cloud's connect below replaces the previous handlers: no disconnect in between.
      this.detach(previous);
      previous.ws.close(DeviceCloseCode.replaced, 'replaced by a newer connection');
    }
    conn.attached = true;
    this.byDevice.set(deviceId, conn);
    this.emulator.cloud.connect(deviceId, this.handlersFor(conn, deviceId));
  }

  // ---- frames -------------------------------------------------------------------------------

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      sendError(conn, 'expected a text frame holding a JSON object');
      return;
    }
    const parsed = parseClientMessage(frameText(data));
    if (!parsed.ok) {
      sendError(conn, parsed.error, parsed.id);
      return;
    }
    const message = parsed.message;
    if (message.type === 'hello') {
      this.onHello(conn, message.deviceId, message.presence ?? true);
      return;
    }
    const deviceId = conn.deviceId;
    if (deviceId === null) {
      const id = message.type === 'channel' ? message.id : undefined;
      sendError(conn, `${message.type}: say hello first`, id);
      return;
    }
    this.onIdentified(conn, deviceId, message);
  }

  /** A frame after hello: a channel request, an ack or bye. */
  private onIdentified(
    conn: Conn,
    deviceId: string,
    message: Exclude<ClientMessage, { type: 'hello' }>,
  ): void {
    switch (message.type) {
      case 'channel': {
        const id = message.id;
        this.emulator.cloud.requestChannel(deviceId, message.pfn, (grant) =>
          send(conn, { type: 'channel', id, ...grant }),
        );
        return;
      }
      case 'ack': {
        const release = conn.acks?.get(message.msgId);
        if (!release) {
          sendError(conn, `ack: no push ${JSON.stringify(message.msgId)} awaits an ack here`);
          return;
        }
        conn.acks?.delete(message.msgId);
        release();
        return;
      }
      case 'bye':
        this.goOffline(conn);
        return;
    }
  }

  // ---- keep-alive ---------------------------------------------------------------------------

  private keepAliveTick(): void {
    this.keepAliveTimer = null;
    for (const conn of this.conns) {
      if (conn.ws.readyState !== WebSocket.OPEN) continue;
      if (!conn.alive) {
        // Offline in the cloud now, not when the socket's close event comes round.
        this.goOffline(conn);
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
    this.armKeepAlive();
  }

  private armKeepAlive(): void {
    if (
      this.keepAliveMs > 0 &&
      this.keepAliveTimer === null &&
      !this.stopped &&
      this.conns.size > 0
    )
      this.keepAliveTimer = this.clock.after(this.keepAliveMs, () => this.keepAliveTick());
  }

  private stopKeepAlive(): void {
    this.clock.cancel(this.keepAliveTimer);
    this.keepAliveTimer = null;
  }
}
