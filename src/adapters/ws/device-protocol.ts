/**
 * The device WebSocket protocol between a simulated device and the WNS emulator (JSON text
 * frames), defined once: the server (`device-socket-server.ts`) parses client frames with these
 * schemas, the link (`websocket-wns-link.ts`) parses server frames with them.
 *
 * Client → server:
 *
 * | Frame | Meaning |
 * |---|---|
 * | `{"type":"hello","deviceId":"d1","credential":"…"}` | Identify, proving it with the device's credential; opens the persistent connection (presence). Without `credential` on the device's first hello: the welcome issues one. |
 * | `{"type":"hello","deviceId":"d1","credential":"…","presence":false}` | Identify without going online: a socket for channel requests only. |
 * | `{"type":"channel","id":7,"pfn":"Contoso.MDM_8wekyb3d8bbwe"}` | Ask for a channel; `id` (a non-negative integer) is echoed in the answer. |
 * | `{"type":"revoke","id":8,"pfn":"Contoso.MDM_8wekyb3d8bbwe"}` | Revoke every channel of this device for the PFN (it was deleted or replaced); `id` is echoed. |
 * | `{"type":"ack","msgId":"d1#3"}` | Acknowledge a push. |
 * | `{"type":"bye"}` | Clean disconnect: the device goes offline now; the client then closes (1000). |
 *
 * Server → client:
 *
 * | Frame | Meaning |
 * |---|---|
 * | `{"type":"welcome","presence":true}` | The persistent connection is up (WNS accepted it). Cached notifications follow. |
 * | `{"type":"welcome","presence":false}` | Identified, not online. |
 * | `{"type":"welcome",…,"credential":"…"}` | The device's first hello: its credential, to present in every later hello. |
 * | `{"type":"push","msgId","channelUri","cached","bodyBase64","priority","expiresAt"}` | A raw notification (`bodyBase64` absent when it had no payload; `priority` absent when the sender set none; `expiresAt` the TTL deadline or null). The client answers `ack`. |
 * | `{"type":"channel","id","ok":true,"channelUri","expiresAt"}` | Channel granted (`expiresAt`: epoch ms). |
 * | `{"type":"channel","id","ok":false,"reason"}` | Refused: `invalid-pfn`, `pfn-blocked` or `wns-unreachable`. |
 * | `{"type":"revoke","id","ok":true}` | The channels are revoked (pushes to them get 410 `Revoked channel URL`). |
 * | `{"type":"revoke","id","ok":false,"reason":"wns-unreachable"}` | WNS could not revoke them (an outage). |
 * | `{"type":"error","error":"…","id"?}` | A bad frame (not JSON, unknown type, missing or malformed field, out of order). The socket stays open, except after a refused credential (then closed 4003). |
 */
import type { RawData } from 'ws';
import { z } from 'zod';

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
  /** A newer connection for the same device took over: reconnect (with backoff). */
  replaced: 4001,
  /** The hello did not prove the device's identity (credential missing or wrong): do not retry. */
  credentialRefused: 4003,
} as const;

/** A credential: 32 to 128 base64url characters (issued ones are 43: 32 random bytes). */
const CREDENTIAL = /^[A-Za-z0-9_-]{32,128}$/;

/** Longest device id, PFN or message id accepted in a client frame. */
const MAX_FIELD = 256;

/** A string of 1 to {@link MAX_FIELD} characters; `message` when it is anything else. */
const text = (message: string) =>
  z.string({ error: message }).min(1, { error: message }).max(MAX_FIELD, { error: message });

/** A request id: a non-negative (safe) integer. */
const requestId = (message: string) =>
  z.number({ error: message }).int({ error: message }).min(0, { error: message });

// ---- client → server ------------------------------------------------------------------------

const helloFrame = z.object({
  type: z.literal('hello'),
  deviceId: text(`hello: "deviceId" must be a string of 1–${MAX_FIELD} characters`),
  presence: z.boolean({ error: 'hello: "presence" must be a boolean when present' }).optional(),
  credential: z
    .string({ error: 'hello: "credential" must be a string when present' })
    .regex(CREDENTIAL, {
      error: 'hello: "credential" must be 32–128 base64url characters (A–Z, a–z, 0–9, -, _)',
    })
    .optional(),
});

const channelRequestFrame = z.object({
  type: z.literal('channel'),
  id: requestId('channel: "id" must be a non-negative integer'),
  pfn: text(`channel: "pfn" must be a string of 1–${MAX_FIELD} characters`),
});

const revokeRequestFrame = z.object({
  type: z.literal('revoke'),
  id: requestId('revoke: "id" must be a non-negative integer'),
  pfn: text(`revoke: "pfn" must be a string of 1–${MAX_FIELD} characters`),
});

