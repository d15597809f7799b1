import type { Simulation } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import { toJson } from '../../core/timeline/format.js';
import { formatInstant, parseInstant } from '../../core/time/iso.js';
import { renderDashboardPage } from '../../dashboard/dashboard-page.js';
import type { ReportData } from '../../report/html-report.js';
import { buildTimelineModel, LANES, LEGEND } from '../../report/timeline-model.js';
import { toDevicePatch } from '../../scenario/resolve.js';
import { JSON_BODY } from './body-policy.js';
import type { ClockAdvance } from './control-advance.js';
import { devicePatchBody, parseBody, pushBody } from './control-bodies.js';
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

/**
 * The report's data for one device, from the start to now. Open periods run a little past now
 * (2% of the span, at least 30 s), so that what just changed shows as a band, not a sliver.
 */
function deviceTimeline(ctx: ControlContext, id: string): ReportData {
  const now = ctx.simulation.clock.now();
  const start = ctx.start;
  const end = now + Math.max(30_000, (now - start) * 0.02);
  const model = buildTimelineModel(ctx.events.list({ device: id }), {
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
  const { cachePolicy, ttlSeconds } = body;
  x.sendJson(
    200,
    await push(d.id, {
      ...(cachePolicy !== undefined ? { cachePolicy } : {}),
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    }),
  );
}

function events(ctx: ControlContext, x: Exchange): void {
  const query = x.target.query;
  const since = query.get('since');
  const sinceMs = since === null ? undefined : parseInstant(since);
  if (sinceMs === null)
    throw new HttpError(400, `since: expected an ISO 8601 time with an offset, got ${since}`);
  const list = ctx.events.list({
    device: query.get('device') ?? undefined,
    type: query.get('type') ?? undefined,
    since: sinceMs,
  });
  x.sendJson(200, list.map(toJson));
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
      handle: (x) => x.sendJson(200, deviceTimeline(ctx, device(ctx, x).id)),
    },
    { method: 'POST', path: '/api/devices/:id/push', body: JSON_BODY, handle: (x) => push(ctx, x) },
    { method: 'GET', path: '/api/events', handle: (x) => events(ctx, x) },
    {
      method: 'GET',
      path: '/api/clock',
      handle: (x) => x.sendJson(200, { now: formatInstant(clock.now()), mode: clock.mode }),
    },
    ...ctx.advance.routes(),
  ];
}
