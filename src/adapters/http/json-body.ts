import type { IncomingMessage } from 'node:http';
import { addDuration, parseDuration } from '../../core/time/iso.js';
import { HttpError } from './http-util.js';
import { readBody } from './read-body.js';

/** A JSON request body: an object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Largest JSON request body. */
const JSON_BODY_LIMIT = 1024 * 1024;

/** Reads a JSON object body (an empty body is `{}`); anything else is an {@link HttpError}. */
export async function readJsonObject(req: IncomingMessage): Promise<JsonObject> {
  const result = await readBody(req, { limit: JSON_BODY_LIMIT });
  if (result.kind === 'aborted') throw new HttpError(400, 'the request body was cut off');
  if (result.kind === 'too-large') {
    throw new HttpError(413, `the request body is over ${JSON_BODY_LIMIT} bytes`);
  }
  const text = result.body.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'the request body must be a JSON object');
  }
  return value as JsonObject;
}

/** A value as an error message shows it. */
export const show = (value: unknown): string =>
  value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value);

/** Refuses fields the route does not know (a typo would otherwise be silently ignored). */
export function onlyFields(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw new HttpError(
      400,
      `${JSON.stringify(unknown)}: unknown field (expected ${allowed.join(', ')})`,
    );
  }
}

/** An ISO 8601 duration (`PT25H`, `P30D`) in milliseconds from now (calendar-aware). */
export function durationField(body: JsonObject, field: string, now: number): number {
  const value = body[field];
  const duration = typeof value === 'string' ? parseDuration(value) : null;
  if (!duration) {
    throw new HttpError(
      400,
      `${field}: expected an ISO 8601 duration such as PT25H or P30D, got ${show(value)}`,
    );
  }
  const ms = addDuration(now, duration) - now;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new HttpError(400, `${field}: expected a duration of zero or more, got ${show(value)}`);
  }
  return ms;
}
