/**
 * The report view: for each section (run), its head (title, period, seed, device count, story),
 * the summary cards, the timeline with its details panel, and the legend of what it shows. The
 * report page renders its embedded data with it; the dashboard renders each device's timeline
 * data from the control API with it.
 */
import type { Timeline } from 'vis-timeline';
import { countOf, formatTime } from '../../report/format.js';
import type { ReportData, ReportDataSection } from '../../report/report-data.js';
import { el, esc } from '../shared/dom.js';
import { renderLegend } from './legend.js';
import { renderSummary } from './summary.js';
import { visData } from './timeline-data.js';
import { axisOf, drawTimeline, NOTHING_SELECTED } from './timeline-view.js';

/** Width the lane labels take, roughly, when the first zoom spreads the push labels. */
const LABELS_PX = 200;

function sectionHead(section: ReportDataSection): HTMLElement {
  const { model } = section;
  const head = el('div', 'section-head');
  head.appendChild(el('h2', '', esc(section.title)));
  const meta = [`${formatTime(model.start)} → ${formatTime(model.end)} UTC`];
  if (section.seed !== null) meta.push(`seed ${section.seed}`);
  meta.push(countOf(model.summary.devices, 'device'));
  head.appendChild(el('div', 'meta', esc(meta.join(' · '))));
  if (section.description) head.appendChild(el('p', 'story', esc(section.description)));
  return head;
}

function renderSection(
  section: ReportDataSection,
  index: number,
  data: ReportData,
  root: HTMLElement,
  onDrawn: () => void,
): Timeline {
  const { model } = section;
  const box = el('section', 'report-section');
  box.id = `section-${index}`;
  box.setAttribute('data-section', section.title);
  box.appendChild(sectionHead(section));
  if (section.intro) box.appendChild(el('div', 'section-intro', section.intro));
  box.appendChild(renderSummary(model.summary, data.legend));
  if (model.omittedDevices.length)
    box.appendChild(
      el(
        'p',
        'note',
        esc(
          `The timeline shows the first ${model.devices.length} devices; ${model.omittedDevices.length} more are counted in the summary only (use --device to pick devices).`,
        ),
      ),
    );
  box.appendChild(
    el(
      'p',
      'hint',
      'Drag to pan, scroll (Ctrl + wheel) to zoom; hover over an item or select it to read what happened.',
    ),
  );
  const container = el('div', 'timeline');
  box.appendChild(container);
  const details = el('div', 'details', NOTHING_SELECTED);
  details.setAttribute('aria-live', 'polite');
  box.appendChild(details);
  root.appendChild(box);
  const { span, pad } = axisOf(model);
  const pxPerMs = Math.max(container.clientWidth - LABELS_PX, 400) / (span + 2 * pad);
  const vd = visData(model, pxPerMs);
  const timeline = drawTimeline(model, vd, container, details, onDrawn);
  box.appendChild(renderLegend(data.legend, data.lanes, vd.present));
  return timeline;
}

/**
 * Renders the report into `root` (replacing what it held); `onDrawn` runs once every timeline
 * has drawn its items (at once for a report with no sections).
 */
export function render(data: ReportData, root: HTMLElement, onDrawn?: () => void): Timeline[] {
  let waiting = data.sections.length;
  root.innerHTML = '';
  const timelines = data.sections.map((section, i) =>
    renderSection(section, i, data, root, () => {
      waiting--;
      if (waiting === 0) onDrawn?.();
    }),
  );
  if (waiting === 0) onDrawn?.();
  return timelines;
}
