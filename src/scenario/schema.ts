import { z } from 'zod';
import { cronProblem } from './cron.js';
import { PFN_FORM } from '../core/dmclient/pfn.js';
import { osNameOf, OS_NAMES_TEXT, type OsName } from '../core/os/os-profiles.js';
import { parseDuration, parseInstant } from '../core/time/iso.js';
import { show } from '../core/validation.js';

// Message formatting lives in the core (saved state uses it too); re-exported for its users here.
export { formatIssues } from '../core/validation.js';

/**
 * The scenario file schema (YAML or JSON). Field names here are a contract; see
 * docs/scenarios.md. Leaf validators write their own messages so that every error reads
 * `path: expected …, got …`.
 */

/** A value drawn per device from the run seed: `{ uniform: [a, b] }` or `{ choice: [...] }`. */
export type Drawable<T> =
  | T
  | { readonly uniform: readonly [number, number]; readonly integer?: boolean }
  | { readonly choice: readonly T[] };

type Ctx = z.RefinementCtx<unknown>;
const fail = (ctx: Ctx, message: string): never => {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
};

function numberIn(
  min: number,
  max: number,
  integer: boolean,
): { form: string; ok: (v: unknown) => v is number } {
  const upper = Number.isFinite(max) ? ` to ${max}` : ' or more';
  return {
    form: `${integer ? 'a whole number' : 'a number'} from ${min}${upper}`,
    ok: (v: unknown): v is number =>
      typeof v === 'number' &&
      Number.isFinite(v) &&
      v >= min &&
      v <= max &&
      (!integer || Number.isInteger(v)),
  };
}

/** A number in [min, max]; with `draw`, also `{ uniform: [a, b] }` or `{ choice: [...] }`. */
function num(min: number, max: number, opts: { integer?: boolean; draw?: boolean } = {}) {
  const { form, ok } = numberIn(min, max, opts.integer ?? false);
  const drawForm = opts.draw ? ` (or { uniform: [a, b] } / { choice: [...] })` : '';
  return z.unknown().transform((v, ctx): Drawable<number> => {
    if (ok(v)) return v;
    if (opts.draw && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === 'uniform') {
        const u = o['uniform'];
        if (!Array.isArray(u) || u.length !== 2 || !ok(u[0]) || !ok(u[1]) || u[0] > u[1]) {
          return fail(
            ctx,
            `expected uniform: [a, b] with a <= b, each ${form}, got ${Array.isArray(u) ? JSON.stringify(u) : show(u)}`,
          );
        }
        return opts.integer ? { uniform: [u[0], u[1]], integer: true } : { uniform: [u[0], u[1]] };
      }
      if (keys.length === 1 && keys[0] === 'choice') {
        const c = o['choice'];
        if (!Array.isArray(c) || c.length === 0 || !c.every(ok)) {
          return fail(
            ctx,
            `expected choice: [...] with at least one value, each ${form}, got ${Array.isArray(c) ? JSON.stringify(c) : show(c)}`,
          );
        }
        return { choice: c };
      }
    }
    return fail(ctx, `expected ${form}${drawForm}, got ${show(v)}`);
  });
}

/** One of fixed values; with `draw`, also `{ choice: [...] }`. */
function oneOf<const T extends string | boolean>(
  values: readonly T[],
  opts: { draw?: boolean; what?: string } = {},
) {
  const form = opts.what ?? values.map((v) => JSON.stringify(v)).join(' or ');
  const ok = (v: unknown): v is T => values.includes(v as T);
  return z.unknown().transform((v, ctx): Drawable<T> => {
    if (ok(v)) return v;
    if (opts.draw && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const c = (v as Record<string, unknown>)['choice'];
      if (Object.keys(v).length === 1 && Array.isArray(c) && c.length > 0 && c.every(ok))
        return { choice: c };
    }
    return fail(
      ctx,
      `expected ${form}${opts.draw ? ' (or { choice: [...] })' : ''}, got ${show(v)}`,
    );
  });
}

const bool = (draw = false) => oneOf([true, false] as const, { draw, what: 'true or false' });

/**
 * A Windows version name (`"1607"`, `"22H2"`, `"11-24H2"`; an older spelling such as `win11-22H2`
 * is read as the version it names; YAML's unquoted `1607` too), or `{ choice: [...] }` of them.
 */
const osField = z.unknown().transform((v, ctx): Drawable<OsName> => {
  const one = (x: unknown): OsName | null =>
    typeof x === 'string' || typeof x === 'number' ? osNameOf(String(x)) : null;
  const name = one(v);
  if (name !== null) return name;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1) {
    const c = (v as Record<string, unknown>)['choice'];
    const names = Array.isArray(c) ? c.map(one) : [];
    if (names.length > 0 && names.every((n) => n !== null)) return { choice: names };
  }
  return fail(
    ctx,
    `expected a Windows version, ${OS_NAMES_TEXT} (or { choice: [...] }), got ${show(v)}`,
  );
});

