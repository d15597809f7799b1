import type { Simulation } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import { formatInstant } from '../../core/time/iso.js';
import { renderDashboardPage } from '../../dashboard/dashboard-page.js';
import { toDevicePatch } from '../../scenario/resolve.js';
import { JSON_BODY, NO_BODY } from './body-policy.js';
import type { ClockAdvance } from './control-advance.js';
import { devicePatchBody, parseBody, pushBody } from './control-bodies.js';
import { sendDeviceTimeline, sendEvents } from './control-events.js';
import type { Exchange } from './exchange.js';
import { HttpError } from './http-util.js';
import type { Route } from './route-table.js';

/** What the control API's routes work on. */
export interface ControlContext {
  readonly simulation: Simulation;
  readonly events: EventLog;
  /** Where device timelines start (epoch ms). */
  readonly start: number;
  /** A device as the API shows it. */
  readonly deviceJson: (d: ReturnType<Simulation['snapshots']>[number]) => Record<string, unknown>;
  /** Tells live clients that `deviceId` (or the clock) changed. */
  readonly touched: (deviceId?: string) => void;
  /** Asks the MDM server to push (absent: the push route answers 409). */
  readonly push?: (
    deviceId: string,
    options: { readonly cachePolicy?: 'cache' | 'no-cache'; readonly ttlSeconds?: number },
  ) => Promise<object>;
  /** Served at `GET /metrics`, when given. */
  readonly metrics?: { readonly contentType: string; render(): Promise<string> };
  /** `POST` and `DELETE /api/clock/advance`. */
  readonly advance: ClockAdvance;
}

type Device = NonNullable<ReturnType<Simulation['device']>>;

/** The device named by the route's `:id` (percent-decoded), or a 404. */
function device(ctx: ControlContext, x: Exchange): Device {
  const id = x.params['id'] ?? '';
  const found = ctx.simulation.device(id);
  if (!found) throw new HttpError(404, `no device ${JSON.stringify(id)}`);
  return found;
}

async function push(ctx: ControlContext, x: Exchange): Promise<void> {
  const d = device(ctx, x);
  const body = parseBody(pushBody, x.json());
  const push = ctx.push;
  if (!push)
    throw new HttpError(
      409,
      'pushes come from your MDM server: dmpush serve runs with --mdm-url, not the reference server',
    );
  const { cachePolicy, ttlSeconds, priority } = body;
  x.sendJson(
    200,
    await push(d.id, {
      ...(cachePolicy !== undefined ? { cachePolicy } : {}),
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      ...(priority !== undefined ? { priority } : {}),
    }),
  );
}

/** The control API's route table (see `createControlApi` for the contract). */
export function controlRoutes(ctx: ControlContext): Route[] {
  const { simulation, metrics } = ctx;
  const clock = simulation.clock;
  let page: string | undefined;
  return [
    ...(metrics
      ? [
          {
            method: 'GET',
            path: '/metrics',
            handle: async (x) => {
              const text = await metrics.render();
              x.send(200, { 'content-type': metrics.contentType }, text);
            },
          } satisfies Route,
        ]
      : []),
    {
      method: 'GET',
      path: '/',
      handle: (x) => {
        page ??= renderDashboardPage();
        x.send(200, { 'content-type': 'text/html; charset=utf-8' }, page);
      },
    },
    { method: 'GET', path: '/api/health', handle: (x) => x.sendJson(200, { ok: true }) },
    {
      method: 'GET',
      path: '/api/devices',
      handle: (x) => x.sendJson(200, simulation.snapshots().map(ctx.deviceJson)),
    },
    {
      method: 'GET',
      path: '/api/devices/:id',
      handle: (x) => x.sendJson(200, ctx.deviceJson(device(ctx, x).snapshot())),
    },
    {
      method: 'PATCH',
      path: '/api/devices/:id',
      body: JSON_BODY,
      handle: (x) => {
        const d = device(ctx, x);
        d.apply(toDevicePatch(parseBody(devicePatchBody, x.json())));
        ctx.touched(d.id);
        x.sendJson(200, ctx.deviceJson(d.snapshot()));
      },
    },
    {
      method: 'GET',
      path: '/api/devices/:id/tree',
      handle: (x) => x.sendJson(200, device(ctx, x).tree.list()),
    },
    {
      method: 'GET',
      path: '/api/devices/:id/timeline',
      handle: (x) =>
        sendDeviceTimeline(
          { events: ctx.events, start: ctx.start, now: () => clock.now() },
          device(ctx, x).id,
          x,
        ),
    },
    { method: 'POST', path: '/api/devices/:id/push', body: JSON_BODY, handle: (x) => push(ctx, x) },
    {
      method: 'POST',
      path: '/api/devices/:id/enroll',
      body: NO_BODY,
      handle: (x) => {
        const d = device(ctx, x);
        if (!d.enroll())
          throw new HttpError(
            409,
            `device ${JSON.stringify(d.id)} is enrolled, enrolling, or its fleet does not enroll`,
          );
        ctx.touched(d.id);
        x.sendJson(202, ctx.deviceJson(d.snapshot()));
      },
    },
    {
      method: 'POST',
      path: '/api/devices/:id/unenroll',
      body: NO_BODY,
      handle: (x) => {
        const d = device(ctx, x);
        if (!d.unenroll())
          throw new HttpError(409, `device ${JSON.stringify(d.id)} is not enrolled`);
        ctx.touched(d.id);
        x.sendJson(202, ctx.deviceJson(d.snapshot()));
      },
    },
    { method: 'GET', path: '/api/events', handle: (x) => sendEvents(ctx.events, x) },
    {
      method: 'GET',
      path: '/api/clock',
      handle: (x) => x.sendJson(200, { now: formatInstant(clock.now()), mode: clock.mode }),
    },
    ...ctx.advance.routes(),
  ];
}
