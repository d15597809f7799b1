import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeviceSnapshot } from '../../core/device/device.js';
import type { Simulation } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import { toJson } from '../../core/timeline/format.js';
import { formatInstant, parseInstant } from '../../core/time/iso.js';
import type { VirtualClock } from '../../core/time/virtual-clock.js';
import { formatIssues, devicePatchSchema } from '../../scenario/schema.js';
import { toDevicePatch } from '../../scenario/resolve.js';
import { HttpError, requestTarget, send, sendError, sendJson } from './http-util.js';
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

/**
 * The live fleet's control API (`dmpush serve --port`), JSON over HTTP; its routes are a contract:
 * `GET /api/devices`, `GET|PATCH /api/devices/{id}`, `POST /api/devices/{id}/push`,
 * `GET /api/events?device=&type=&since=`, `GET /api/clock`, `POST /api/clock/advance`,
 * `GET /api/health`, and `GET /metrics` (Prometheus). Bad requests get 4xx with `{"error"}` naming what was wrong.
 */
export function createControlApi(options: ControlApiOptions): ControlApi {
  const { simulation, events } = options;
  const clock = simulation.clock;

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
      }
      return sendJson(res, 200, deviceJson(d.snapshot()));
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
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
