import { addDuration, parseDuration } from '../../core/time/iso.js';
import { HttpError } from './http-util.js';

/** A JSON request body: an object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Parses a JSON object body (an empty body is `{}`); anything else is a 400 {@link HttpError}. */
export function parseJsonObject(bytes: Buffer): JsonObject {
  const text = bytes.toString('utf8').trim();
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
