/**
 * The small value renderers of the dashboard's tables and facts: a fact, pills for states and the
 * Push/Status value with the CSP's wording (from the core, never copied).
 */
import type { PushStatus } from '../../core/dmclient/push-status.js';
import { pushStatusLabel } from '../../report/format.js';
import { esc } from '../shared/dom.js';

/** A coloured pill: `yes` when ok, else `no` in `bad` (red) or another pill class. */
export function pill(ok: boolean, yes: string, no: string, bad = 'bad'): string {
  return `<span class="pill ${ok ? 'ok' : bad}">${esc(ok ? yes : no)}</span>`;
}

/** The Push/Status pill: green for 0 (success), red otherwise, with the CSP's text. */
export function pushStatusPill(status: PushStatus): string {
  const label = pushStatusLabel(status);
  return `<span class="pill status ${status === 0 ? 'ok' : 'bad'}" title="Push/Status ${esc(label)}">${esc(label)}</span>`;
}

/** A labelled value of the device panel (`valueHtml` is HTML); `wide` takes a whole row. */
export function fact(label: string, valueHtml: string, wide = false): string {
  return `<div class="fact${wide ? ' wide' : ''}"><span class="label">${esc(label)}</span> ${valueHtml}</div>`;
}

/** Rounded to one decimal, as the page shows levels and megabytes. */
export const tenth = (x: number): number => Math.round(x * 10) / 10;
