/**
 * One section's timeline, drawn by vis-timeline in UTC: devices with their lanes, no stacking
 * within a lane but rows (subgroups) in order; hover shows an item's explanation, selecting it
 * shows it in the details panel; labels of short windows hide when zoomed out too far to fit.
 */
import type { MomentInput } from 'moment';
import type { IdType, Timeline, TimelineWindow } from 'vis-timeline';
import type { TimelineModel } from '../../report/timeline-types.js';
import { HOUR, MINUTE } from '../../core/time/iso.js';
import { formatTime } from '../../report/format.js';
import { esc } from '../shared/dom.js';
import { vis } from '../shared/vis.js';
import { swatch } from './legend.js';
import type { Located, VisData } from './timeline-data.js';

/** The details panel before anything is selected. */
export const NOTHING_SELECTED = '<em>Select an item on the timeline to read what happened.</em>';

/** The axis of a section: the run with a little room either side. */
export function axisOf(model: TimelineModel): { span: number; pad: number } {
  const span = Math.max(model.end - model.start, MINUTE);
  return { span, pad: span * 0.02 };
}

/** The details of a selected item, as HTML. */
function detailsOf(hit: Located): string {
  const it = hit.item;
  const range = it.end !== null && it.end > it.start;
  const when = `${formatTime(it.start)}${range && it.end !== null ? ` → ${formatTime(it.end)}` : ''} UTC`;
  return (
    `<div class="details-head">${swatch({ kind: it.kind, variant: it.variant, point: it.end === null })}` +
    `<strong>${esc(hit.where)}</strong> · ${esc(when)}</div>` +
    `<p class="explanation">${esc(it.explanation)}</p>`
  );
}

const millis = (w: TimelineWindow): number => w.end.valueOf() - w.start.valueOf();

/**
 * Draws the timeline into `container` (already on the page, so it has a width); selection fills
 * `details`. `onDrawn` runs once the library has drawn its items.
 */
export function drawTimeline(
  model: TimelineModel,
  data: VisData,
  container: HTMLElement,
  details: HTMLElement,
  onDrawn: () => void,
): Timeline {
  const lib = vis();
  const { span, pad } = axisOf(model);
  const timeline = new lib.Timeline(
    container,
    new lib.DataSet(data.items),
    new lib.DataSet(data.groups),
    {
      moment: (date?: MomentInput) => lib.moment(date).utc(),
      start: new Date(model.start - pad),
      end: new Date(model.end + pad),
      min: new Date(data.lo - span * 0.1),
      max: new Date(data.hi + span * 0.1),
      zoomMin: MINUTE,
      stack: false,
      stackSubgroups: true,
      orientation: { axis: 'top', item: 'top' },
      groupOrder: () => 0,
      margin: { item: { horizontal: 0, vertical: 3 }, axis: 4 },
      showTooltips: true,
      tooltip: { followMouse: true, overflowMethod: 'flip', delay: 50 },
      zoomKey: 'ctrlKey',
      verticalScroll: false,
      selectable: true,
      multiselect: false,
      showCurrentTime: false,
      onInitialDrawComplete: onDrawn,
    },
  );
  timeline.on('select', (props?: { items?: IdType[] }) => {
    const id = props?.items?.[0];
    const hit = id !== undefined ? data.byId.get(String(id)) : undefined;
    details.innerHTML = hit ? detailsOf(hit) : NOTHING_SELECTED;
  });
  // Labels of short windows only show once zoomed in far enough for them to fit.
  const zoomClass = (): void => {
    const msPerPx = millis(timeline.getWindow()) / Math.max(container.clientWidth, 1);
    container.classList.toggle('zoom-far', msPerPx * 90 > 2 * HOUR);
  };
  zoomClass();
  timeline.on('rangechanged', zoomClass);
  return timeline;
}
