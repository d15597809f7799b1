/**
 * A section's model as the timeline library wants it: one group per device (a header row) with a
 * nested group per lane, the cloud-wide group, and one item per band or point, with the rows of
 * each lane (subgroups) in the model's order. Pushes are few and labelled: they are spread over
 * rows so that, at the first zoom, no label covers another; an enrollment attempt too short to see
 * as a band is an unlabelled point.
 */
import type { DataGroup, DataItem } from 'vis-timeline';
import type { ItemKind, Lane, TimelineItem, TimelineModel } from '../../report/timeline-types.js';
import { osLabel } from '../../core/os/os-profiles.js';
import { esc } from '../shared/dom.js';
import { variantKey } from './legend.js';

/** A group with the nesting level the library reads (its types leave it out). */
type LaneGroup = DataGroup & { readonly treeLevel: 1 | 2 };

/** An item of the model and where it is, in words (`laptop · Renewal`), for the details panel. */
export interface Located {
  readonly item: TimelineItem;
  readonly where: string;
}

export interface VisData {
  readonly groups: LaneGroup[];
  readonly items: DataItem[];
  readonly byId: ReadonlyMap<string, Located>;
  /** The kinds and variants drawn ({@link variantKey}), for the legend. */
  readonly present: ReadonlySet<string>;
  /** The earliest and latest instant any item reaches. */
  readonly lo: number;
  readonly hi: number;
}

/** Rows for each push (by id) and the row names, so that labels do not overlap at `pxPerMs`. */
function spreadLabels(
  lane: Lane,
  start: number,
  pxPerMs: number,
): { rows: Map<string, string>; names: string[] } {
  const rowEnds: number[] = [];
  const rows = new Map<string, string>();
  for (const item of lane.items) {
    const x0 = (item.start - start) * pxPerMs;
    const x1 = Math.max(
      item.end === null ? x0 + 10 : (item.end - start) * pxPerMs,
      x0 + 14 + item.label.length * 6.5,
    );
    let r = 0;
    while (r < rowEnds.length && (rowEnds[r] ?? 0) > x0 - 6) r++;
    rowEnds[r] = x1;
    rows.set(item.id, item.row + (r ? `-${r}` : ''));
  }
  const names: string[] = [];
  for (let i = 0; i < Math.max(rowEnds.length, 1); i++) names.push(lane.kind + (i ? `-${i}` : ''));
  return { rows, names };
}

/**
 * Kinds whose bands are often instants at the first zoom (an enrollment attempt takes seconds in a
 * run of days): a band of one narrower than {@link MIN_BAND_PX} is drawn as a point, so that it
 * shows and can be hovered. Their explanations still give the period.
 */
const POINT_WHEN_SHORT: ReadonlySet<ItemKind> = new Set(['enrollment']);
const MIN_BAND_PX = 4;

/** Orders a lane's items by the position of their row in `rows`. */
const rowOrder =
  (rows: readonly string[]) =>
  (a: DataItem, b: DataItem): number =>
    rows.indexOf(String(a.subgroup)) - rows.indexOf(String(b.subgroup));

/** The groups and items of a section; `pxPerMs` is the first zoom (for spreading push labels). */
export function visData(model: TimelineModel, pxPerMs: number): VisData {
  const groups: LaneGroup[] = [];
  const items: DataItem[] = [];
  const byId = new Map<string, Located>();
  const present = new Set<string>();
  let lo = model.start;
  let hi = model.end;
  const addItem = (item: TimelineItem, group: string, where: string, row?: string): void => {
    const short =
      POINT_WHEN_SHORT.has(item.kind) &&
      item.end !== null &&
      (item.end - item.start) * pxPerMs < MIN_BAND_PX;
    const range = item.end !== null && item.end > item.start && !short;
    const vi: DataItem = {
      id: item.id,
      group,
      subgroup: row ?? item.row,
      start: new Date(item.start),
      type: range ? 'range' : 'point',
      // A band drawn as a point is unlabelled, as dense points are (its neighbours may be close).
      content: item.label && !short ? esc(item.label) : '&nbsp;',
      className: `k-${item.kind} v-${item.variant}`,
      title: esc(item.explanation),
    };
    if (range && item.end !== null) vi.end = new Date(item.end);
    lo = Math.min(lo, item.start);
    hi = Math.max(hi, range && item.end !== null ? item.end : item.start);
    items.push(vi);
    present.add(variantKey(item.kind, item.variant));
    byId.set(item.id, { item, where });
  };
  if (model.cloud.length) {
    groups.push({
      id: 'cloud',
      content: '<span class="device-name">WNS cloud</span>',
      className: 'g-cloud',
      treeLevel: 1,
    });
    for (const item of model.cloud) addItem(item, 'cloud', 'WNS cloud');
  }
  for (const device of model.devices) {
    groups.push({
      id: `device:${device.id}`,
      content:
        `<span class="device-name">${esc(device.id)}</span>` +
        (device.os ? ` <span class="os">${esc(osLabel(device.os))}</span>` : ''),
      className: 'g-device',
      treeLevel: 1,
      nestedGroups: device.lanes.map((l) => l.id),
      showNested: true,
    });
    for (const lane of device.lanes) {
      const spread = lane.kind === 'push' ? spreadLabels(lane, model.start, pxPerMs) : null;
      groups.push({
        id: lane.id,
        content: esc(lane.label),
        className: `g-lane lane-${lane.kind}`,
        treeLevel: 2,
        subgroupOrder: rowOrder(spread ? spread.names : lane.rows),
      });
      for (const item of lane.items)
        addItem(item, lane.id, `${device.id} · ${lane.label}`, spread?.rows.get(item.id));
    }
  }
  return { groups, items, byId, present, lo, hi };
}
