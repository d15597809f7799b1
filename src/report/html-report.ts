/**
 * The static HTML report: one self-contained file (no server, no network) with the fleet summary
 * and the timeline of one run, or of several runs as sections. The timeline library
 * (vis-timeline's standalone build, which carries its own stylesheet), the view script and the
 * data are all inlined, so the file opens from disk.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TimelineEvent } from '../core/timeline/events.js';
import { REPORT_CLIENT_JS, REPORT_CSS } from './report-client.js';
import {
  buildTimelineModel,
  LANES,
  LEGEND,
  type LaneKind,
  type LegendEntry,
  type TimelineModel,
} from './timeline-model.js';

/** One run in a report. */
export interface ReportSection {
  readonly title: string;
  readonly description?: string;
  readonly seed?: number;
  readonly events: readonly TimelineEvent[];
  /** The run's start and end (default: the first and last event). */
  readonly start?: number;
  readonly end?: number;
  /** Devices to show first, in order (e.g. the scenario's devices). */
  readonly devices?: readonly string[];
}

export interface HtmlReportOptions {
  readonly title: string;
  /** One run: its events (with `description`, `seed`, `start`, `end`, `devices`)… */
  readonly events?: readonly TimelineEvent[];
  readonly description?: string;
  readonly seed?: number;
  readonly start?: number;
  readonly end?: number;
  readonly devices?: readonly string[];
  /** …or several runs, one section each. */
  readonly sections?: readonly ReportSection[];
  /** Devices with lanes per section (default 50); the summary counts them all. */
  readonly maxDevices?: number;
}

/** What the page's script renders: the JSON embedded in the report. */
export interface ReportData {
  readonly title: string;
  readonly lanes: readonly { readonly kind: LaneKind; readonly label: string }[];
  readonly legend: readonly LegendEntry[];
  readonly sections: readonly {
    readonly title: string;
    readonly description: string | null;
    readonly seed: number | null;
    readonly model: TimelineModel;
  }[];
}

/** The report's data: a timeline model per section. Pure; a live dashboard can serve the same. */
export function buildReportData(options: HtmlReportOptions): ReportData {
  const sections: readonly ReportSection[] = options.sections ?? [
    {
      title: options.title,
      description: options.description,
      seed: options.seed,
      events: options.events ?? [],
      start: options.start,
      end: options.end,
      devices: options.devices,
    },
  ];
  return {
    title: options.title,
    lanes: LANES,
    legend: LEGEND,
    sections: sections.map((s) => ({
      title: s.title,
      description: s.description ?? null,
      seed: s.seed ?? null,
      model: buildTimelineModel(s.events, {
        start: s.start,
        end: s.end,
        devices: s.devices,
        maxDevices: options.maxDevices,
      }),
    })),
  };
}

const require = createRequire(import.meta.url);

/** The npm module that draws the timeline, and where its standalone (UMD) build is. */
export const TIMELINE_LIBRARY = {
  name: 'vis-timeline',
  script: 'vis-timeline/standalone/umd/vis-timeline-graph2d.min.js',
} as const;

let libraryCache: { version: string; script: string } | undefined;

/** The timeline library's standalone build and version, read from node_modules once. */
export function timelineLibrary(): { version: string; script: string } {
  if (!libraryCache) {
    const path = require.resolve(TIMELINE_LIBRARY.script);
    const pkg = JSON.parse(
      readFileSync(require.resolve(`${TIMELINE_LIBRARY.name}/package.json`), 'utf8'),
    ) as { version: string };
    const script = readFileSync(path, 'utf8')
      // The map file is not inlined; a dangling reference would only make devtools complain.
      .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    libraryCache = { version: pkg.version, script };
  }
  return libraryCache;
}

/** Text for an HTML element or attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON that is safe inside `<script type="application/json">`: every `<` is escaped (so no
 * `</script>` or `<!--` can appear), and so are U+2028 and U+2029.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text that cannot close its `<script>` element early. */
const inlineScript = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1');

/** The report as one self-contained HTML page. Deterministic: no timestamps of its own. */
export function renderHtmlReport(options: HtmlReportOptions): string {
  const data = buildReportData(options);
  const lib = timelineLibrary();
  const sections = data.sections.length;
  const subtitle =
    sections === 1
      ? 'Timeline and fleet summary of a dmpush run'
      : `Timelines and fleet summaries of ${sections} dmpush runs`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dmpush">
<title>${escapeHtml(data.title)}</title>
<!-- ${TIMELINE_LIBRARY.name} ${lib.version} (Apache-2.0 OR MIT), standalone build: it adds its own stylesheet -->
<script>
${inlineScript(lib.script)}
</script>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.title)}</h1>
<div class="page-meta">${escapeHtml(subtitle)} · times in UTC · drawn with ${TIMELINE_LIBRARY.name} ${escapeHtml(lib.version)}</div>
</header>
<main id="report"><noscript>This report needs JavaScript to draw its timeline.</noscript></main>
<script type="application/json" id="dmpush-data">${jsonForScript(data)}</script>
<script>
${inlineScript(REPORT_CLIENT_JS)}
</script>
</body>
</html>
`;
}
