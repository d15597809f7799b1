/**
 * The window bar of a long device timeline: the control API answers at most 1,000 events of a
 * device at a time (a window), with an overview of the whole. The bar says which part is shown,
 * moves the window (earlier, later, back to the newest) and draws the overview as bars, the shown
 * part marked; a bar picks its slice. Hidden when the whole timeline fits in one window.
 */
import { countOf, formatTime } from '../../report/format.js';
import { byId, esc, targetOf } from '../shared/dom.js';
import { state, type WantedWindow } from './state.js';
import type { DeviceTimelineJson } from './wire.js';

const bar = (): HTMLElement => byId('timeline-window');

/** The window the buttons and bars ask for (null: the newest, following live updates). */
function wanted(action: string, data: DeviceTimelineJson, slice?: number): WantedWindow | null {
  const w = data.window;
  if (action === 'earlier') return { to: w.from };
  if (action === 'later') return { from: w.to };
  if (action !== 'slice' || slice === undefined) return null;
  const from = Date.parse(data.overview.from);
  const width = (Date.parse(data.overview.to) - from) / data.overview.counts.length;
  return {
    from: new Date(from + slice * width).toISOString(),
    to: new Date(from + (slice + 1) * width).toISOString(),
  };
}

/** The overview's bars (as HTML), each as tall as its share of the busiest slice. */
function overviewHtml(data: DeviceTimelineJson): string {
  const { counts } = data.overview;
  const from = Date.parse(data.overview.from);
  const span = Math.max(Date.parse(data.overview.to) - from, 1);
  const width = span / counts.length;
  const max = Math.max(1, ...counts);
  const bars = counts
    .map((n, i) => {
      const h = n === 0 ? 0 : Math.max(8, Math.round((100 * n) / max));
      const title = `${countOf(n, 'event')} from ${formatTime(from + i * width)}`;
      return `<span class="slice" data-slice="${i}" title="${esc(title)}"><i style="height:${h}%"></i></span>`;
    })
    .join('');
  const left = (100 * (Date.parse(data.window.from) - from)) / span;
  const right = (100 * (Date.parse(data.window.to) - from)) / span;
  const shown = `<span class="shown" style="left:${left.toFixed(2)}%;width:${Math.max(right - left, 0.3).toFixed(2)}%"></span>`;
  return `<div class="overview">${bars}${shown}</div>`;
}

/** Which part is shown, in words: `1,000 events of 100,000, 2026-01-02 10:00 → 12:00 UTC`. */
function rangeText(data: DeviceTimelineJson): string {
  const w = data.window;
  const from = Date.parse(w.from);
  const omitted = w.omittedItems ? ` (${countOf(w.omittedItems, 'item')} left out)` : '';
  const events = `${w.events.toLocaleString('en-US')} event${w.events === 1 ? '' : 's'}`;
  return `${events} of ${w.total.toLocaleString('en-US')}, ${formatTime(from)} → ${formatTime(Date.parse(w.to), from)} UTC${omitted}`;
}

/** Draws the bar for the device's answer (hidden when the whole timeline is shown). */
export function renderWindowBar(data: DeviceTimelineJson): void {
  const w = data.window;
  const box = bar();
  state.shownWindow = data;
  box.hidden = !w.clipped && !w.earlier && !w.later;
  if (box.hidden) return;
  const button = (action: string, text: string, enabled: boolean): string =>
    `<button type="button" data-window="${action}"${enabled ? '' : ' disabled'}>${text}</button>`;
  box.innerHTML =
    `<div class="window-tools">${button('earlier', '‹ earlier', w.earlier)} ` +
    `<span class="window-range">${esc(rangeText(data))}</span> ` +
    `${button('later', 'later ›', w.later)} ${button('newest', 'newest', state.window !== null)}</div>` +
    overviewHtml(data);
}

/** Listens to the bar's buttons and slices; `move` loads the window asked for. */
export function bindWindowBar(move: () => void): void {
  bar().addEventListener('click', (ev) => {
    const data = state.shownWindow;
    const target = targetOf(ev);
    if (!data || !target) return;
    const action = target.closest('[data-window]')?.getAttribute('data-window');
    const slice = target.closest('[data-slice]')?.getAttribute('data-slice');
    if (!action && slice == null) return;
    state.window = wanted(action ?? 'slice', data, slice == null ? undefined : Number(slice));
    state.view = null;
    move();
  });
}

/** The query that asks the control API for the wanted window ('' for the newest). */
export function windowQuery(): string {
  const w = state.window;
  if (!w) return '';
  const q = new URLSearchParams();
  if (w.from !== undefined) q.set('from', w.from);
  if (w.to !== undefined) q.set('to', w.to);
  return `?${q.toString()}`;
}
