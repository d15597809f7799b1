/**
 * The colour key of the timeline: a swatch per kind and variant (a band or a point, coloured by
 * the stylesheet's `.k-<kind>.v-<variant>` rules), and the legend of the kinds a section shows.
 */
import type { LegendEntry } from '../../report/timeline-legend.js';
import type { LaneKind } from '../../report/timeline-types.js';
import { el, esc } from '../shared/dom.js';

/** What a swatch needs: the item's kind and variant, and whether it is a point. */
export interface SwatchOf {
  readonly kind: string;
  readonly variant: string;
  readonly point?: boolean;
}

/** The key of a kind and variant, as {@link renderLegend}'s `present` holds them. */
export const variantKey = (kind: string, variant: string): string => `${kind} ${variant}`;

/** A small band or point in the item's colours (HTML). */
export function swatch(entry: SwatchOf): string {
  return `<span class="swatch ${entry.point ? 'point ' : 'band '}k-${entry.kind} v-${entry.variant}"></span>`;
}

/** `text` after the swatch of its legend entry (when there is one), as HTML. */
export function withSwatch(
  legend: readonly LegendEntry[],
  kind: string,
  variant: string,
  text: string,
): string {
  const entry = legend.find((e) => e.kind === kind && e.variant === variant);
  return entry ? swatch(entry) + esc(text) : esc(text);
}

/** The legend of the kinds present (all when `present` is null), one column per lane. */
export function renderLegend(
  legend: readonly LegendEntry[],
  lanes: readonly { readonly kind: LaneKind; readonly label: string }[],
  present: ReadonlySet<string> | null,
): HTMLElement {
  const box = el('div', 'legend');
  const grid = el('div', 'legend-grid');
  const byLane = new Map<string, LegendEntry[]>();
  for (const entry of legend) {
    if (present && !present.has(variantKey(entry.kind, entry.variant))) continue;
    const list = byLane.get(entry.lane) ?? [];
    list.push(entry);
    byLane.set(entry.lane, list);
  }
  for (const lane of [...lanes, { kind: 'cloud', label: 'WNS cloud' }]) {
    const entries = byLane.get(lane.kind);
    if (!entries) continue;
    const col = el('div', 'legend-lane');
    col.appendChild(el('div', 'legend-title', esc(lane.label)));
    for (const entry of entries)
      col.appendChild(el('div', 'legend-entry', swatch(entry) + esc(entry.label)));
    grid.appendChild(col);
  }
  box.appendChild(grid);
  return box;
}
