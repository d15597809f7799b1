/**
 * Value renderers shared by every view of a run: the timeline model (built in Node), the HTML
 * report's and the live dashboard's browser scripts (bundled from `src/browser/`). Pure and
 * environment-free (no DOM, no Node, no clock), so one copy serves both sides.
 *
 * @example
 * formatTime(Date.parse('2026-01-16T03:53:00Z')); // '2026-01-16 03:53'
 * pushStatusLabel(5); // '5 Channel URI expired'
 */
import { PUSH_STATUS_TEXT, type PushStatus } from '../core/dmclient/push-status.js';
import { DAY } from '../core/time/iso.js';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A readable UTC time: `2026-01-16 03:53`, or `03:53` when `ref` is on the same UTC day. Seconds
 * show only when they are not zero and `seconds` is set.
 */
export function formatTime(ms: number, ref?: number, seconds = false): string {
  const d = new Date(ms);
  const day = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  let clock = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (seconds && d.getUTCSeconds() !== 0) clock += `:${pad2(d.getUTCSeconds())}`;
  if (ref !== undefined && Math.floor(ref / DAY) === Math.floor(ms / DAY)) return clock;
  return `${day} ${clock}`;
}

/** An ISO 8601 instant (as the control API sends them) the way {@link formatTime} writes it; `—` for none. */
export function formatIsoTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatTime(ms);
}

/** The month and day of a UTC time: `01-16`. */
export function shortDay(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** A Push/Status value with the DMClient CSP's wording: `5 Channel URI expired`. */
export function pushStatusLabel(status: PushStatus): string {
  return `${status} ${PUSH_STATUS_TEXT[status]}`;
}

/** `1 device`, `2 devices`: a count with its noun, plural when it is not one. */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Text for an HTML element or attribute. */
export function escapeHtml(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
