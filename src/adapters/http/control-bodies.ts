import { z } from 'zod';
import { parseDuration } from '../../core/time/iso.js';
import { devicePatchSchema, formatIssues } from '../../scenario/schema.js';
import { HttpError } from './http-util.js';
import { show, type JsonObject } from './json-body.js';

/**
 * The control API's request bodies as zod schemas. A bad body is a 400 whose message names each
 * field (`ttlSeconds: expected a whole number of seconds, got -5`; `batery: unknown field`).
 */

/** `PATCH /api/devices/{id}`: the condition fields a scenario's `set` event may change. */
export const devicePatchBody = devicePatchSchema;

/** `POST /api/devices/{id}/push`. */
export const pushBody = z.strictObject({
  cachePolicy: z
    .enum(['cache', 'no-cache'], {
      error: (issue) => `expected cache or no-cache, got ${show(issue.input)}`,
    })
    .optional(),
  ttlSeconds: z
    .custom<number>((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0, {
      error: (issue) => `expected a whole number of seconds, got ${show(issue.input)}`,
    })
    .optional(),
  priority: z
    .custom<1 | 2 | 3 | 4>((v) => v === 1 || v === 2 || v === 3 || v === 4, {
      error: (issue) =>
        `expected 1 (High), 2 (Medium), 3 (Low) or 4 (Very Low), got ${show(issue.input)}`,
    })
    .optional(),
});

/** `POST /api/clock/advance`: an ISO 8601 duration (its length is checked against the clock). */
export const clockAdvanceBody = z.strictObject({
  duration: z.custom<string>((v) => typeof v === 'string' && parseDuration(v) !== null, {
    error: (issue) =>
      `expected an ISO 8601 duration such as PT25H or P30D, got ${show(issue.input)}`,
  }),
});

/** `body` checked against `schema`; a 400 naming each bad field otherwise. */
export function parseBody<S extends z.ZodType>(schema: S, body: JsonObject): z.output<S> {
  const parsed = schema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw new HttpError(400, formatIssues(parsed.error).join('; '));
  return parsed.data;
}
