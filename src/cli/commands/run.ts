import { closeSync, openSync, writeSync } from 'node:fs';
import { ValidationError } from '../../core/errors.js';
import { Simulation, type SimulationSpec } from '../../core/simulation.js';
import type { EventSink, TimelineEvent } from '../../core/timeline/events.js';
import { formatInstant } from '../../core/time/iso.js';
import { renderHtmlReport } from '../../adapters/pages/html-report.js';
import type { ReportSection } from '../../report/html-report.js';
import type { ScenarioLimits } from '../../scenario/limits.js';
import { loadScenario, parseScenario } from '../../scenario/load.js';
import { isLongRun, runWithProgress } from '../progress.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../io.js';
import { TimelineWriter, type TimelineFilter, type TimelineFormat } from '../timeline-writer.js';

/** What `run` and `demo` write: a timeline (text, JSONL) or the HTML report. */
export type OutputFormat = TimelineFormat | 'html';

export interface RunOptions {
  readonly seed?: number;
  /** Unset: from `out`'s extension (`.html` → html, `.jsonl` → jsonl), else text. */
  readonly format?: OutputFormat;
  readonly until?: string;
  readonly filter?: TimelineFilter;
  /** Write to this file instead of standard output. */
  readonly out?: string;
  /** Limits other than the defaults (`--max-devices`, `--min-interval`, `--max-duration`). */
  readonly limits?: Partial<ScenarioLimits>;
}

/** The format a run writes: the one asked for, else the one `out`'s extension names, else text. */
export function resolveFormat(
  format: OutputFormat | undefined,
  out: string | undefined,
): OutputFormat {
  if (format) return format;
  if (out && /\.html?$/i.test(out)) return 'html';
  if (out && /\.(jsonl|ndjson)$/i.test(out)) return 'jsonl';
  return 'text';
}

/** Reads and resolves a scenario file; problems become a {@link UsageError} naming the file. */
export function readScenario(
  io: CliIo,
  file: string,
  options: { seed?: number; until?: string },
): SimulationSpec {
  return readScenarioFile(io, file, options).spec;
}

/** A scenario file's resolved spec with its `name` and `description`. */
function readScenarioFile(
  io: CliIo,
  file: string,
  options: { seed?: number; until?: string; limits?: Partial<ScenarioLimits> },
): { spec: SimulationSpec; name?: string; description?: string } {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    throw new UsageError(
      `cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    const { name, description } = parseScenario(text, file);
    return { spec: loadScenario(text, options, file), name, description };
  } catch (e) {
    if (e instanceof ValidationError)
      throw new UsageError(
        `${file} is not a valid scenario:\n${e.issues.map((i) => `  ${i}`).join('\n')}`,
      );
    throw e;
  }
}

/** Where a run writes: standard output, or a file (`--out`) it reports on when closed. */
export interface Output {
  readonly write: (text: string) => void;
  /** Closes the file and says on standard output what was written there. */
  readonly close: (what: string) => void;
}

/** Opens `--out` (or standard output); a file that cannot be written is a usage error. */
export function openOutput(io: CliIo, out: string | undefined): Output {
  if (out === undefined) return { write: io.stdout, close: () => {} };
  if (out.trim() === '') throw new UsageError('--out needs a file name');
  let fd: number;
  try {
    fd = openSync(out, 'w');
  } catch (e) {
    throw new UsageError(
      `--out ${out}: cannot write the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let bytes = 0;
  return {
    write: (text) => {
      bytes += writeSync(fd, text);
    },
    close: (what) => {
      closeSync(fd);
      io.stdout(`wrote ${out}: ${what}, ${formatBytes(bytes)}\n`);
    },
  };
}

const formatBytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${Math.round(n / 1024)} KB`
      : `${(n / 1024 / 1024).toFixed(1)} MB`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Runs a resolved spec on the virtual clock and writes its timeline. Returns the events written. */
export function runSpec(
  io: CliIo,
  spec: SimulationSpec,
  title: string,
  options: { format: TimelineFormat; filter?: TimelineFilter },
  write: (text: string) => void = io.stdout,
): number {
  // Never a bar in JSONL (a machine reads it); with one, text bound for the same terminal is
  // held until the end so the two do not interleave.
  const progress = options.format === 'jsonl' ? undefined : io.progress;
  const hold = progress !== undefined && write === io.stdout && io.isTty && isLongRun(spec);
  const writer = new TimelineWriter(
    write,
    options.format,
    options.filter,
    hold ? Number.POSITIVE_INFINITY : undefined,
  );
  if (options.format === 'text') {
    write(
      `# ${title}: ${plural(spec.devices.length, 'device')}, seed ${spec.seed}, ${formatInstant(spec.start)} → ${formatInstant(spec.end)}\n`,
    );
  }
  runWithProgress(new Simulation(spec, writer), spec, {
    stream: progress,
    label: title,
    events: () => writer.count,
  });
  writer.flush();
  if (options.format === 'text') write(`# ${writer.count} events\n`);
  return writer.count;
}

