/**
 * Selecting a device: the address (`#id`) follows, the list turns to its page, its panel shows
 * with fresh controls, and its timeline and tree load.
 */
import { byId } from '../shared/dom.js';
import { fillControls, renderDeviceHead } from './device-panel.js';
import { pageOf, renderFleet } from './fleet.js';
import { refreshSelected } from './refresh.js';
import { state } from './state.js';

export function select(id: string): void {
  if (!state.devices.has(id)) return;
  if (id !== state.selected) {
    state.view = null;
    state.window = null;
  }
  state.selected = id;
  pageOf(id);
  if (location.hash !== `#${id}`) history.replaceState(null, '', `#${encodeURIComponent(id)}`);
  const panel = byId('device-panel');
  panel.hidden = false;
  panel.setAttribute('data-device', id);
  byId('device-error').textContent = '';
  for (const r of document.querySelectorAll('.controls .result')) {
    r.textContent = '';
    r.className = 'result';
  }
  renderFleet();
  renderDeviceHead();
  fillControls();
  refreshSelected();
}

/** The device named in the address (`#id`), else the first of the fleet, if any. */
export function selectInitial(): void {
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (state.devices.has(wanted)) select(wanted);
  else if (state.order[0] !== undefined) select(state.order[0]);
}
