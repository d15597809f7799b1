import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { DeviceSnapshot } from '../../core/device/device.js';
import type { Simulation } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import type { TimelineEvent } from '../../core/timeline/events.js';
import { describe, toJson } from '../../core/timeline/format.js';
import { formatInstant, parseInstant } from '../../core/time/iso.js';
import type { VirtualClock } from '../../core/time/virtual-clock.js';
import { renderDashboardPage } from '../../dashboard/dashboard-page.js';
import type { ReportData } from '../../report/html-report.js';
import { buildTimelineModel, LANES, LEGEND } from '../../report/timeline-model.js';
import { formatIssues, devicePatchSchema } from '../../scenario/schema.js';
import { toDevicePatch } from '../../scenario/resolve.js';
import { HttpError, replier, requestTarget } from './http-util.js';
import { durationField, onlyFields, readJsonObject, show } from './json-body.js';

/** What `POST /api/devices/{id}/push` answers: the MDM server's account of the push. */
export type PushOutcome = object;

/** The body of `POST /api/devices/{id}/push`. */
export interface ControlPushOptions {
  readonly cachePolicy?: 'cache' | 'no-cache';
  readonly ttlSeconds?: number;
}

export interface ControlApiOptions {
  readonly simulation: Simulation;
  readonly events: EventLog;
  /**
   * Asks the MDM server to push to a device (the reference server only: a user's own server
   * decides its pushes itself). Absent, the push route answers 409.
   */
  readonly push?: (deviceId: string, options: ControlPushOptions) => Promise<PushOutcome>;
  /** Served at `GET /metrics` (Prometheus text format). */
  readonly metrics?: { readonly contentType: string; render(): Promise<string> };
  /** Where device timelines start (epoch ms; default: when the API was created). */
  readonly start?: number;
  /** Called just before any answer is written (durable state commits there). */
  readonly beforeReply?: () => void;
}

