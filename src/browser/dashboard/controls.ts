/**
 * The device's controls (battery, network, Data Sense, Push/PFN, a push through WNS) and the
 * clock's advance form: each submits to the control API and shows the answer, or the API's
 * error, next to its button; a changed device redraws at once and its timeline soon after.
 */
import { formatIsoTime } from '../../report/format.js';
import { byId, field, form, query } from '../shared/dom.js';
import { api, devicePath } from './api-client.js';
import { fillControls, renderDeviceHead } from './device-panel.js';
import { renderFleet } from './fleet.js';
import { renderClock } from './header.js';
import { scheduleRefresh } from './refresh.js';
import { setDevice, state } from './state.js';
import type { DeviceJson } from './wire.js';

/** What a control's request answered: the changed device (if any) and the words for it. */
interface Answer {
  readonly device?: DeviceJson;
  readonly text: string;
}

/** What a control does when submitted. */
type Action = () => Promise<Answer>;

/** A number field's value; null when empty. */
function numberIn(f: HTMLFormElement, name: string): number | null {
  const v = field(f, name).value.trim();
  return v === '' ? null : Number(v);
}

function showResult(f: HTMLFormElement, ok: boolean, text: string): void {
  const out = query(f, '.result', HTMLOutputElement);
  out.className = `result ${ok ? 'ok' : 'error'}`;
  out.textContent = text;
}

function submit(f: HTMLFormElement, action: Action): void {
  const button = query(f, 'button', HTMLButtonElement);
  button.disabled = true;
  action()
    .then(({ device, text }) => {
      if (device && state.devices.has(device.id)) {
        setDevice(device);
        renderFleet();
        renderDeviceHead();
        fillControls();
      }
      showResult(f, true, text);
      scheduleRefresh();
    })
    .catch((e: unknown) => showResult(f, false, e instanceof Error ? e.message : String(e)))
    .finally(() => {
      button.disabled = false;
    });
}

/** `PATCH /api/devices/{selected}` with `body`; `describe` words the changed device. */
const patch =
  (body: object, describe: (d: DeviceJson) => string): Action =>
  async () => {
    const device = await api<DeviceJson>('PATCH', devicePath(state.selected ?? ''), body);
    return { device, text: describe(device) };
  };

const wns = (d: DeviceJson): string => `WNS ${d.wnsConnected ? 'connected' : 'disconnected'}`;

/** `POST /api/devices/{selected}/push`: the MDM server's account of the push, `key: value`. */
const push =
  (body: object): Action =>
  async () => {
    const r = await api<object>('POST', devicePath(state.selected ?? '', '/push'), body);
    const text = Object.entries(r)
      .filter(([, v]) => v !== null && typeof v !== 'object')
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(' · ');
    return { text };
  };

/** The device controls by form name: what each sends, read from its fields when submitted. */
const CONTROLS: Readonly<Record<string, (f: HTMLFormElement) => Action>> = {
  'ctl-battery': (f) =>
    patch(
      {
        battery: { level: numberIn(f, 'level'), charging: field(f, 'charging').checked },
        screen: field(f, 'screenOn').checked ? 'on' : 'off',
      },
      (d) =>
        `battery ${d.battery.level}%, Battery Saver ${d.battery.saverOn ? 'on' : 'off'}, screen ${d.screen}, ${wns(d)}`,
    ),
  'ctl-network': (f) =>
    patch(
      {
        network: {
          connected: field(f, 'connected').checked,
          internet: field(f, 'internet').checked,
          metered: field(f, 'metered').checked,
        },
      },
      (d) => `network ${d.network.connected ? 'connected' : 'offline'}, ${wns(d)}`,
    ),
  'ctl-datasense': (f) =>
    patch(
      { dataSense: { usedMB: numberIn(f, 'usedMB'), limitMB: numberIn(f, 'limitMB') } },
      (d) => `Data Sense limit ${d.dataSense.limitReached ? 'reached' : 'not reached'}`,
    ),
  'ctl-pfn': (f) => {
    const pfn = field(f, 'pfn').value.trim();
    return patch({ pfn: pfn === '' ? null : pfn }, (d) => `Push/PFN ${d.pfn || 'cleared'}`);
  },
  'ctl-push': (f) => {
    const body: { cachePolicy?: string; ttlSeconds?: number; priority?: number } = {};
    const policy = field(f, 'cachePolicy', HTMLSelectElement).value;
    if (policy) body.cachePolicy = policy;
    const ttl = numberIn(f, 'ttlSeconds');
    if (ttl !== null) body.ttlSeconds = ttl;
    const priority = field(f, 'priority', HTMLSelectElement).value;
    if (priority) body.priority = Number(priority);
    return push(body);
  },
};

/** Wires every control form and the advance form. */
export function bindControls(): void {
  for (const [name, make] of Object.entries(CONTROLS)) {
    const f = form(name);
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (state.selected) submit(f, make(f));
    });
  }
  const advance = form('ctl-advance');
  advance.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const duration = field(advance, 'duration').value.trim();
    submit(advance, async () => {
      const r = await api<{ now: string }>('POST', '/api/clock/advance', { duration });
      state.now = r.now;
      renderClock();
      return { text: `now ${formatIsoTime(r.now)}` };
    });
  });
  byId('timeline-fit').addEventListener('click', () => {
    state.view = null;
    for (const t of state.timelines) {
      const home = state.homes.get(t);
      if (home) t.setWindow(home.start, home.end, { animation: false });
    }
  });
}
