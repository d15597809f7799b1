import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulation, type SimulationSpec } from '../../src/core/simulation.js';
import {
  MemorySink,
  type TimelineEvent,
  type TimelineEventOf,
  type TimelineEventType,
} from '../../src/core/timeline/events.js';
import { toJsonLine } from '../../src/core/timeline/format.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { ResolveOptions } from '../../src/scenario/resolve.js';

/** The repository root (holds package.json and fixtures/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** An absolute path under the repository root, e.g. `fixture('fixtures/scenarios/fleet.yaml')`. */
export function fixture(relative: string): string {
  return join(ROOT, relative);
}

/** A finished virtual-clock run: its spec, every event, and helpers to query them. */
export interface ScenarioRun {
  readonly spec: SimulationSpec;
  readonly events: readonly TimelineEvent[];
  /** The events of one type (and optionally one device), in timeline order. */
  of<K extends TimelineEventType>(type: K, device?: string): TimelineEventOf<K>[];
  /** The events at exactly `time` (epoch ms), in timeline order. */
  at(time: number): TimelineEvent[];
  /** The whole timeline as JSONL (one `toJsonLine` per event, newline-terminated). */
  jsonl(): string;
}

/** Runs an already resolved spec on the virtual clock, start to end. */
export function runSpec(spec: SimulationSpec): ScenarioRun {
  const sink = new MemorySink();
  new Simulation(spec, sink).run();
  const events = sink.events;
  return {
    spec,
    events,
    of: (type, device) => sink.ofType(type, device),
    at: (time) => events.filter((e) => e.time === time),
    jsonl: () => events.map((e) => toJsonLine(e) + '\n').join(''),
  };
}

/** Loads scenario text (YAML or JSON) and runs it. */
export function runScenarioText(
  text: string,
  options: ResolveOptions = {},
  source = 'scenario',
): ScenarioRun {
  return runSpec(loadScenario(text, options, source));
}

/** Reads a scenario file (relative to the repository root, or absolute) and runs it. */
export function runScenarioFile(path: string, options: ResolveOptions = {}): ScenarioRun {
  const file = path.startsWith('/') ? path : fixture(path);
  return runScenarioText(readFileSync(file, 'utf8'), options, file);
}
