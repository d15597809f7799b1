/**
 * Keeps the selected device's timeline and DM tree current: a refresh fetches both and redraws;
 * changes that arrive while one runs (or within {@link REFRESH_MS} of the last) are merged into
 * one more refresh. The panel carries `data-busy` while a refresh is due or running and
 * `data-rev` (counting redraws) after each; the body gets `data-ready` after the first.
 */
import type { Timeline } from 'vis-timeline';
import { render } from '../report/render.js';
import { byId } from '../shared/dom.js';
import { later, wallNow } from '../shared/timers.js';
import { api, devicePath } from './api-client.js';
import { renderDeviceHead, renderTree } from './device-panel.js';
import { state } from './state.js';
import { renderWindowBar, windowQuery } from './window-bar.js';
import type { DeviceTimelineJson, TreeNode } from './wire.js';

/** Least time between two refreshes, ms (live updates come in bursts). */
const REFRESH_MS = 400;
/** A timeline with nothing to draw may never report its first draw: swap it in after this. */
const DRAW_TIMEOUT_MS = 1000;

const refresh = {
  timer: null as number | null,
  running: false,
  again: false,
  last: 0,
  rev: 0,
  ready: false,
};

const panel = (): HTMLElement => byId('device-panel');

/** Keeps the user's zoom on a live redraw of the same device; remembers each one's whole. */
function adopt(timelines: readonly Timeline[], device: string): void {
  const view = state.view && state.view.device === device ? state.view : null;
  for (const t of timelines) {
    state.homes.set(t, t.getWindow());
    if (view) t.setWindow(view.start, view.end, { animation: false });
    t.on('rangechanged', (p?: { start: Date; end: Date; byUser: boolean }) => {
      if (p?.byUser) state.view = { device, start: p.start.valueOf(), end: p.end.valueOf() };
    });
  }
}

/**
 * Draws the new timeline off to the side (hidden, but laid out) and swaps it in once drawn, so
 * that a live update never shows an empty box.
 */
function drawTimeline(id: string, data: DeviceTimelineJson, done: () => void): void {
  const box = byId('timeline');
  const next = document.createElement('div');
  next.className = 'timeline-next';
  box.appendChild(next);
  const old = state.timelines;
  let swapped = false;
  const swap = (): void => {
    if (swapped) return;
    swapped = true;
    for (const t of old) t.destroy();
    for (const c of [...box.children]) if (c !== next) box.removeChild(c);
    // (render may report an empty report drawn before it returns its timelines)
    adopt(state.timelines === old ? [] : state.timelines, id);
    next.className = '';
    done();
  };
  state.timelines = render(data, next, swap);
  later(DRAW_TIMEOUT_MS, swap);
}

/** After a redraw: count it, mark the page ready, and run the refresh that waited, if any. */
function finished(): void {
  refresh.running = false;
  if (refresh.again) {
    refresh.again = false;
    scheduleRefresh();
  } else if (refresh.timer === null) panel().removeAttribute('data-busy');
  refresh.rev++;
  panel().setAttribute('data-rev', String(refresh.rev));
  if (!refresh.ready) {
    refresh.ready = true;
    document.body.setAttribute('data-ready', 'true');
  }
}

/** Fetches the selected device's timeline and tree and redraws them. */
export function refreshSelected(): void {
  const id = state.selected;
  if (!id) return;
  if (refresh.running) {
    refresh.again = true;
    return;
  }
  refresh.running = true;
  refresh.last = wallNow();
  panel().setAttribute('data-busy', 'true');
  Promise.all([
    api<DeviceTimelineJson>('GET', devicePath(id, `/timeline${windowQuery()}`)),
    api<TreeNode[]>('GET', devicePath(id, '/tree')),
  ])
    .then(([timeline, tree]) => {
      if (id !== state.selected) {
        refresh.running = false;
        refreshSelected();
        return;
      }
      renderDeviceHead();
      renderTree(tree);
      renderWindowBar(timeline);
      let drawn = false;
      drawTimeline(id, timeline, () => {
        if (drawn) return;
        drawn = true;
        finished();
      });
    })
    .catch((e: unknown) => {
      byId('device-error').textContent = e instanceof Error ? e.message : String(e);
      refresh.running = false;
      panel().removeAttribute('data-busy');
    });
}

/** Refreshes soon: at once if the last refresh is long enough ago, else when it is. */
export function scheduleRefresh(): void {
  if (refresh.timer !== null) return;
  panel().setAttribute('data-busy', 'true');
  const wait = Math.max(0, REFRESH_MS - (wallNow() - refresh.last));
  refresh.timer = later(wait, () => {
    refresh.timer = null;
    refreshSelected();
  });
}
