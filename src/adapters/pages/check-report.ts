/**
 * The HTML report of `dmpush check`: the page of `src/report/check-report.ts`, with the timeline
 * library and the report's browser code read from disk (the same bundle as `dmpush run --report`).
 */
import type { CheckReport, Recording, SituationId } from '../../core/check/model.js';
import { renderCheckPage } from '../../report/check-report.js';
import { readPageAssets } from './read-page-assets.js';

/**
 * The check report as one self-contained HTML page: a section per check, each with the timeline
 * excerpt of its situation's recording (`recordings`, by situation). Deterministic: no timestamps
 * of its own. Throws `BrowserBundleMissingError` when the browser code is not built
 * (`npm run build`).
 */
export function renderCheckHtml(
  report: CheckReport,
  recordings: ReadonlyMap<SituationId, Recording>,
): string {
  return renderCheckPage(report, recordings, readPageAssets('report'));
}
