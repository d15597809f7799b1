import { ValidationError } from '../../core/errors.js';
import { appProblems, type WnsApp } from '../../core/wns/apps.js';
import type { JournalEntry, JournalFilter } from '../../core/wns/journal.js';
import type { Fault } from '../../core/wns/wns-service.js';
import type { VirtualClock } from '../../core/time/virtual-clock.js';
import { formatInstant } from '../../core/time/iso.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import { JSON_BODY, NO_BODY } from './body-policy.js';
import type { Exchange } from './exchange.js';
import { HttpError } from './http-util.js';
import { durationField, onlyFields, show, type JsonObject } from './json-body.js';
import { clockAdvance } from './admin-clock.js';
import type { HttpMethod, Route } from './route-table.js';

/** The admin API's prefix. Every route below it answers JSON. */
export const ADMIN_PREFIX = '/_sim/';

/** What an admin route answers: a status and a JSON body (none for 204). */
interface AdminAnswer {
  readonly status: number;
  readonly body?: unknown;
}

// ---- request bodies -------------------------------------------------------------------------

function requiredString(body: JsonObject, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new HttpError(400, `${field}: expected a non-empty string, got ${show(value)}`);
  }
  return value;
}

function optionalBoolean(body: JsonObject, field: string, fallback: boolean): boolean {
  const value = body[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new HttpError(400, `${field}: expected true or false, got ${show(value)}`);
  }
  return value;
}

// ---- answers --------------------------------------------------------------------------------

const ok = (body: unknown, status = 200): AdminAnswer => ({ status, body });
const noContent: AdminAnswer = { status: 204 };

/** A fault as the admin API shows it: the same shape it was posted in. */
function faultJson(fault: Fault): Record<string, unknown> {
  const action = fault.action;
  const shown: Record<string, unknown> =
    'status' in action
      ? { status: action.status }
      : 'drop' in action
        ? { drop: true }
        : { delay: `PT${action.delayMs / 1000}S`, delayMs: action.delayMs };
  return { op: fault.op, ...shown, probability: fault.probability };
}

function journalJson(entry: JournalEntry): Record<string, unknown> {
  return { ...entry, time: formatInstant(entry.time) };
}

function parseFault(body: JsonObject, now: number): Fault {
  onlyFields(body, ['op', 'status', 'drop', 'delay', 'probability']);
  const op = body['op'];
  if (op !== 'token' && op !== 'notify' && op !== 'connect') {
    throw new HttpError(400, `op: expected "token", "notify" or "connect", got ${show(op)}`);
  }
  const given = (['status', 'drop', 'delay'] as const).filter((k) => body[k] !== undefined);
  if (given.length !== 1) {
    throw new HttpError(
      400,
      given.length === 0
        ? 'status, drop or delay: expected exactly one of them, got none'
        : `status, drop or delay: expected exactly one of them, got ${given.join(' and ')}`,
    );
  }
  let action: Fault['action'];
  if (given[0] === 'status') {
    const status = body['status'];
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      throw new HttpError(
        400,
        `status: expected an HTTP error status from 400 to 599, got ${show(status)}`,
      );
    }
    action = { status };
  } else if (given[0] === 'drop') {
    if (body['drop'] !== true)
      throw new HttpError(400, `drop: expected true, got ${show(body['drop'])}`);
    action = { drop: true };
  } else {
    action = { delayMs: durationField(body, 'delay', now) };
  }
  const probability = body['probability'] ?? 1;
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
    throw new HttpError(
      400,
      `probability: expected a number from 0 to 1, got ${show(body['probability'])}`,
    );
  }
  return { op, action, probability };
}

// ---- routes ---------------------------------------------------------------------------------

/** A route of the admin API: its handler gets the emulator and answers a status and JSON body. */
interface AdminRoute {
  readonly method: HttpMethod;
  readonly path: string;
  /** Reads a JSON object body. */
  readonly json?: true;
  handle(emulator: WnsEmulator, x: Exchange): AdminAnswer;
}

const param = (x: Exchange, name: string): string => x.params[name] ?? '';

const noInbox = (deviceId: string): HttpError =>
  new HttpError(404, `no inbox device ${deviceId} (create one with POST /_sim/channels)`);

