/**
 * The device side of the WNS emulator over WebSocket: each simulated device holds its persistent
 * connection to the emulator's `WnsCloud` on a real socket (the `ws` package), and asks for
 * channels on one.
 *
 * ## Wire protocol (path `/_device` by default; JSON text frames)
 *
 * Client → server:
 *
 * | Frame | Meaning |
 * |---|---|
 * | `{"type":"hello","deviceId":"d1"}` | Identify; opens the persistent connection (presence). |
 * | `{"type":"hello","deviceId":"d1","presence":false}` | Identify without going online: a socket for channel requests only. |
 * | `{"type":"channel","id":7,"pfn":"Contoso.MDM_8wekyb3d8bbwe"}` | Ask for a channel; `id` (a non-negative integer) is echoed in the answer. |
 * | `{"type":"ack","msgId":"d1#3"}` | Acknowledge a push. |
 * | `{"type":"bye"}` | Clean disconnect: the device goes offline now; the client then closes (1000). |
 *
 * Server → client:
 *
 * | Frame | Meaning |
 * |---|---|
 * | `{"type":"welcome","presence":true}` | The persistent connection is up (WNS accepted it). Cached notifications follow. |
 * | `{"type":"welcome","presence":false}` | Identified, not online. |
 * | `{"type":"push","msgId","channelUri","cached","bodyBase64"}` | A raw notification (`bodyBase64` absent when it had no payload). The client answers `ack`. |
 * | `{"type":"channel","id","ok":true,"channelUri","expiresAt"}` | Channel granted (`expiresAt`: epoch ms). |
 * | `{"type":"channel","id","ok":false,"reason"}` | Refused: `invalid-pfn`, `pfn-blocked` or `wns-unreachable`. |
 * | `{"type":"error","error":"…","id"?}` | A bad frame (not JSON, unknown type, missing or malformed field, out of order). The socket stays open. |
 *
 * Every socket starts with `hello`; anything else first is an error. A second `hello` on one socket
 * is an error. A presence `hello` for a device that already holds a connection replaces it (the old
 * socket is closed with {@link DeviceCloseCode.replaced}).
 *
 * Close codes the server uses: 1001 (the server is closing), 1013 (WNS is unavailable: try again
 * later), 4000 (WNS ended the connection, e.g. an outage), 4001 (replaced by a newer connection).
 *
 * Keep-alive: the server pings every `keepAliveMs` (ws ping/pong, on the emulator's clock); a peer
 * that has not answered the previous ping by the next one is terminated and goes offline in the
 * cloud. A socket closed without `bye` (unclean) also takes the device offline. A push written to a
 * socket that dies before its `ack` is lost: the cloud has already counted it delivered.
 *
 * ## Time
 *
 * Timers run on the emulator's clock. A push stays tracked (`Clock.track`) until its `ack`
 * arrives or its socket closes, so a virtual clock does not skip time past a delivery in
 * flight. Keep-alive pings are not tracked (a dead peer would hold the clock forever): under a
 * virtual clock keep-alive is therefore off unless `keepAliveMs` is given.
 *
 * @example
 * ```ts
 * const server = http.createServer(handler);
 * const sockets = attachDeviceSockets(server, emulator, { keepAliveMs: 30_000 });
 * server.listen(8080, '127.0.0.1');
 * // …
 * await sockets.close();
 * server.close();
 * ```
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ValidationError } from '../../core/errors.js';
import type { ChannelGrant, IncomingPush, LinkHandlers } from '../../core/ports.js';
import type { Timer } from '../../core/time/clock.js';
import type { WnsEmulator } from '../../wns/emulator.js';

/** Default path of the device WebSocket endpoint. */
export const DEVICE_SOCKET_PATH = '/_device';

/** Default keep-alive period on the system clock, ms. */
export const DEFAULT_KEEP_ALIVE_MS = 30_000;

/** Longest frame the server accepts from a device, bytes. */
export const MAX_CLIENT_FRAME = 64 * 1024;

/** Longest device id or PFN accepted in a frame. */
const MAX_FIELD = 256;

