import type { Server } from 'node:http';
import type { DeviceSnapshot } from '../../core/device/device.js';
import type { Simulation } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import { formatInstant } from '../../core/time/iso.js';
import type { AccessPolicy, AccessScope } from './access.js';
import { ClockAdvance } from './control-advance.js';
import { LiveUpdates } from './control-live.js';
import { controlRoutes } from './control-routes.js';
import { createHttpService, type ErrorLogger, type RequestSummary } from './service.js';

/** What `POST /api/devices/{id}/push` answers: the MDM server's account of the push. */
export type PushOutcome = object;

/** The body of `POST /api/devices/{id}/push`. */
export interface ControlPushOptions {
  readonly cachePolicy?: 'cache' | 'no-cache';
  readonly ttlSeconds?: number;
  /** `X-WNS-PRIORITY`: 1 High, 2 Medium, 3 Low (the raw default), 4 Very Low. */
  readonly priority?: 1 | 2 | 3 | 4;
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
  /**
   * The longest one `POST /api/clock/advance` may skip, an ISO 8601 duration (default
   * `DEFAULT_MAX_ADVANCE` of `control-advance.ts`).
   */
  readonly maxAdvance?: string;
  /** Called just before any answer is written (durable state commits there). */
  readonly beforeReply?: () => void;
  /** Told of an unexpected exception of a request (the client got a 500); default: logged. */
  readonly onError?: (error: unknown, request: RequestSummary) => void;
  /** Where unexpected exceptions are logged when there is no `onError` (default: stderr). */
  readonly logger?: ErrorLogger;
  /** Host names served besides local ones, and the API token (`--allow-host`, `--api-token`). */
  readonly access?: AccessPolicy;
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
    screen: s.screen,
    poweredOff: s.poweredOff,
    heldPushes: s.heldPushes,
    network: s.network,
    dataSense: s.dataSense,
    wnsPushService: s.wnsPushService,
    enrollment: s.enrollment && {
      ...s.enrollment,
      certificateNotAfter: iso(s.enrollment.certificateNotAfter),
      enrolledAt: iso(s.enrollment.enrolledAt),
    },
  };
}

/** The routes open without the API token: the dashboard's page (it asks for the token) and health. */
const isOpenRoute = (method: string | undefined, path: string): boolean =>
  (method === 'GET' || method === 'HEAD') && (path === '/' || path === '/api/health');

/**
 * Every state-changing request refuses a foreign Origin; every route but {@link isOpenRoute}
 * needs the API token when there is one.
 */
const CONTROL_SCOPE: AccessScope = {
  origin: () => true,
  token: (req, target) => !isOpenRoute(req.method, target.path),
};

/**
 * The live fleet's control API (`dmpush serve --port`), JSON over HTTP; its routes are a contract:
 * `GET /api/devices`, `GET|PATCH /api/devices/{id}`, `POST /api/devices/{id}/push`,
 * `GET /api/events?device=&type=&since=&limit=&after=` (in pages: `control-events.ts`),
 * `GET /api/clock`, `POST|DELETE /api/clock/advance`
 * (bounded and cancellable: `control-advance.ts`),
 * `GET /api/health`, and `GET /metrics` (Prometheus). Bad requests get 4xx with `{"error"}` naming
 * what was wrong; request bodies are JSON (a zod schema each, see `control-bodies.ts`).
 *
 * The live dashboard: `GET /` (the page), `GET /api/devices/{id}/tree` (the DM tree: present
 * nodes with `uri`, `format`, `access` and a leaf's `value`), `GET /api/devices/{id}/timeline`
 * (the report's timeline data for a window of the device's timeline, with an overview), and the WebSocket `/api/live` (see
 * {@link LiveUpdates}).
 *
 * Built on the HTTP service base (`service.ts`): local callers only (Host, Origin, the optional
 * API token: `access.ts`), routes in a table, one error path, commit before reply.
 */
export function createControlApi(options: ControlApiOptions): ControlApi {
  const { simulation, events } = options;
  const live = new LiveUpdates(simulation, events, deviceJson);
  const advance = new ClockAdvance(simulation.clock, {
    maxAdvance: options.maxAdvance,
    touched: () => live.notify(),
  });
  const service = createHttpService({
    name: 'control',
    routes: controlRoutes({
      simulation,
      events,
      start: options.start ?? simulation.clock.now(),
      deviceJson,
      touched: (deviceId) => live.notify(deviceId),
      advance,
      ...(options.push ? { push: options.push } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
    notFound: (path) => `no route ${path}: the control API lives under /api/`,
    beforeReply: options.beforeReply,
    onError: options.onError,
    logger: options.logger,
    access: options.access,
    accessScope: CONTROL_SCOPE,
  });
  live.attach(service.server, options.access ?? {});
  return {
    server: service.server,
    listen: (port, host) => service.listen(port, host),
    async close() {
      // A running advance stops first (its client gets its answer), then the servers close.
      await advance.close();
      live.close();
      await service.close();
    },
  };
}