/** An ISO 8601 duration such as `P15D` or `PT4H`. */
/** A positive ISO 8601 duration such as `P15D` or `PT4H`. */
const duration = z.unknown().transform((v, ctx) => {
  const d = typeof v === 'string' && /\d/.test(v) ? parseDuration(v) : null;
  if (d && d.toMillis() > 0) return v as string;
  return fail(
    ctx,
    `expected a positive ISO 8601 duration such as "P15D" or "PT4H", got ${show(v)}`,
  );
});

/** An ISO 8601 time with offset, or a duration after the scenario start. */
const instantOrOffset = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string' && (parseDuration(v) || parseInstant(v) !== null)) return v;
  return fail(
    ctx,
    `expected an ISO 8601 duration after start (e.g. "P14D") or an ISO time with offset (e.g. "2026-01-15T00:00:00Z"), got ${show(v)}`,
  );
});

const instant = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string' && parseInstant(v) !== null) return v;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString();
  return fail(
    ctx,
    `expected an ISO 8601 time with offset, e.g. "2026-01-01T00:00:00Z", got ${show(v)}`,
  );
});

const timezone = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string') {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: v });
      return v;
    } catch {
      /* fall through */
    }
  }
  return fail(ctx, `expected an IANA time zone such as "UTC" or "Europe/Paris", got ${show(v)}`);
});

const pfnString = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string' && v.length > 0) return v;
  return fail(ctx, `expected a Package Family Name (${PFN_FORM}), got ${show(v)}`);
});

const deviceId = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v)) return v;
  return fail(
    ctx,
    `expected a device id (letters, digits, ".", "_" or "-", at most 64), got ${show(v)}`,
  );
});

const hhmm = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(v)) return v;
  return fail(ctx, `expected a local time "HH:MM", got ${show(v)}`);
});

function batteryShape(draw: boolean) {
  return z.strictObject({
    level: num(0, 100, { draw }).optional(),
    charging: bool(draw).optional(),
    drainPerHour: num(0, 100, { draw }).optional(),
    chargePerHour: num(0, 100, { draw }).optional(),
    saverThreshold: num(0, 100, { draw }).optional(),
    saverOn: bool(draw).optional(),
    pushAllowedInSaver: bool(draw).optional(),
  });
}

function networkShape(draw: boolean) {
  return z.strictObject({
    connected: bool(draw).optional(),
    internet: bool(draw).optional(),
    metered: bool(draw).optional(),
    type: oneOf(['wifi', 'cellular', 'ethernet'] as const, { draw }).optional(),
    wnsReachable: bool(draw).optional(),
  });
}

function dataSenseShape(draw: boolean) {
  return z.strictObject({
    limitMB: z.union([z.null(), num(0, Infinity, { draw })]).optional(),
    usedMB: num(0, Infinity, { draw }).optional(),
    backgroundMBPerHour: num(0, Infinity, { draw }).optional(),
    resetDay: num(1, 31, { integer: true, draw }).optional(),
    perSessionMB: num(0, Infinity, { draw }).optional(),
    perPushMB: num(0, Infinity, { draw }).optional(),
  });
}

const screen = (draw = false) => oneOf(['on', 'off'] as const, { draw });

/** A daily routine: local times at which the device is plugged in or out, its screen on or off. */
const routineShape = z.strictObject({
  steps: z
    .array(
      z
        .strictObject({
          at: hhmm,
          charging: bool().optional(),
          screen: screen().optional(),
        })
        .refine((s) => s.charging !== undefined || s.screen !== undefined, {
          error: 'expected "charging" and/or "screen" in a routine step, got neither',
        }),
    )
    .min(1, { error: 'expected at least one step' }),
  jitterMinutes: num(0, 720).optional(),
});

const pollSet = z.strictObject({
  intervalMinutes: num(0, 1_000_000, { integer: true }).optional(),
  count: num(0, 1_000_000, { integer: true }).optional(),
});

const pollShape = z.strictObject({
  first: pollSet.optional(),
  second: pollSet.optional(),
  remaining: pollSet.optional(),
  maintenanceTime: hhmm.optional(),
});

