/**
 * A window of one device's timeline, for the live dashboard: a device with 100,000 events would
 * make a timeline answer of tens of megabytes and a page that cannot draw it, so the control API
 * answers a window of at most {@link WINDOW_EVENTS} events (its lanes built from every event
 * before it, so what was in force at its start is drawn) and an overview: the device's events
 * counted in {@link OVERVIEW_BUCKETS} equal slices of its whole timeline, to see where it is dense
 * and move the window there. Pure: the route and the dashboard share these shapes.
 */
import type { TimelineEvent } from '../core/timeline/events.js';
import { formatInstant } from '../core/time/iso.js';
import type { ReportData } from './report-data.js';
import {
  buildTimelineModel,
  LANES,
  LEGEND,
  type Lane,
  type TimelineItem,
  type TimelineModel,
} from './timeline-model.js';

/** Most events one window holds (about 200 KB of timeline data). */
export const WINDOW_EVENTS = 1_000;
/** Slices of the overview. */
export const OVERVIEW_BUCKETS = 120;
/**
 * Most items a window draws: two per event of a full window leaves room for every window but
 * one whose events share an instant with thousands more (the newest-ending are kept).
 */
export const WINDOW_ITEMS = 2 * WINDOW_EVENTS;

/** The part of the timeline an answer shows (instants in ISO 8601). */
interface TimelineWindowJson {
  readonly from: string;
  readonly to: string;
  /** The device's events in the window. */
  readonly events: number;
  /** The device's events kept (the whole timeline). */
  readonly total: number;
  /** The window asked for held more than {@link WINDOW_EVENTS} events: it was narrowed. */
  readonly clipped: boolean;
  /** There are events before `from` / after `to`. */
  readonly earlier: boolean;
  readonly later: boolean;
  /** Items left out over {@link WINDOW_ITEMS} (0 unless many events share one instant). */
  readonly omittedItems: number;
}

/** The device's whole timeline in equal slices: how many events each holds. */
interface TimelineOverviewJson {
  readonly from: string;
  readonly to: string;
  readonly counts: readonly number[];
}

/** `GET /api/devices/{id}/timeline`: the report data of a window, with the window and overview. */
export interface DeviceTimelineData extends ReportData {
  readonly window: TimelineWindowJson;
  readonly overview: TimelineOverviewJson;
}

/** What {@link buildDeviceTimeline} draws (epoch ms). */
export interface DeviceTimelineOptions {
  /** Where the timeline starts and ends (open periods run to `end`), and the present. */
  readonly start: number;
  readonly end: number;
  readonly now: number;
  /**
   * The window asked for. With `from` alone it runs forward from `from`; otherwise it runs back
   * from `to` (default `end`), so that with neither it shows the newest events.
   */
  readonly from?: number;
  readonly to?: number;
  /** Most events in the window (default {@link WINDOW_EVENTS}). */
  readonly maxEvents?: number;
  /** Slices of the overview (default {@link OVERVIEW_BUCKETS}). */
  readonly buckets?: number;
}

/** The first index of `events` (in time order) at or after `t`. */
function firstAtOrAfter(events: readonly TimelineEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as TimelineEvent).time < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The window's instants (within `first`…`end`) and the index of its last event, narrowed to `max`
 * events when it holds more.
 */
function pickWindow(
  events: readonly TimelineEvent[],
  first: number,
  o: DeviceTimelineOptions,
): { hi: number; from: number; to: number; clipped: boolean } {
  const max = o.maxEvents ?? WINDOW_EVENTS;
  let to = Math.max(Math.min(o.to ?? o.end, o.end), first);
  let from = Math.min(Math.max(o.from ?? first, first), to);
  let lo = firstAtOrAfter(events, from);
  let hi = firstAtOrAfter(events, to + 1) - 1;
  const clipped = hi - lo + 1 > max;
  if (clipped && o.from !== undefined && o.to === undefined) {
    hi = lo + max - 1;
    to = (events[hi] as TimelineEvent).time;
  } else if (clipped) {
    lo = hi - max + 1;
    from = (events[lo] as TimelineEvent).time;
  }
  return { hi, from, to, clipped };
}

/** How many of `events` fall in each of `n` equal slices of `from`…`to`. */
function countSlices(events: readonly TimelineEvent[], from: number, to: number, n: number) {
  const counts = new Array<number>(n).fill(0);
  const width = Math.max(to - from, 1) / n;
  for (const e of events) {
    const i = Math.min(n - 1, Math.max(0, Math.floor((e.time - from) / width)));
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

/** `model` with at most `max` items: those that end last (open periods, the newest points). */
function capItems(model: TimelineModel, max: number): { model: TimelineModel; omitted: number } {
  const all = model.devices.flatMap((d) => d.lanes.flatMap((l) => l.items));
  if (all.length <= max) return { model, omitted: 0 };
  const reach = (i: TimelineItem): number => i.end ?? i.start;
  const kept = new Set(all.sort((a, b) => reach(b) - reach(a) || b.start - a.start).slice(0, max));
  const lanes = (ls: readonly Lane[]): Lane[] =>
    ls.map((l) => ({ ...l, items: l.items.filter((i) => kept.has(i)) }));
  const devices = model.devices.map((d) => ({ ...d, lanes: lanes(d.lanes) }));
  return { model: { ...model, devices }, omitted: all.length - max };
}

/**
 * One device's timeline data for a window (see the module's doc): `events` are the device's, in
 * time order. Only the events up to the window's end are read into the lanes; items that end
 * before its start are left out, so the answer stays small however long the timeline.
 */
export function buildDeviceTimeline(
  id: string,
  events: readonly TimelineEvent[],
  o: DeviceTimelineOptions,
): DeviceTimelineData {
  const first = Math.min(o.start, events[0]?.time ?? o.start);
  const w = pickWindow(events, first, o);
  /** The first event in the window (those before it only shape the lanes). */
  const lo = firstAtOrAfter(events, w.from);
  const upToEnd = w.hi + 1 === events.length ? events : events.slice(0, w.hi + 1);
  const live = w.to >= o.end;
  const built = buildTimelineModel(upToEnd, {
    start: w.from,
    end: live ? o.end : w.to,
    now: live ? o.now : Math.min(o.now, w.to),
    devices: [id],
    itemsFrom: w.from,
  });
  const { model, omitted } = capItems(built, WINDOW_ITEMS);
  return {
    title: id,
    lanes: LANES,
    legend: LEGEND,
    sections: [{ title: id, description: null, seed: null, model }],
    window: {
      from: formatInstant(w.from),
      to: formatInstant(w.to),
      events: Math.max(0, w.hi - lo + 1),
      total: events.length,
      clipped: w.clipped,
      earlier: lo > 0,
      later: w.hi + 1 < events.length,
      omittedItems: omitted,
    },
    overview: {
      from: formatInstant(first),
      to: formatInstant(o.end),
      counts: countSlices(events, first, o.end, o.buckets ?? OVERVIEW_BUCKETS),
    },
  };
}
