/**
 * The timeline view's data, without any DOM: a run's events become, per device, lanes of items on
 * one time axis (WNS connection, power, Data Sense, network, channel, renewal, pushes, sessions),
 * each item with a sentence explaining it, plus a fleet summary. The static HTML report renders
 * this model; the live dashboard rebuilds it from the events it has and renders it the same way.
 *
 * The work is split by concern: {@link DeviceBuilder} hands each device's events to its lane
 * builders (`condition-lanes.ts`, `channel-lanes.ts`, `push-lane.ts`, `session-lane.ts`),
 * `fleet-summary.ts` counts, `timeline-legend.ts` names the lanes and colours, and this module
 * puts a run together (with the cloud-wide PFN blocks).
 */
import type { TimelineEvent } from '../core/timeline/events.js';
import { DeviceBuilder } from './device-builder.js';
import { summarize } from './fleet-summary.js';
import { formatTime } from './format.js';
import { period } from './timeline-texts.js';
import type { TimelineItem, TimelineModel, TimelineModelOptions } from './timeline-types.js';

export type {
  Lane,
  LaneKind,
  TimelineItem,
  TimelineModel,
  TimelineModelOptions,
} from './timeline-types.js';
export { LANES, LEGEND, type LegendEntry } from './timeline-legend.js';

/** Devices with lanes when the options do not say (the summary counts all). */
const MAX_DEVICES = 50;

/**
 * Builds the timeline model of a run from its events (in time order, as a run emits them).
 * Deterministic: the same events and options give the same model.
 */
export function buildTimelineModel(
  events: readonly TimelineEvent[],
  options: TimelineModelOptions = {},
): TimelineModel {
  const start = options.start ?? events[0]?.time ?? 0;
  const end = Math.max(options.end ?? events.at(-1)?.time ?? start, start);
  const now = options.now ?? end;
  const builders = new Map<string, DeviceBuilder>();
  const from = options.itemsFrom;
  for (const id of options.devices ?? []) builders.set(id, new DeviceBuilder(id, from));
  const cloud: TimelineItem[] = [];
  const blocked = new Map<string, number>();
  const blockedItem = (pfn: string, since: number, to: number, open: boolean): void => {
    if (from !== undefined && to < from) return;
    cloud.push({
      id: `cloud/${cloud.length}`,
      device: null,
      lane: 'cloud',
      row: 'cloud',
      kind: 'pfn-blocked',
      variant: 'blocked',
      start: since,
      end: to,
      label: `PFN ${pfn} blocked`,
      explanation: `WNS blocks PFN ${pfn} ${open ? `from ${formatTime(since)} to the end of the run` : period(since, to)}: pushes get 410 and channel requests fail (Push/Status 3).`,
    });
  };
  for (const e of events) {
    if (e.device === null) {
      if (e.type === 'wns.pfn-blocked' && !blocked.has(e.pfn)) blocked.set(e.pfn, e.time);
      else if (e.type === 'wns.pfn-unblocked') {
        const from = blocked.get(e.pfn);
        if (from !== undefined) blockedItem(e.pfn, from, e.time, false);
        blocked.delete(e.pfn);
      }
      continue;
    }
    let b = builders.get(e.device);
    if (!b) builders.set(e.device, (b = new DeviceBuilder(e.device, from)));
    b.apply(e);
  }
  for (const [pfn, from] of blocked) blockedItem(pfn, from, Math.max(end, from), true);

  const all = [...builders.values()];
  const maxDevices = options.maxDevices ?? MAX_DEVICES;
  const summary = summarize(all, now, events.length);
  const devices = all.slice(0, maxDevices).map((b) => ({
    id: b.id,
    os: b.os,
    pfn: b.pfn,
    lanes: b.finish(end),
  }));
  return {
    start,
    end,
    devices,
    cloud,
    omittedDevices: all.slice(maxDevices).map((b) => b.id),
    summary,
  };
}
