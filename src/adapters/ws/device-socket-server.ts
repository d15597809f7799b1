/**
 * The device side of the WNS emulator over WebSocket: each simulated device holds its persistent
 * connection to the emulator's `WnsCloud` on a real socket (the `ws` package), and asks for
 * channels on one.
 *
 * ## Wire protocol (path `/_device` by default; JSON text frames)
 *
 * The frames are defined once, as zod schemas, in `device-protocol.ts` (with a table of each).
 * Every socket starts with `hello`; anything else first is an error. A second `hello` on one socket
 * is an error. A bad frame (not JSON, unknown type, missing or malformed field, out of order) is
 * answered with an `error` frame; the socket stays open.
 *
 * Identity (decision 0011): a hello proves its device with the device's `credential`. A device's
 * first hello gets one with its welcome (trust on first use; the emulator keeps its hash); a
 * fleet's devices prove a key their process holds. A hello without valid proof gets an `error`
 * frame and is closed with {@link DeviceCloseCode.credentialRefused}; the device's own connection
 * is not disturbed. A proven presence `hello` for a device that already holds a connection
 * replaces it (the old socket is closed with {@link DeviceCloseCode.replaced}).
 *
 * Callers: an upgrade is checked like every request of dmpush's servers (`access.ts`, decision
 * 0013): a `Host` the server does not answer to is refused 421 (DNS rebinding), an `Origin` that is
 * not the server's own 403 (a page of another site must not reach the devices' endpoint from a
 * browser). Clients that send no Origin are not affected.
 *
 * Close codes the server uses: 1001 (the server is closing), 1013 (WNS is unavailable: try again
 * later), 4000 (WNS ended the connection, e.g. an outage), 4001 (replaced by a newer connection),
 * 4003 (credential refused: do not retry).
 *
 * Keep-alive: the server pings every `keepAliveMs` (ws ping/pong, on the emulator's clock); a peer
 * that has not answered the previous ping by the next one is terminated and goes offline in the
 * cloud. A socket closed without `bye` (unclean) also takes the device offline.
 *
 * ## Pushes and time
 *
 * Timers run on the emulator's clock. A push is I/O in flight (`Clock.track`) until the device has
 * read it: its `ack`, or the pong to a ping sent right after it, or the socket's end; a peer that
 * answers neither holds a virtual clock `receiptTimeoutMs` of real time at most. A push not
 * acknowledged within the emulator's `pushAckDeadlineMs` (on its clock), or before its socket
 * ends, is given up: `push.dropped` (reason `unacknowledged`) and a journal entry. Keep-alive
 * pings are not tracked (a dead peer would hold the clock forever): under a virtual clock
 * keep-alive is therefore off unless `keepAliveMs` is given.
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
import type { Clock } from '../../core/time/clock.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import { SystemClock } from '../clock/system-clock.js';
import { DeviceConnections } from './device-connections.js';
import { upgradeRefusal, type AccessPolicy } from '../http/access.js';
import { refuseUpgrade, requestTarget } from '../http/http-util.js';

export { DeviceCloseCode, parseClientMessage } from './device-protocol.js';
export type { ClientMessage, ServerMessage } from './device-protocol.js';

/** Default path of the device WebSocket endpoint. */
export const DEVICE_SOCKET_PATH = '/_device';

/** Default keep-alive period on the system clock, ms. */
const DEFAULT_KEEP_ALIVE_MS = 30_000;

/**
 * Default bound, in real milliseconds, on how long a push a device has not read holds a virtual
 * clock still (see the module comment).
 */
const DEFAULT_RECEIPT_TIMEOUT_MS = 5_000;

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
  /**
   * Real milliseconds a push the device has not read (no ack, no pong) may hold a virtual clock
   * still; default {@link DEFAULT_RECEIPT_TIMEOUT_MS}. Nothing is held on the system clock.
   */
  readonly receiptTimeoutMs?: number;
  /** Where real time comes from for that bound (default the system clock; tests inject one). */
  readonly realClock?: Clock;
  /** Host names served besides local ones (`--allow-host`, the public host). */
  readonly access?: AccessPolicy;
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

function validate(options: DeviceSocketOptions): void {
  const problems: string[] = [];
  if (options.path !== undefined && !options.path.startsWith('/'))
    problems.push(
      `path: expected a URL path starting with "/", got ${JSON.stringify(options.path)}`,
    );
  const k = options.keepAliveMs;
  if (k !== undefined && !(Number.isFinite(k) && k >= 0))
    problems.push(`keepAliveMs: expected a non-negative number of milliseconds, got ${String(k)}`);
  const r = options.receiptTimeoutMs;
  if (r !== undefined && !(Number.isFinite(r) && r >= 0))
    problems.push(
      `receiptTimeoutMs: expected a non-negative number of milliseconds, got ${String(r)}`,
    );
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
  // Holds exist only on a virtual clock; their bound is real time.
  const ownClock =
    emulator.clock.mode === 'virtual' && !options.realClock ? new SystemClock() : null;
  const realClock = emulator.clock.mode === 'virtual' ? (options.realClock ?? ownClock) : null;
  const connections = new DeviceConnections(
    emulator,
    keepAliveMs,
    { realClock, receiptTimeoutMs: options.receiptTimeoutMs ?? DEFAULT_RECEIPT_TIMEOUT_MS },
    options.onError ?? (() => undefined),
  );
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME,
    perMessageDeflate: false,
  });
  let closing = false;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const target = requestTarget(request.url);
    if (target.path !== path) {
      // Another listener may serve this path; only answer when nobody else will.
      if (server.listenerCount('upgrade') <= 1)
        refuseUpgrade(socket, 404, `no WebSocket at ${target.path}: devices connect at ${path}`);
      return;
    }
    if (closing) {
      refuseUpgrade(socket, 503, 'the WNS emulator is closing');
      return;
    }
    const refusal = upgradeRefusal(options.access ?? {}, request, target, { token: false });
    if (refusal) {
      refuseUpgrade(socket, refusal.status, refusal.message);
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
      ownClock?.dispose();
    },
    connectedCount: () => connections.connectedCount,
    disconnectAll: () => connections.disconnectAll(),
  };
}
