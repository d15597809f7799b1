/**
 * The live dashboard's script (bundled into `dist/browser/dashboard.js` and inlined in the page
 * the control API serves at `/`): loads the clock and the fleet, selects the device named in the
 * address (or the first), then follows the fleet over `/api/live`. It talks only to the control
 * API it was served by. The timeline is drawn by the report's own view (`../report/render.ts`)
 * from `GET /api/devices/{id}/timeline`.
 */
import type { Timeline } from 'vis-timeline';
import { byId } from '../shared/dom.js';
import { api } from './api-client.js';
import { apiToken } from './api-token.js';
import { bindControls } from './controls.js';
import { bindFleet, renderFleet } from './fleet.js';
import { renderClock } from './header.js';
import { connect } from './live.js';
import { select, selectInitial } from './selection.js';
import { refreshSelected } from './refresh.js';
import { setDevice, state, type KeptView } from './state.js';
import { bindWindowBar } from './window-bar.js';
import type { ClockJson, DeviceJson } from './wire.js';
import '../report/report.css';
import './dashboard.css';

/** For scripting the page (and its tests): the selected device's drawn timelines and zoom. */
export interface DashboardApi {
  timelines(): Timeline[];
  /** The window the user zoomed to, kept across live redraws; null for the whole timeline. */
  view(): KeptView | null;
}

declare global {
  interface Window {
    dmpushDashboard?: DashboardApi;
  }
}

window.dmpushDashboard = { timelines: () => state.timelines, view: () => state.view };
// First: `#token=…` leaves the address before the address names a device.
apiToken();
bindFleet(select);
bindControls();
bindWindowBar(refreshSelected);

async function start(): Promise<void> {
  const clock = await api<ClockJson>('GET', '/api/clock');
  state.now = clock.now;
  state.mode = clock.mode;
  renderClock();
  const devices = await api<DeviceJson[]>('GET', '/api/devices');
  devices.forEach(setDevice);
  renderFleet();
  selectInitial();
  connect();
}

start().catch((e: unknown) => {
  byId('device-error').textContent =
    `cannot reach the control API: ${e instanceof Error ? e.message : String(e)}`;
});