export interface ControlApi {
  readonly server: Server;
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : formatInstant(ms);

/** A device as `GET /api/devices` shows it (the route's contract). */
export function deviceJson(s: DeviceSnapshot): Record<string, unknown> {
  return {
    id: s.id,
    os: s.os,
    pfn: s.pfn,
    channelUri: s.channelUri,
    channelExpiresAt: iso(s.channelExpiresAt),
    nextRenewalAt: iso(s.nextRenewal?.at),
    wnsConnected: s.wnsConnected,
    pushStatus: s.pushStatus,
    sessionRunning: s.sessionRunning,
    battery: s.battery,
    network: s.network,
    dataSense: s.dataSense,
  };
}

const DEVICE = /^\/api\/devices\/([^/]+)$/;
const DEVICE_PUSH = /^\/api\/devices\/([^/]+)\/push$/;
const DEVICE_TREE = /^\/api\/devices\/([^/]+)\/tree$/;
const DEVICE_TIMELINE = /^\/api\/devices\/([^/]+)\/timeline$/;

/** The path of the live-updates WebSocket. */
export const LIVE_PATH = '/api/live';

/** Most events in one `update` message; older ones in the batch are counted in `dropped`. */
const MAX_BATCH_EVENTS = 500;

/** A client whose socket holds more than this many unsent bytes misses updates until it drains. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** An event as the live WebSocket sends it: `GET /api/events`' form plus its sentence. */
function liveEventJson(event: TimelineEvent): Record<string, unknown> {
  return { ...toJson(event), text: describe(event) };
}

/**
 * The live fleet's control API (`dmpush serve --port`), JSON over HTTP; its routes are a contract:
 * `GET /api/devices`, `GET|PATCH /api/devices/{id}`, `POST /api/devices/{id}/push`,
 * `GET /api/events?device=&type=&since=`, `GET /api/clock`, `POST /api/clock/advance`,
 * `GET /api/health`, and `GET /metrics` (Prometheus). Bad requests get 4xx with `{"error"}` naming what was wrong.
 *
 * The live dashboard: `GET /` (the page), `GET /api/devices/{id}/tree` (the DM tree: present
 * nodes with `uri`, `format`, `access` and a leaf's `value`), `GET /api/devices/{id}/timeline`
 * (the report's timeline data for the device), and the WebSocket `/api/live`, which sends
 * `{"type":"hello","now","clock","devices"}` on connect, then `{"type":"update","now","events",
 * "devices","dropped"}`: the events logged since the last update (with a `text` sentence; at most
 * 500, `dropped` counts the rest) and the snapshots of the devices they (or a control) touched,
 * batched per turn of the event loop.
 */
export function createControlApi(options: ControlApiOptions): ControlApi {
  const { send, sendJson, sendError } = replier(options.beforeReply);
  const { simulation, events } = options;
  const clock = simulation.clock;
  const start = options.start ?? clock.now();
  let page: string | undefined;

  // Live updates: events and touched devices, batched until the current task's microtasks end.
  const live = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  const lagging = new WeakSet<WebSocket>();
  let pending: TimelineEvent[] = [];
  let dropped = 0;
  const touched = new Set<string>();
  let scheduled = false;
  const sendTo = (ws: WebSocket, message: string): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) {
      lagging.add(ws);
      return;
    }
    ws.send(message);
  };
  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    const skipped = dropped;
    pending = [];
    dropped = 0;
    const ids = [...touched];
    touched.clear();
    if (live.clients.size === 0) return;
    const devices = ids.flatMap((id) => {
      const d = simulation.device(id);
      return d ? [deviceJson(d.snapshot())] : [];
    });
    const update = (missed: number): string =>
      JSON.stringify({
        type: 'update',
        now: formatInstant(clock.now()),
        events: batch.map(liveEventJson),
        devices,
        dropped: missed,
      });
    const message = update(skipped);
    for (const ws of live.clients) {
      if (lagging.has(ws) && ws.bufferedAmount <= MAX_BUFFERED) {
        // It missed updates: a full snapshot, and `dropped` tells it to reload what it shows.
        lagging.delete(ws);
        const all = JSON.stringify({
          type: 'update',
          now: formatInstant(clock.now()),
          events: batch.map(liveEventJson),
          devices: simulation.snapshots().map(deviceJson),
          dropped: Math.max(skipped, 1),
        });
        sendTo(ws, all);
      } else sendTo(ws, message);
    }
  };
  const notify = (deviceId?: string): void => {
    if (live.clients.size === 0) return;
    if (deviceId !== undefined) touched.add(deviceId);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  const unsubscribe = events.subscribe((event) => {
    if (live.clients.size === 0) return;
    pending.push(event);
    if (pending.length > MAX_BATCH_EVENTS) {
      pending.shift();
      dropped++;
    }
    notify(event.device ?? undefined);
  });
  live.on('connection', (ws) => {
    ws.on('error', () => undefined);
    // The socket is for listening: anything the client sends is ignored.
    ws.send(
      JSON.stringify({
        type: 'hello',
        now: formatInstant(clock.now()),
        clock: clock.mode,
        devices: simulation.snapshots().map(deviceJson),
      }),
    );
  });

  const device = (rawId: string): ReturnType<Simulation['device']> & object => {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      throw new HttpError(400, `device id ${rawId} is not valid percent-encoding`);
    }
    const found = simulation.device(id);
    if (!found) throw new HttpError(404, `no device ${JSON.stringify(id)}`);
    return found;
  };

  /**
   * The report's data for one device, from the start to now. Open periods run a little past now
   * (2% of the span, at least 30 s), so that what just changed shows as a band, not a sliver.
   */
  const deviceTimeline = (id: string): ReportData => {
    const now = clock.now();
    const end = now + Math.max(30_000, (now - start) * 0.02);
    const model = buildTimelineModel(events.list({ device: id }), {
      start,
      end,
      now,
      devices: [id],
    });
    return {
      title: id,
      lanes: LANES,
      legend: LEGEND,
      sections: [{ title: id, description: null, seed: null, model }],
    };
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = requestTarget(req.url);
    const method = req.method ?? 'GET';
    const allow = (methods: string): void => {
      if (!methods.split(', ').includes(method))
        throw new HttpError(
          405,
          `method ${method} is not allowed on ${path} (allowed: ${methods})`,
          {
            allow: methods,
          },
        );
    };
    if (path === '/metrics' && options.metrics) {
      allow('GET');
      return send(
        res,
        200,
        { 'content-type': options.metrics.contentType },
        await options.metrics.render(),
      );
    }
    if (path === '/') {
      allow('GET');
      page ??= renderDashboardPage();
      return send(res, 200, { 'content-type': 'text/html; charset=utf-8' }, page);
    }
    if (path === '/api/health') {
      allow('GET');
      return sendJson(res, 200, { ok: true });
    }
    if (path === '/api/devices') {
      allow('GET');
      return sendJson(res, 200, simulation.snapshots().map(deviceJson));
    }
    let m = DEVICE.exec(path);
    if (m) {
      allow('GET, PATCH');
      const d = device(m[1] as string);
      if (method === 'PATCH') {
        const body = await readJsonObject(req);
        const parsed = devicePatchSchema.safeParse(body, { reportInput: true });
        if (!parsed.success) throw new HttpError(400, formatIssues(parsed.error).join('; '));
        d.apply(toDevicePatch(parsed.data));
        notify(d.id);
      }
      return sendJson(res, 200, deviceJson(d.snapshot()));
    }
    m = DEVICE_TREE.exec(path);
    if (m) {
      allow('GET');
      return sendJson(res, 200, device(m[1] as string).tree.list());
    }
    m = DEVICE_TIMELINE.exec(path);
    if (m) {
      allow('GET');
      const d = device(m[1] as string);
      return sendJson(res, 200, deviceTimeline(d.id));
    }
    m = DEVICE_PUSH.exec(path);
    if (m) {
      allow('POST');
      const d = device(m[1] as string);
      const body = await readJsonObject(req);
      onlyFields(body, ['cachePolicy', 'ttlSeconds']);
      const ttl = body['ttlSeconds'];
      if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0))
        throw new HttpError(
          400,
          `ttlSeconds: expected a whole number of seconds, got ${show(ttl)}`,
        );
      const cachePolicy = body['cachePolicy'];
      if (cachePolicy !== undefined && cachePolicy !== 'cache' && cachePolicy !== 'no-cache')
        throw new HttpError(
          400,
          `cachePolicy: expected cache or no-cache, got ${show(cachePolicy)}`,
        );
      if (!options.push)
        throw new HttpError(
          409,
          'pushes come from your MDM server: dmpush serve runs with --mdm-url, not the reference server',
        );
      return sendJson(
        res,
        200,
        await options.push(d.id, {
          ...(cachePolicy !== undefined ? { cachePolicy } : {}),
          ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
        }),
      );
    }
    if (path === '/api/events') {
      allow('GET');
      const since = query.get('since');
      const sinceMs = since === null ? undefined : parseInstant(since);
      if (sinceMs === null)
        throw new HttpError(400, `since: expected an ISO 8601 time with an offset, got ${since}`);
      const list = events.list({
        device: query.get('device') ?? undefined,
        type: query.get('type') ?? undefined,
        since: sinceMs,
      });
      return sendJson(res, 200, list.map(toJson));
    }
    if (path === '/api/clock') {
      allow('GET');
      return sendJson(res, 200, { now: formatInstant(clock.now()), mode: clock.mode });
    }
    if (path === '/api/clock/advance') {
      allow('POST');
      const body = await readJsonObject(req);
      onlyFields(body, ['duration']);
      if (clock.mode !== 'virtual')
        throw new HttpError(
          409,
          'the fleet runs on the system clock: only a virtual clock can be advanced',
        );
      const ms = durationField(body, 'duration', clock.now());
      // Time skips from event to event, waiting for the devices' I/O in flight at each one.
      await (clock as VirtualClock).runUntilIdleAware(clock.now() + ms);
      notify();
      return sendJson(res, 200, { now: formatInstant(clock.now()) });
    }
    throw new HttpError(404, `no route ${path}: the control API lives under /api/`);
  }

  const server = createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error.status, error.message, error.headers);
      else sendError(res, 500, `internal error: ${(error as Error).message}`);
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    if (requestTarget(req.url).path !== LIVE_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    live.handleUpgrade(req, socket, head, (ws) => live.emit('connection', ws, req));
  });

  return {
    server,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shown = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `http://${shown}:${address.port}`, port: address.port });
        });
      });
    },
    close() {
      unsubscribe();
      for (const ws of live.clients) ws.terminate();
      live.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
