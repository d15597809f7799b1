import { WebSocket, type RawData } from 'ws';
import type { LinkHandlers } from '../../core/ports.js';
import type { Clock, Timer } from '../../core/time/clock.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import { claim, identify, send, sendError, welcome, type Conn } from './device-conn.js';
import {
  DeviceCloseCode,
  frameText,
  parseClientMessage,
  type ClientMessage,
} from './device-protocol.js';
import { PushAcks } from './push-acks.js';

/** Timing of the pushes' acks (see `push-acks.ts`). */
export interface AckTiming {
  /** Real time, bounding a push's hold on a virtual clock; null on the system clock. */
  readonly realClock: Clock | null;
  readonly receiptTimeoutMs: number;
}

/** Why pushes awaiting an ack are given up when their connection ends. */
const ENDED = 'the connection ended before the device acknowledged it';

/**
 * The device sockets of one endpoint and their devices' presence in the emulator's cloud: the
 * protocol's conversation (hello with its proof of identity, channel requests, pushes and their
 * acks, bye), replaced connections, and keep-alive (a ping every `keepAliveMs` on the clock; a
 * peer that missed the previous one is terminated and goes offline).
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
    private readonly timing: AckTiming,
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
    const acks = new PushAcks({
      clock: this.clock,
      realClock: this.timing.realClock,
      deadlineMs: this.emulator.pushAckDeadlineMs,
      receiptTimeoutMs: this.timing.receiptTimeoutMs,
      ping: (data) => ws.ping(data),
      giveUp: (push, why) => this.emulator.giveUpPush(conn.deviceId ?? '', push, why),
    });
    const conn: Conn = {
      ws,
      deviceId: null,
      firstUse: null,
      issued: null,
      attached: false,
      alive: true,
      acks,
    };
    this.conns.add(conn);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('pong', (data) => {
      conn.alive = true;
      acks.pong(data.toString('latin1'));
    });
    ws.on('error', (error) => this.onError(error, conn.deviceId));
    ws.on('close', () => {
      this.conns.delete(conn);
      // Closed without bye (unclean), or after it (then this does nothing).
      this.goOffline(conn);
      this.endAcks(conn);
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
    this.endAcks(conn);
  }

  /** Gives up the pushes the socket still awaits acks for (only releases them when stopping). */
  private endAcks(conn: Conn): void {
    conn.acks.endAll(this.stopped ? null : ENDED);
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
        if (conn.attached) welcome(conn, true);
      },
      onPush: (push) => {
        if (!conn.attached || conn.ws.readyState !== WebSocket.OPEN) {
          this.emulator.giveUpPush(deviceId, push, 'the connection was closing');
          return;
        }
        send(conn, { type: 'push', ...push });
        conn.acks.sent(push);
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

  private onHello(conn: Conn, hello: Extract<ClientMessage, { type: 'hello' }>): void {
    if (conn.deviceId !== null) {
      sendError(conn, `hello: this socket already identified as ${JSON.stringify(conn.deviceId)}`);
      return;
    }
    if (!identify(this.emulator, conn, hello)) return;
    const { deviceId } = hello;
    if (hello.presence === false) {
      if (claim(this.emulator, conn, deviceId)) welcome(conn, false);
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
    if (!this.emulator.cloud.isAvailable) {
      conn.ws.close(DeviceCloseCode.tryAgainLater, 'WNS unavailable');
      return;
    }
    if (!claim(this.emulator, conn, deviceId)) return;
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
    // A socket the server is closing (a refused hello…) is not listened to any more.
    if (conn.ws.readyState !== WebSocket.OPEN) return;
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
      this.onHello(conn, message);
      return;
    }
    const deviceId = conn.deviceId;
    if (deviceId === null) {
      const id = message.type === 'channel' || message.type === 'revoke' ? message.id : undefined;
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
      case 'revoke': {
        const id = message.id;
        this.emulator.cloud.revokeChannels(deviceId, message.pfn, (result) =>
          send(conn, { type: 'revoke', id, ...result }),
        );
        return;
      }
      case 'ack':
        if (!conn.acks.ack(message.msgId))
          sendError(
            conn,
            `ack: no push ${JSON.stringify(message.msgId)} awaits an ack here (unknown, ` +
              `acknowledged already, or given up after ${this.emulator.pushAckDeadlineMs} ms)`,
          );
        return;
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
