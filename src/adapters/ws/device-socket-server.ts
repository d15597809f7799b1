/**
 * The device side of the WNS emulator over WebSocket: each simulated device holds its persistent
 * connection to the emulator's `WnsCloud` on a real socket (the `ws` package), and asks for
 * channels on one.
 *
 * ## Wire protocol (path `/_device` by default; JSON text frames)
 *
 * The frames are defined once, as zod schemas, in `device-protocol.ts` (with a table of each).
 * Every socket starts with `hello`; anything else first is an error. A second `hello` on one socket
 * is an error. A presence `hello` for a device that already holds a connection replaces it (the old
 * socket is closed with {@link DeviceCloseCode.replaced}). A bad frame (not JSON, unknown type,
 * missing or malformed field, out of order) is answered with an `error` frame; the socket stays
 * open.
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
import { WebSocketServer } from 'ws';
import { ValidationError } from '../../core/errors.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import { DeviceConnections } from './device-connections.js';

export { DeviceCloseCode, parseClientMessage } from './device-protocol.js';
export type { ClientMessage, ServerMessage } from './device-protocol.js';

/** Default path of the device WebSocket endpoint. */
export const DEVICE_SOCKET_PATH = '/_device';

/** Default keep-alive period on the system clock, ms. */
const DEFAULT_KEEP_ALIVE_MS = 30_000;

/** Longest frame the server accepts from a device, bytes. */
const MAX_CLIENT_FRAME = 64 * 1024;

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
  const keepAliveMs =
    options.keepAliveMs ?? (emulator.clock.mode === 'system' ? DEFAULT_KEEP_ALIVE_MS : 0);
  const connections = new DeviceConnections(
    emulator,
    keepAliveMs,
    options.onError ?? (() => undefined),
  );
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME,
    perMessageDeflate: false,
  });
  let closing = false;

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
    wss.handleUpgrade(request, socket, head, (ws) => connections.accept(ws));
  };
  server.on('upgrade', onUpgrade);

  return {
    async close(): Promise<void> {
      if (!closing) {
        closing = true;
        server.off('upgrade', onUpgrade);
      }
      await connections.closeAll();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
    connectedCount: () => connections.connectedCount,
    disconnectAll: () => connections.disconnectAll(),
  };
}