const ackFrame = z.object({
  type: z.literal('ack'),
  msgId: text('ack: "msgId" must be a non-empty string'),
});

const byeFrame = z.object({ type: z.literal('bye') });

/** Every frame a device may send. */
const clientFrame = z.discriminatedUnion('type', [
  helloFrame,
  channelRequestFrame,
  revokeRequestFrame,
  ackFrame,
  byeFrame,
]);

/** A frame a device sends. */
export type ClientMessage = z.output<typeof clientFrame>;

// ---- server → client ------------------------------------------------------------------------

const welcomeFrame = z.object({
  type: z.literal('welcome'),
  presence: z.boolean(),
  credential: z.string().optional(),
});

const pushFrame = z.object({
  type: z.literal('push'),
  msgId: z.string(),
  channelUri: z.string(),
  cached: z.boolean(),
  bodyBase64: z.string().optional(),
  /** `X-WNS-PRIORITY`, when the sender set one. */
  priority: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
  /** The deadline WNS gives it (TTL), or null. */
  expiresAt: z.number().nullable().optional(),
});

const channelGrantedFrame = z.object({
  type: z.literal('channel'),
  id: z.number().int(),
  ok: z.literal(true),
  channelUri: z.string(),
  expiresAt: z.number(),
});

const channelRefusedFrame = z.object({
  type: z.literal('channel'),
  id: z.number().int(),
  ok: z.literal(false),
  reason: z.enum(['invalid-pfn', 'pfn-blocked', 'wns-unreachable']),
});

const revokedFrame = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('revoke'), id: z.number().int(), ok: z.literal(true) }),
  z.object({
    type: z.literal('revoke'),
    id: z.number().int(),
    ok: z.literal(false),
    reason: z.literal('wns-unreachable'),
  }),
]);

const errorFrame = z.object({
  type: z.literal('error'),
  error: z.string(),
  id: z.number().int().optional(),
});

/** Every frame the emulator may send. */
const serverFrame = z.discriminatedUnion('type', [
  welcomeFrame,
  pushFrame,
  z.discriminatedUnion('ok', [channelGrantedFrame, channelRefusedFrame]),
  revokedFrame,
  errorFrame,
]);

/** A frame the server sends. */
export type ServerMessage = z.output<typeof serverFrame>;

// ---- reading frames -------------------------------------------------------------------------

/** A frame's text (ws hands text frames over as Buffers). */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** A frame that is JSON and an object, or what it is instead. */
function jsonObject(text: string): Record<string, unknown> | 'not-json' | 'not-object' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not-json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not-object';
  return value as Record<string, unknown>;
}

/** A parsed client frame, or the error to answer (with the request's `id` when it has one). */
export type ParsedClientMessage =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly error: string; readonly id?: number };

const CLIENT_TYPES = 'hello, channel, revoke, ack or bye';

/**
 * Parses a client frame, naming the offending field on failure.
 *
 * @example
 * ```ts
 * parseClientMessage('{"type":"ack"}'); // { ok: false, error: 'ack: "msgId" must be a non-empty string' }
 * ```
 */
export function parseClientMessage(text: string): ParsedClientMessage {
  const value = jsonObject(text);
  if (value === 'not-json')
    return { ok: false, error: 'invalid JSON: expected an object such as {"type":"hello",…}' };
  if (value === 'not-object')
    return { ok: false, error: 'expected a JSON object with a "type" field' };
  const parsed = clientFrame.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  if (issue?.code === 'invalid_union' && issue.path[0] === 'type') {
    const error =
      value.type === undefined
        ? `missing "type": expected ${CLIENT_TYPES}`
        : `unknown type ${JSON.stringify(value.type)}: expected ${CLIENT_TYPES}`;
    return { ok: false, error };
  }
  const error = issue?.message ?? 'malformed frame';
  // A channel or revoke request with a good id gets it back, so the device can match the error.
  const id = channelRequestFrame.shape.id.safeParse(value.id);
  const request = value.type === 'channel' || value.type === 'revoke';
  return request && issue?.path[0] !== 'id' && id.success
    ? { ok: false, error, id: id.data }
    : { ok: false, error };
}

/**
 * Parses a server frame; a string describes a frame the protocol does not allow (for an error
 * report: `a frame that is not JSON`, `a push frame with msgId: …`).
 */
export function parseServerMessage(text: string): ServerMessage | string {
  const value = jsonObject(text);
  if (value === 'not-json') return 'a frame that is not JSON';
  if (value === 'not-object') return 'a frame that is not a JSON object';
  const parsed = serverFrame.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'invalid_union' && issue.path[0] === 'type')
    return `a frame of unknown type ${JSON.stringify(value.type)}`;
  const field = issue?.path.join('.') || 'the frame';
  return `a ${String(value.type)} frame with ${field}: ${issue?.message ?? 'malformed'}`;
}