const deviceSchema = z.strictObject({
  id: deviceId,
  count: num(1, 100_000, { integer: true }).optional(),
  os: osField.optional(),
  pfn: z.union([z.null(), pfnString]).optional(),
  providerId: z.string().min(1).optional(),
  timezone: timezone.optional(),
  battery: batteryShape(true).optional(),
  network: networkShape(true).optional(),
  dataSense: dataSenseShape(true).optional(),
  poll: pollShape.optional(),
  wnsPushService: oneOf(['running', 'disabled'] as const).optional(),
  screen: screen(true).optional(),
  wnsPriorityExempt: bool(true).optional(),
  pollsInBatterySaver: oneOf(['run', 'delay'] as const).optional(),
  routine: z.union([z.null(), routineShape]).optional(),
});

/** Condition fields a `set` event (and the control API) may change. */
export const devicePatchSchema = z.strictObject({
  battery: batteryShape(false).optional(),
  network: networkShape(false).optional(),
  dataSense: dataSenseShape(false).optional(),
  poll: pollShape.optional(),
  pfn: z.union([z.null(), pfnString]).optional(),
  wnsPushService: oneOf(['running', 'disabled'] as const).optional(),
  screen: screen().optional(),
  wnsPriorityExempt: bool().optional(),
});

const deviceRef = z.union([deviceId, z.array(deviceId).min(1)]);

const cachePolicy = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string' && /^(cache|no-cache)$/i.test(v))
    return v.toLowerCase() as 'cache' | 'no-cache';
  return fail(ctx, `expected "cache" or "no-cache" (X-WNS-Cache-Policy, any case), got ${show(v)}`);
});

const pushShape = z.strictObject({
  device: z.union([z.literal('*'), deviceRef]).optional(),
  cachePolicy: cachePolicy.optional(),
  ttlSeconds: z.union([z.null(), num(0, 2_592_000, { integer: true })]).optional(),
  priority: num(1, 4, { integer: true }).optional(),
});

const wnsEventShape = z.strictObject({
  block: z.array(pfnString).optional(),
  unblock: z.array(pfnString).optional(),
  available: bool().optional(),
});

const cronExpression = z.unknown().transform((v, ctx) => {
  if (typeof v !== 'string')
    return fail(ctx, `expected a cron expression such as "0 18 * * 1-5", got ${show(v)}`);
  const problem = cronProblem(v);
  return problem
    ? fail(
        ctx,
        `expected a cron expression such as "0 18 * * 1-5", got ${JSON.stringify(v)} (${problem})`,
      )
    : v;
});

const eventSchema = z
  .strictObject({
    at: instantOrOffset.optional(),
    every: duration.optional(),
    cron: cronExpression.optional(),
    until: instantOrOffset.optional(),
    device: z.union([z.literal('*'), deviceRef]).optional(),
    set: devicePatchSchema.optional(),
    push: pushShape.optional(),
    wns: wnsEventShape.optional(),
    reboot: z.literal(true, { error: 'expected true' }).optional(),
  })
  .superRefine((e, ctx) => {
    const kinds = (['set', 'push', 'wns', 'reboot'] as const).filter((k) => e[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `expected exactly one of "set", "push", "wns" or "reboot", got ${kinds.length ? kinds.map((k) => `"${k}"`).join(' and ') : 'none'}`,
      });
    }
    if (e.at === undefined && e.cron === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['at'],
        message: 'expected a time (ISO duration after start or ISO time), got nothing',
      });
    if (e.every !== undefined && e.cron !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['cron'],
        message: 'expected either "every" or "cron", not both',
      });
    if ((e.set || e.reboot) && e.device === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['device'],
        message:
          'expected a device id, a list of ids or "*" for a "set" or "reboot" event, got nothing',
      });
  });

export const scenarioSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  seed: num(0, 2 ** 31 - 1, { integer: true }).optional(),
  start: instant.optional(),
  duration: duration.optional(),
  timezone: timezone.optional(),
  wns: z
    .strictObject({
      unknownPfns: z.array(pfnString).optional(),
      blockedPfns: z.array(pfnString).optional(),
      reuseChannelUri: bool().optional(),
      cacheMaxAge: duration.optional(),
      host: z
        .string()
        .regex(/^[a-z0-9.-]+$/i, { error: 'expected a host name such as "sim.notify.windows.com"' })
        .optional(),
    })
    .optional(),
  mdm: z
    .strictObject({
      sessionDuration: duration.optional(),
      rereadChannelUri: bool().optional(),
    })
    .optional(),
  devices: z.array(deviceSchema).min(1, { error: 'expected at least one device' }),
  events: z.array(eventSchema).optional(),
});

export type ScenarioFile = z.output<typeof scenarioSchema>;
export type DeviceEntry = z.output<typeof deviceSchema>;
export type DevicePatchInput = z.output<typeof devicePatchSchema>;