/** Keeps the events that pass a run's `--device` and `--type` filters. */
class FilteredEvents implements EventSink {
  readonly events: TimelineEvent[] = [];
  constructor(private readonly filter: TimelineFilter = {}) {}
  emit(event: TimelineEvent): void {
    const { devices, types } = this.filter;
    if (devices?.length && (event.device === null || !devices.includes(event.device))) return;
    if (types?.length && !types.some((t) => event.type === t || event.type.startsWith(`${t}.`)))
      return;
    this.events.push(event);
  }
}

/** Runs a spec and returns its (filtered) events as one section of an HTML report. */
export function reportSection(
  spec: SimulationSpec,
  meta: { title: string; description?: string },
  filter: TimelineFilter = {},
  progress?: NodeJS.WritableStream,
): ReportSection {
  const sink = new FilteredEvents(filter);
  runWithProgress(new Simulation(spec, sink), spec, {
    stream: progress,
    label: meta.title,
    events: () => sink.events.length,
  });
  const ids = spec.devices.map((d) => d.id);
  return {
    title: meta.title,
    description: meta.description,
    seed: spec.seed,
    events: sink.events,
    start: spec.start,
    end: spec.end,
    devices: filter.devices?.length ? ids.filter((id) => filter.devices?.includes(id)) : ids,
  };
}

/** Writes an HTML report of the sections to `out` (or standard output). */
export function writeHtmlReport(
  io: CliIo,
  title: string,
  sections: readonly ReportSection[],
  out: string | undefined,
): void {
  if (out === undefined && io.isTty)
    throw new UsageError(
      '--format html writes a whole HTML page: add --out report.html (or redirect standard output)',
    );
  const html = renderHtmlReport({ title, sections });
  const output = openOutput(io, out);
  output.write(html);
  const devices = sections.reduce((n, s) => n + (s.devices?.length ?? 0), 0);
  const events = sections.reduce((n, s) => n + s.events.length, 0);
  output.close(
    `HTML report, ${sections.length > 1 ? `${sections.length} runs, ` : ''}${plural(devices, 'device')}, ${plural(events, 'event')}`,
  );
}

export function runCommand(io: CliIo, file: string, options: RunOptions): void {
  const { spec, name, description } = readScenarioFile(io, file, {
    seed: options.seed,
    until: options.until,
    limits: options.limits,
  });
  const format = resolveFormat(options.format, options.out);
  if (format === 'html') {
    const title = name ? `${name} (${file})` : file;
    writeHtmlReport(
      io,
      `dmpush run ${file}`,
      [reportSection(spec, { title, description }, options.filter, io.progress)],
      options.out,
    );
    return;
  }
  const output = openOutput(io, options.out);
  const count = runSpec(io, spec, file, { format, filter: options.filter }, output.write);
  output.close(`${plural(count, 'event')} (${format})`);
}
