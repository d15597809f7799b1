/**
 * The HTML report's script (bundled into `dist/browser/report.js` and inlined in every report):
 * renders the report data embedded in the page (`#dmpush-data`) into `#report`, marks the body
 * `data-ready` once every timeline is drawn, and leaves `window.dmpushReport` for scripting the
 * page (and its tests). It runs from `file://`: no module loading, no network.
 */
import type { Timeline } from 'vis-timeline';
import type { ReportData } from '../../report/report-data.js';
import { render } from './render.js';
import './report.css';

/** What `window.dmpushReport` offers. */
export interface ReportApi {
  readonly render: typeof render;
  timelines: Timeline[];
  data?: ReportData;
}

declare global {
  interface Window {
    dmpushReport?: ReportApi;
  }
}

const api: ReportApi = { render, timelines: [] };
window.dmpushReport = api;
const source = document.getElementById('dmpush-data');
const root = document.getElementById('report');
if (source && root) {
  const data = JSON.parse(source.textContent ?? 'null') as ReportData;
  api.data = data;
  api.timelines = render(data, root, () => document.body.setAttribute('data-ready', 'true'));
}
