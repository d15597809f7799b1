/**
 * The WNS emulator's device endpoint on 127.0.0.1 for tests, raw protocol clients and links to
 * it. Everything started is closed by {@link closeAll} (call it in `afterEach`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import {
  attachDeviceSockets,
  type DeviceSocketOptions,
  type DeviceSockets,
} from '../../src/adapters/ws/device-socket-server.js';
import type { LinkCredentials } from '../../src/adapters/ws/device-credentials.js';
import { WebSocketWnsLink, type BackoffOptions } from '../../src/adapters/ws/websocket-wns-link.js';
import type { IncomingPush, LinkHandlers } from '../../src/core/ports.js';
import { streamFor } from '../../src/core/random/random.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { EXAMPLE_PFN } from '../../src/testing/arbitraries.js';
import { WnsEmulator, type WnsEmulatorOptions } from '../../src/wns/emulator.js';
import { until } from './until.js';

export const T0 = Date.UTC(2026, 0, 1);
export const PFN = EXAMPLE_PFN;
const APP = {
  pfn: PFN,
  sid: 'ms-app://S-1-15-2-2411136829-3422574390-1218575391-4088406412-1652238325-1536734281-1962548315',
  secret: 'contoso-secret-1',
};

/** What an issued credential looks like: 32 random bytes, base64url. */
export const ISSUED = /^[A-Za-z0-9_-]{43}$/;

const cleanups: Array<() => Promise<void> | void> = [];

/** Closes everything the helpers started, newest first. */
export async function closeAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** Runs `cleanup` in {@link closeAll}. */
export function onClose(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

export interface Endpoint {
  readonly clock: VirtualClock;
  readonly sink: MemorySink;
  readonly emulator: WnsEmulator;
  readonly server: Server;
  readonly sockets: DeviceSockets;
  readonly port: number;
  readonly url: string;
  readonly errors: Error[];
}

/** An emulator on a virtual clock with its device endpoint on a free port of 127.0.0.1. */
export async function endpoint(
  options: DeviceSocketOptions = {},
  clock?: VirtualClock,
  emulatorOptions: Partial<WnsEmulatorOptions> = {},
): Promise<Endpoint> {
  const c = clock ?? new VirtualClock({ start: T0 });
  const sink = new MemorySink();
  const emulator = new WnsEmulator({
    clock: c,
    seed: 3,
    sink,
    baseUrl: 'http://127.0.0.1:9/',
    apps: [APP],
    ...emulatorOptions,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  const errors: Error[] = [];
  const sockets = attachDeviceSockets(server, emulator, {
    onError: (e) => errors.push(e),
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  onClose(async () => {
    await sockets.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `ws://127.0.0.1:${port}/_device`;
  return { clock: c, sink, emulator, server, sockets, port, url, errors };
}

/** Asserts an error frame whose message matches `error` (and with `id`, when given). */
export function expectError(frame: Record<string, unknown>, error: RegExp, id?: number): void {
  expect(frame.type).toBe('error');
  expect(frame.error).toMatch(error);
  expect(frame.id).toBe(id);
}

/** A text frame's content. */
export function text(data: RawData): string {
  return Buffer.isBuffer(data)
    ? data.toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** A raw protocol client: every frame it receives, parsed. */
export interface RawClient {
  readonly ws: WebSocket;
  readonly frames: Array<Record<string, unknown>>;
  closeCode: number | null;
  send(frame: unknown): void;
  /** The next frame not yet taken. */
  next(): Promise<Record<string, unknown>>;
}

export async function rawClient(url: string, options: ClientOptions = {}): Promise<RawClient> {
  const ws = new WebSocket(url, options);
  let taken = 0;
  const client: RawClient = {
    ws,
    frames: [],
    closeCode: null,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async next() {
      await until(() => client.frames.length > taken, 'a frame from the server');
      return client.frames[taken++] as Record<string, unknown>;
    },
  };
  ws.on('message', (data) => client.frames.push(JSON.parse(text(data)) as Record<string, unknown>));
  ws.on('close', (code) => (client.closeCode = code));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  onClose(() => ws.terminate());
  return client;
}

/**
 * A raw client that said hello for `deviceId` (presenting `credential`, if given) and was
 * welcomed; `credential` is the one the device holds now (issued with the welcome, or its own).
 */
export async function helloClient(
  url: string,
  deviceId: string,
  options: { credential?: string; presence?: boolean; client?: ClientOptions } = {},
): Promise<RawClient & { credential: string }> {
  const c = await rawClient(url, options.client);
  const presence = options.presence ?? true;
  c.send({
    type: 'hello',
    deviceId,
    ...(presence ? {} : { presence }),
    ...(options.credential ? { credential: options.credential } : {}),
  });
  const welcome = await c.next();
  expect(welcome).toMatchObject({ type: 'welcome', presence });
  const credential = (welcome.credential as string | undefined) ?? options.credential;
  expect(credential, `a credential for ${deviceId}`).toMatch(ISSUED);
  return Object.assign(c, { credential: credential as string });
}

/** A link to the endpoint on its clock. */
export function link(
  e: Endpoint,
  backoff?: BackoffOptions,
  url = e.url,
  extra: { credentials?: LinkCredentials; onError?: (error: Error) => void } = {},
): WebSocketWnsLink {
  const l = new WebSocketWnsLink({
    url,
    clock: e.clock,
    random: streamFor(3, 'link'),
    backoff,
    ...extra,
  });
  onClose(() => l.close());
  return l;
}

export interface Heard {
  opened: number[];
  closed: number[];
  pushes: IncomingPush[];
  handlers: LinkHandlers;
}

/** Link handlers that note what the device heard, at which instant. */
export function listener(clock: VirtualClock): Heard {
  const heard: Heard = {
    opened: [],
    closed: [],
    pushes: [],
    handlers: {
      onOpen: () => void heard.opened.push(clock.now()),
      onPush: (p) => void heard.pushes.push(p),
      onClosed: () => void heard.closed.push(clock.now()),
    },
  };
  return heard;
}

/** A channel for `deviceId` with no simulated device behind it (its URI). */
export function channel(e: Endpoint, deviceId: string): string {
  const grant = e.emulator.createInboxChannel(PFN, deviceId, false);
  if ('error' in grant) throw new Error(grant.error);
  return grant.channelUri;
}