/** WebSocket close codes of the device protocol. */
export const DeviceCloseCode = {
  /** The client's clean close after `bye`. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** WNS is unavailable (an outage): reconnect later. */
  tryAgainLater: 1013,
  /** WNS ended the connection. */
  wnsClosed: 4000,
  /** A newer connection for the same device took over. */
  replaced: 4001,
} as const;

/** A frame a device sends. */
export type ClientMessage =
  | { readonly type: 'hello'; readonly deviceId: string; readonly presence?: boolean }
  | { readonly type: 'channel'; readonly id: number; readonly pfn: string }
  | { readonly type: 'ack'; readonly msgId: string }
  | { readonly type: 'bye' };

/** A frame the server sends. */
export type ServerMessage =
  | { readonly type: 'welcome'; readonly presence: boolean }
  | ({ readonly type: 'push' } & IncomingPush)
  | ({ readonly type: 'channel'; readonly id: number } & ChannelGrant)
  | { readonly type: 'error'; readonly error: string; readonly id?: number };

/** Options of {@link attachDeviceSockets}. */
export interface DeviceSocketOptions {
  /** URL path of the endpoint (default {@link DEVICE_SOCKET_PATH}). */
  readonly path?: string;
  /**
   * Ping period, ms; 0 turns keep-alive off. Default {@link DEFAULT_KEEP_ALIVE_MS} on the system
   * clock, off on a virtual clock (see the module comment).
   */
  readonly keepAliveMs?: number;
  /** Told of socket-level errors (bad UTF-8, oversized frames, resets), e.g. to log them. */
  readonly onError?: (error: Error, deviceId: string | null) => void;
}

/** The running endpoint. */
export interface DeviceSockets {
  /** Closes every device socket (1001), stops keep-alive and detaches from the HTTP server. */
  close(): Promise<void>;
  /** Devices whose persistent connection is up over this endpoint. */
  connectedCount(): number;
  /**
   * Ends every device's persistent connection as WNS would (offline in the cloud, socket closed
   * 4000); the devices reconnect by themselves. For an emulator reset, which makes the cloud
   * forget connections without telling them.
   */
  disconnectAll(): void;
}

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

type Parsed = { readonly ok: true; readonly message: ClientMessage } | ParseError;
interface ParseError {
  readonly ok: false;
  readonly error: string;
  readonly id?: number;
}

/**
 * Parses a client frame, naming the offending field on failure.
 *
 * @example
 * ```ts
 * parseClientMessage('{"type":"ack"}'); // { ok: false, error: 'ack: "msgId" must be a non-empty string' }
 * ```
 */
export function parseClientMessage(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'invalid JSON: expected an object such as {"type":"hello",…}' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, error: 'expected a JSON object with a "type" field' };
  const m = value as Record<string, unknown>;
  const fail = (error: string): ParseError => ({ ok: false, error });
  const isText = (v: unknown): v is string =>
    typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD;
  switch (m.type) {
    case 'hello':
      if (!isText(m.deviceId))
        return fail(`hello: "deviceId" must be a string of 1–${MAX_FIELD} characters`);
      if (m.presence !== undefined && typeof m.presence !== 'boolean')
        return fail('hello: "presence" must be a boolean when present');
      return {
        ok: true,
        message: { type: 'hello', deviceId: m.deviceId, presence: m.presence },
      };
    case 'channel': {
      const id = m.id;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
        return fail('channel: "id" must be a non-negative integer');
      if (!isText(m.pfn))
        return {
          ok: false,
          id,
          error: `channel: "pfn" must be a string of 1–${MAX_FIELD} characters`,
        };
      return { ok: true, message: { type: 'channel', id, pfn: m.pfn } };
    }
    case 'ack':
      if (!isText(m.msgId)) return fail('ack: "msgId" must be a non-empty string');
      return { ok: true, message: { type: 'ack', msgId: m.msgId } };
    case 'bye':
      return { ok: true, message: { type: 'bye' } };
    case undefined:
      return fail('missing "type": expected hello, channel, ack or bye');
    default:
      return fail(`unknown type ${JSON.stringify(m.type)}: expected hello, channel, ack or bye`);
  }
}

/** A text frame as a string (ws hands text frames over as Buffers). */
function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** Answers a plain HTTP status on a socket that asked to upgrade, and closes it. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  if (socket.writable)
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}

