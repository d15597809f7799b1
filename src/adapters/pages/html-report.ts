/**
 * The static HTML report as `dmpush run --report` writes it and `dmpush/node` exports it: the
 * page of `src/report/html-report.ts`, with the timeline library and the report's browser code
 * read from disk.
 */
import { renderReportPage, type HtmlReportOptions } from '../../report/html-report.js';
import { readPageAssets } from './read-page-assets.js';

/**
 * The report as one self-contained HTML page. Deterministic: no timestamps of its own. Throws
 * `BrowserBundleMissingError` when the browser code is not built (`npm run build`).
 *
 * @example
 * ```ts
 * writeFileSync('report.html', renderHtmlReport({ title: 'My run', events: sink.events }));
 * ```
 */
export function renderHtmlReport(options: HtmlReportOptions): string {
  return renderReportPage(options, readPageAssets('report'));
}
