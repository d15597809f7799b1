/**
 * The page's header and side feed: the simulation's clock (and the advance form on a virtual
 * clock), the live connection's pill, and the latest events as they arrive.
 */
import { formatIsoTime } from '../../report/format.js';
import { byId, esc } from '../shared/dom.js';
import { state } from './state.js';

export function renderClock(): void {
  byId('clock-now').textContent = state.now ? `${formatIsoTime(state.now)} UTC` : '—';
  byId('clock-mode').textContent = state.mode ? `${state.mode} clock` : '';
  byId('advance').hidden = state.mode !== 'virtual';
}

export function renderFeed(): void {
  byId('feed').innerHTML = state.feed
    .map(
      (e) =>
        `<li><span class="when">${esc(formatIsoTime(e.time).slice(5))}</span> ` +
        (e.device ? `<span class="who">${esc(e.device)}</span> ` : '') +
        `${esc(e.text || e.type)}</li>`,
    )
    .join('');
}

/** The live connection's pill: `live`, or what is happening instead. */
export function showLive(ok: boolean, text: string): void {
  const live = byId('live');
  live.className = `pill ${ok ? 'ok' : 'bad'}`;
  live.textContent = text;
}
