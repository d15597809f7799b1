/**
 * The `/api/live` WebSocket: each message brings the clock, the devices that changed and the
 * events logged since the last; the page redraws what they touch (the selected device's
 * timeline soon after). A closed socket reconnects after a second.
 */
import { apiToken } from './api-token.js';
import { later } from '../shared/timers.js';
import { renderDeviceHead } from './device-panel.js';
import { renderFleet } from './fleet.js';
import { renderClock, renderFeed, showLive } from './header.js';
import { scheduleRefresh } from './refresh.js';
import { select } from './selection.js';
import { FEED_SIZE, setDevice, state } from './state.js';
import type { LiveMessage } from './wire.js';

/** The path of the live-updates WebSocket on the control port. */
const LIVE_PATH = '/api/live';
const RECONNECT_MS = 1000;

function onMessage(msg: LiveMessage): void {
  if (msg.now) state.now = msg.now;
  if (msg.clock) state.mode = msg.clock;
  let touched = false;
  for (const d of msg.devices ?? []) {
    setDevice(d);
    if (d.id === state.selected) touched = true;
  }
  for (const e of msg.events ?? []) {
    if (e.device === state.selected) touched = true;
    state.feed.unshift(e);
  }
  if (state.feed.length > FEED_SIZE) state.feed.length = FEED_SIZE;
  if (msg.dropped) touched = true;
  renderClock();
  renderFleet();
  renderFeed();
  if (touched) {
    renderDeviceHead();
    scheduleRefresh();
  }
  if (!state.selected && state.order[0] !== undefined) select(state.order[0]);
}

/** Opens the live socket (and keeps it open). */
export function connect(): void {
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const token = apiToken();
  // Browsers cannot set headers on a WebSocket: the token goes in the query (RFC 6750 §2.3).
  const query = token ? `?access_token=${encodeURIComponent(token)}` : '';
  const ws = new WebSocket(`${scheme}${location.host}${LIVE_PATH}${query}`);
  ws.onopen = () => showLive(true, 'live');
  ws.onmessage = (ev: MessageEvent<string>) => onMessage(JSON.parse(ev.data) as LiveMessage);
  ws.onclose = () => {
    showLive(false, 'reconnecting…');
    later(RECONNECT_MS, connect);
  };
}
