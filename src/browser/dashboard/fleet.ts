/**
 * The fleet list: one row per device (a badge when it is enrolled; OS, battery, Battery Saver,
 * WNS, Push/Status, channel expiry), in pages of {@link PAGE_SIZE}, narrowed by the find box; a
 * click selects a device.
 */
import { countOf, formatIsoTime } from '../../report/format.js';
import { byId, esc, query, targetOf } from '../shared/dom.js';
import { pill, pushStatusPill } from './badges.js';
import { enrollmentBadge } from './enrollment.js';
import { PAGE_SIZE, shown, state } from './state.js';
import type { DeviceJson } from './wire.js';

function row(d: DeviceJson): string {
  const b = d.battery;
  const expiry = formatIsoTime(d.channelExpiresAt);
  return (
    `<tr data-device="${esc(d.id)}" class="${d.id === state.selected ? 'selected' : ''}">` +
    `<td class="id">${esc(d.id)}${enrollmentBadge(d)}</td>` +
    `<td>${esc(d.os)}</td>` +
    `<td class="num">${esc(Math.round(b.level))}%${b.charging ? ' <span title="charging">⚡</span>' : ''}</td>` +
    `<td>${b.saverOn ? '<span class="pill warn">on</span>' : '<span class="dim">off</span>'}</td>` +
    `<td>${pill(d.wnsConnected, 'connected', 'disconnected')}</td>` +
    `<td>${pushStatusPill(d.pushStatus)}</td>` +
    `<td class="num" title="${esc(expiry)}">${esc(expiry.slice(5))}</td>` +
    '</tr>'
  );
}

/** Redraws the list: the current page of the devices the filter shows. */
export function renderFleet(): void {
  const list = shown();
  const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
  if (state.page >= pages) state.page = pages - 1;
  const first = state.page * PAGE_SIZE;
  const rows = list.slice(first, first + PAGE_SIZE).flatMap((id) => {
    const d = state.devices.get(id);
    return d ? [row(d)] : [];
  });
  byId('fleet-body').innerHTML = rows.join('');
  byId('fleet-count').textContent = countOf(state.order.length, 'device');
  const pager = byId('fleet-pager');
  pager.hidden = list.length <= PAGE_SIZE;
  byId('fleet-range').textContent =
    list.length === 0
      ? 'none'
      : `${first + 1}–${Math.min(first + PAGE_SIZE, list.length)} of ${list.length}`;
  query(pager, '[data-page="-1"]', HTMLButtonElement).disabled = state.page === 0;
  query(pager, '[data-page="1"]', HTMLButtonElement).disabled = state.page >= pages - 1;
}

/** Turns to the page that holds the device (when the filter shows it). */
export function pageOf(id: string): void {
  const at = shown().indexOf(id);
  if (at >= 0) state.page = Math.floor(at / PAGE_SIZE);
}

/** Wires the list: a click on a row selects its device; the pager and the find box. */
export function bindFleet(select: (id: string) => void): void {
  byId('fleet-body').addEventListener('click', (ev) => {
    const id = targetOf(ev)?.closest('tr[data-device]')?.getAttribute('data-device');
    if (id) select(id);
  });
  byId('fleet-pager').addEventListener('click', (ev) => {
    const button = targetOf(ev)?.closest('button[data-page]');
    if (!button) return;
    state.page = Math.max(0, state.page + Number(button.getAttribute('data-page')));
    renderFleet();
  });
  const filter = byId('fleet-filter', HTMLInputElement);
  filter.addEventListener('input', () => {
    state.filter = filter.value.trim().toLowerCase();
    state.page = 0;
    renderFleet();
  });
}
