import type { IncomingMessage } from 'node:http';
import { ValidationError } from '../../core/errors.js';
import { appProblems, type WnsApp } from '../../core/wns/apps.js';
import type { JournalEntry, JournalFilter } from '../../core/wns/journal.js';
import type { Fault } from '../../core/wns/wns-service.js';
import type { VirtualClock } from '../../core/time/virtual-clock.js';
import { formatInstant } from '../../core/time/iso.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import { HttpError, type RequestTarget } from './http-util.js';
import { durationField, onlyFields, readJsonObject, show, type JsonObject } from './json-body.js';

/** The admin API's prefix. Every route below it answers JSON. */
export const ADMIN_PREFIX = '/_sim/';

/** What an admin route answers: a status and a JSON body (none for 204). */
export interface AdminAnswer {
  readonly status: number;
  readonly body?: unknown;
}

interface AdminContext {
  readonly emulator: WnsEmulator;
  readonly query: URLSearchParams;
  /** The route's path parameters, percent-decoded. */
  readonly params: readonly string[];
  /** The body as a JSON object (an empty body is `{}`). */
  readonly json: () => Promise<JsonObject>;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly pattern: RegExp;
  handle(ctx: AdminContext): AdminAnswer | Promise<AdminAnswer>;
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

const SEGMENT = '([^/]+)';

const routes: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/_sim\/health$/,
    handle: () => ok({ ok: true }),
  },
  {
    method: 'GET',
    pattern: /^\/_sim\/clock$/,
    handle: ({ emulator }) =>
      ok({ now: formatInstant(emulator.clock.now()), mode: emulator.clock.mode }),
  },
  {
    method: 'POST',
    pattern: /^\/_sim\/clock\/advance$/,
    handle: async ({ emulator, json }) => {
      const body = await json();
      onlyFields(body, ['duration']);
      const clock = emulator.clock;
      if (clock.mode !== 'virtual') {
        throw new HttpError(
          409,
          'the emulator runs on the system clock: only a virtual clock can be advanced',
        );
      }
      const ms = durationField(body, 'duration', clock.now());
      (clock as VirtualClock).advance(ms);
      emulator.service.journal.add({
        time: clock.now(),
        op: 'admin',
        status: 200,
        description: `clock advanced by ${show(body['duration'])}`,
      });
      return ok({ now: formatInstant(clock.now()) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/_sim\/apps$/,
    handle: ({ emulator }) => ok(emulator.apps.list()),
  },
  {
    method: 'POST',
    pattern: /^\/_sim\/apps$/,
    handle: async ({ emulator, json }) => {
      const body = await json();
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
      emulator.service.journal.add({
        time: emulator.clock.now(),
        op: 'admin',
        status: 201,
        pfn: app.pfn,
        description: 'app registered',
      });
      const { secret: _secret, ...shown } = app;
      return ok(shown, 201);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/_sim/apps/${SEGMENT}/(block|unblock)$`),
    handle: ({ emulator, params }) => {
      const [pfn = '', action] = params;
      if (!emulator.apps.has(pfn)) throw new HttpError(404, `no app with PFN ${pfn} is registered`);
      const blocked = action === 'block';
      emulator.cloud.setBlocked(pfn, blocked);
      emulator.service.journal.add({
        time: emulator.clock.now(),
        op: 'admin',
        status: 200,
        pfn,
        description: blocked ? 'PFN blocked' : 'PFN unblocked',
      });
      return ok({ pfn, blocked });
    },
  },
  {
    method: 'GET',
    pattern: /^\/_sim\/channels$/,
    handle: ({ emulator, query }) => {
      const pfn = query.get('pfn');
      const deviceId = query.get('deviceId');
      const cloud = emulator.cloud;
      return ok(
        cloud
          .listChannels()
          .filter(
            (c) =>
              (pfn === null || c.pfn === pfn) && (deviceId === null || c.deviceId === deviceId),
          )
          .map((c) => ({
            channelUri: c.uri,
            pfn: c.pfn,
            deviceId: c.deviceId,
            expiresAt: formatInstant(c.expiresAt),
            connected: cloud.isConnected(c.deviceId),
          })),
      );
    },
  },
  {
    method: 'POST',
    pattern: /^\/_sim\/channels$/,
    handle: async ({ emulator, json }) => {
      const body = await json();
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
      const now = emulator.clock.now();
      const grant = emulator.createInboxChannel(pfn, deviceId, connected);
      if ('error' in grant) {
        const [status, why] =
          grant.error === 'pfn-blocked'
            ? [400, `pfn: ${pfn} is blocked`]
            : grant.error === 'invalid-pfn'
              ? [400, `pfn: ${pfn} is not the PFN of a registered app`]
              : [503, `WNS is unavailable (${grant.error})`];
        emulator.service.journal.add({
          time: now,
          op: 'channel',
          status,
          pfn,
          deviceId,
          description: why,
        });
        throw new HttpError(status, why);
      }
      emulator.service.journal.add({
        time: now,
        op: 'channel',
        status: 201,
        pfn,
        deviceId,
        channelUri: grant.channelUri,
      });
      return ok({ channelUri: grant.channelUri, expiresAt: formatInstant(grant.expiresAt) }, 201);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/_sim/devices/${SEGMENT}/connection$`),
    handle: async ({ emulator, params, json }) => {
      const deviceId = params[0] ?? '';
      const body = await json();
      onlyFields(body, ['connected']);
      if (typeof body['connected'] !== 'boolean') {
        throw new HttpError(
          400,
          `connected: expected true or false, got ${show(body['connected'])}`,
        );
      }
      const connected = body['connected'];
      if (!emulator.setInboxConnection(deviceId, connected)) {
        throw new HttpError(
          404,
          `no inbox device ${deviceId} (create one with POST /_sim/channels)`,
        );
      }
      emulator.service.journal.add({
        time: emulator.clock.now(),
        op: connected ? 'connect' : 'disconnect',
        status: 200,
        deviceId,
      });
      return ok({ deviceId, connected: emulator.cloud.isConnected(deviceId) });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/_sim/devices/${SEGMENT}/inbox$`),
    handle: ({ emulator, params }) => {
      const deviceId = params[0] ?? '';
      const items = emulator.inbox(deviceId);
      if (!items)
        throw new HttpError(
          404,
          `no inbox device ${deviceId} (create one with POST /_sim/channels)`,
        );
      return ok(
        items.map((i) => ({
          receivedAt: formatInstant(i.receivedAt),
          channelUri: i.channelUri,
          bodyBase64: i.bodyBase64,
        })),
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/_sim\/journal$/,
    handle: ({ emulator, query }) => {
      const filter: { -readonly [K in keyof JournalFilter]: JournalFilter[K] } = {};
      const channel = query.get('channel');
      if (channel !== null) filter.channelUri = emulator.cloud.findChannel(channel)?.uri ?? channel;
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
      return ok(emulator.service.journal.list(filter).map(journalJson));
    },
  },
  {
    method: 'GET',
    pattern: /^\/_sim\/faults$/,
    handle: ({ emulator }) => ok(emulator.service.listFaults().map(faultJson)),
  },
  {
    method: 'POST',
    pattern: /^\/_sim\/faults$/,
    handle: async ({ emulator, json }) => {
      const fault = parseFault(await json(), emulator.clock.now());
      emulator.service.addFault(fault);
      emulator.service.journal.add({
        time: emulator.clock.now(),
        op: 'admin',
        status: 201,
        description: `fault added: ${JSON.stringify(faultJson(fault))}`,
      });
      return ok(faultJson(fault), 201);
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_sim\/faults$/,
    handle: ({ emulator }) => {
      emulator.service.clearFaults();
      emulator.service.journal.add({
        time: emulator.clock.now(),
        op: 'admin',
        status: 204,
        description: 'faults cleared',
      });
      return noContent;
    },
  },
  {
    method: 'POST',
    pattern: /^\/_sim\/reset$/,
    handle: ({ emulator }) => {
      emulator.reset();
      return noContent;
    },
  },
];

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(
      400,
      `the path segment ${JSON.stringify(segment)} is not valid percent-encoding`,
    );
  }
}

/**
 * Answers one admin request (`/_sim/...`). Throws {@link HttpError} for every expected error
 * (the server turns it into `{"error": …}`); anything else is a bug and becomes a 500.
 */
export async function handleAdmin(
  emulator: WnsEmulator,
  req: IncomingMessage,
  target: RequestTarget,
): Promise<AdminAnswer> {
  const path =
    target.path.length > 1 && target.path.endsWith('/') ? target.path.slice(0, -1) : target.path;
  const method = req.method ?? 'GET';
  const matching = routes.filter((r) => r.pattern.test(path));
  if (matching.length === 0) throw new HttpError(404, `no admin route ${path}`);
  const route = matching.find((r) => r.method === method);
  if (!route) {
    const allow = [...new Set(matching.map((r) => r.method))].join(', ');
    throw new HttpError(405, `${method} is not allowed on ${path} (allowed: ${allow})`, { allow });
  }
  const match = route.pattern.exec(path) as RegExpExecArray;
  let body: Promise<JsonObject> | null = null;
  return route.handle({
    emulator,
    query: target.query,
    params: match.slice(1).map(decodeSegment),
    json: () => (body ??= readJsonObject(req)),
  });
}
