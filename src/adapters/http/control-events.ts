/**
 * The control API's timeline routes, both bounded however long the timeline: `GET /api/events`
 * answers a page of events from a position (`limit`, `after`; the answer's `next` continues), and
 * `GET /api/devices/{id}/timeline` a window of a device's timeline (`from`, `to`) with an overview
 * of the whole. See docs/live-fleet.md#control-api.
 *
 * @module
 */
import type { EventLog } from '../../core/timeline/event-log.js';
import { toJson } from '../../core/timeline/format.js';
import { parseInstant } from '../../core/time/iso.js';
import { buildDeviceTimeline } from '../../report/timeline-window.js';
import type { Exchange } from './exchange.js';
import { HttpError } from './http-util.js';

/** Events a page holds when `limit` is not given. */
const EVENTS_LIMIT_DEFAULT = 1_000;
/** Most events a page may hold (`limit`). */
const EVENTS_LIMIT_MAX = 10_000;
/**
 * Most events a page examines: with a filter few events pass, a page may hold fewer than `limit`
 * (`more` is then true), so that every answer costs a bounded time.
 */
const EVENTS_SCAN = 20_000;

/** A positive whole number from the query, at most `max`; absent: `fallback`. */
function limitParam(query: URLSearchParams, fallback: number, max: number): number {
  const text = query.get('limit');
  if (text === null) return fallback;
  const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max))
    throw new HttpError(400, `limit: expected a whole number from 1 to ${max}, got ${text}`);
  return n;
}

/** The cursor: the `next` of an earlier answer (a position, `0` for the oldest kept). */
function afterParam(query: URLSearchParams): number {
  const text = query.get('after');
  if (text === null) return 0;
  const n = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(n))
    throw new HttpError(400, `after: expected the "next" of an earlier answer, got ${text}`);
  return n;
}

/** An ISO 8601 time of the query (epoch ms), or undefined when absent. */
function instantParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const ms = parseInstant(text);
  if (ms === null)
    throw new HttpError(400, `${name}: expected an ISO 8601 time with an offset, got ${text}`);
  return ms;
}

/**
 * `GET /api/events?device=&type=&since=&limit=&after=`: `{"events","next","more"}`, the matching
 * events after position `after`, oldest first; `next` is where the next page starts (pass it as
 * `after`; also to follow new events later), `more` whether the log holds events after it.
 */
export function sendEvents(events: EventLog, x: Exchange): void {
  const query = x.target.query;
  const limit = limitParam(query, EVENTS_LIMIT_DEFAULT, EVENTS_LIMIT_MAX);
  const after = afterParam(query);
  const since = instantParam(query, 'since');
  const page = events.page(
    { device: query.get('device') ?? undefined, type: query.get('type') ?? undefined, since },
    { after, limit, scan: Math.max(limit, EVENTS_SCAN) },
  );
  if (after > page.last)
    throw new HttpError(
      400,
      `after: ${after} is past the newest event (${page.last}): use the "next" of an earlier answer`,
    );
  x.sendJson(200, {
    events: page.entries.map((e) => toJson(e.value)),
    next: String(page.next),
    more: page.more,
  });
}

/** What a device's timeline is drawn from. */
export interface TimelineSource {
  readonly events: EventLog;
  /** Where device timelines start (epoch ms). */
  readonly start: number;
  /** The present (epoch ms). */
  now(): number;
}

/**
 * `GET /api/devices/{id}/timeline?from=&to=`: the report's data for a window of the device's
 * timeline (at most 1,000 events: the newest, those from `from` on, or those up to `to`) with the
 * window and an overview of the whole. Open periods run a little past now (2% of the span, at
 * least 30 s), so that what just changed shows as a band, not a sliver.
 */
export function sendDeviceTimeline(source: TimelineSource, id: string, x: Exchange): void {
  const query = x.target.query;
  const from = instantParam(query, 'from');
  const to = instantParam(query, 'to');
  if (from !== undefined && to !== undefined && from > to)
    throw new HttpError(400, `from: ${query.get('from')} is after to (${query.get('to')})`);
  const now = source.now();
  const start = source.start;
  const data = buildDeviceTimeline(id, source.events.list({ device: id }), {
    start,
    end: now + Math.max(30_000, (now - start) * 0.02),
    now,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  });
  x.sendJson(200, data);
}
