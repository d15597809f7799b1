/**
 * Parts of the device side of the WebSocket link (`websocket-wns-link.ts`): one socket to the
 * emulator and what waits on it, the reconnect delays, and server frames as the device sees them.
 *
 * @module
 */
import { WebSocket, type RawData } from 'ws';
import { ValidationError } from '../../core/errors.js';
import type { ChannelGrant, IncomingPush, RevokeResult } from '../../core/ports.js';
import type { Random } from '../../core/random/random.js';
import type { Clock } from '../../core/time/clock.js';
import type { LinkCredentials } from './device-credentials.js';
import {
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

/**
 * The delay before retry `attempt` (0 for the first): `d/2 + u·d/2` with
 * `d = min(maxMs, initialMs · 2^attempt)` and `u` uniform in [0, 1) from `random`.
 */
export function backoffDelay(backoff: BackoffOptions, attempt: number, random: Random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 40));
  return Math.round(base / 2 + (random.float() * base) / 2);
}

/** Options of a {@link WebSocketWnsLink}. */
export interface WebSocketWnsLinkOptions {
  /** The emulator's device endpoint, e.g. `ws://127.0.0.1:8080/_device`. */
  readonly url: string;
  /** Reconnect timers run on it; in-flight I/O is tracked on it. */
  readonly clock: Clock;
  /** Jitter of the reconnect delays. */
  readonly random: Random;
  readonly backoff?: BackoffOptions;
  /**
   * Where the devices' credentials are kept (default: in memory, each issued by the emulator on
   * the device's first hello). `dmpush serve` derives them from its fleet key
   * (`fleetCredentials`); a link that outlives its process keeps them somewhere durable.
   */
  readonly credentials?: LinkCredentials;
  /**
   * Told of socket errors (refused connections, protocol errors), e.g. to log them; a refused
   * credential is a {@link DeviceCredentialRefusedError}.
   */
  readonly onError?: (error: Error, deviceId: string) => void;
}

/** Checks a link's options; returns its backoff. */
export function validateLinkOptions(options: WebSocketWnsLinkOptions): BackoffOptions {
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

export const UNREACHABLE: ChannelGrant = { ok: false, reason: 'wns-unreachable' };
export const REVOKE_UNREACHABLE: RevokeResult = { ok: false, reason: 'wns-unreachable' };

/** One socket to the emulator and the channel and revoke requests waiting for an answer on it. */
export class Line {
  readonly pending = new Map<number, (grant: ChannelGrant) => void>();
  readonly revokes = new Map<number, (result: RevokeResult) => void>();
  /** Welcomed: the hello was accepted. */
  welcomed = false;
  /** An error frame that came before the welcome (a refused hello), reported when it closes. */
  refusal: string | null = null;

  /** The credential the hello on this socket presented, if any. */
  presented: string | undefined = undefined;

  constructor(readonly ws: WebSocket) {}

  send(message: ClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Says hello for `deviceId`, presenting `credential` when the device has one. */
  hello(deviceId: string, presence: boolean, credential: string | undefined): void {
    this.presented = credential;
    this.send({
      type: 'hello',
      deviceId,
      ...(presence ? {} : { presence }),
      ...(credential === undefined ? {} : { credential }),
    });
  }

  /** Answers every waiting request `wns-unreachable` (the socket is gone). */
  failAll(): void {
    const waiting = [...this.pending.values()];
    const revokes = [...this.revokes.values()];
    this.pending.clear();
    this.revokes.clear();
    for (const reply of waiting) reply(UNREACHABLE);
    for (const reply of revokes) reply(REVOKE_UNREACHABLE);
  }
}

/** A channel answer as the device sees it. */
function grantOf(message: Extract<ServerMessage, { type: 'channel' }>): ChannelGrant {
  return message.ok
    ? { ok: true, channelUri: message.channelUri, expiresAt: message.expiresAt }
    : { ok: false, reason: message.reason };
}

/** A push frame as the device sees it. */
export function pushOf(message: Extract<ServerMessage, { type: 'push' }>): IncomingPush {
  const { msgId, channelUri, cached, bodyBase64, priority, expiresAt } = message;
  return {
    msgId,
    channelUri,
    cached,
    bodyBase64,
    ...(priority === undefined ? {} : { priority }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/** A server frame {@link readFrame} leaves to its caller. */
export type Incoming = Extract<ServerMessage, { type: 'welcome' | 'push' }>;

/**
 * Handles what any socket of the link may receive: channel answers, errors (one before the
 * welcome answers the hello: kept in `line.refusal`, reported with the close), malformed frames,
 * a credential with the welcome (kept in `link.credentials`). Returns the rest (welcome, push)
 * for the caller, or null when handled.
 */
export function readFrame(
  line: Line,
  deviceId: string,
  data: RawData,
  isBinary: boolean,
  link: {
    readonly onError: (error: Error, deviceId: string) => void;
    readonly credentials: LinkCredentials;
  },
): Incoming | null {
  const message = isBinary ? 'a binary frame' : parseServerMessage(frameText(data));
  if (typeof message === 'string') {
    link.onError(new Error(`WNS emulator sent ${message}`), deviceId);
    return null;
  }
  if (message.type === 'revoke') {
    const reply = line.revokes.get(message.id);
    line.revokes.delete(message.id);
    reply?.(message.ok ? { ok: true } : REVOKE_UNREACHABLE);
    return null;
  }
  if (message.type === 'channel' || (message.type === 'error' && message.id !== undefined)) {
    const id = message.id as number;
    const reply = line.pending.get(id);
    const revoke = line.revokes.get(id);
    line.pending.delete(id);
    line.revokes.delete(id);
    if (message.type === 'error')
      link.onError(new Error(`WNS emulator: ${message.error}`), deviceId);
    reply?.(message.type === 'channel' ? grantOf(message) : UNREACHABLE);
    if (message.type === 'error') revoke?.(REVOKE_UNREACHABLE);
    return null;
  }
  if (message.type === 'error') {
    if (!line.welcomed) line.refusal = message.error;
    else link.onError(new Error(`WNS emulator: ${message.error}`), deviceId);
    return null;
  }
  if (message.type === 'welcome') {
    line.welcomed = true;
    if (message.credential !== undefined) link.credentials.set(deviceId, message.credential);
  }
  return message;
}
