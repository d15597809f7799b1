/**
 * The static HTML report: one self-contained file (no server, no network) with the fleet summary
 * and the timeline of one run, or of several runs as sections. The timeline library
 * (vis-timeline's standalone build, which carries its own stylesheet), the report's script and
 * styles (bundled from `src/browser/report/` at build time) and the data are all inlined, so the
 * file opens from disk. Built from text, without I/O: `renderHtmlReport`
 * (`src/adapters/pages/html-report.ts`) reads the library and the bundle and calls
 * {@link renderReportPage}.
 */
import { escapeHtml } from './format.js';
import { inlineScript, inlineStyle, jsonForScript } from './inline.js';
import type { PageAssets } from './page-assets.js';
import { buildReportData, type HtmlReportOptions } from './report-data.js';

export {
  buildReportData,
  type HtmlReportOptions,
  type ReportData,
  type ReportSection,
} from './report-data.js';
export { jsonForScript } from './inline.js';

/**
 * The report as one self-contained HTML page, with the timeline library and the report's browser
 * bundle given as text (`assets.bundle` is the `report` bundle). Deterministic: no timestamps of
 * its own.
 */
export function renderReportPage(options: HtmlReportOptions, assets: PageAssets): string {
  const data = buildReportData(options);
  const { library: lib, bundle: page } = assets;
  const sections = data.sections.length;
  const subtitle =
    options.subtitle ??
    (sections === 1
      ? 'Timeline and fleet summary of a dmpush run'
      : `Timelines and fleet summaries of ${sections} dmpush runs`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dmpush">
<title>${escapeHtml(data.title)}</title>
<!-- ${lib.name} ${lib.version} (Apache-2.0 OR MIT), standalone build: it adds its own stylesheet -->
<script>
${inlineScript(lib.script)}
</script>
<style>${inlineStyle(page.style)}</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.title)}</h1>
<div class="page-meta">${escapeHtml(subtitle)} · times in UTC · drawn with ${escapeHtml(lib.name)} ${escapeHtml(lib.version)}</div>
${options.intro ?? ''}</header>
<main id="report"><noscript>This report needs JavaScript to draw its timeline.</noscript></main>
<script type="application/json" id="dmpush-data">${jsonForScript(data)}</script>
<script>
${inlineScript(page.script)}
</script>
</body>
</html>
`;
}
