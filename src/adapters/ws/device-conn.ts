/**
 * One device socket as the server knows it, the frames it writes on one, and the identity step of
 * the conversation: a hello proves its device (decision 0011), and a device's first hello gets
 * its credential with the welcome.
 *
 * @module
 */
import { WebSocket } from 'ws';
import type { WnsEmulator } from '../../wns/emulator.js';
import { authenticate } from './device-credentials.js';
import { DeviceCloseCode, type ClientMessage, type ServerMessage } from './device-protocol.js';
import type { PushAcks } from './push-acks.js';

/** What the server knows of one socket. */
export interface Conn {
  readonly ws: WebSocket;
  deviceId: string | null;
  /** A first-use hello: the hash to record when the device is welcomed, and what was issued. */
  firstUse: { readonly record: string; readonly issued: string | null } | null;
  /** A credential issued on this socket, sent with the welcome. */
  issued: string | null;
  /** The device's current presence connection, registered with the cloud. */
  attached: boolean;
  /** Answered the last ping (or no ping sent yet). */
  alive: boolean;
  /** Pushes awaiting their ack. */
  readonly acks: PushAcks;
}

export function send(conn: Conn, message: ServerMessage): void {
  if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(message));
}

export function sendError(conn: Conn, error: string, id?: number): void {
  send(conn, id === undefined ? { type: 'error', error } : { type: 'error', error, id });
}

/**
 * Refuses a hello that does not prove its device: an error frame, then close 4003; journalled.
 * The device's own connection, if any, is not touched.
 */
function refuse(emulator: WnsEmulator, conn: Conn, deviceId: string, error: string): void {
  emulator.recordRefusedHello(deviceId, error);
  sendError(conn, error);
  conn.ws.close(DeviceCloseCode.credentialRefused, 'credential refused');
}

/**
 * Checks a hello's proof of identity: true, with the socket identified, when it holds; otherwise
 * the hello is refused (see {@link refuse}) and false.
 */
export function identify(
  emulator: WnsEmulator,
  conn: Conn,
  hello: Extract<ClientMessage, { type: 'hello' }>,
): boolean {
  const verdict = authenticate(emulator.credentials, hello.deviceId, hello.credential);
  if (!verdict.ok) {
    refuse(emulator, conn, hello.deviceId, verdict.error);
    return false;
  }
  conn.deviceId = hello.deviceId;
  conn.firstUse =
    verdict.record === null ? null : { record: verdict.record, issued: verdict.issued };
  return true;
}

/**
 * Records a first-use credential as the device is welcomed (not at hello: a hello turned away for
 * an outage must not leave behind a credential the device never received). False, and refused,
 * when another connection claimed the device meanwhile.
 */
export function claim(emulator: WnsEmulator, conn: Conn, deviceId: string): boolean {
  const first = conn.firstUse;
  if (!first) return true;
  conn.firstUse = null;
  const { credentials } = emulator;
  if (credentials.recordOf(deviceId) || credentials.fleetKeyOf(deviceId)) {
    const name = JSON.stringify(deviceId);
    refuse(
      emulator,
      conn,
      deviceId,
      `hello: device ${name} got its credential on another connection meanwhile: present it`,
    );
    return false;
  }
  credentials.record(deviceId, first.record, emulator.clock.now());
  conn.issued = first.issued;
  return true;
}

/** Sends the welcome, with the credential issued on this socket (once). */
export function welcome(conn: Conn, presence: boolean): void {
  const credential = conn.issued;
  conn.issued = null;
  send(
    conn,
    credential === null ? { type: 'welcome', presence } : { type: 'welcome', presence, credential },
  );
}
