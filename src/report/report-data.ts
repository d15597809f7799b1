/**
 * What the timeline view draws: the report data (a timeline model per run, with the lanes and the
 * legend), built from a run's events. Pure: the HTML report embeds it as JSON, the control API
 * serves it per device for the dashboard, and the browser scripts read it with these types.
 */
import type { TimelineEvent } from '../core/timeline/events.js';
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
  /**
   * HTML shown between the section's head and its summary (e.g. a check's verdict). The page
   * inserts it as it is: whoever builds it escapes every text in it.
   */
  readonly intro?: string;
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
  /** The line under the page's title (default: what the page holds, e.g. `Timelines … of 3 dmpush runs`). */
  readonly subtitle?: string;
  /** HTML shown in the page's header, under that line (escaped by whoever builds it). */
  readonly intro?: string;
}

/** One section of the report data: a run's title, story, seed and timeline model. */
export interface ReportDataSection {
  readonly title: string;
  readonly description: string | null;
  readonly seed: number | null;
  readonly model: TimelineModel;
  /** The section's {@link ReportSection.intro} (HTML), when it has one. */
  readonly intro?: string;
}

/** What the page's script renders: the JSON embedded in the report. */
export interface ReportData {
  readonly title: string;
  readonly lanes: readonly { readonly kind: LaneKind; readonly label: string }[];
  readonly legend: readonly LegendEntry[];
  readonly sections: readonly ReportDataSection[];
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
      ...(s.intro !== undefined ? { intro: s.intro } : {}),
    })),
  };
}
