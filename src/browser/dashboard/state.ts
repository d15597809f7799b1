/**
 * What the dashboard knows and shows: the fleet (in the order devices first appeared), the
 * selected device, the clock, the live feed, the list's page and filter, the drawn timelines
 * and the window the user zoomed them to. One object, read and changed by the views.
 */
import type { Timeline, TimelineWindow } from 'vis-timeline';
import type { ClockJson, DeviceJson, DeviceTimelineJson, LiveEvent } from './wire.js';

/** Rows of the fleet list per page (a fleet of thousands stays quick to redraw). */
export const PAGE_SIZE = 50;
/** Events kept in the live feed. */
export const FEED_SIZE = 40;

/** The window the user zoomed or panned a device's timeline to (kept across live redraws). */
export interface KeptView {
  readonly device: string;
  readonly start: number;
  readonly end: number;
}

/** The window of a long timeline the user moved to (ISO times; see `window-bar.ts`). */
export interface WantedWindow {
  readonly from?: string;
  readonly to?: string;
}

export interface DashboardState {
  readonly devices: Map<string, DeviceJson>;
  readonly order: string[];
  selected: string | null;
  now: string | null;
  mode: ClockJson['mode'] | null;
  /** The selected device's drawn timelines. */
  timelines: Timeline[];
  /** Each drawn timeline's own whole window, for "show all". */
  readonly homes: WeakMap<Timeline, TimelineWindow>;
  feed: LiveEvent[];
  page: number;
  /** The fleet list's filter, lower case ('' for none). */
  filter: string;
  view: KeptView | null;
  /** The window of the selected device's timeline asked for; null for the newest (live). */
  window: WantedWindow | null;
  /** The timeline answer drawn last (its window and overview). */
  shownWindow: DeviceTimelineJson | null;
}

export const state: DashboardState = {
  devices: new Map(),
  order: [],
  selected: null,
  now: null,
  mode: null,
  timelines: [],
  homes: new WeakMap(),
  feed: [],
  page: 0,
  filter: '',
  view: null,
  window: null,
  shownWindow: null,
};

/** Adds or replaces a device (a new one goes to the end of the fleet). */
export function setDevice(d: DeviceJson): void {
  if (!state.devices.has(d.id)) state.order.push(d.id);
  state.devices.set(d.id, d);
}

/** The selected device, if it is known. */
export function selectedDevice(): DeviceJson | undefined {
  return state.selected === null ? undefined : state.devices.get(state.selected);
}

/** The devices the filter lets through, in fleet order. */
export function shown(): string[] {
  const f = state.filter;
  return f === '' ? state.order : state.order.filter((id) => id.toLowerCase().includes(f));
}