const routes: readonly AdminRoute[] = [
  { method: 'GET', path: '/_sim/health', handle: () => ok({ ok: true }) },
  {
    method: 'GET',
    path: '/_sim/clock',
    handle: ({ clock }) => ok({ now: formatInstant(clock.now()), mode: clock.mode }),
  },
  {
    method: 'POST',
    path: '/_sim/clock/advance',
    json: true,
    handle: (emulator, x) => {
      const body = x.json();
      onlyFields(body, ['duration']);
      const clock = emulator.clock;
      if (clock.mode !== 'virtual') {
        throw new HttpError(
          409,
          'the emulator runs on the system clock: only a virtual clock can be advanced',
        );
      }
      const ms = clockAdvance(emulator, body, clock.now());
      (clock as VirtualClock).advance(ms);
      emulator.service.recordAdmin(200, `clock advanced by ${show(body['duration'])}`);
      return ok({ now: formatInstant(clock.now()) });
    },
  },
  { method: 'GET', path: '/_sim/apps', handle: ({ apps }) => ok(apps.list()) },
  { method: 'POST', path: '/_sim/apps', json: true, handle: registerApp },
  {
    method: 'POST',
    path: '/_sim/apps/:pfn/block',
    handle: (emulator, x) => setBlocked(emulator, param(x, 'pfn'), true),
  },
  {
    method: 'POST',
    path: '/_sim/apps/:pfn/unblock',
    handle: (emulator, x) => setBlocked(emulator, param(x, 'pfn'), false),
  },
  {
    method: 'POST',
    path: '/_sim/apps/:pfn/revoke-tokens',
    handle: (emulator, x) => revokeTokens(emulator, param(x, 'pfn')),
  },
  { method: 'GET', path: '/_sim/channels', handle: listChannels },
  { method: 'POST', path: '/_sim/channels', json: true, handle: createChannel },
  {
    method: 'POST',
    path: '/_sim/devices/:deviceId/connection',
    json: true,
    handle: (emulator, x) => {
      const deviceId = param(x, 'deviceId');
      const body = x.json();
      onlyFields(body, ['connected']);
      const connected = body['connected'];
      if (typeof connected !== 'boolean') {
        throw new HttpError(400, `connected: expected true or false, got ${show(connected)}`);
      }
      if (!emulator.setInboxConnection(deviceId, connected)) throw noInbox(deviceId);
      emulator.service.recordConnection(deviceId, connected);
      return ok({ deviceId, connected: emulator.cloud.isConnected(deviceId) });
    },
  },
  {
    method: 'GET',
    path: '/_sim/devices/:deviceId/inbox',
    handle: (emulator, x) => {
      const deviceId = param(x, 'deviceId');
      const items = emulator.inbox(deviceId);
      if (!items) throw noInbox(deviceId);
      return ok(
        items.map((i) => ({
          receivedAt: formatInstant(i.receivedAt),
          channelUri: i.channelUri,
          bodyBase64: i.bodyBase64,
        })),
      );
    },
  },
  { method: 'GET', path: '/_sim/journal', handle: listJournal },
  {
    method: 'GET',
    path: '/_sim/faults',
    handle: ({ service }) => ok(service.listFaults().map(faultJson)),
  },
  {
    method: 'POST',
    path: '/_sim/faults',
    json: true,
    handle: ({ service, clock }, x) => {
      const fault = parseFault(x.json(), clock.now());
      service.addFault(fault);
      service.recordAdmin(201, `fault added: ${JSON.stringify(faultJson(fault))}`);
      return ok(faultJson(fault), 201);
    },
  },
  {
    method: 'DELETE',
    path: '/_sim/faults',
    handle: ({ service }) => {
      service.clearFaults();
      service.recordAdmin(204, 'faults cleared');
      return noContent;
    },
  },
  {
    method: 'POST',
    path: '/_sim/reset',
    handle: (emulator) => {
      emulator.reset();
      return noContent;
    },
  },
];

function registerApp(emulator: WnsEmulator, x: Exchange): AdminAnswer {
  const body = x.json();
  onlyFields(body, ['pfn', 'sid', 'secret', 'entraAppId', 'tenant']);
  const problems = appProblems(body);
  if (problems.length) throw new HttpError(400, problems.join('; '));
  const app: WnsApp = {
    pfn: body['pfn'] as string,
    sid: body['sid'] as string,
    secret: body['secret'] as string,
    ...(body['entraAppId'] !== undefined ? { entraAppId: body['entraAppId'] as string } : {}),
    ...(body['tenant'] !== undefined ? { tenant: body['tenant'] as string } : {}),
  };
  const apps = emulator.apps;
  if (apps.has(app.pfn))
    throw new HttpError(409, `pfn: an app with PFN ${app.pfn} is already registered`);
  if (apps.byPackageSid(app.sid))
    throw new HttpError(409, `sid: an app with SID ${app.sid} is already registered`);
  if (app.entraAppId !== undefined && apps.byEntraAppId(app.entraAppId)) {
    throw new HttpError(
      409,
      `entraAppId: an app with Entra application id ${app.entraAppId} is already registered`,
    );
  }
  try {
    apps.add(app);
  } catch (e) {
    if (e instanceof ValidationError) throw new HttpError(400, e.issues.join('; '));
    throw e;
  }
  emulator.service.recordAdmin(201, 'app registered', app.pfn);
  const { secret: _secret, ...shown } = app;
  return ok(shown, 201);
}

