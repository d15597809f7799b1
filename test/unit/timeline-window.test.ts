/**
 * A window of one device's timeline (what the dashboard asks the control API for): bounded
 * however many events the device has, the same items as the whole timeline where they overlap,
 * and an overview of the whole.
 */
import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import { buildTimelineModel } from '../../src/report/timeline-model.js';
import type { TimelineItem } from '../../src/report/timeline-types.js';
import {
  buildDeviceTimeline,
  OVERVIEW_BUCKETS,
  WINDOW_EVENTS,
  WINDOW_ITEMS,
} from '../../src/report/timeline-window.js';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** `n` events of device `big`, one a minute: sessions, pushes, battery changes. */
function busyDevice(n: number): TimelineEvent[] {
  const events: TimelineEvent[] = [
    {
      time: T0,
      device: 'big',
      type: 'device.started',
      os: '1607',
      pfn: 'App_1',
      battery: 80,
      charging: false,
      connected: true,
      internet: true,
      metered: false,
    },
    { time: T0, device: 'big', type: 'wns.connected' },
  ];
  for (let i = 1; events.length < n; i++) {
    const time = T0 + i * MINUTE;
    switch (i % 4) {
      case 0:
        events.push({ time, device: 'big', type: 'session.started', trigger: 'poll' });
        break;
      case 1:
        events.push({ time, device: 'big', type: 'session.completed', trigger: 'poll' });
        break;
      case 2:
        events.push({
          time,
          device: 'big',
          type: 'push.received',
          msgId: `m${i}`,
          channelUri: 'http://127.0.0.1/?token=t',
          cached: false,
          priority: 3,
        });
        break;
      default:
        events.push({
          time,
          device: 'big',
          type: 'power.changed',
          charging: i % 8 === 3,
          level: 50 + (i % 40),
        });
    }
  }
  return events;
}

const itemsOf = (d: {
  sections: readonly {
    model: { devices: readonly { lanes: readonly { items: readonly TimelineItem[] }[] }[] };
  }[];
}): TimelineItem[] => d.sections[0]?.model.devices[0]?.lanes.flatMap((l) => l.items) ?? [];

describe('buildDeviceTimeline', () => {
  const events = busyDevice(100_000);
  const last = (events.at(-1) as TimelineEvent).time;
  const span = { start: T0, end: last + MINUTE, now: last };

  it('answers the newest 1,000 events of a 100,000-event device in a small answer, with an overview of all', () => {
    const data = buildDeviceTimeline('big', events, span);
    const bytes = JSON.stringify(data).length;
    expect(bytes).toBeLessThan(400_000);
    expect(data.window).toMatchObject({
      events: WINDOW_EVENTS,
      total: 100_000,
      clipped: true,
      earlier: true,
      later: false,
      from: new Date((events[100_000 - WINDOW_EVENTS] as TimelineEvent).time).toISOString(),
    });
    expect(itemsOf(data).length).toBeLessThanOrEqual(WINDOW_EVENTS + 20);
    expect(data.overview.counts).toHaveLength(OVERVIEW_BUCKETS);
    expect(data.overview.counts.reduce((a, b) => a + b, 0)).toBe(100_000);
    // The summary still counts the whole history.
    expect(data.sections[0]?.model.summary.sessions.poll.started).toBeGreaterThan(20_000);
  });

  it('draws what was in force at the window start: the same items as the whole timeline there', () => {
    const small = busyDevice(3_000);
    const end = (small.at(-1) as TimelineEvent).time + MINUTE;
    const whole = buildTimelineModel(small, { start: T0, end, devices: ['big'] });
    const data = buildDeviceTimeline('big', small, { start: T0, end, now: end });
    const from = Date.parse(data.window.from);
    const expected = whole.devices[0]?.lanes
      .flatMap((l) => l.items)
      .filter((i) => (i.end ?? i.start) >= from);
    expect(itemsOf(data)).toEqual(expected);
    // The WNS connection began before the window and shows from the window's start.
    expect(itemsOf(data).some((i) => i.kind === 'wns' && i.start === T0)).toBe(true);
  });

  it('runs forward from `from` alone, back from `to`, and keeps a window that fits as asked', () => {
    const day = T0 + 24 * 60 * MINUTE;
    const forward = buildDeviceTimeline('big', events, { ...span, from: day });
    expect(forward.window).toMatchObject({
      from: new Date(day).toISOString(),
      to: new Date(day + (WINDOW_EVENTS - 1) * MINUTE).toISOString(),
      events: WINDOW_EVENTS,
      clipped: true,
      earlier: true,
      later: true,
    });
    const back = buildDeviceTimeline('big', events, { ...span, to: day });
    expect(back.window).toMatchObject({
      from: new Date(day - (WINDOW_EVENTS - 1) * MINUTE).toISOString(),
      to: new Date(day).toISOString(),
      events: WINDOW_EVENTS,
    });
    const hour = buildDeviceTimeline('big', events, { ...span, from: day, to: day + 59 * MINUTE });
    expect(hour.window).toMatchObject({ events: 60, clipped: false, earlier: true, later: true });
    expect(hour.sections[0]?.model).toMatchObject({ start: day, end: day + 59 * MINUTE });
  });

  it('stays bounded when thousands of events share one instant (the newest-ending items are kept)', () => {
    const same = busyDevice(20_000).map((e, i) => (i < 2 ? e : { ...e, time: T0 + MINUTE }));
    const data = buildDeviceTimeline('big', same, {
      start: T0,
      end: T0 + 2 * MINUTE,
      now: T0 + MINUTE,
    });
    expect(itemsOf(data).length).toBe(WINDOW_ITEMS);
    expect(data.window.omittedItems).toBeGreaterThan(0);
    expect(JSON.stringify(data).length).toBeLessThan(800_000);
    // The WNS connection, open to the end, is among those kept.
    expect(itemsOf(data).some((i) => i.kind === 'wns' && i.end === T0 + 2 * MINUTE)).toBe(true);
  });

  it('shows a short timeline whole, as before', () => {
    const small = busyDevice(50);
    const end = (small.at(-1) as TimelineEvent).time + MINUTE;
    const data = buildDeviceTimeline('big', small, { start: T0, end, now: end });
    expect(data.window).toMatchObject({
      events: 50,
      total: 50,
      clipped: false,
      earlier: false,
      later: false,
    });
    expect(data.sections[0]?.model).toEqual(
      buildTimelineModel(small, { start: T0, end, now: end, devices: ['big'] }),
    );
  });
});