function validate(options: DeviceSocketOptions): void {
  const problems: string[] = [];
  if (options.path !== undefined && !options.path.startsWith('/'))
    problems.push(
      `path: expected a URL path starting with "/", got ${JSON.stringify(options.path)}`,
    );
  const k = options.keepAliveMs;
  if (k !== undefined && !(Number.isFinite(k) && k >= 0))
    problems.push(`keepAliveMs: expected a non-negative number of milliseconds, got ${String(k)}`);
  if (problems.length) throw new ValidationError(problems);
}

/**
 * Serves the device WebSocket protocol (see the module comment) on `server`'s upgrade requests to
 * `options.path`, against `emulator.cloud`. Upgrade requests to other paths are left to other
 * listeners; with none, they are answered 404.
 */
export function attachDeviceSockets(
  server: Server,
  emulator: WnsEmulator,
  options: DeviceSocketOptions = {},
): DeviceSockets {
  validate(options);
  const path = options.path ?? DEVICE_SOCKET_PATH;
  const clock = emulator.clock;
  const cloud = emulator.cloud;
  const keepAliveMs = options.keepAliveMs ?? (clock.mode === 'system' ? DEFAULT_KEEP_ALIVE_MS : 0);
  const onError = options.onError ?? (() => undefined);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME,
    perMessageDeflate: false,
  });
  const conns = new Set<Conn>();
  const byDevice = new Map<string, Conn>();
  let keepAliveTimer: Timer | null = null;
  let closing = false;

  const send = (conn: Conn, message: ServerMessage): void => {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(message));
  };
  const sendError = (conn: Conn, error: string, id?: number): void =>
    send(conn, id === undefined ? { type: 'error', error } : { type: 'error', error, id });

  /** Releases the pushes still awaiting an ack (they are lost with the socket). */
  const releaseAcks = (conn: Conn): void => {
    const acks = conn.acks;
    conn.acks = null;
    if (acks) for (const release of acks.values()) release();
  };

  /** Stops being the device's presence connection; the caller tells the cloud if needed. */
  const detach = (conn: Conn): void => {
    if (!conn.attached) return;
    conn.attached = false;
    if (conn.deviceId !== null && byDevice.get(conn.deviceId) === conn)
      byDevice.delete(conn.deviceId);
    releaseAcks(conn);
  };

  /** Takes the device offline in the cloud, if this socket is its presence connection. */
  const goOffline = (conn: Conn): void => {
    if (!conn.attached || conn.deviceId === null) return;
    detach(conn);
    cloud.disconnect(conn.deviceId);
  };

  const handlersFor = (conn: Conn, deviceId: string): LinkHandlers => ({
    onOpen: () => {
      if (conn.attached) send(conn, { type: 'welcome', presence: true });
    },
    onPush: (push) => {
      if (!conn.attached || conn.ws.readyState !== WebSocket.OPEN) return;
      const acks = (conn.acks ??= new Map<string, () => void>());
      acks.get(push.msgId)?.();
      void clock.track(new Promise<void>((resolve) => acks.set(push.msgId, resolve)));
      send(conn, { type: 'push', ...push });
    },
    onClosed: () => {
      if (!conn.attached) return;
      detach(conn);
      // The cloud keeps closed connections as waiting to reopen them after an outage; this
      // socket is going away, so the device reconnects by itself (and the cloud forgets it).
      cloud.disconnect(deviceId);
      conn.ws.close(DeviceCloseCode.wnsClosed, 'WNS closed the connection');
    },
  });

  const onHello = (conn: Conn, deviceId: string, presence: boolean): void => {
    if (conn.deviceId !== null) {
      sendError(conn, `hello: this socket already identified as ${JSON.stringify(conn.deviceId)}`);
      return;
    }
    conn.deviceId = deviceId;
    if (!presence) {
      send(conn, { type: 'welcome', presence: false });
      return;
    }
    if (!cloud.isAvailable) {
      conn.ws.close(DeviceCloseCode.tryAgainLater, 'WNS unavailable');
      return;
    }
    // Admin-injected faults on device connections (`POST /_sim/faults {"op":"connect", …}`).
    const fault = emulator.service.faultFor('connect');
    if (fault) {
      const action = fault.action;
      if ('drop' in action) conn.ws.terminate();
      else if ('status' in action)
        conn.ws.close(DeviceCloseCode.tryAgainLater, `injected fault ${action.status}`);
      else
        emulator.clock.schedule(emulator.clock.now() + action.delayMs, () => admit(conn, deviceId));
      return;
    }
    admit(conn, deviceId);
  };

  /** Makes `conn` the device's presence connection in the cloud. */
  const admit = (conn: Conn, deviceId: string): void => {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    const previous = byDevice.get(deviceId);
    if (previous) {
      // The cloud's connect below replaces the previous handlers: no disconnect in between.
      detach(previous);
      previous.ws.close(DeviceCloseCode.replaced, 'replaced by a newer connection');
    }
    conn.attached = true;
    byDevice.set(deviceId, conn);
    cloud.connect(deviceId, handlersFor(conn, deviceId));
  };

  const onMessage = (conn: Conn, data: RawData, isBinary: boolean): void => {
    if (isBinary) {
      sendError(conn, 'expected a text frame holding a JSON object');
      return;
    }
    const parsed = parseClientMessage(textOf(data));
    if (!parsed.ok) {
      sendError(conn, parsed.error, parsed.id);
      return;
    }
    const message = parsed.message;
    if (message.type === 'hello') {
      onHello(conn, message.deviceId, message.presence ?? true);
      return;
    }
    const deviceId = conn.deviceId;
    if (deviceId === null) {
      const id = message.type === 'channel' ? message.id : undefined;
      sendError(conn, `${message.type}: say hello first`, id);
      return;
    }
    switch (message.type) {
      case 'channel': {
        const id = message.id;
        cloud.requestChannel(deviceId, message.pfn, (grant) =>
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
        goOffline(conn);
        return;
    }
  };

  const keepAliveTick = (): void => {
    keepAliveTimer = null;
    for (const conn of conns) {
      if (conn.ws.readyState !== WebSocket.OPEN) continue;
      if (!conn.alive) {
        // Offline in the cloud now, not when the socket's close event comes round.
        goOffline(conn);
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
    armKeepAlive();
  };

  const armKeepAlive = (): void => {
    if (keepAliveMs > 0 && keepAliveTimer === null && !closing && conns.size > 0)
      keepAliveTimer = clock.after(keepAliveMs, keepAliveTick);
  };

  const accept = (ws: WebSocket): void => {
    const conn: Conn = { ws, deviceId: null, attached: false, alive: true, acks: null };
    conns.add(conn);
    ws.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', (error) => onError(error, conn.deviceId));
    ws.on('close', () => {
      conns.delete(conn);
      // Closed without bye (unclean), or after it (then this does nothing).
      goOffline(conn);
      releaseAcks(conn);
      if (conns.size === 0) {
        clock.cancel(keepAliveTimer);
        keepAliveTimer = null;
      }
    });
    armKeepAlive();
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let pathname: string;
    try {
      pathname = new URL(request.url ?? '/', 'http://device.invalid').pathname;
    } catch {
      pathname = '';
    }
    if (pathname !== path) {
      // Another listener may serve this path; only answer when nobody else will.
      if (server.listenerCount('upgrade') <= 1) refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (closing) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    wss.handleUpgrade(request, socket, head, accept);
  };
  server.on('upgrade', onUpgrade);

  return {
    async close(): Promise<void> {
      if (!closing) {
        closing = true;
        server.off('upgrade', onUpgrade);
        clock.cancel(keepAliveTimer);
        keepAliveTimer = null;
      }
      const closed = [...conns].map(
        (conn) =>
          new Promise<void>((resolve) => {
            if (conn.ws.readyState === WebSocket.CLOSED) return resolve();
            conn.ws.once('close', () => resolve());
            goOffline(conn);
            if (conn.ws.readyState === WebSocket.OPEN)
              conn.ws.close(DeviceCloseCode.goingAway, 'server closing');
          }),
      );
      await Promise.all(closed);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
    connectedCount: () => byDevice.size,
    disconnectAll(): void {
      for (const conn of [...byDevice.values()]) {
        goOffline(conn);
        conn.ws.close(DeviceCloseCode.wnsClosed, 'WNS closed the connection');
      }
    },
  };
}