function setBlocked(emulator: WnsEmulator, pfn: string, blocked: boolean): AdminAnswer {
  if (!emulator.apps.has(pfn)) throw new HttpError(404, `no app with PFN ${pfn} is registered`);
  emulator.cloud.setBlocked(pfn, blocked);
  emulator.service.recordAdmin(200, blocked ? 'PFN blocked' : 'PFN unblocked', pfn);
  return ok({ pfn, blocked });
}

function revokeTokens(emulator: WnsEmulator, pfn: string): AdminAnswer {
  if (!emulator.apps.has(pfn)) throw new HttpError(404, `no app with PFN ${pfn} is registered`);
  const revoked = emulator.service.tokens.revoke(pfn);
  emulator.service.recordAdmin(200, `${revoked} access tokens revoked`, pfn);
  return ok({ pfn, revoked });
}

function listChannels({ cloud }: WnsEmulator, x: Exchange): AdminAnswer {
  const pfn = x.target.query.get('pfn');
  const deviceId = x.target.query.get('deviceId');
  return ok(
    cloud
      .listChannels()
      .filter(
        (c) => (pfn === null || c.pfn === pfn) && (deviceId === null || c.deviceId === deviceId),
      )
      .map((c) => ({
        channelUri: c.uri,
        pfn: c.pfn,
        deviceId: c.deviceId,
        expiresAt: formatInstant(c.expiresAt),
        revoked: c.revoked === true,
        connected: cloud.isConnected(c.deviceId),
      })),
  );
}

function createChannel(emulator: WnsEmulator, x: Exchange): AdminAnswer {
  const body = x.json();
  onlyFields(body, ['pfn', 'deviceId', 'connected']);
  const pfn = requiredString(body, 'pfn');
  const deviceId = requiredString(body, 'deviceId');
  const connected = optionalBoolean(body, 'connected', true);
  if (
    !emulator.hasInbox(deviceId) &&
    emulator.cloud.listChannels().some((c) => c.deviceId === deviceId)
  ) {
    throw new HttpError(
      409,
      `deviceId: ${deviceId} is a simulated device; inbox channels need a device id of their own`,
    );
  }
  const grant = emulator.createInboxChannel(pfn, deviceId, connected);
  if ('error' in grant) {
    const [status, why] =
      grant.error === 'pfn-blocked'
        ? [400, `pfn: ${pfn} is blocked`]
        : grant.error === 'invalid-pfn'
          ? [400, `pfn: ${pfn} is not the PFN of a registered app`]
          : [503, `WNS is unavailable (${grant.error})`];
    emulator.service.recordInboxChannel(status, pfn, deviceId, { description: why });
    throw new HttpError(status, why);
  }
  emulator.service.recordInboxChannel(201, pfn, deviceId, { channelUri: grant.channelUri });
  return ok({ channelUri: grant.channelUri, expiresAt: formatInstant(grant.expiresAt) }, 201);
}

function listJournal({ cloud, service }: WnsEmulator, x: Exchange): AdminAnswer {
  const query = x.target.query;
  const filter: { -readonly [K in keyof JournalFilter]: JournalFilter[K] } = {};
  const channel = query.get('channel');
  if (channel !== null) filter.channelUri = cloud.findChannel(channel)?.uri ?? channel;
  const app = query.get('app');
  if (app !== null) filter.pfn = app;
  const status = query.get('status');
  if (status !== null) {
    if (!/^\d{1,3}$/.test(status)) {
      throw new HttpError(
        400,
        `status: expected an HTTP status code, got ${JSON.stringify(status)}`,
      );
    }
    filter.status = Number(status);
  }
  const op = query.get('op');
  if (op !== null) filter.op = op;
  return ok(service.journalEntries(filter).map(journalJson));
}

/** True for a path of the admin API (`/_sim` and below). */
export function isAdminPath(path: string): boolean {
  return path === ADMIN_PREFIX.slice(0, -1) || path.startsWith(ADMIN_PREFIX);
}

/**
 * The admin API's routes (`/_sim/...`, JSON) on `emulator`, for an HTTP service. Every expected
 * error is an {@link HttpError}; anything else is a bug and becomes a 500.
 */
export function adminRoutes(emulator: WnsEmulator): Route[] {
  return routes.map((r): Route => ({
    method: r.method,
    path: r.path,
    ...(r.json ? { body: JSON_BODY } : r.method === 'GET' ? {} : { body: NO_BODY }),
    handle: (x) => {
      const answer = r.handle(emulator, x);
      x.sendJson(answer.status, answer.body);
    },
  }));
}
